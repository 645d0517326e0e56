"""Alarms, Contributor Insights rules and a dashboard for an HTTP API's stage.

The REST API's alarms, dashboard and insight rules (``alarms.py``, ``dashboard.py``, ``insights.py``),
fed with the HTTP API metrics of ``AWS/ApiGateway`` (dimensions ``ApiId`` and ``Stage``): ``Count``,
``4xx``, ``5xx``, ``Latency`` and ``IntegrationLatency``; 429 responses and the Lambda authorizer's
failures come from the access logs' ``status`` and ``errorResponseType`` fields, as for REST APIs. What
HTTP APIs lack has no alarm: no WAF blocks (no AWS WAF association), no key guard and no insight rules on
API keys (no API keys).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from secure_api.monitoring.alarms import Alarms
from secure_api.monitoring.dashboard import dashboard
from secure_api.monitoring.insights import contributor_insights
from secure_api.monitoring.options import Monitoring

HTTP_METRICS_NAMESPACE = "AWS/ApiGateway"
# The REST metric names the shared alarms ask for, as HTTP APIs publish them.
_HTTP_METRIC_NAMES = {"4XXError": "4xx", "5XXError": "5xx"}


@dataclass
class HttpAlarms(Alarms):
    """The alarms of one HTTP API stage (``stage_name``) under ``scope``."""

    stage_name: str = ""

    def stage_metric(
        self, name: str, statistic: str, label: str, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """An HTTP API metric of this API's stage, over the alarm period unless ``period`` is given."""
        return cloudwatch.Metric(
            namespace=HTTP_METRICS_NAMESPACE,
            metric_name=_HTTP_METRIC_NAMES.get(name, name),
            dimensions_map={"ApiId": self.api_id, "Stage": self.stage_name},
            statistic=statistic,
            period=period or self.period,
            label=label,
        )


def apply_http_monitoring(
    scope: Construct,
    monitoring: Monitoring,
    *,
    http_api: apigwv2.IHttpApi,
    stage: apigwv2.HttpStage,
    access_log_group: logs.ILogGroup,
    topic: sns.ITopic,
    authorizer_function: lambda_.IFunction | None = None,
) -> cloudwatch.Dashboard:
    """Build the alarms (5XX and 4XX rates, p99 latency and integration latency, 429 responses, the
    request count's anomaly band and, with ``authorizer_function``, the Lambda authorizer's failures and
    throttles), the Contributor Insights rules on client IPs and the dashboard (construct id
    ``Dashboard``) of ``http_api``'s ``stage`` under ``scope`` (the API's construct: its path names the
    alarms). Every alarm notifies ``topic`` on ALARM and OK."""
    alarms = HttpAlarms(
        scope,
        monitoring,
        api_id=http_api.api_id,
        stage=stage,  # type: ignore[arg-type]  # the dashboard reads only its stage_name
        access_log_group=access_log_group,
        authorizer_function=authorizer_function,
        web_acl=None,
        topic=topic,
        stage_name=stage.stage_name,
    )
    alarms.build()
    rules = contributor_insights(scope, access_log_group.log_group_name, api_keys=False)
    return dashboard(alarms, rules, key_guard=False)
