"""An HTTP API's route integrations: an ``HttpRouteIntegration`` as given, or one Lambda proxy
integration (payload format 2.0) per function with one invoke permission per function and API."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from secure_api.errors import SecureApiConfigError
from secure_api.websocket.routes import Integrations


class _LambdaProxy(apigwv2.HttpRouteIntegration):
    """A Lambda proxy integration without CDK's per-route invoke permission (``HttpIntegrations`` grants
    one per function and API instead)."""

    def __init__(self, id_: str, function: lambda_.IFunction) -> None:
        super().__init__(id_)
        self._function = function

    def bind(self, *, route: apigwv2.IHttpRoute, scope: Construct) -> apigwv2.HttpRouteIntegrationConfig:
        return apigwv2.HttpRouteIntegrationConfig(
            type=apigwv2.HttpIntegrationType.AWS_PROXY,
            uri=self._function.function_arn,
            payload_format_version=apigwv2.PayloadFormatVersion.VERSION_2_0,
        )


class HttpIntegrations(Integrations):
    """The route integrations of one HTTP API (the invoke permission is the WebSocket API's rule)."""

    def integration_for(self, integration: Any, *, field: str) -> Any:
        """The integration to route to."""
        if isinstance(integration, apigwv2.HttpRouteIntegration):
            return integration
        if not (hasattr(integration, "function_arn") and hasattr(integration, "add_permission")):
            raise SecureApiConfigError(
                field, integration, "an aws_lambda.IFunction or an aws_apigatewayv2.HttpRouteIntegration"
            )
        fn: lambda_.IFunction = integration
        known: Any = self._by_function.get(fn.node.addr)
        if known is None:
            known = _LambdaProxy(f"{fn.node.id}{fn.node.addr[-8:]}Integration", fn)
            self._by_function[fn.node.addr] = known
            self._invoke_permission(fn)
        return known
