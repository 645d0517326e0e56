"""The rule AWS applies to throttles, the same for every kind: a route's limit overrides the stage
default up or down; a limit above the account's default Region limits is accepted with a warning."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Annotations, Match, Template

from secure_api import (
    BearerAuth,
    Consumer,
    SecureRestApi,
    SecureWebSocketApi,
    Throttle,
    UsageTier,
)
from secure_api.throttling import above_account_limits
from tests.unit.helpers import inline_function, new_stack, only

AUTH = BearerAuth(issuer="https://login.example.com/", audience=["api"])
LOW_STAGE = Throttle(rate_limit=100, burst_limit=200)
HIGH_ROUTE = Throttle(rate_limit=500, burst_limit=1000)
ABOVE_ACCOUNT = Throttle(rate_limit=20_000, burst_limit=6_000)


def _warnings(stack: cdk.Stack) -> list[str]:
    found = Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("throttle"))
    return [str(w.entry.data) for w in found]


def _websocket(**kwargs: Any) -> tuple[cdk.Stack, SecureWebSocketApi]:
    _, stack = new_stack()
    return stack, SecureWebSocketApi(stack, "Chat", auth=AUTH, audit=None, monitoring=None, **kwargs)


def _rest(**kwargs: Any) -> tuple[cdk.Stack, SecureRestApi]:
    _, stack = new_stack()
    kwargs.setdefault("firewall", None)
    return stack, SecureRestApi(stack, "Api", auth=AUTH, audit=None, monitoring=None, **kwargs)


def test_websocket_route_throttle_above_the_stage_default_is_accepted() -> None:
    stack, chat = _websocket(throttle=LOW_STAGE)
    chat.add_route("sendMessage", inline_function(stack), throttle=HIGH_ROUTE)
    stage = only(Template.from_stack(stack), "AWS::ApiGatewayV2::Stage")["Properties"]
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 100
    assert stage["RouteSettings"]["sendMessage"]["ThrottlingRateLimit"] == 500
    assert stage["RouteSettings"]["sendMessage"]["ThrottlingBurstLimit"] == 1000
    assert _warnings(stack) == []


def test_rest_route_throttle_above_the_stage_default_is_accepted() -> None:
    stack, api = _rest(throttle=LOW_STAGE)
    api.add_route("GET", "/orders", inline_function(stack), throttle=HIGH_ROUTE)
    stage = only(Template.from_stack(stack), "AWS::ApiGateway::Stage")["Properties"]
    limits = {s["ResourcePath"]: s.get("ThrottlingRateLimit") for s in stage["MethodSettings"]}
    assert limits["/*"] == 100
    assert limits["/~1orders"] == 500
    assert _warnings(stack) == []


def test_defaults_leave_no_throttle_warning() -> None:
    stack, api = _rest()
    api.add_route("GET", "/orders", inline_function(stack))
    assert _warnings(stack) == []


def test_limits_above_the_account_are_a_warning_for_every_kind() -> None:
    tiers = [UsageTier("gold", throttle=ABOVE_ACCOUNT)]
    consumers = [Consumer("app", tier="gold")]
    rest_stack, api = _rest(throttle=ABOVE_ACCOUNT, usage_tiers=tiers, consumers=consumers)
    api.add_route("GET", "/orders", inline_function(rest_stack), throttle=ABOVE_ACCOUNT)
    ws_stack, chat = _websocket(throttle=ABOVE_ACCOUNT, usage_tiers=tiers, consumers=consumers)
    chat.add_route("sendMessage", inline_function(ws_stack), throttle=ABOVE_ACCOUNT)
    for stack, route in ((rest_stack, "'GET /orders'"), (ws_stack, "'sendMessage'")):
        text = "\n".join(_warnings(stack))
        for field in ("throttle:", "UsageTier('gold').throttle:", f"add_route({route}).throttle:"):
            assert field in text, (field, text)
        assert "rate_limit 20000 is above the account's default rate_limit of 10000" in text
        assert "burst_limit 6000 is above the account's default burst_limit of 5000" in text


def test_above_account_limits_is_exact_at_the_boundary() -> None:
    assert above_account_limits(Throttle(rate_limit=10_000, burst_limit=5_000)) is None
    assert "rate_limit" in str(above_account_limits(Throttle(rate_limit=10_001, burst_limit=5_000)))
    assert "burst_limit" in str(above_account_limits(Throttle(rate_limit=10_000, burst_limit=5_001)))
