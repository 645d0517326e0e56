"""WebSocket routes: the route key rules, one integration and invoke permission per function, and the
per-route ``RouteSettings`` on the stage (CDK's ``WebSocketStage`` has no per-route setting)."""

from __future__ import annotations

import re
from typing import Any

from aws_cdk import Annotations, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from secure_api import compliance, defaults
from secure_api.errors import SecureApiConfigError
from secure_api.overrides import override_path
from secure_api.rest.integrations import invocation_uri
from secure_api.throttling import Throttle

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


def route_settings(throttle: Throttle | None) -> dict[str, Any]:
    """One route's settings: execution logging at ERROR, no data trace, detailed metrics, its limits."""
    settings: dict[str, Any] = {
        "DataTraceEnabled": False,
        "DetailedMetricsEnabled": True,
        "LoggingLevel": defaults.WEBSOCKET_LOGGING_LEVEL,
    }
    if throttle is not None:
        settings["ThrottlingBurstLimit"] = throttle.burst_limit
        settings["ThrottlingRateLimit"] = throttle.rate_limit
    return settings


def set_route_settings(stage: apigwv2.WebSocketStage, route_key: str, throttle: Throttle) -> None:
    """``RouteSettings.<route_key>`` on the stage, the key kept whole (``chat.send`` stays one key)."""
    cfn_stage = stage.node.default_child
    assert isinstance(cfn_stage, apigwv2.CfnStage)
    cfn_stage.add_property_override(override_path("RouteSettings", route_key), route_settings(throttle))


class _LambdaProxy(apigwv2.WebSocketRouteIntegration):
    """A Lambda proxy integration without CDK's per-route invoke permission (``Integrations`` grants
    one per function and API instead)."""

    def __init__(self, id_: str, function: lambda_.IFunction) -> None:
        super().__init__(id_)
        self._function = function

    def bind(
        self, *, route: apigwv2.IWebSocketRoute, scope: Construct
    ) -> apigwv2.WebSocketRouteIntegrationConfig:
        return apigwv2.WebSocketRouteIntegrationConfig(
            type=apigwv2.WebSocketIntegrationType.AWS_PROXY,
            uri=invocation_uri(Stack.of(route), self._function.function_arn),
        )


class Integrations:
    """The route integrations of one WebSocket API: a ``WebSocketRouteIntegration`` as given, or one
    Lambda proxy integration per function with one invoke permission per function and API."""

    def __init__(self, api: Construct, web_socket_api: apigwv2.WebSocketApi) -> None:
        self._api = api
        self._web_socket_api = web_socket_api
        self._by_function: dict[str, apigwv2.WebSocketRouteIntegration] = {}

    def integration_for(self, integration: Any, *, field: str) -> apigwv2.WebSocketRouteIntegration:
        """The integration to route to."""
        if isinstance(integration, apigwv2.WebSocketRouteIntegration):
            return integration
        # jsii interfaces are not runtime-checkable protocols: check the members used.
        if not (hasattr(integration, "function_arn") and hasattr(integration, "add_permission")):
            raise SecureApiConfigError(
                field, integration, "an aws_lambda.IFunction or an aws_apigatewayv2.WebSocketRouteIntegration"
            )
        fn: lambda_.IFunction = integration
        known = self._by_function.get(fn.node.addr)
        if known is None:
            known = _LambdaProxy(f"{fn.node.id}{fn.node.addr[-8:]}Integration", fn)
            self._by_function[fn.node.addr] = known
            self._invoke_permission(fn)
        return known

    def _invoke_permission(self, fn: lambda_.IFunction) -> None:
        """One permission per function and API, in the API's stack (see ``rest/integrations.py``)."""
        api = self._api
        same_stack = Stack.of(fn) is Stack.of(api)
        permission_id = (
            f"InvokeBy{api.node.id}{api.node.addr[-8:]}"
            if same_stack
            else f"Invoke{fn.node.id}{fn.node.addr[-8:]}"
        )
        fn.add_permission(
            permission_id,
            principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
            action="lambda:InvokeFunction",
            source_arn=Stack.of(api).format_arn(
                service="execute-api", resource=self._web_socket_api.api_id, resource_name="*"
            ),
            scope=None if same_stack else api,
        )
        permission = (fn if same_stack else api).node.try_find_child(permission_id)
        if permission is None:
            Annotations.of(api).add_warning_v2(
                "secure-api:invoke-permission-skipped",
                f"secure_api: no invoke permission for API Gateway on the imported function {fn.node.path}: "
                "import it with Function.from_function_attributes(..., same_environment=True) so the "
                "construct adds it, or grant apigateway.amazonaws.com lambda:InvokeFunction on it yourself",
            )
            return
        compliance.acknowledge(permission, "permission-source-arn-join")


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
