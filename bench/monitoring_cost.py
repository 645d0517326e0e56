"""Monthly cost of ``Monitoring`` for a stated traffic volume, from public AWS list prices.

Writes ``bench/results/monitoring_cost.json``. Prices are us-east-1 list prices (USD) as known when this
was written (free tiers ignored); check https://aws.amazon.com/cloudwatch/pricing/ and the DynamoDB and
Lambda pricing pages before relying on them. The access logs themselves (ingestion and storage) are
the API's cost, not monitoring's; they are reported beside it for scale.

    .venv/bin/python bench/monitoring_cost.py
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

PRICES = {
    "logs_insights_per_gb_scanned": 0.005,
    "logs_ingestion_per_gb": 0.50,
    "contributor_insights_per_rule_month": 0.50,
    "contributor_insights_per_million_events": 0.02,
    "custom_metric_per_month": 0.30,
    "standard_alarm_per_metric_month": 0.10,
    "anomaly_detection_alarm_per_month": 0.30,  # the metric and the band's two bounds
    "dashboard_per_month": 3.00,  # the first three dashboards of an account are free
    "lambda_arm64_per_gb_second": 0.0000133334,
    "lambda_per_million_requests": 0.20,
    "dynamodb_on_demand_per_million_wru": 0.625,
    "dynamodb_on_demand_per_million_rru": 0.125,
    "dynamodb_storage_per_gb_month": 0.25,
    "dynamodb_pitr_per_gb_month": 0.20,
    "sns_per_million_publishes": 0.50,
}
PRICES_AS_OF = "us-east-1 list prices, 2024-2025 (DynamoDB on-demand after its November 2024 price cut)"

HOURS_PER_MONTH = 730
# What apply_monitoring builds with a bearer authorizer, a WebACL and the key guard on.
ALARM_METRICS = {
    "ServerErrorRateAlarm": 2,  # metric math: 5XXError and Count
    "ClientErrorRateAlarm": 2,  # metric math: 4XXError and Count
    "LatencyP99Alarm": 1,
    "IntegrationLatencyP99Alarm": 1,
    "ThrottledRequestsAlarm": 1,
    "AuthorizerErrorsAlarm": 2,  # two metric filters
    "AuthorizerThrottlesAlarm": 1,
    "WafBlockedRequestsAlarm": 1,
    "KeyGuardErrorsAlarm": 1,
}
ANOMALY_ALARMS = 1  # RequestCountAnomalyAlarm
METRIC_FILTER_METRICS = 3  # ThrottledRequests, AuthorizerFailures, AuthorizerFaults
KEY_GUARD_FINDING_METRICS = 5  # Findings x Reason (a dimension set exists once a reason was reported)
CONTRIBUTOR_INSIGHTS_RULES = 4


@dataclass(frozen=True)
class Traffic:
    """The assumed workload."""

    requests_per_month: float
    active_keys_per_window: int = 1000
    log_line_bytes: int = 1000  # one JSON access-log line with the library's 30 fields
    keyed_share: float = 1.0  # requests that carry an API key
    error_share: float = 0.05  # 4XX + 5XX
    unauthorized_share: float = 0.01  # 401 + 403
    window_minutes: int = 5
    query_slack_minutes: int = 2  # the key guard queries one minute either side of the window
    networks_per_key: int = 3
    key_guard_seconds: float = 20.0  # mostly waiting for Logs Insights
    key_guard_memory_gb: float = 0.5
    baseline_item_kb: float = 2.0
    findings_per_month: int = 200


def monthly_cost(t: Traffic) -> dict[str, object]:
    """Cost lines (USD per month) and the quantities behind them."""
    p = PRICES
    runs = HOURS_PER_MONTH * 60 / t.window_minutes
    log_gb = t.requests_per_month * t.log_line_bytes / 1e9
    # One per-key query and ceil(keys x networks / 8,000) prefix queries (at most 20), each over the
    # window plus its slack.
    prefix_queries = min(20, math.ceil(t.active_keys_per_window * t.networks_per_key / 8000))
    queries_per_run = 1 + prefix_queries
    scanned_gb = log_gb * queries_per_run * (t.window_minutes + t.query_slack_minutes) / t.window_minutes
    matched = t.requests_per_month * (
        t.keyed_share  # top API keys
        + t.keyed_share * t.error_share  # top API keys by 4XX/5XX
        + 1.0  # top client IPs
        + t.unauthorized_share  # top IPs by 401/403
    )
    alarm_metrics = sum(ALARM_METRICS.values())
    item_wru = math.ceil(t.baseline_item_kb)
    item_rru = math.ceil(t.baseline_item_kb / 4) * 0.5  # eventually consistent BatchGetItem
    reads = runs * t.active_keys_per_window * item_rru
    writes = runs * t.active_keys_per_window * item_wru
    table_gb = t.active_keys_per_window * t.baseline_item_kb / 1e6
    lines = {
        "logs_insights_queries": scanned_gb * p["logs_insights_per_gb_scanned"],
        "contributor_insights_rules": CONTRIBUTOR_INSIGHTS_RULES * p["contributor_insights_per_rule_month"]
        + matched / 1e6 * p["contributor_insights_per_million_events"],
        "custom_metrics": (METRIC_FILTER_METRICS + KEY_GUARD_FINDING_METRICS) * p["custom_metric_per_month"],
        "alarms": alarm_metrics * p["standard_alarm_per_metric_month"]
        + ANOMALY_ALARMS * p["anomaly_detection_alarm_per_month"],
        "dashboard": p["dashboard_per_month"],
        "lambda_key_guard": runs
        * t.key_guard_seconds
        * t.key_guard_memory_gb
        * p["lambda_arm64_per_gb_second"]
        + runs / 1e6 * p["lambda_per_million_requests"],
        "dynamodb_baselines": reads / 1e6 * p["dynamodb_on_demand_per_million_rru"]
        + writes / 1e6 * p["dynamodb_on_demand_per_million_wru"]
        + table_gb * (p["dynamodb_storage_per_gb_month"] + p["dynamodb_pitr_per_gb_month"]),
        "sns_findings": t.findings_per_month / 1e6 * p["sns_per_million_publishes"],
    }
    return {
        "traffic": asdict(t),
        "quantities": {
            "key_guard_runs": runs,
            "access_log_gb": round(log_gb, 3),
            "logs_insights_queries_per_run": queries_per_run,
            "logs_insights_gb_scanned": round(scanned_gb, 3),
            "contributor_insights_events_matched_millions": round(matched / 1e6, 3),
            "custom_metrics": METRIC_FILTER_METRICS + KEY_GUARD_FINDING_METRICS,
            "alarm_metrics": alarm_metrics,
            "anomaly_detection_alarms": ANOMALY_ALARMS,
            "dynamodb_read_units_millions": round(reads / 1e6, 3),
            "dynamodb_write_units_millions": round(writes / 1e6, 3),
        },
        "monthly_usd": {k: round(v, 2) for k, v in lines.items()},
        "monitoring_total_usd": round(sum(lines.values()), 2),
        "for_scale_access_log_ingestion_usd": round(log_gb * p["logs_ingestion_per_gb"], 2),
    }


def main() -> None:
    scenarios = {
        "10M requests/month, 100 keys": Traffic(requests_per_month=10e6, active_keys_per_window=100),
        "100M requests/month, 1,000 keys": Traffic(requests_per_month=100e6),
        "1B requests/month, 10,000 keys": Traffic(requests_per_month=1e9, active_keys_per_window=10_000),
    }
    result = {
        "prices_usd": PRICES,
        "prices_as_of": PRICES_AS_OF,
        "scenarios": {name: monthly_cost(t) for name, t in scenarios.items()},
    }
    out = Path(__file__).resolve().parent / "results" / "monitoring_cost.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    for name, data in result["scenarios"].items():
        print(f"{name}: ${data['monitoring_total_usd']}/month  {data['monthly_usd']}")


if __name__ == "__main__":
    main()
