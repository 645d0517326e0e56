"""WebSocket routes: the route key rules and the routes (the integrations with one invoke permission per
function and the per-route ``RouteSettings`` are ``secure_api.v2``'s, shared with HTTP APIs)."""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import aws_apigatewayv2 as apigwv2
from constructs import Construct

from secure_api.errors import SecureApiConfigError
from secure_api.throttling import Throttle

# Integrations, route_settings and set_route_settings stay importable from here (secure_api.v2 holds them).
from secure_api.v2.integrations import Integrations
from secure_api.v2.stage import route_settings, set_route_settings

__all__ = [
    "CUSTOM_ROUTE_KEY",
    "RESERVED_ROUTE_KEYS",
    "Integrations",
    "add_route",
    "check_route_key",
    "check_route_throttle",
    "route_id",
    "route_settings",
    "set_route_settings",
]

CUSTOM_ROUTE_KEY = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
RESERVED_ROUTE_KEYS = ("$default", "$disconnect")


def check_route_key(route_key: Any) -> str:
    """``$default``, ``$disconnect`` or a custom key of 1-128 letters, digits, '_', '.', ':' or '-'."""
    if route_key == "$connect":
        raise SecureApiConfigError(
            "add_route.route_key",
            route_key,
            "another key: $connect is the construct's own route (pass connect_handler= to handle it)",
        )
    if isinstance(route_key, str) and (
        route_key in RESERVED_ROUTE_KEYS or CUSTOM_ROUTE_KEY.fullmatch(route_key)
    ):
        return route_key
    raise SecureApiConfigError(
        "add_route.route_key",
        route_key,
        "'$default', '$disconnect' or a custom key of 1-128 letters, digits, '_', '.', ':' or '-' "
        "such as 'sendMessage'",
    )


def check_route_throttle(throttle: Any) -> Throttle | None:
    """None, or a ``Throttle``: a route's setting overrides the stage default, up or down (AWS bounds
    both only by the account's Region limits)."""
    if throttle is None:
        return None
    if not isinstance(throttle, Throttle):
        raise SecureApiConfigError("add_route.throttle", throttle, "a Throttle or None")
    return throttle


def add_route(
    scope: Construct,
    *,
    web_socket_api: apigwv2.WebSocketApi,
    stage: apigwv2.WebSocketStage,
    route_key: str,
    integration: apigwv2.WebSocketRouteIntegration,
) -> apigwv2.WebSocketRoute:
    """The route (construct id from its key), deployed only after it exists (route settings name it)."""
    route = apigwv2.WebSocketRoute(
        scope,
        route_id(route_key),
        web_socket_api=web_socket_api,
        route_key=route_key,
        integration=integration,
    )
    stage.node.add_dependency(route)
    return route


def route_id(route_key: str) -> str:
    """A readable construct id for a route key (``$default`` -> ``DefaultRoute``, ``chat.send`` ->
    ``Routechat.send``): construct ids may hold any character but '/'."""
    if route_key.startswith("$"):
        return f"{route_key[1:].title()}Route"
    return f"Route{route_key}"
