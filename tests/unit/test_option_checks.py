"""What synth refuses because deployment or the library's own functions would (issue 10, items 6-8)."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk.assertions import Template

from secure_api import (
    AccessPolicy,
    BearerAuth,
    Consumer,
    CorsPolicy,
    Firewall,
    KeyRotation,
    Monitoring,
    SecureRestApi,
    Throttle,
    UsageTier,
)
from secure_api.errors import SecureApiConfigError
from secure_api.rest.firewall import ManagedRuleGroup
from tests.unit.helpers import BARE, inline_function, new_stack, only

ISSUER = "https://login.example.com/"
TIERS: dict[str, Any] = {
    "usage_tiers": [UsageTier("basic")],
    "consumers": [Consumer("mobile-app", tier="basic")],
}


def _fails(field: str, build: Any) -> None:
    with pytest.raises(SecureApiConfigError) as info:
        build()
    assert str(info.value).startswith(field), str(info.value)


# --- option classes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"api_key_claim": "client id"}, "BearerAuth.api_key_claim"),
        ({"api_key_claim": "é"}, "BearerAuth.api_key_claim"),
        ({"jwks_uri": "https://user:secret@login.example.com/jwks"}, "BearerAuth.jwks_uri"),
        ({"jwks_uri": "https://login.example.com:99999/jwks"}, "BearerAuth.jwks_uri"),
        ({"jwks_uri": "https://login.example.com/jwks#frag"}, "BearerAuth.jwks_uri"),
        ({"jwks_uri": "https://login.example.com/jw ks"}, "BearerAuth.jwks_uri"),
        ({"issuer": "https://user:pw@login.example.com/"}, "BearerAuth.issuer"),
        ({"audience": [" orders"]}, "BearerAuth.audience[0]"),
        ({"audience": [""]}, "BearerAuth.audience[0]"),
        ({"audience": "orders"}, "BearerAuth.audience"),
        ({"algorithms": "RS256"}, "BearerAuth.algorithms"),
        ({"leeway": Duration.millis(1500)}, "BearerAuth.leeway"),
        ({"cache_ttl": Duration.millis(100)}, "BearerAuth.cache_ttl"),
        ({"cache_ttl": 300}, "BearerAuth.cache_ttl"),
        ({"audience": ["a" * 300 + str(i) for i in range(15)]}, "BearerAuth.audience"),
    ],
)
def test_fails_bearer_auth_the_authorizer_would_reject(kwargs: dict[str, Any], field: str) -> None:
    _fails(field, lambda: BearerAuth(**{"issuer": ISSUER, "audience": ["orders"], **kwargs}))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"allow_headers": "Content-Type"}, "CorsPolicy.allow_headers"),
        ({"expose_headers": "X-Request-Id"}, "CorsPolicy.expose_headers"),
        ({"allow_methods": "GET"}, "CorsPolicy.allow_methods"),
        ({"allow_headers": ["X-It's"]}, "CorsPolicy.allow_headers[0]"),
        ({"allow_headers": ["Content Type"]}, "CorsPolicy.allow_headers[0]"),
        ({"allow_headers": ["*"], "allow_credentials": True}, "CorsPolicy.allow_headers[0]"),
        ({"allow_methods": ["GET", "ANY"]}, "CorsPolicy.allow_methods"),
        ({"max_age": 3600}, "CorsPolicy.max_age"),
        ({"max_age": Duration.millis(1500)}, "CorsPolicy.max_age"),
        ({"max_age": Duration.days(2)}, "CorsPolicy.max_age"),
        ({"allow_credentials": "yes"}, "CorsPolicy.allow_credentials"),
    ],
)
def test_fails_cors_that_api_gateway_or_browsers_would_reject(kwargs: dict[str, Any], field: str) -> None:
    _fails(field, lambda: CorsPolicy(["https://app.example.com"], **kwargs))


@pytest.mark.parametrize(
    "origin",
    ["https://*.example.com", "https://App.example.com", "https://app.example.com:443", "http://a.b:80"],
)
def test_fails_origins_a_browser_never_sends(origin: str) -> None:
    _fails("CorsPolicy.allow_origins[0]", lambda: CorsPolicy([origin]))


def test_cors_accepts_what_it_should() -> None:
    policy = CorsPolicy(
        ["https://app.example.com:8443", "http://localhost:3000"],
        allow_methods=["get", "POST"],
        allow_headers=["Content-Type", "X-Amz-Date"],
        max_age=Duration.minutes(10),
    )
    assert policy.allow_methods == ("GET", "POST")
    assert CorsPolicy(["*"], allow_methods=["ANY"], allow_headers=["*"]).allow_headers == ("*",)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"grace_period": Duration.minutes(90)}, "KeyRotation.grace_period"),
        ({"grace_period": 24}, "KeyRotation.grace_period"),
        ({"grace_period": Duration.hours(721), "every_days": 0}, "KeyRotation.grace_period"),
        ({"every_days": 1, "grace_period": Duration.hours(25)}, "KeyRotation.grace_period"),
        ({"every_days": 1001}, "KeyRotation.every_days"),
    ],
)
def test_fails_key_rotation_the_rotation_code_would_not_honour(kwargs: dict[str, Any], field: str) -> None:
    _fails(field, lambda: KeyRotation(**kwargs))


def test_key_rotation_accepts_whole_hours_within_the_interval() -> None:
    assert KeyRotation(every_days=1, grace_period=Duration.hours(24)).grace_period.to_hours() == 24
    assert KeyRotation(every_days=0, grace_period=Duration.minutes(120)).every_days == 0


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: UsageTier("g", throttle=100), "UsageTier('g').throttle"),  # type: ignore[arg-type]
        (
            lambda: UsageTier("g", method_throttles=[("GET /x", Throttle())]),  # type: ignore[arg-type]
            "UsageTier('g').method_throttles",
        ),
        (lambda: Firewall(web_acl_arn=_WEB_ACL, rate_limit_per_ip=100), "Firewall.rate_limit_per_ip"),
        (lambda: Firewall(web_acl_arn=_WEB_ACL, sql_injection=True), "Firewall.sql_injection"),
        (lambda: Firewall(allow_countries="DE"), "Firewall.allow_countries"),
        (lambda: Firewall(block_ip_ranges=["0.0.0.0/0"]), "Firewall.block_ip_ranges[0]"),
        (lambda: ManagedRuleGroup(name="A" * 125, vendor="AWS"), "ManagedRuleGroup.name"),
        (lambda: Firewall(allow_ip_ranges=["::/0"]), "Firewall.allow_ip_ranges[0]"),
        (lambda: AccessPolicy(allow_vpc_ids=["vpc-0123456789abcdef0"]), "AccessPolicy.allow_vpc_ids"),
        (
            lambda: AccessPolicy(allow_vpc_endpoint_ids=["vpce-0123456789abcdef0"]),
            "AccessPolicy.allow_vpc_endpoint_ids",
        ),
        (
            lambda: Monitoring(quarantine_exempt=[f"consumer-{i:04d}-{'x' * 40}" for i in range(80)]),
            "Monitoring.quarantine_exempt",
        ),
    ],
)
def test_fails_options_that_do_nothing_or_lock_everyone_out(build: Any, field: str) -> None:
    _fails(field, build)


_WEB_ACL = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shared/0123abcd-0123-0123-0123-0123456789ab"


def test_existing_firewall_and_private_vpc_lists_are_still_accepted() -> None:
    assert Firewall.existing(_WEB_ACL).web_acl_arn == _WEB_ACL
    assert Firewall(web_acl_arn=_WEB_ACL).web_acl_arn == _WEB_ACL
    private = AccessPolicy.private(
        vpc_endpoint_ids=["vpce-0123456789abcdef0"], allow_vpc_ids=["vpc-0123456789abcdef0"]
    )
    assert private.private_endpoint


# --- SecureRestApi's arguments and their combinations ---------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        (
            {
                "firewall": Firewall(rate_limit_per_api_key=100),
                "auth": BearerAuth(issuer=ISSUER, audience=["o"], api_key_claim="client_id"),
                **TIERS,
            },
            "Firewall.rate_limit_per_api_key",
        ),
        (
            {"auth": BearerAuth(issuer=ISSUER, audience=["o"], api_key_claim="client_id")},
            "BearerAuth.api_key_claim",
        ),
        ({"monitoring": Monitoring(quarantine_exempt=["ghost"]), **TIERS}, "Monitoring.quarantine_exempt[0]"),
        ({"monitoring": Monitoring(quarantine_exempt=["mobile-app"])}, "Monitoring.quarantine_exempt[0]"),
        ({"monitoring": Monitoring(active_hours={"ghost": (8, 18)}), **TIERS}, "Monitoring.active_hours"),
        ({"key_rotation": KeyRotation()}, "key_rotation"),
        ({"usage_tiers": [UsageTier("gold-plus"), UsageTier("gold_plus")]}, "usage_tiers"),
        ({"usage_tiers": "gold"}, "usage_tiers"),
        ({"usage_tiers": ["gold"]}, "usage_tiers[0]"),
        ({"consumers": "app", **{"usage_tiers": [UsageTier("basic")]}}, "consumers"),
        ({"cors": ["https://app.example.com"]}, "cors"),
        ({"throttle": 100}, "throttle"),
        ({"log_retention": 30}, "log_retention"),
        ({"create_cloudwatch_role": "yes"}, "create_cloudwatch_role"),
        ({"description": 42}, "description"),
    ],
)
def test_fails_cross_option_checks_before_any_resource(kwargs: dict[str, Any], field: str) -> None:
    _, stack = new_stack()
    _fails(field, lambda: SecureRestApi(stack, "Api", **kwargs))
    assert stack.node.try_find_child("Api") is None  # nothing was created


def test_monitored_consumers_that_are_declared_are_accepted() -> None:
    _, stack = new_stack()
    monitoring = Monitoring(quarantine_exempt=["mobile-app"], active_hours={"mobile-app": (6, 22)})
    SecureRestApi(stack, "Api", monitoring=monitoring, firewall=None, audit=None, **TIERS)


# --- stage names --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["prod-eu", "v1_beta", "-", "x" * 128, "A1"])
def test_stage_names_api_gateway_accepts(name: str) -> None:
    _, stack = new_stack()
    api = SecureRestApi(stack, "Api", stage_name=name, **BARE)
    api.add_route("GET", "/x", inline_function(stack), auth="iam")
    stage = only(Template.from_stack(stack), "AWS::ApiGateway::Stage")["Properties"]
    assert stage["StageName"] == name


# --- routes -------------------------------------------------------------------------------------


@pytest.fixture
def api() -> SecureRestApi:
    _, stack = new_stack()
    api = SecureRestApi(stack, "Api", auth=BearerAuth(issuer=ISSUER, audience=["o"]), **BARE)
    api.add_route("GET", "/orders/{id}", inline_function(stack))
    api.add_route("GET", "/files/{proxy+}", inline_function(stack, "Files"))
    return api


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/orders/{orderId}/items", "add_route.path"),
        ("/orders/{orderId}", "add_route.path"),
        ("/files/{name}", "add_route.path"),
        ("/files/{rest+}", "add_route.path"),
    ],
)
def test_fails_sibling_path_variables(api: SecureRestApi, path: str, field: str) -> None:
    with pytest.raises(SecureApiConfigError, match=r"^add_route\.path: .*one variable segment per level"):
        api.add_route("GET", path, inline_function(Stack.of(api), "Sibling"))


def test_same_variable_and_literal_siblings_are_fine(api: SecureRestApi) -> None:
    api.add_route("GET", "/orders/{id}/items", inline_function(Stack.of(api), "Items"))
    api.add_route("GET", "/orders/recent", inline_function(Stack.of(api), "Recent"))
    api.add_route("POST", "/orders/{id}", inline_function(Stack.of(api), "Update"))


@pytest.mark.parametrize(
    ("scopes", "field"),
    [
        ("orders:read", "add_route.scopes"),
        (["orders\tread"], "add_route.scopes[0]"),
        (["orders:réad"], "add_route.scopes[0]"),
        (["orders read"], "add_route.scopes[0]"),
        (['or"ders'], "add_route.scopes[0]"),
        ([""], "add_route.scopes[0]"),
        ([1], "add_route.scopes[0]"),
    ],
)
def test_fails_scopes_the_authorizer_would_reject(api: SecureRestApi, scopes: Any, field: str) -> None:
    with pytest.raises(SecureApiConfigError) as info:
        api.add_route("GET", "/scoped", inline_function(Stack.of(api), "Scoped"), scopes=scopes)
    assert str(info.value).startswith(field + ":")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"throttle": 100}, "add_route.throttle"),
        ({"api_key_required": "yes"}, "add_route.api_key_required"),
    ],
)
def test_fails_route_options_of_the_wrong_type(
    api: SecureRestApi, kwargs: dict[str, Any], field: str
) -> None:
    _fails(field, lambda: api.add_route("GET", "/typed", inline_function(Stack.of(api), "Typed"), **kwargs))


def test_fails_bearer_route_too_long_for_the_authorizers_policy(api: SecureRestApi) -> None:
    path = "/" + "/".join(["segment-of-forty-characters-abcdefghijkl"] * 11)
    _fails("add_route.path", lambda: api.add_route("GET", path, inline_function(Stack.of(api), "Long")))
    api.add_route("GET", path, inline_function(Stack.of(api), "LongIam"), auth="iam")


def test_quota_period_enum_still_checked() -> None:
    from secure_api import Quota

    _fails("Quota.period", lambda: Quota(limit=1, period="MONTH"))  # type: ignore[arg-type]
    assert Quota(limit=1, period=apigw.Period.DAY).offset == 0


def test_fails_more_consumers_than_an_account_holds_api_keys() -> None:
    # API Gateway holds 10,000 API keys per account and region and does not raise that quota.
    consumers = [Consumer(f"app-{i}", tier="basic") for i in range(10_001)]
    with pytest.raises(SecureApiConfigError, match=r"consumers.*10,001 consumers.*at most 10,000"):
        SecureRestApi(
            new_stack()[1],
            "Api",
            auth=BearerAuth(issuer=ISSUER, audience=["a"]),
            **{**TIERS, "consumers": consumers},
        )
