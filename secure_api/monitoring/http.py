"""The alarms of an HTTP API's stage: the REST API's builders fed with HTTP API metrics.

HTTP APIs publish ``Count``, ``4xx``, ``5xx``, ``Latency`` and ``IntegrationLatency`` in
``AWS/ApiGateway`` with the dimensions ``ApiId`` and ``Stage``. The alarms: 5XX rate, 4XX rate (once a
period has ``error_4xx_min_requests``), p99 latency, 429 responses (an access-log metric filter) and,
with a Lambda authorizer, its failures and throttles. An HTTP API has no WAF association and no API
keys: no WAF alarm and no key guard. The dashboard is the REST API's (``dashboard.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from secure_api import defaults
from secure_api.api_target import METRICS_NAMESPACE
from secure_api.monitoring.alarms import Alarms

# The REST metric names the shared builders ask for -> the HTTP API's names for them.
_HTTP_METRIC_NAMES = {"4XXError": "4xx", "5XXError": "5xx"}


@dataclass
class HttpAlarms(Alarms):
    """The alarms of one HTTP API stage (``stage_name``) under ``scope``."""

    stage_name: str = defaults.STAGE_NAME

    def stage_metric(
        self, name: str, statistic: str, label: str, period: Duration | None = None
    ) -> cloudwatch.Metric:
        """An HTTP API metric of this API's stage (REST names translated), over the alarm period unless
        ``period`` is given."""
        return cloudwatch.Metric(
            namespace=METRICS_NAMESPACE,
            metric_name=_HTTP_METRIC_NAMES.get(name, name),
            dimensions_map={"ApiId": self.api_id, "Stage": self.stage_name},
            statistic=statistic,
            period=period or self.period,
            label=label,
        )

    def build(self) -> None:
        """5XX and 4XX rates, p99 latency, 429 responses and the authorizer's alarms."""
        self._error_rate_alarms()
        self._latency_alarms()
        self._throttled_alarm()
        self._authorizer()
        self._waf()
        # The dashboard graphs the 5-minute request count; HTTP APIs get no anomaly alarm.
        self.count_5m = self.stage_metric("Count", "Sum", "Requests", defaults.MONITORING_ANOMALY_PERIOD)
