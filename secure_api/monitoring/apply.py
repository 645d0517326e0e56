"""``apply_monitoring``: the alarms, Contributor Insights rules, key guard and dashboard of one API,
whatever its kind (each kind's metric set lives in ``alarms.py``, ``websocket.py`` and ``http.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from secure_api import defaults
from secure_api.api_target import ApiKind, ApiTarget
from secure_api.monitoring.alarms import Alarms
from secure_api.monitoring.dashboard import dashboard
from secure_api.monitoring.http import HttpAlarms
from secure_api.monitoring.insights import contributor_insights
from secure_api.monitoring.key_guard import key_guard
from secure_api.monitoring.options import Monitoring
from secure_api.monitoring.websocket import WebSocketAlarms, websocket_dashboard


def apply_monitoring(
    scope: Construct,
    monitoring: Monitoring,
    *,
    target: ApiTarget | None = None,
    rest_api: apigw.IRestApi | None = None,
    stage: apigw.Stage | None = None,
    access_log_group: logs.ILogGroup,
    logs_key: kms.IKey,
    topic: sns.ITopic,
    authorizer_function: lambda_.IFunction | None = None,
    web_acl: Any = None,
    retention: logs.RetentionDays = defaults.LOG_RETENTION,
    usage_plans: Sequence[apigw.IUsagePlan] = (),
) -> cloudwatch.Dashboard:
    """Build the alarms, Contributor Insights rules, key guard and dashboard of ``target``'s API under
    ``scope`` (the API's construct: its path names the alarms), with the metric set of its kind.

    ``access_log_group`` (JSON access logs) is the API's; ``authorizer_function`` and ``web_acl`` (a
    ``CfnWebACL`` or an object with its ``ref``; REST only) add their alarms when given. Every alarm
    notifies ``topic`` on ALARM and OK. The key guard (REST and WebSocket APIs: HTTP APIs have no keys)
    has its table and environment encrypted with ``logs_key``; ``retention`` is its log retention; it
    reads the API's keys through ``usage_plans`` (the API's own). ``rest_api`` and ``stage`` are the
    older spelling of a REST ``target``. Returns the dashboard (construct id ``Dashboard``).
    """
    legacy = rest_api is not None or stage is not None
    if (target is None and (rest_api is None or stage is None)) or (target is not None and legacy):
        raise TypeError("apply_monitoring watches target, or rest_api and stage")
    kind, api_stage, api_id, dimensions = (
        (target.kind, target.stage, target.api_id, target.metric_dimensions)
        if target is not None
        else (ApiKind.REST, stage, rest_api.rest_api_id, {})  # type: ignore[union-attr]
    )
    common: dict[str, Any] = {
        "api_id": api_id,
        "access_log_group": access_log_group,
        "authorizer_function": authorizer_function,
        "topic": topic,
    }
    alarms: Alarms
    if kind is ApiKind.REST:
        alarms = Alarms(scope, monitoring, stage=api_stage, web_acl=web_acl, **common)
    else:
        # The v2 kinds' metrics come from the target's dimensions (V2Alarms.stage_metric); the HTTP
        # dashboard reads the stage's name from the stage.
        v2_alarms = WebSocketAlarms if kind is ApiKind.WEBSOCKET else HttpAlarms
        alarms = v2_alarms(scope, monitoring, stage=api_stage, web_acl=None, dimensions=dimensions, **common)
    return monitor(alarms, kind, logs_key=logs_key, retention=retention, usage_plans=usage_plans)


def monitor(
    alarms: Alarms,
    kind: ApiKind,
    *,
    logs_key: kms.IKey,
    retention: logs.RetentionDays,
    usage_plans: Sequence[apigw.IUsagePlan] = (),
) -> cloudwatch.Dashboard:
    """Build ``alarms`` (those of a ``kind`` API), the Contributor Insights rules on their access logs,
    the key guard where the kind has API keys (not HTTP APIs) and ``monitoring.key_guard`` asks for it,
    and the kind's dashboard, which this returns."""
    alarms.build()
    has_keys = kind is not ApiKind.HTTP
    rules = contributor_insights(alarms.scope, alarms.access_log_group.log_group_name, api_keys=has_keys)
    guard = alarms.m.key_guard and has_keys
    if guard:
        # The same guard for REST and WebSocket APIs: their access logs carry apiKeyId, ip, status and
        # requestTimeEpoch.
        key_guard(alarms, logs_key=logs_key, retention=retention, usage_plans=usage_plans)
    if kind is ApiKind.WEBSOCKET:
        assert isinstance(alarms, WebSocketAlarms)
        return websocket_dashboard(alarms, rules)
    return dashboard(alarms, rules, key_guard=guard)
