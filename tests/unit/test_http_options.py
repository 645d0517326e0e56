"""Every refusal of ``SecureHttpApi``'s options (``secure_api.http.option_checks``), and which authorizer a
``BearerAuth`` becomes. Pure checks: no construct is built."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_logs as logs

from secure_api import (
    AccessPolicy,
    BearerAuth,
    Consumer,
    CorsPolicy,
    CustomDomain,
    Firewall,
    KeyRotation,
    Monitoring,
    SecureApiConfigError,
    Throttle,
    UsageTier,
)
from secure_api.http.option_checks import HttpOptions, check_http_options, choose_authorizer

AUTH = BearerAuth(issuer="https://login.example.com/", audience=["orders-api"])
ZONE = {"hosted_zone_id": "Z0123456789ABC", "hosted_zone_name": "example.com"}


def check(
    *,
    auth: Any = AUTH,
    authorizer: Any = None,
    rest_only: dict[str, Any] | None = None,
    stage_name: Any = "prod",
    log_retention: Any = logs.RetentionDays.ONE_YEAR,
    description: Any = None,
    **options: Any,
) -> HttpOptions:
    return check_http_options(
        stage_name=stage_name,
        auth=auth,
        authorizer=authorizer,
        options=options,
        rest_only=rest_only or {},
        log_retention=log_retention,
        description=description,
    )


def refused(field: str, **kwargs: Any) -> SecureApiConfigError:
    with pytest.raises(SecureApiConfigError) as raised:
        check(**kwargs)
    assert raised.value.field == field
    assert field in str(raised.value)
    return raised.value


def test_defaults() -> None:
    options = check()
    assert options.authorizer == "native"
    assert options.throttle == Throttle()
    assert options.bearer is AUTH
    assert options.lambda_environment == {}


def test_fails_without_auth() -> None:
    error = refused("auth", auth=None)
    assert "never the default" in str(error)


def test_fails_with_unknown_auth() -> None:
    refused("auth", auth="none")


def test_fails_with_bad_stage_name() -> None:
    refused("stage_name", stage_name="prod stage")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("usage_tiers", [UsageTier("gold", throttle=Throttle(rate_limit=10, burst_limit=20))]),
        ("consumers", [Consumer("mobile-app", tier="gold")]),
        ("key_rotation", KeyRotation()),
        ("firewall", Firewall()),
    ],
)
def test_fails_with_rest_only_option(name: str, value: Any) -> None:
    error = refused(name, rest_only={name: value})
    assert "SecureRestApi" in str(error)


def test_fails_with_firewall_names_cloudfront() -> None:
    assert "CloudFront" in str(refused("firewall", rest_only={"firewall": Firewall()}))


def test_empty_rest_only_options_are_accepted() -> None:
    check(rest_only={"usage_tiers": (), "consumers": [], "key_rotation": None, "firewall": None})


def test_fails_with_private_access() -> None:
    error = refused(
        "AccessPolicy.private", access=AccessPolicy.private(vpc_endpoint_ids=["vpce-0123456789abcdef0"])
    )
    assert "SecureRestApi" in str(error)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("allow_accounts", ["123456789012"]),
        ("deny_accounts", ["123456789012"]),
    ],
)
def test_fails_with_resource_policy_lists(name: str, value: list[str]) -> None:
    error = refused(f"AccessPolicy.{name}", access=AccessPolicy(**{name: value}))
    assert "SecureRestApi" in str(error)


def test_fails_with_vpc_lists() -> None:
    access = AccessPolicy(
        allow_vpc_ids=["vpc-0123456789abcdef0"],
        allow_vpc_endpoint_ids=["vpce-0123456789abcdef0"],
        private_endpoint=True,
    )
    assert "SecureRestApi" in str(refused("AccessPolicy.allow_vpc_ids", access=access))


def test_fails_with_ip_lists_and_iam() -> None:
    error = refused(
        "AccessPolicy.allow_ip_ranges", auth="iam", access=AccessPolicy(allow_ip_ranges=["203.0.113.0/24"])
    )
    assert "auth='iam'" in str(error)


def test_fails_with_enhanced_domain_policy() -> None:
    domain = CustomDomain(
        domain_name="api.example.com", security_policy=apigw.SecurityPolicy.TLS13_1_2_PFS_PQ_2025_09, **ZONE
    )
    error = refused("CustomDomain.security_policy", domain=domain)
    assert "TLS_1_2" in str(error)


def test_default_domain_policy_is_accepted() -> None:
    # CustomDomain resolves an unset policy to the REST default; HTTP APIs take TLS_1_2 instead.
    domain = CustomDomain(domain_name="api.example.com", **ZONE)
    assert not domain.policy_chosen
    check(domain=domain)
    check(
        domain=CustomDomain(
            domain_name="api.example.com", security_policy=apigw.SecurityPolicy.TLS_1_2, **ZONE
        )
    )


def test_fails_with_multi_level_base_path() -> None:
    refused(
        "CustomDomain.base_path",
        domain=CustomDomain(domain_name="api.example.com", base_path="v1/orders", **ZONE),
    )


def test_fails_with_api_key_claim() -> None:
    auth = BearerAuth(issuer="https://login.example.com/", audience=["a"], api_key_claim="client_id")
    assert "API keys" in str(refused("BearerAuth.api_key_claim", auth=auth))


@pytest.mark.parametrize("name", ["quarantine_exempt", "active_hours"])
def test_fails_with_consumer_monitoring(name: str) -> None:
    value: Any = ["mobile-app"] if name == "quarantine_exempt" else {"mobile-app": (8, 18)}
    refused(f"Monitoring.{name}", monitoring=Monitoring(**{name: value}))


def test_fails_with_wrong_option_type() -> None:
    refused("cors", cors=["https://app.example.com"])


def test_fails_with_unknown_authorizer() -> None:
    refused("authorizer", authorizer="jwt")


def test_fails_with_authorizer_and_iam() -> None:
    refused("authorizer", auth="iam", authorizer="native")


def test_iam_has_no_authorizer() -> None:
    assert check(auth="iam").authorizer is None


@pytest.mark.parametrize(
    ("auth", "access", "field"),
    [
        (
            BearerAuth(issuer="https://login.example.com/", audience=["a"], algorithms=["ES256"]),
            None,
            "BearerAuth.algorithms",
        ),
        (
            BearerAuth(issuer="https://login.example.com/", audience=["a"], algorithms=["RS256", "PS256"]),
            None,
            "BearerAuth.algorithms",
        ),
        (
            BearerAuth(
                issuer="https://login.example.com/", audience=["a"], jwks_uri="https://keys.example.com/jwks"
            ),
            None,
            "BearerAuth.jwks_uri",
        ),
        (BearerAuth(issuer="http://127.0.0.1:8080/", audience=["a"]), None, "BearerAuth.issuer"),
    ],
)
def test_fails_native_with_what_it_cannot_honour(
    auth: BearerAuth, access: AccessPolicy | None, field: str
) -> None:
    error = refused(field, auth=auth, authorizer="native", access=access)
    assert "authorizer='lambda'" in str(error)
    # Without a choice, the same options pick the Lambda authorizer.
    assert check(auth=auth, access=access).authorizer == "lambda"


def test_lambda_forced() -> None:
    options = check(authorizer="lambda")
    assert options.authorizer == "lambda"
    assert options.lambda_environment == {}


def test_lambda_environment_carries_ip_lists() -> None:
    access = AccessPolicy(allow_ip_ranges=["203.0.113.0/24"], deny_ip_ranges=["203.0.113.7/32"])
    options = check(access=access)
    assert options.lambda_environment == {
        "ALLOW_IP_RANGES": '["203.0.113.0/24"]',
        "DENY_IP_RANGES": '["203.0.113.7/32"]',
    }


def test_native_keeps_rs256_and_default_jwks() -> None:
    auth = BearerAuth(
        issuer="https://login.example.com/",
        audience=["a"],
        cache_ttl=Duration.seconds(0),
        audience_claim="client_id",
    )
    assert choose_authorizer(auth, None, AccessPolicy()) == "native"


def test_cors_wildcard_with_credentials_is_refused_by_cors_policy() -> None:
    with pytest.raises(SecureApiConfigError) as raised:
        CorsPolicy("*", allow_credentials=True)
    assert raised.value.field == "CorsPolicy.allow_credentials"


def test_fails_with_bad_log_retention() -> None:
    refused("log_retention", log_retention=365)


def test_fails_with_bad_description() -> None:
    refused("description", description=42)


@pytest.mark.parametrize(
    ("access", "field"),
    [
        (AccessPolicy(allow_ip_ranges=["203.0.113.0/24"]), "AccessPolicy.allow_ip_ranges"),
        (AccessPolicy(deny_ip_ranges=["198.51.100.0/24"]), "AccessPolicy.deny_ip_ranges"),
    ],
)
def test_native_with_ip_lists_gives_the_lambda_authorizer(access: AccessPolicy, field: str) -> None:
    """DESIGN.md's example passes authorizer='native' with an IP allow list: the list is enforced (by the
    Lambda authorizer), never dropped, and the replacement is named."""
    options = check(authorizer="native", access=access)
    assert options.authorizer == "lambda"
    assert options.native_replaced_by == (field,)
    assert options.lambda_environment
    assert check(access=access).native_replaced_by == ()


def test_native_obstacles_are_found_once_per_check(monkeypatch: pytest.MonkeyPatch) -> None:
    import secure_api.http.option_checks as option_checks

    found: list[Any] = []
    original = option_checks.native_obstacles

    def counted(bearer: BearerAuth, access: AccessPolicy | None) -> list[tuple[str, Any, str]]:
        found.append(bearer)
        return original(bearer, access)

    monkeypatch.setattr(option_checks, "native_obstacles", counted)
    options = check(authorizer="native", access=AccessPolicy(allow_ip_ranges=["203.0.113.0/24"]))
    assert (options.authorizer, options.native_replaced_by) == ("lambda", ("AccessPolicy.allow_ip_ranges",))
    assert found == [AUTH]


@pytest.mark.parametrize(
    ("changed", "named"),
    [
        ({"leeway": Duration.seconds(0)}, "BearerAuth.leeway=0s"),
        ({"cache_ttl": Duration.seconds(0)}, "BearerAuth.cache_ttl=0s"),
        ({"jwks_cache_ttl": Duration.hours(1)}, "BearerAuth.jwks_cache_ttl=3600s"),
        ({"audience_claim": "client_id"}, "BearerAuth.audience_claim='client_id'"),
        ({"reserved_concurrency": 5}, "BearerAuth.reserved_concurrency=5"),
        ({"memory_size": 1024}, "BearerAuth.memory_size=1024"),
    ],
)
def test_native_names_what_it_ignores(changed: dict[str, Any], named: str) -> None:
    """A BearerAuth tuned for the Lambda authorizer, given the native one: every field it cannot honour is
    named (SecureHttpApi warns); the Lambda authorizer honours them, so nothing is named there."""
    auth = BearerAuth(issuer="https://login.example.com/", audience=["orders-api"], **changed)
    assert check(auth=auth).native_ignores == (named,)
    assert check(auth=auth, authorizer="native").native_ignores == (named,)
    assert check(auth=auth, authorizer="lambda").native_ignores == ()
    ip_lists = AccessPolicy(allow_ip_ranges=["203.0.113.0/24"])
    assert check(auth=auth, authorizer="native", access=ip_lists).native_ignores == ()


def test_native_at_the_defaults_ignores_nothing() -> None:
    same = BearerAuth(
        issuer="https://login.example.com/", audience=["orders-api"], leeway=Duration.seconds(30)
    )
    assert check().native_ignores == ()
    assert check(auth=same).native_ignores == ()
