"""``SecureWebSocketApi.add_route``: route keys, per-route settings, one invoke permission per function."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk.assertions import Template

from secure_api import BearerAuth, SecureApiConfigError, SecureWebSocketApi, Throttle
from secure_api.websocket.routes import check_route_key, route_settings
from tests.unit.helpers import inline_function, new_stack, resources

AUTH = BearerAuth(issuer="https://login.example.com/", audience=["chat"])


def api(**kwargs: Any) -> tuple[cdk.Stack, SecureWebSocketApi]:
    _, stack = new_stack()
    return stack, SecureWebSocketApi(stack, "Chat", auth=AUTH, audit=None, monitoring=None, **kwargs)


@pytest.fixture(scope="module")
def routed() -> dict[str, Any]:
    stack, chat = api()
    fn = inline_function(stack)
    other = inline_function(stack, "Other")
    chat.add_route("chat.send", fn, throttle=Throttle(rate_limit=100, burst_limit=200))
    chat.add_route("sendMessage", fn, throttle=Throttle(rate_limit=10, burst_limit=20))
    chat.add_route("$default", fn)
    chat.add_route("$disconnect", other)
    chat.add_route("mock:ping", integrations.WebSocketMockIntegration("Ping"))
    return {"template": Template.from_stack(stack).to_json(), "api": chat}


def _of_type(template: dict[str, Any], type_: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def test_route_keys_become_routes(routed: dict[str, Any]) -> None:
    keys = sorted(
        r["Properties"]["RouteKey"] for r in _of_type(routed["template"], "AWS::ApiGatewayV2::Route").values()
    )
    assert keys == ["$connect", "$default", "$disconnect", "chat.send", "mock:ping", "sendMessage"]


def test_dotted_route_key_stays_one_key(routed: dict[str, Any]) -> None:
    (stage,) = _of_type(routed["template"], "AWS::ApiGatewayV2::Stage").values()
    settings = stage["Properties"]["RouteSettings"]
    assert set(settings) == {"chat.send", "sendMessage"}
    assert settings["chat.send"] == {
        "DataTraceEnabled": False,
        "DetailedMetricsEnabled": True,
        "LoggingLevel": "ERROR",
        "ThrottlingBurstLimit": 200,
        "ThrottlingRateLimit": 100,
    }
    assert "chat" not in settings


def test_stage_waits_for_its_routes(routed: dict[str, Any]) -> None:
    template = routed["template"]
    (stage,) = _of_type(template, "AWS::ApiGatewayV2::Stage").values()
    routes = _of_type(template, "AWS::ApiGatewayV2::Route")
    assert set(routes) <= set(stage.get("DependsOn", []))


def test_one_invoke_permission_per_function(routed: dict[str, Any]) -> None:
    permissions = _of_type(routed["template"], "AWS::Lambda::Permission")
    functions = sorted(str(p["Properties"]["FunctionName"]) for p in permissions.values())
    # The backend (three routes), the other function, and the authorizer's own permission.
    assert len(permissions) == 3, functions
    integrations_ = _of_type(routed["template"], "AWS::ApiGatewayV2::Integration")
    proxies = [i for i in integrations_.values() if i["Properties"]["IntegrationType"] == "AWS_PROXY"]
    assert len(proxies) == 2


def test_only_connect_has_an_authorizer(routed: dict[str, Any]) -> None:
    for route in _of_type(routed["template"], "AWS::ApiGatewayV2::Route").values():
        expected = "CUSTOM" if route["Properties"]["RouteKey"] == "$connect" else "NONE"
        assert route["Properties"]["AuthorizationType"] == expected


def test_route_settings_without_throttle() -> None:
    assert "ThrottlingRateLimit" not in route_settings(None)


@pytest.mark.parametrize("key", ["$default", "$disconnect", "sendMessage", "a.b:c-d_e", "x" * 128])
def test_valid_route_keys(key: str) -> None:
    assert check_route_key(key) == key


@pytest.mark.parametrize("key", ["", "send message", "$other", "x" * 129, "a/b", 5])
def test_fails_with_bad_route_key(key: Any) -> None:
    with pytest.raises(SecureApiConfigError, match="add_route.route_key"):
        check_route_key(key)


def test_fails_with_connect_route_key() -> None:
    with pytest.raises(SecureApiConfigError, match="connect_handler"):
        check_route_key("$connect")


def test_fails_with_duplicate_route() -> None:
    stack, chat = api()
    fn = inline_function(stack)
    chat.add_route("sendMessage", fn)
    with pytest.raises(SecureApiConfigError, match="add_route.route_key"):
        chat.add_route("sendMessage", fn)


def test_fails_with_bad_integration_or_throttle() -> None:
    stack, chat = api()
    with pytest.raises(SecureApiConfigError, match="add_route.integration"):
        chat.add_route("sendMessage", "arn:aws:lambda:eu-west-1:123456789012:function:x")  # type: ignore[arg-type]
    with pytest.raises(SecureApiConfigError, match="add_route.throttle"):
        chat.add_route("sendMessage", inline_function(stack), throttle=100)  # type: ignore[arg-type]


def test_function_of_another_stack_gets_its_permission_in_the_api_stack() -> None:
    app, stack = new_stack()
    other = cdk.Stack(app, "Backends")
    chat = SecureWebSocketApi(stack, "Chat", auth="iam", audit=None, monitoring=None)
    chat.add_route("sendMessage", inline_function(other))
    assert len(resources(Template.from_stack(stack), "AWS::Lambda::Permission")) == 1
    assert not resources(Template.from_stack(other), "AWS::Lambda::Permission")
