"""HTTP API route keys, route options and warnings, and per-route ``RouteSettings``
(``secure_api.http.routes``)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk.assertions import Annotations, Match, Template

from secure_api import SecureApiConfigError, Throttle
from secure_api.http.routes import HttpRoutes, check_route_options, warn_route
from secure_api.rest.routes import RouteKey
from secure_api.v2 import set_route_settings


def key(method: str, path: str) -> RouteKey:
    return HttpRoutes().check(method, path)


def options(route: RouteKey, **kwargs: Any) -> tuple[str, ...]:
    settings: dict[str, Any] = {
        "auth": "bearer",
        "scopes": (),
        "throttle": None,
        "bearer": True,
        "cors": False,
        "policy_resources": False,
        "stage_name": "prod",
        **kwargs,
    }
    return check_route_options(route, **settings)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/orders/{id}", "GET /orders/{id}"),
        ("get", "/orders", "GET /orders"),
        ("ANY", "/{proxy+}", "ANY /{proxy+}"),
        ("POST", "/", "POST /"),
        ("DELETE", "/v1.0/items/{id}", "DELETE /v1.0/items/{id}"),
    ],
)
def test_route_keys(method: str, path: str, expected: str) -> None:
    assert key(method, path).key == expected


@pytest.mark.parametrize(
    ("method", "path", "field"),
    [
        ("FETCH", "/orders", "add_route.method"),
        ("GET", "orders", "add_route.path"),
        ("GET", "/orders/", "add_route.path"),
        ("GET", "/orders//items", "add_route.path"),
        ("GET", "/{proxy+}/items", "add_route.path"),
        ("GET", "/orders/{id}.json", "add_route.path"),
        ("GET", "/a/{id}/b/{id}", "add_route.path"),
    ],
)
def test_fails_with_bad_route(method: str, path: str, field: str) -> None:
    with pytest.raises(SecureApiConfigError) as raised:
        key(method, path)
    assert raised.value.field == field


def test_fails_with_default_route_key() -> None:
    with pytest.raises(SecureApiConfigError) as raised:
        key("ANY", "$default")
    assert raised.value.field == "add_route.path"
    assert "/{proxy+}" in str(raised.value)


def test_fails_with_duplicate_route() -> None:
    routes = HttpRoutes()
    routes.add(routes.check("GET", "/orders/{id}"))
    routes.add(routes.check("POST", "/orders/{id}"))
    with pytest.raises(SecureApiConfigError) as raised:
        routes.add(routes.check("get", "/orders/{id}"))
    assert raised.value.field == "add_route"
    assert len(routes) == 2


def test_fails_with_sibling_variable_of_another_name() -> None:
    routes = HttpRoutes()
    routes.add(routes.check("GET", "/orders/{id}"))
    with pytest.raises(SecureApiConfigError) as raised:
        routes.add(routes.check("DELETE", "/orders/{orderId}"))
    assert raised.value.field == "add_route.path"


def test_scopes_are_checked_and_kept() -> None:
    assert options(key("GET", "/orders"), scopes=["orders:read", "orders:read"]) == ("orders:read",)


def test_fails_with_unknown_auth() -> None:
    with pytest.raises(SecureApiConfigError) as raised:
        options(key("GET", "/orders"), auth="jwt")
    assert raised.value.field == "add_route.auth"


@pytest.mark.parametrize("auth", ["iam", "none"])
def test_fails_with_scopes_without_bearer(auth: str) -> None:
    with pytest.raises(SecureApiConfigError) as raised:
        options(key("GET", "/orders"), auth=auth, scopes=["orders:read"])
    assert raised.value.field == "add_route.scopes"


def test_fails_with_bearer_route_on_iam_api() -> None:
    with pytest.raises(SecureApiConfigError) as raised:
        options(key("GET", "/orders"), bearer=False)
    assert raised.value.field == "add_route.auth"


def test_fails_with_scope_string() -> None:
    with pytest.raises(SecureApiConfigError) as raised:
        options(key("GET", "/orders"), scopes="orders:read")
    assert raised.value.field == "add_route.scopes"


def test_fails_with_bad_throttle() -> None:
    with pytest.raises(SecureApiConfigError) as raised:
        options(key("GET", "/orders"), throttle={"rate_limit": 10})
    assert raised.value.field == "add_route.throttle"


def test_fails_with_options_route_and_cors() -> None:
    with pytest.raises(SecureApiConfigError) as raised:
        options(key("OPTIONS", "/orders"), cors=True)
    assert raised.value.field == "add_route.method"
    options(key("OPTIONS", "/orders"), cors=False)


@pytest.mark.parametrize(
    ("method", "changed", "message"),
    [
        (
            "OPTIONS",
            {"cors": True},
            "add_route.method: got 'OPTIONS'; expected another method: with a CorsPolicy API Gateway answers "
            "preflights",
        ),
        ("GET", {"auth": "jwt"}, "add_route.auth: got 'jwt'; expected one of bearer, iam, none"),
        (
            "GET",
            {"auth": "iam", "scopes": ["orders:read"]},
            "add_route.scopes: got ['orders:read']; expected scopes only with auth='bearer'",
        ),
        (
            "GET",
            {"bearer": False},
            "add_route.auth: got 'bearer'; expected auth='iam' or 'none' when the API has no BearerAuth "
            "(auth='iam')",
        ),
        ("GET", {"throttle": 100}, "add_route.throttle: got 100; expected a Throttle or None"),
    ],
)
def test_fails_with_the_exact_route_option_message(
    method: str, changed: dict[str, Any], message: str
) -> None:
    with pytest.raises(SecureApiConfigError) as raised:
        options(key(method, "/orders"), **changed)
    assert str(raised.value) == message


def test_fails_with_route_too_long_for_a_policy() -> None:
    route = key("GET", "/" + "/".join(["segment"] * 60))
    options(route, policy_resources=False)  # the native authorizer has no policy to fit in
    with pytest.raises(SecureApiConfigError) as raised:
        options(route, policy_resources=True)
    assert raised.value.field == "add_route.path"


def _warnings(auth: str, scopes: tuple[str, ...]) -> list[Any]:
    stack = cdk.Stack(cdk.App(), "Test")
    warn_route(stack, key("GET", "/orders"), auth=auth, scopes=scopes)
    found: list[Any] = Annotations.from_stack(stack).find_warning("*", Match.any_value())
    return found


def test_warns_on_bearer_route_without_scopes() -> None:
    (warning,) = _warnings("bearer", ())
    assert "secure-api:route-without-scopes" in warning.entry.data
    assert "ID token" in warning.entry.data


# A public route's warning is SecureHttpApi.add_route's (test_http_api.test_route_warnings_word_for_word).
@pytest.mark.parametrize(("auth", "scopes"), [("bearer", ("orders:read",)), ("iam", ()), ("none", ())])
def test_no_warning(auth: str, scopes: tuple[str, ...]) -> None:
    assert _warnings(auth, scopes) == []


def test_route_settings_override_the_stage_default() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    api = apigwv2.HttpApi(stack, "Api", create_default_stage=False)
    stage = apigwv2.HttpStage(
        stack, "Stage", http_api=api, throttle=apigwv2.ThrottleSettings(rate_limit=1000, burst_limit=2000)
    )
    set_route_settings(stage, "GET /v1.0/items", Throttle(rate_limit=5000, burst_limit=4000))
    set_route_settings(stage, "POST /orders/{id}", Throttle(rate_limit=10, burst_limit=20))
    props = Template.from_stack(stack).find_resources("AWS::ApiGatewayV2::Stage")["Stage0E8C2AF5"][
        "Properties"
    ]
    assert props["RouteSettings"] == {
        "GET /v1.0/items": {
            "DetailedMetricsEnabled": True,
            "ThrottlingBurstLimit": 4000,
            "ThrottlingRateLimit": 5000,
        },
        "POST /orders/{id}": {
            "DetailedMetricsEnabled": True,
            "ThrottlingBurstLimit": 20,
            "ThrottlingRateLimit": 10,
        },
    }
    assert props["DefaultRouteSettings"] == {"ThrottlingBurstLimit": 2000, "ThrottlingRateLimit": 1000}
