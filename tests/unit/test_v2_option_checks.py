"""The checks the v2 kinds share (``secure_api/v2/option_checks.py``) and every root's
(``secure_api/option_checks.py``), for both v2 kinds."""

from __future__ import annotations

import pytest
from aws_cdk import aws_apigateway as apigw

from secure_api import AccessPolicy, BearerAuth, CustomDomain, MutualTls
from secure_api.api_target import ApiKind
from secure_api.errors import SecureApiConfigError
from secure_api.option_checks import check_auth_required
from secure_api.v2.option_checks import check_v2_access, check_v2_domain

ZONE = {"hosted_zone_id": "Z0123456789ABC", "hosted_zone_name": "example.com"}
MTLS = MutualTls(truststore_bucket="truststores", truststore_key="ca.pem", truststore_version="1")


@pytest.mark.parametrize(
    ("access", "field"),
    [
        (AccessPolicy.private(vpc_endpoint_ids=["vpce-0123456789abcdef0"]), "AccessPolicy.private"),
        (AccessPolicy(allow_accounts=["123456789012"]), "AccessPolicy.allow_accounts"),
        (AccessPolicy(deny_accounts=["123456789012"]), "AccessPolicy.deny_accounts"),
    ],
)
def test_fails_resource_policy_options_on_either_v2_kind(access: AccessPolicy, field: str) -> None:
    for kind in (ApiKind.WEBSOCKET, ApiKind.HTTP):
        with pytest.raises(SecureApiConfigError, match=rf"^{field}: ") as error:
            check_v2_access(access, iam=False, kind=kind)
        # An HTTP API's refusal says what to use instead; a WebSocket API has no REST alternative to name.
        assert ("SecureRestApi" in str(error.value)) is (kind is ApiKind.HTTP)


def test_fails_ip_lists_with_iam_and_accepts_them_with_the_authorizer() -> None:
    access = AccessPolicy(allow_ip_ranges=["203.0.113.0/24"])
    with pytest.raises(SecureApiConfigError, match=r"^AccessPolicy.allow_ip_ranges: .*\$connect"):
        check_v2_access(access, iam=True, kind=ApiKind.WEBSOCKET)
    check_v2_access(access, iam=False, kind=ApiKind.HTTP)


def test_fails_mutual_tls_on_websocket_only() -> None:
    domain = CustomDomain(domain_name="api.example.com", mtls=MTLS, **ZONE)
    with pytest.raises(SecureApiConfigError, match=r"^CustomDomain.mtls: .*expected None: WebSocket APIs"):
        check_v2_domain(domain, kind=ApiKind.WEBSOCKET)
    check_v2_domain(domain, kind=ApiKind.HTTP)


def test_fails_an_enhanced_policy_or_a_multi_level_base_path() -> None:
    for kind in (ApiKind.WEBSOCKET, ApiKind.HTTP):
        with pytest.raises(SecureApiConfigError, match=r"^CustomDomain.security_policy: "):
            check_v2_domain(
                CustomDomain(
                    domain_name="api.example.com",
                    security_policy=apigw.SecurityPolicy.TLS13_1_3_2025_09,
                    **ZONE,
                ),
                kind=kind,
            )
        with pytest.raises(SecureApiConfigError, match=r"^CustomDomain.base_path: "):
            check_v2_domain(CustomDomain(domain_name="api.example.com", base_path="a/b", **ZONE), kind=kind)


def test_fails_missing_or_unknown_auth() -> None:
    with pytest.raises(
        SecureApiConfigError, match=r"^auth: .*an HTTP API without authentication.*auth='none'"
    ):
        check_auth_required(None, api="an HTTP API", hint=" (a public route is add_route(..., auth='none'))")
    with pytest.raises(SecureApiConfigError, match=r"^auth: .*a BearerAuth or 'iam'"):
        check_auth_required("none", api="a WebSocket API")
    check_auth_required("iam", api="a WebSocket API")
    check_auth_required(BearerAuth(issuer="https://login.example.com/", audience=["a"]), api="an HTTP API")
