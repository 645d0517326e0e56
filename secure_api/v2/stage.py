"""The stage of an API Gateway v2 API (WebSocket or HTTP): auto-deployed, throttled by its default route
settings, detailed metrics, JSON access logs to a KMS-encrypted log group and, per route key, the
``RouteSettings`` CDK's ``WebSocketStage`` and ``HttpStage`` cannot set. Execution logs (at ERROR,
without data trace) exist on WebSocket APIs only: AWS refuses them on HTTP APIs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_logs as logs
from constructs import Construct

from secure_api import defaults
from secure_api.access_logs import json_log_format
from secure_api.overrides import override_path
from secure_api.throttling import Throttle

V2Stage = apigwv2.WebSocketStage | apigwv2.HttpStage
"""The stage of a v2 API."""


def create_v2_stage(
    scope: Construct,
    id_: str,
    *,
    api: apigwv2.WebSocketApi | apigwv2.HttpApi,
    stage_name: str,
    throttle: Throttle,
    access_log_group: logs.ILogGroup,
    access_log_fields: Mapping[str, str],
) -> V2Stage:
    """The auto-deployed stage ``id_`` of ``api`` (a ``WebSocketStage`` for a WebSocket API, an
    ``HttpStage`` for an HTTP API) with ``throttle`` as its default route settings, detailed metrics,
    execution logs at ERROR without data trace (WebSocket only) and JSON access logs of
    ``access_log_fields`` (name -> context variable) to ``access_log_group``."""
    common: dict[str, Any] = {
        "stage_name": stage_name,
        "auto_deploy": True,
        "throttle": apigwv2.ThrottleSettings(
            rate_limit=throttle.rate_limit, burst_limit=throttle.burst_limit
        ),
        "detailed_metrics_enabled": True,
    }
    stage: V2Stage
    if isinstance(api, apigwv2.WebSocketApi):
        stage = apigwv2.WebSocketStage(scope, id_, web_socket_api=api, **common)
    else:
        stage = apigwv2.HttpStage(scope, id_, http_api=api, **common)
    cfn_stage = stage.node.default_child
    assert isinstance(cfn_stage, apigwv2.CfnStage)
    # What CDK's stages do not set: execution logging and access logs. The destination is the
    # log group's ARN attribute (as CDK's v2 LogGroupLogDestination writes it), a reference Control
    # Tower's CT.APIGATEWAY.PR.4 rule can follow to the log group.
    if _has_execution_logs(stage):
        cfn_stage.add_property_override("DefaultRouteSettings.LoggingLevel", defaults.WEBSOCKET_LOGGING_LEVEL)
        cfn_stage.add_property_override("DefaultRouteSettings.DataTraceEnabled", False)
    cfn_stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
        destination_arn=access_log_group.log_group_arn, format=json_log_format(dict(access_log_fields))
    )
    return stage


def route_settings(throttle: Throttle | None, *, execution_logs: bool = True) -> dict[str, Any]:
    """One route's settings: detailed metrics, its limits and, with ``execution_logs`` (WebSocket
    APIs), execution logging at ERROR without data trace."""
    settings: dict[str, Any] = (
        {
            "DataTraceEnabled": False,
            "DetailedMetricsEnabled": True,
            "LoggingLevel": defaults.WEBSOCKET_LOGGING_LEVEL,
        }
        if execution_logs
        else {"DetailedMetricsEnabled": True}
    )
    if throttle is not None:
        settings["ThrottlingBurstLimit"] = throttle.burst_limit
        settings["ThrottlingRateLimit"] = throttle.rate_limit
    return settings


def set_route_settings(stage: Construct, route_key: str, throttle: Throttle) -> None:
    """``RouteSettings.<route_key>`` on ``stage`` (a v2 stage), the key kept whole (``chat.send`` and
    ``GET /orders/{id}`` stay one key), with execution logging where the stage has it (WebSocket)."""
    cfn_stage = stage.node.default_child
    assert isinstance(cfn_stage, apigwv2.CfnStage)
    cfn_stage.add_property_override(
        override_path("RouteSettings", route_key),
        route_settings(throttle, execution_logs=_has_execution_logs(stage)),
    )


def _has_execution_logs(stage: Construct) -> bool:
    """True for a WebSocket stage: HTTP APIs have no execution logs (AWS refuses the settings)."""
    return not isinstance(stage, apigwv2.HttpStage)
