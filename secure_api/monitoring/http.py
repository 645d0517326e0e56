"""The alarms of an HTTP API's stage: the REST API's builders fed with HTTP API metrics.

HTTP APIs publish ``Count``, ``4xx``, ``5xx``, ``Latency`` and ``IntegrationLatency`` in
``AWS/ApiGateway`` with the dimensions ``ApiId`` and ``Stage``. The alarms: 5XX rate, 4XX rate (once a
period has ``error_4xx_min_requests``), p99 latency and integration latency, 429 responses (an access-log metric filter) and,
with a Lambda authorizer, its failures and throttles. An HTTP API has no WAF association and no API
keys: no WAF alarm and no key guard. The dashboard is the REST API's (``dashboard.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from secure_api import defaults
from secure_api.monitoring.alarms import V2Alarms


@dataclass
class HttpAlarms(V2Alarms):
    """The alarms of one HTTP API stage under ``scope``."""

    metric_names: ClassVar[Mapping[str, str]] = {"4XXError": "4xx", "5XXError": "5xx"}

    def _anomaly_alarm(self) -> None:
        """The 5-minute request count the dashboard graphs (``count_5m``); HTTP APIs get no anomaly alarm."""
        self.count_5m = self.stage_metric("Count", "Sum", "Requests", defaults.MONITORING_ANOMALY_PERIOD)
