from __future__ import annotations

from typing import Any

import pytest

from secure_api.errors import SecureApiConfigError
from secure_api.rest.route_checks import check_route_options
from secure_api.rest.routes import RouteKey


@pytest.mark.parametrize(
    ("method", "path", "stage_path", "plan_key"),
    [
        ("get", "/orders", "/~1orders", "/orders/GET"),
        ("GET", "/orders/{id}", "/~1orders~1{id}", "/orders/{id}/GET"),
        ("ANY", "/files/{proxy+}", "/~1files~1{proxy+}", "/files/{proxy+}/ANY"),
        ("GET", "/", "/", "//GET"),
    ],
)
def test_both_path_encodings(method: str, path: str, stage_path: str, plan_key: str) -> None:
    route = RouteKey.parse(method, path)
    assert route.stage_method_setting_path == stage_path
    assert route.usage_plan_throttle_key == plan_key


def test_route_key_round_trip() -> None:
    assert RouteKey.parse_key("GET /orders/{id}") == RouteKey("GET", "/orders/{id}")
    assert RouteKey.parse_key("GET /orders/{id}").key == "GET /orders/{id}"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("FETCH", "/orders"),
        ("GET", "orders"),
        ("GET", "/orders/"),
        ("GET", "/orders//x"),
        ("GET", "/{proxy+}/x"),
        ("GET", "/a b"),
        ("GET", "/{id}/{id}"),
    ],
)
def test_fails_bad_route(method: str, path: str) -> None:
    with pytest.raises(SecureApiConfigError, match=r"route\.(method|path)"):
        RouteKey.parse(method, path)


def test_fails_route_key_without_space() -> None:
    with pytest.raises(SecureApiConfigError, match="route"):
        RouteKey.parse_key("GET/orders")


def check(route: RouteKey, method: str, **changed: Any) -> None:
    """``check_route_options`` for a bearer route on a ``prod`` stage with no other option, ``changed``
    applied."""
    settings: dict[str, Any] = {
        "auth": "bearer",
        "scopes": (),
        "throttle": None,
        "api_key_required": None,
        "cors": False,
        "bearer": True,
        "stage_name": "prod",
        **changed,
    }
    check_route_options(route, method, **settings)


@pytest.mark.parametrize(
    ("method", "changed", "message"),
    [
        (
            "options",
            {"cors": True},
            "add_route.method: got 'options'; expected not OPTIONS: CorsPolicy owns the preflight",
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
            "(SecureRestApi(auth=...))",
        ),
        ("GET", {"throttle": 100}, "add_route.throttle: got 100; expected a Throttle or None"),
        (
            "GET",
            {"api_key_required": "yes"},
            "add_route.api_key_required: got 'yes'; expected True, False or None",
        ),
    ],
)
def test_fails_with_the_exact_route_option_message(
    method: str, changed: dict[str, Any], message: str
) -> None:
    """``SecureRestApi.add_route``'s refusals, word for word (the HTTP API's differ where they must)."""
    with pytest.raises(SecureApiConfigError) as raised:
        check(RouteKey.parse(method, "/orders"), method, **changed)
    assert str(raised.value) == message


def test_fails_with_bearer_route_too_long_for_the_authorizers_policy() -> None:
    route = RouteKey.parse("GET", "/" + "/".join(["segment"] * 60))
    check(route, "GET", auth="iam")
    with pytest.raises(SecureApiConfigError) as raised:
        check(route, "GET", auth="bearer")
    assert str(raised.value).startswith("add_route.path: ")
    assert "554 characters with stage 'prod', more than the 512 API Gateway allows" in str(raised.value)
