"""``apply_monitoring``: the alarms, Contributor Insights rules, key guard and dashboard of one API."""

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
from secure_api.monitoring.alarms import Alarms
from secure_api.monitoring.dashboard import dashboard
from secure_api.monitoring.insights import contributor_insights
from secure_api.monitoring.key_guard import key_guard
from secure_api.monitoring.options import Monitoring


def apply_monitoring(
    scope: Construct,
    monitoring: Monitoring,
    *,
    rest_api: apigw.IRestApi,
    stage: apigw.Stage,
    access_log_group: logs.ILogGroup,
    logs_key: kms.IKey,
    topic: sns.ITopic,
    authorizer_function: lambda_.IFunction | None = None,
    web_acl: Any = None,
    retention: logs.RetentionDays = defaults.LOG_RETENTION,
    usage_plans: Sequence[apigw.IUsagePlan] = (),
) -> cloudwatch.Dashboard:
    """Build the alarms, Contributor Insights rules, key guard and dashboard of ``rest_api`` under
    ``scope`` (the API's construct: its path names the alarms).

    ``stage`` and ``access_log_group`` (JSON access logs) are the API's; ``authorizer_function`` and
    ``web_acl`` (a ``CfnWebACL`` or an object with its ``ref``) add their alarms when given. Every alarm
    notifies ``topic`` on ALARM and OK. The key guard's table and environment are encrypted with
    ``logs_key``; ``retention`` is its log retention; it reads the API's keys through ``usage_plans``
    (the API's own). Returns the dashboard.
    """
    alarms = Alarms(
        scope,
        monitoring,
        api_id=rest_api.rest_api_id,
        stage=stage,
        access_log_group=access_log_group,
        authorizer_function=authorizer_function,
        web_acl=web_acl,
        topic=topic,
    )
    alarms.build()
    rules = contributor_insights(scope, access_log_group.log_group_name)
    if monitoring.key_guard:
        key_guard(alarms, logs_key=logs_key, retention=retention, usage_plans=usage_plans)
    return dashboard(alarms, rules, key_guard=monitoring.key_guard)
