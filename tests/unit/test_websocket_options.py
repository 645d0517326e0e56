"""Every refusal of ``SecureWebSocketApi``'s options, raised before any resource exists."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw

from secure_api import (
    AccessPolicy,
    BearerAuth,
    Consumer,
    CustomDomain,
    KeyRotation,
    SecureApiConfigError,
    SecureWebSocketApi,
    Throttle,
    UsageTier,
)
from secure_api.authorizer import connect_environment
from secure_api.websocket.option_checks import check_origins, check_token_query_parameter

AUTH = BearerAuth(issuer="https://login.example.com/", audience=["chat"])
ZONE = {"hosted_zone_id": "Z0123456789ABC", "hosted_zone_name": "example.com"}


def build(**kwargs: Any) -> SecureWebSocketApi:
    stack = cdk.Stack(cdk.App(), "Test")
    options: dict[str, Any] = {"auth": AUTH, "audit": None, "monitoring": None, **kwargs}
    return SecureWebSocketApi(stack, "Chat", **options)


def refused(field: str, **kwargs: Any) -> SecureApiConfigError:
    stack = cdk.Stack(cdk.App(), "Test")
    options: dict[str, Any] = {"auth": AUTH, "audit": None, "monitoring": None, **kwargs}
    with pytest.raises(SecureApiConfigError) as raised:
        SecureWebSocketApi(stack, "Chat", **options)
    assert raised.value.field == field
    assert field in str(raised.value)
    # Nothing was created: the checks run before the construct exists.
    assert stack.node.try_find_child("Chat") is None
    return raised.value


def test_fails_without_auth() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    with pytest.raises(SecureApiConfigError, match="auth") as raised:
        SecureWebSocketApi(stack, "Chat")
    assert raised.value.field == "auth"


def test_fails_with_auth_none() -> None:
    assert "never the default" in str(refused("auth", auth=None))


def test_fails_with_unknown_auth() -> None:
    refused("auth", auth="none")


def test_fails_with_bad_stage_name() -> None:
    refused("stage_name", stage_name="prod/v1")


def test_fails_with_private_access() -> None:
    error = refused(
        "AccessPolicy.private", access=AccessPolicy.private(vpc_endpoint_ids=["vpce-0123456789abcdef0"])
    )
    assert "no private endpoint" in str(error)


def test_fails_with_accounts() -> None:
    assert "resource policy" in str(
        refused("AccessPolicy.allow_accounts", access=AccessPolicy(allow_accounts=["123456789012"]))
    )
    refused("AccessPolicy.deny_accounts", access=AccessPolicy(deny_accounts=["123456789012"]))


def test_fails_with_ip_lists_and_iam() -> None:
    error = refused(
        "AccessPolicy.allow_ip_ranges", auth="iam", access=AccessPolicy(allow_ip_ranges=["203.0.113.0/24"])
    )
    assert "auth='iam'" in str(error)
    refused("AccessPolicy.deny_ip_ranges", auth="iam", access=AccessPolicy(deny_ip_ranges=["203.0.113.0/24"]))


@pytest.mark.parametrize(
    ("field", "value"),
    [("allowed_origins", ["https://app.example.com"]), ("connect_scopes", ["chat:connect"]),
     ("token_query_parameter", "access_token")],
)  # fmt: skip
def test_fails_with_authorizer_options_and_iam(field: str, value: Any) -> None:
    assert "authorizer" in str(refused(field, auth="iam", **{field: value}))


def test_fails_with_tls_policy_other_than_tls_1_2() -> None:
    domain = CustomDomain(
        domain_name="chat.example.com", security_policy=apigw.SecurityPolicy.TLS13_1_3_2025_09, **ZONE
    )
    assert "TLS_1_2" in str(refused("CustomDomain.security_policy", domain=domain))


def test_fails_with_mutual_tls() -> None:
    from secure_api import MutualTls

    mtls = MutualTls(truststore_bucket="bucket-name", truststore_key="ca.pem", truststore_version="v1")
    domain = CustomDomain(domain_name="chat.example.com", mtls=mtls, **ZONE)
    assert "WebSocket APIs do not support mutual TLS" in str(refused("CustomDomain.mtls", domain=domain))


def test_fails_with_mtls() -> None:
    domain = CustomDomain(
        domain_name="chat.example.com", mtls_truststore_uri="s3://bucket-name/ca.pem", **ZONE
    )
    assert "mutual TLS" in str(refused("CustomDomain.mtls_truststore_uri", domain=domain))


def test_fails_with_multi_level_base_path() -> None:
    refused(
        "CustomDomain.base_path", domain=CustomDomain(domain_name="chat.example.com", base_path="a/b", **ZONE)
    )


def test_explicit_tls_1_2_and_default_policy_are_accepted() -> None:
    for domain in (
        CustomDomain(domain_name="chat.example.com", security_policy=apigw.SecurityPolicy.TLS_1_2, **ZONE),
        CustomDomain(domain_name="chat.example.com", **ZONE),
    ):
        assert build(domain=domain).domain_name is not None


@pytest.mark.parametrize(
    "origin",
    ["*", "https://*.example.com", "https://app.example.com/", "https://app.example.com/path",
     "https://App.example.com", "https://app.example.com:443", "app.example.com", "ftp://app.example.com"],
)  # fmt: skip
def test_fails_with_bad_origin(origin: str) -> None:
    with pytest.raises(SecureApiConfigError, match=r"allowed_origins\[0\]"):
        check_origins([origin])


def test_fails_with_origin_string_or_duplicates() -> None:
    refused("allowed_origins", allowed_origins="https://app.example.com")
    refused("allowed_origins", allowed_origins=["https://app.example.com", "https://app.example.com"])


def test_origins_with_port_are_accepted() -> None:
    assert check_origins(["http://localhost:3000", "https://app.example.com"]) == (
        "http://localhost:3000",
        "https://app.example.com",
    )


@pytest.mark.parametrize("name", ["", "access token", "tok&en", "a" * 129, 7])
def test_fails_with_bad_token_query_parameter(name: Any) -> None:
    with pytest.raises(SecureApiConfigError, match="token_query_parameter"):
        check_token_query_parameter(name)


def test_fails_with_bad_connect_scopes() -> None:
    refused("connect_scopes", connect_scopes="chat:connect")
    refused("connect_scopes[0]", connect_scopes=["chat connect"])


def test_fails_with_bad_route_selection_expression() -> None:
    refused("route_selection_expression", route_selection_expression="$request.header.action")


def test_fails_with_consumers_without_tiers() -> None:
    error = refused("consumers", consumers=[Consumer("mobile-app", tier="gold")])
    assert str(error) == "consumers: got ['mobile-app']; expected usage_tiers for them to belong to"


def test_fails_with_key_rotation_without_tiers() -> None:
    refused("key_rotation", key_rotation=KeyRotation())


def test_fails_with_api_key_claim_without_tiers() -> None:
    auth = BearerAuth(issuer="https://login.example.com/", audience=["chat"], api_key_claim="consumer")
    refused("BearerAuth.api_key_claim", auth=auth)


def test_fails_with_method_throttles() -> None:
    tier = UsageTier("gold", method_throttles={"GET /orders": Throttle(rate_limit=1, burst_limit=1)})
    assert "REST" in str(refused("usage_tiers[0].method_throttles", usage_tiers=[tier]))


def test_fails_with_wrong_option_types() -> None:
    refused("throttle", throttle=5)
    refused("domain", domain="chat.example.com")
    refused("log_retention", log_retention=30)


def test_fails_when_the_authorizer_environment_is_too_large() -> None:
    origins = [f"https://app{i}.example.com" for i in range(200)]
    with pytest.raises(SecureApiConfigError, match="allowed_origins") as raised:
        connect_environment(AUTH, allowed_origins=origins)
    assert "4096" in str(raised.value)


def test_fails_with_quarantine_exempt_unknown_consumer() -> None:
    from secure_api import Monitoring

    refused("Monitoring.quarantine_exempt[0]", monitoring=Monitoring(quarantine_exempt=["nobody"]))
