"""Alarms, Contributor Insights rules and a dashboard for a WebSocket API's stage.

The alarm builders, metric filters and insight rules are the REST API's (``alarms.py``,
``insights.py``), fed with the WebSocket metrics of ``AWS/ApiGateway`` (dimensions ``ApiId`` and
``Stage``): ``ExecutionError``, ``IntegrationError`` and ``ClientError`` against ``ConnectCount`` +
``MessageCount``, plus the authorizer's failures and throttles. What only REST APIs have (5XX/4XX,
latency percentiles of REST metrics, WAF blocks, the anomaly band on ``Count``) does not apply: AWS WAF
cannot be associated with a WebSocket API. The key guard is the REST API's: it reads the same
``apiKeyId``, ``ip``, ``status`` and ``requestTimeEpoch`` fields of the access logs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from secure_api import defaults
from secure_api.api_target import ApiKind, v2_metric_dimensions
from secure_api.monitoring.alarms import V2Alarms
from secure_api.monitoring.dashboard import INSIGHT_RULE_TITLES
from secure_api.monitoring.insights import ContributorInsightsWidget
from secure_api.monitoring.options import Monitoring, num


@dataclass
class WebSocketAlarms(V2Alarms):
    """The alarms of one WebSocket API stage under ``scope`` (its metrics keep their own names)."""

    def build(self) -> None:
        """Execution errors, integration and client error rates, and the authorizer's alarms."""
        m = self.m
        self.connects = self.stage_metric("ConnectCount", "Sum", "Connections")
        self.messages = self.stage_metric("MessageCount", "Sum", "Messages")
        self.execution_errors = self.stage_metric("ExecutionError", "Sum", "Execution errors")
        self.integration_errors = self.stage_metric("IntegrationError", "Sum", "Integration errors")
        self.client_errors = self.stage_metric("ClientError", "Sum", "Client errors")
        self.integration_latency = self.stage_metric("IntegrationLatency", "p99", "Integration latency p99")
        requests = {"connects": self.connects, "messages": self.messages}
        self.integration_error_rate = cloudwatch.MathExpression(
            expression="IF((FILL(connects, 0) + FILL(messages, 0)) > 0, "
            "100 * FILL(errors, 0) / (FILL(connects, 0) + FILL(messages, 0)), 0)",
            using_metrics={**requests, "errors": self.integration_errors},
            period=self.period,
            label="Integration errors %",
        )
        self.client_error_rate = cloudwatch.MathExpression(
            expression=f"IF((FILL(connects, 0) + FILL(messages, 0)) >= {m.error_4xx_min_requests}, "
            "100 * FILL(errors, 0) / (FILL(connects, 0) + FILL(messages, 0)), 0)",
            using_metrics={**requests, "errors": self.client_errors},
            period=self.period,
            label="Client errors %",
        )
        self._alarm(
            "ExecutionErrorAlarm",
            self.execution_errors,
            0,
            "API Gateway failed to run a route (ExecutionError)",
        )
        self._alarm(
            "IntegrationErrorRateAlarm",
            self.integration_error_rate,
            m.error_5xx_rate,
            f"integration errors above {num(m.error_5xx_rate)}% of connections and messages",
        )
        self._alarm(
            "ClientErrorRateAlarm",
            self.client_error_rate,
            m.error_4xx_rate,
            f"client errors (4XX) above {num(m.error_4xx_rate)}% of connections and messages, "
            f"once a period has {m.error_4xx_min_requests}",
        )
        self._authorizer()


def apply_websocket_monitoring(
    scope: Construct,
    monitoring: Monitoring,
    *,
    web_socket_api: apigwv2.IWebSocketApi,
    stage_name: str,
    access_log_group: logs.ILogGroup,
    logs_key: kms.IKey,
    topic: sns.ITopic,
    authorizer_function: lambda_.IFunction | None = None,
    retention: logs.RetentionDays = defaults.LOG_RETENTION,
    usage_plans: Sequence[apigw.IUsagePlan] = (),
) -> cloudwatch.Dashboard:
    """Build the alarms, Contributor Insights rules and dashboard of ``web_socket_api``'s stage under
    ``scope`` (the API's construct: its path names the alarms), and with ``monitoring.key_guard`` the key
    guard, whose table and environment are encrypted with ``logs_key`` and whose logs are kept
    ``retention`` and which reads the API's keys through ``usage_plans``. Every alarm notifies ``topic``
    on ALARM and OK. Returns the dashboard (construct id ``Dashboard``). ``apply_monitoring`` with a
    WebSocket ``ApiTarget`` does the same."""
    from secure_api.monitoring.apply import monitor

    alarms = WebSocketAlarms(
        scope,
        monitoring,
        api_id=web_socket_api.api_id,
        stage=None,  # only the stage's name is known here: the metrics read the dimensions
        access_log_group=access_log_group,
        authorizer_function=authorizer_function,
        web_acl=None,
        topic=topic,
        dimensions=v2_metric_dimensions(web_socket_api.api_id, stage_name),
    )
    return monitor(alarms, ApiKind.WEBSOCKET, logs_key=logs_key, retention=retention, usage_plans=usage_plans)


def websocket_dashboard(
    alarms: WebSocketAlarms, rules: Mapping[str, cloudwatch.CfnInsightRule]
) -> cloudwatch.Dashboard:
    """The dashboard (construct id ``Dashboard``) beside a WebSocket API's ``alarms`` (built), graphing
    ``rules``."""
    scope = alarms.scope
    dashboard = cloudwatch.Dashboard(scope, "Dashboard")
    dashboard.add_widgets(
        cloudwatch.TextWidget(
            markdown=f"## secure_api {scope.node.path} (WebSocket)\nStage `{alarms.stage_name}`; alarms notify the "
            "alarm topic.",
            width=24,
            height=2,
        )
    )
    dashboard.add_widgets(
        cloudwatch.GraphWidget(title="Connections and messages", left=[alarms.connects, alarms.messages]),
        cloudwatch.GraphWidget(
            title="Errors",
            left=[alarms.execution_errors, alarms.integration_errors, alarms.client_errors],
        ),
        cloudwatch.GraphWidget(title="Integration latency", left=[alarms.integration_latency]),
    )
    if alarms.authorizer_metrics:
        dashboard.add_widgets(cloudwatch.GraphWidget(title="Authorizer", left=alarms.authorizer_metrics))
    dashboard.add_widgets(
        *(
            ContributorInsightsWidget(
                title=INSIGHT_RULE_TITLES[id_], rule_name=rule.rule_name, region=alarms.stack.region
            )
            for id_, rule in rules.items()
        ),
    )
    dashboard.add_widgets(cloudwatch.AlarmStatusWidget(alarms=alarms.alarms, title="Alarms", width=24))
    return dashboard
