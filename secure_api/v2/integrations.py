"""The route integrations of an API Gateway v2 API (WebSocket or HTTP): an integration as given, or one
Lambda proxy integration per function with one invoke permission per function and API (CDK's
``WebSocketLambdaIntegration`` and ``HttpLambdaIntegration`` add one permission per route)."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from secure_api.api_target import ApiKind, ApiTarget
from secure_api.invoke_permission import invocation_uri, invoke_permission, require_function


class _WebSocketLambdaProxy(apigwv2.WebSocketRouteIntegration):
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


class _HttpLambdaProxy(apigwv2.HttpRouteIntegration):
    """An HTTP API Lambda proxy integration, payload format 2.0, without CDK's per-route invoke
    permission (``Integrations`` grants one per function and API instead)."""

    def __init__(self, id_: str, function: lambda_.IFunction) -> None:
        super().__init__(id_)
        self._function = function

    def bind(self, *, route: apigwv2.IHttpRoute, scope: Construct) -> apigwv2.HttpRouteIntegrationConfig:
        return apigwv2.HttpRouteIntegrationConfig(
            type=apigwv2.HttpIntegrationType.AWS_PROXY,
            uri=self._function.function_arn,
            payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0,
        )


_KINDS: dict[ApiKind, tuple[type[Any], type[Any], str]] = {
    ApiKind.WEBSOCKET: (
        apigwv2.WebSocketRouteIntegration,
        _WebSocketLambdaProxy,
        "an aws_lambda.IFunction or an aws_apigatewayv2.WebSocketRouteIntegration",
    ),
    ApiKind.HTTP: (
        apigwv2.HttpRouteIntegration,
        _HttpLambdaProxy,
        "an aws_lambda.IFunction or an aws_apigatewayv2.HttpRouteIntegration",
    ),
}


class Integrations:
    """The route integrations of one v2 API (``target``, a WebSocket or HTTP API): an integration of that
    kind as given, or one Lambda proxy integration per function (payload format 2.0 on an HTTP API) with
    one invoke permission per function and API (``secure_api.invoke_permission``), from any of its routes."""

    def __init__(self, api: Construct, target: ApiTarget) -> None:
        if not target.kind.v2:
            raise TypeError("Integrations serves API Gateway v2 APIs (WEBSOCKET or HTTP)")
        self._api = api
        self._target = target
        self._by_function: dict[str, Any] = {}

    def integration_for(self, integration: Any, *, field: str) -> Any:
        """The integration to route to (``field`` names the option in a refusal)."""
        given_type, proxy, expected = _KINDS[self._target.kind]
        if isinstance(integration, given_type):
            return integration
        fn = require_function(integration, field=field, expected=expected)
        known = self._by_function.get(fn.node.addr)
        if known is None:
            known = proxy(f"{fn.node.id}{fn.node.addr[-8:]}Integration", fn)
            self._by_function[fn.node.addr] = known
            invoke_permission(self._api, fn, source_arn=self._target.execute_api_arn())
        return known
