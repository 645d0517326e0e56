"""The API's alarms, each notifying the alarm topic on ALARM and on OK, and the metrics they watch.

5XX rate, 4XX rate (only once a period has ``error_4xx_min_requests``), p99 latency and integration
latency, 429 responses (an access-log metric filter), authorizer failures and throttles, WAF blocked
requests and anomalous request count. The dashboard shows the same metrics. ``V2Alarms`` is the base
of the v2 kinds' alarms (``websocket.py``, ``http.py``): the same builders, fed with v2 stage metrics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, ClassVar

from aws_cdk import Duration, Fn, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from secure_api import defaults
from secure_api.api_target import METRICS_NAMESPACE
from secure_api.monitoring.options import Monitoring, num
from secure_api.notifications import notify


@dataclass
class Alarms:
    """The alarms of one API under ``scope`` (the API's construct, whose path names them)."""

    scope: Construct
    m: Monitoring
    _: KW_ONLY
    api_id: str
    stage: Any
    """A REST API's ``apigw.Stage`` (the v2 kinds' alarms override ``stage_metric``; None or their stage)."""
    access_log_group: logs.ILogGroup
    authorizer_function: lambda_.IFunction | None
    web_acl: Any
    topic: sns.ITopic
    alarms: list[cloudwatch.Alarm] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.stack = Stack.of(self.scope)
        self.path = self.scope.node.path
        self.period = self.m.alarm_period

    # -- metrics ---------------------------------------------------------------------------------
    def stage_metric(
        self, name: str, statistic: str, label: str, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """A metric of the API's stage, over the alarm period unless ``period`` is given."""
        stage: apigw.Stage = self.stage
        return stage.metric(name, statistic=statistic, period=period or self.period, label=label)

    def _filter_metric(
        self, id_: str, log_group: logs.ILogGroup, pattern: logs.IFilterPattern, name: str, label: str
    ) -> cloudwatch.Metric:
        """A count of matching log events in ``SecureApi``, named per API so that APIs never mix."""
        metric_filter = logs.MetricFilter(
            self.scope,
            id_,
            log_group=log_group,
            filter_pattern=pattern,
            metric_namespace=defaults.MONITORING_METRIC_NAMESPACE,
            metric_name=Fn.join("-", [name, self.api_id]),
            metric_value="1",
            default_value=0,
            unit=cloudwatch.Unit.COUNT,
        )
        return metric_filter.metric(statistic="Sum", period=self.period, label=label)

    # -- alarms ----------------------------------------------------------------------------------
    def _alarm(
        self,
        id_: str,
        metric: cloudwatch.IMetric,
        threshold: float,
        description: str,
        *,
        comparison: cloudwatch.ComparisonOperator = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self.scope,
            id_,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=self.m.evaluation_periods,
            datapoints_to_alarm=self.m.datapoints_to_alarm,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"secure_api {self.path}: {description}",
        )
        return self.notify(alarm)

    def notify(self, alarm: cloudwatch.Alarm) -> cloudwatch.Alarm:
        """Let ``alarm`` notify the topic on ALARM and OK, and list it on the dashboard."""
        self.alarms.append(notify(alarm, self.topic))
        return alarm

    def build(self) -> None:
        """Create every alarm (the key guard adds its own through ``notify``)."""
        self._error_rate_alarms()
        self._latency_alarms()
        self._throttled_alarm()
        self._authorizer()
        self._waf()
        self._anomaly_alarm()

    def _error_rate_alarms(self) -> None:
        """The 5XX and 4XX rates (``rate_5xx``, ``rate_4xx``) and their alarms."""
        m = self.m
        count = self.stage_metric("Count", "Sum", "Requests")
        e4 = self.e4 = self.stage_metric("4XXError", "Sum", "4XX")
        e5 = self.e5 = self.stage_metric("5XXError", "Sum", "5XX")
        self.rate_5xx = cloudwatch.MathExpression(
            expression="IF(requests > 0, 100 * e5xx / requests, 0)",
            using_metrics={"requests": count, "e5xx": e5},
            period=self.period,
            label="5XX %",
        )
        self.rate_4xx = cloudwatch.MathExpression(
            expression=f"IF(requests >= {m.error_4xx_min_requests}, 100 * e4xx / requests, 0)",
            using_metrics={"requests": count, "e4xx": e4},
            period=self.period,
            label="4XX %",
        )
        self._alarm(
            "ServerErrorRateAlarm",
            self.rate_5xx,
            m.error_5xx_rate,
            f"5XX responses above {num(m.error_5xx_rate)}% of requests",
        )
        self._alarm(
            "ClientErrorRateAlarm",
            self.rate_4xx,
            m.error_4xx_rate,
            f"4XX responses above {num(m.error_4xx_rate)}% of requests (periods with >= {m.error_4xx_min_requests} requests)",
        )

    def _latency_alarms(self) -> None:
        """The p99 latency and integration latency (``latency``, ``integration_latency``) and their alarms."""
        m = self.m
        self.latency = self.stage_metric("Latency", "p99", "Latency p99")
        self.integration_latency = self.stage_metric("IntegrationLatency", "p99", "Integration latency p99")
        self._alarm(
            "LatencyP99Alarm",
            self.latency,
            m.p99_latency.to_milliseconds(),
            f"p99 latency above {m.p99_latency.to_human_string()}",
        )
        self._alarm(
            "IntegrationLatencyP99Alarm",
            self.integration_latency,
            m.p99_integration_latency.to_milliseconds(),
            f"p99 integration latency above {m.p99_integration_latency.to_human_string()}",
        )

    def _throttled_alarm(self) -> None:
        """429 responses counted in the access logs (``throttled``) and their alarm."""
        m = self.m
        self.throttled = self._filter_metric(
            "ThrottledRequestsFilter",
            self.access_log_group,
            # Every access-log value is a JSON string (access_logs.py), so the status compares as one.
            logs.FilterPattern.string_value("$.status", "=", "429"),
            "ThrottledRequests",
            "429 responses",
        )
        self._alarm(
            "ThrottledRequestsAlarm",
            self.throttled,
            m.throttled_requests,
            f"more than {m.throttled_requests} requests throttled (429) per {self.period.to_human_string()}",
        )

    def _anomaly_alarm(self) -> None:
        """The 5-minute request count (``count_5m``) and the alarm above its anomaly band."""
        m = self.m
        self.count_5m = self.stage_metric("Count", "Sum", "Requests", defaults.MONITORING_ANOMALY_PERIOD)
        self.notify(
            cloudwatch.AnomalyDetectionAlarm(
                self.scope,
                "RequestCountAnomalyAlarm",
                metric=self.count_5m,
                std_devs=m.anomaly_band_width,
                evaluation_periods=defaults.MONITORING_ANOMALY_EVALUATION_PERIODS,
                datapoints_to_alarm=defaults.MONITORING_ANOMALY_EVALUATION_PERIODS,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=f"secure_api {self.path}: request count above its "
                f"{num(m.anomaly_band_width)}-sigma anomaly band",
            )
        )

    def _authorizer(self) -> None:
        fn = self.authorizer_function
        self.authorizer_metrics: list[cloudwatch.IMetric] = []
        if fn is None:
            return
        failures = self._filter_metric(
            "AuthorizerFailuresFilter",
            self.access_log_group,
            logs.FilterPattern.any(
                logs.FilterPattern.string_value("$.errorResponseType", "=", "AUTHORIZER_FAILURE"),
                logs.FilterPattern.string_value("$.errorResponseType", "=", "AUTHORIZER_CONFIGURATION_ERROR"),
            ),
            "AuthorizerFailures",
            "Authorizer failures (API Gateway)",
        )
        using: dict[str, cloudwatch.IMetric] = {"failures": failures}
        log_group = getattr(fn, "log_group", None)
        if log_group is not None:
            # The authorizer answers every bad token with Exception("Unauthorized"), so Lambda's Errors
            # metric counts rejected tokens; its own faults are the reasons it logs for them.
            using["faults"] = self._filter_metric(
                "AuthorizerFaultsFilter",
                log_group,
                logs.FilterPattern.any_term("internal_error", "invalid_config", "jwks_unavailable"),
                "AuthorizerFaults",
                "Authorizer faults (logged)",
            )
        errors = cloudwatch.MathExpression(
            expression=" + ".join(f"FILL({k}, 0)" for k in using),
            using_metrics=using,
            period=self.period,
            label="Authorizer errors",
        )
        self._alarm(
            "AuthorizerErrorsAlarm",
            errors,
            self.m.authorizer_errors,
            f"at least {self.m.authorizer_errors} authorizer failures per {self.period.to_human_string()}",
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        )
        throttles = fn.metric_throttles(statistic="Sum", period=self.period, label="Authorizer throttles")
        self._alarm(
            "AuthorizerThrottlesAlarm",
            throttles,
            self.m.authorizer_throttles,
            f"at least {self.m.authorizer_throttles} authorizer invocations throttled per {self.period.to_human_string()}",
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        )
        self.authorizer_metrics = [
            fn.metric_duration(statistic="p50", period=self.period, label="Duration p50"),
            fn.metric_duration(statistic="p99", period=self.period, label="Duration p99"),
            fn.metric_errors(statistic="Sum", period=self.period, label="Rejected tokens + errors"),
            errors,
            throttles,
        ]

    def _waf_metric(self, name: str, label: str) -> cloudwatch.Metric:
        acl = self.web_acl
        acl_name = getattr(acl, "name", None) or Fn.select(0, Fn.split("|", acl.ref))
        return cloudwatch.Metric(
            namespace="AWS/WAFV2",
            metric_name=name,
            dimensions_map={"WebACL": acl_name, "Region": self.stack.region, "Rule": "ALL"},
            statistic="Sum",
            period=self.period,
            label=label,
        )

    def _waf(self) -> None:
        self.waf_metrics: list[cloudwatch.IMetric] = []
        if self.web_acl is None:
            return
        blocked = self._waf_metric("BlockedRequests", "Blocked")
        self._alarm(
            "WafBlockedRequestsAlarm",
            blocked,
            self.m.waf_blocked_requests,
            f"WAF blocked more than {self.m.waf_blocked_requests} requests per {self.period.to_human_string()}",
        )
        self.waf_metrics = [self._waf_metric("AllowedRequests", "Allowed"), blocked]


@dataclass
class V2Alarms(Alarms):
    """The alarms of a v2 (WebSocket or HTTP) API's stage: its metrics are ``METRICS_NAMESPACE``'s with
    ``dimensions`` (``ApiTarget.metric_dimensions``), the REST names the shared builders ask for
    translated by the kind's ``metric_names``."""

    dimensions: Mapping[str, str] = field(kw_only=True)
    metric_names: ClassVar[Mapping[str, str]] = {}
    """The kind's metric name for a REST metric name the shared builders ask for, where it differs."""

    @property
    def stage_name(self) -> str:
        """The stage's name (its ``Stage`` dimension)."""
        return self.dimensions["Stage"]

    def stage_metric(
        self, name: str, statistic: str, label: str, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """A metric of this API's stage, over the alarm period unless ``period`` is given."""
        return cloudwatch.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name=self.metric_names.get(name, name),
            dimensions_map=dict(self.dimensions),
            statistic=statistic,
            period=period or self.period,
            label=label,
        )
