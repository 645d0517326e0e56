"""``Monitoring``: alarms, a dashboard, Contributor Insights rules and the per-key key guard.

``apply_monitoring`` receives the pieces of an API it watches (its ``ApiTarget``, access log group, logs
key, authorizer function, WebACL, alarm topic) and builds, under ``scope``:

- alarms (``alarms.py``), each notifying the topic on ALARM and on OK: 5XX rate, 4XX rate (only once a
  period has ``error_4xx_min_requests``), p99 latency and integration latency, 429 responses (an
  access-log metric filter), authorizer failures and throttles, WAF blocked requests, anomalous request
  count, and the key guard's own errors;
- Contributor Insights rules on the JSON access logs (``insights.py``): top API keys, top API keys by
  4XX/5XX, top client IPs, top client IPs by 401/403;
- the dashboard (``dashboard.py``, construct id ``Dashboard``);
- the key guard (``key_guard.py``): a scheduled Lambda (``lambdas/key_guard``) that reads each window of
  access logs with Logs Insights, keeps a per-key baseline in DynamoDB, reports findings and may
  quarantine a key.

``apply_monitoring(target=...)`` takes an ``ApiTarget`` of any kind and builds that kind's metric set
with the same builders: a WebSocket API's (``websocket.py``; ``apply_websocket_monitoring`` is the
older spelling) and an HTTP API's (``http.py``: no WAF alarm, no key guard). The options live in
``options.py``.
"""

from __future__ import annotations

from secure_api.monitoring.apply import apply_monitoring
from secure_api.monitoring.insights import ContributorInsightsWidget, insight_rule_body
from secure_api.monitoring.key_guard import key_guard_statements
from secure_api.monitoring.options import Monitoring
from secure_api.monitoring.websocket import apply_websocket_monitoring

__all__ = [
    "ContributorInsightsWidget",
    "Monitoring",
    "apply_monitoring",
    "apply_websocket_monitoring",
    "insight_rule_body",
    "key_guard_statements",
]
