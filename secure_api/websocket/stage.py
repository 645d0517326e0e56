"""The WebSocket API and its stage (``secure_api.v2.stage``): default route settings (throttled, execution
logs at ERROR without data trace, detailed metrics) and JSON access logs to a KMS-encrypted log group."""

from __future__ import annotations

from aws_cdk import Names
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_logs as logs
from constructs import Construct

from secure_api import defaults
from secure_api.access_logs import WEBSOCKET_ACCESS_LOG_FIELDS
from secure_api.throttling import Throttle
from secure_api.v2.stage import create_v2_stage

# ``WebSocketApiKeySelectionExpression.custom_api_key_selector`` is mistyped in jsii: use its constants.
_API_KEY_SELECTION = {
    defaults.WEBSOCKET_API_KEY_HEADER_EXPRESSION: apigwv2.WebSocketApiKeySelectionExpression.HEADER_X_API_KEY,
    defaults.WEBSOCKET_API_KEY_AUTHORIZER_EXPRESSION: (
        apigwv2.WebSocketApiKeySelectionExpression.AUTHORIZER_USAGE_IDENTIFIER_KEY
    ),
}


def create_web_socket_api(
    scope: Construct,
    id_: str,
    *,
    description: str | None,
    route_selection_expression: str,
    api_key_selection_expression: str | None,
    execute_api_disabled: bool,
) -> apigwv2.WebSocketApi:
    """The WebSocket API ``id_`` under ``scope``; behind a custom domain its execute-api endpoint is
    disabled (clients could otherwise bypass the domain)."""
    api = apigwv2.WebSocketApi(
        scope,
        id_,
        # Unique per API: CloudWatch metrics and the management console name it.
        api_name=Names.unique_resource_name(scope, max_length=128, separator="-"),
        description=description or f"secure_api WebSocket API {scope.node.path}",
        route_selection_expression=route_selection_expression,
        api_key_selection_expression=_API_KEY_SELECTION.get(api_key_selection_expression or ""),
    )
    if execute_api_disabled:
        cfn_api = api.node.default_child
        assert isinstance(cfn_api, apigwv2.CfnApi)
        # CDK's WebSocketApi has no prop for it.
        cfn_api.disable_execute_api_endpoint = True
    return api


def create_stage(
    scope: Construct,
    id_: str,
    *,
    web_socket_api: apigwv2.WebSocketApi,
    stage_name: str,
    throttle: Throttle,
    access_log_group: logs.ILogGroup,
) -> apigwv2.WebSocketStage:
    """The auto-deployed stage with its default route settings and access logs
    (``secure_api.v2.stage.create_v2_stage`` with the WebSocket access log fields)."""
    stage = create_v2_stage(
        scope,
        id_,
        api=web_socket_api,
        stage_name=stage_name,
        throttle=throttle,
        access_log_group=access_log_group,
        access_log_fields=WEBSOCKET_ACCESS_LOG_FIELDS,
    )
    assert isinstance(stage, apigwv2.WebSocketStage)
    return stage
