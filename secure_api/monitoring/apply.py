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
from secure_api.monitoring.websocket import websocket_monitoring


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
    if target is None:
        if rest_api is None or stage is None:
            raise TypeError("apply_monitoring watches target, or rest_api and stage")
        api_id = rest_api.rest_api_id
    elif rest_api is not None or stage is not None:
        raise TypeError("apply_monitoring watches target, or rest_api and stage, not both")
    else:
        api_id = target.api_id
    if target is not None and target.kind is ApiKind.WEBSOCKET:
        return websocket_monitoring(
            scope,
            monitoring,
            api_id=api_id,
            stage_name=target.stage_name,
            access_log_group=access_log_group,
            logs_key=logs_key,
            topic=topic,
            authorizer_function=authorizer_function,
            retention=retention,
            usage_plans=usage_plans,
        )
    alarms: Alarms
    if target is not None and target.kind is ApiKind.HTTP:
        alarms = HttpAlarms(
            scope,
            monitoring,
            api_id=api_id,
            stage=target.stage,  # type: ignore[arg-type]  # an HttpStage: stage_metric is overridden
            access_log_group=access_log_group,
            authorizer_function=authorizer_function,
            web_acl=None,
            topic=topic,
            stage_name=target.stage_name,
        )
    else:
        alarms = Alarms(
            scope,
            monitoring,
            api_id=api_id,
            stage=stage if target is None else target.stage,  # type: ignore[arg-type]
            access_log_group=access_log_group,
            authorizer_function=authorizer_function,
            web_acl=web_acl,
            topic=topic,
        )
    alarms.build()
    rules = contributor_insights(scope, access_log_group.log_group_name)
    guard = monitoring.key_guard and (target is None or target.kind is ApiKind.REST)
    if guard:
        key_guard(alarms, logs_key=logs_key, retention=retention, usage_plans=usage_plans)
    return dashboard(alarms, rules, key_guard=guard)
