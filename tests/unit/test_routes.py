from __future__ import annotations

import pytest

from secure_api.errors import SecureApiConfigError
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
