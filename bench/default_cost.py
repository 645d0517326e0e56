"""What the defaults cost: the monthly fixed cost of a default ``SecureRestApi`` and of the example stack,
and the cost per consumer and per million requests, from public AWS list prices.

The fixed cost is computed by counting the resources of the synthesized templates (KMS keys, web ACLs and
their rules, alarms and their metrics, dashboards, Contributor Insights rules, metric filters, scheduled
functions), so it follows the code. Prices: us-east-1 list prices in USD as published in 2024-2025 (see
``PRICES_AS_OF``), free tiers ignored; check the AWS pricing pages before relying on them.
Writes ``bench/results/default_cost.json``.

    .venv/bin/python bench/default_cost.py
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from monitoring_cost import PRICES as MONITORING_PRICES  # noqa: E402  (bench/ is the script's path)
from monitoring_cost import Traffic  # noqa: E402

PRICES: dict[str, float] = {
    **MONITORING_PRICES,
    "kms_key_per_month": 1.00,  # rotation adds $1 at the first and second rotation: $3 from year 3 on
    "kms_key_rotated_year3_per_month": 3.00,
    "waf_web_acl_per_month": 5.00,
    "waf_rule_per_month": 1.00,  # a managed rule group counts as one rule
    "waf_per_million_requests": 0.60,
    "cloudtrail_first_copy_management_events": 0.00,  # the first trail's copy of management events is free
    "composite_alarm_per_month": 0.50,
    "secret_per_month": 0.40,
    "secrets_manager_per_10k_api_calls": 0.05,
    "apigateway_rest_per_million_requests": 3.50,  # the first 333 million a month
    "xray_per_million_traces_recorded": 5.00,
    "vended_logs_per_gb": 0.50,  # WAF logs to CloudWatch Logs
}
PRICES_AS_OF = (
    "us-east-1 list prices in USD, as published 2024-2025 (KMS, AWS WAF, CloudWatch, CloudTrail, "
    "Secrets Manager, API Gateway, Lambda, DynamoDB, X-Ray pricing pages); free tiers ignored"
)
ASSUMPTIONS = {
    "idle_seconds_per_scheduled_run": {"key_guard": 2.0, "other": 0.5},
    "authorizer_billed_ms_per_invocation": 5,
    "authorizer_invocations_per_request": 1.0,  # upper bound: no result-cache hit at all
    "access_log_bytes_per_request": 1000,
    "waf_log_bytes_per_request": 1500,
    "xray_traces_recorded_share": 0.05,  # default sampling: 1 request/s, then 5%
    "contributor_insights_events_per_request": 2.06,  # the four rules' matches (see monitoring_cost)
    "key_guard_gb_scanned_per_gb_of_logs": 2 * 7 / 5,  # two queries, each over the window plus slack
    "consumer_key_active_every_window": True,
}
_RATE = re.compile(r"rate\((\d+) (minute|minutes|hour|hours|day|days)\)")
_RUNS_PER_MONTH = {"minute": 730 * 60, "hour": 730, "day": 730 / 24}


def templates() -> dict[str, dict[str, Any]]:
    """Synthesize the default stack and the example stack (bundling skipped)."""
    import aws_cdk as cdk
    from aws_cdk import aws_lambda as lambda_

    from example.stack import ExampleStack
    from secure_api import BearerAuth, SecureRestApi
    from tests.cdk_context import app_context

    app = cdk.App(context=app_context())
    default = cdk.Stack(app, "Default")
    api = SecureRestApi(
        default, "Api", auth=BearerAuth(issuer="https://login.example.com/", audience=["orders-api"])
    )
    handler = lambda_.Function(
        default,
        "Handler",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return {'statusCode': 200}\n"),
    )
    api.add_route("GET", "/orders", handler)
    example = ExampleStack(app, "SecureApiExample")
    assembly = app.synth()
    return {
        "default": assembly.get_stack_artifact(default.artifact_id).template,
        "example": assembly.get_stack_artifact(example.artifact_id).template,
    }


def _of(template: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [r.get("Properties", {}) for r in template["Resources"].values() if r["Type"] == type_]


def _alarm_metrics(props: dict[str, Any]) -> float:
    """Billed alarm metrics: 1, one per metric of a metric-math alarm, 3 for an anomaly detection alarm."""
    metrics = props.get("Metrics")
    if not metrics:
        return 1
    if any("ANOMALY_DETECTION_BAND" in str(m.get("Expression", "")) for m in metrics):
        return 3
    return sum(1 for m in metrics if "MetricStat" in m)


def _scheduled_runs(template: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per scheduled target function: runs a month and the function's memory."""
    resources = template["Resources"]
    out = []
    for rule in _of(template, "AWS::Events::Rule"):
        match = _RATE.fullmatch(str(rule.get("ScheduleExpression", "")))
        if not match:
            continue
        amount, unit = int(match.group(1)), match.group(2).rstrip("s")
        for target in rule.get("Targets", []):
            arn = target.get("Arn", {})
            logical_id = arn.get("Fn::GetAtt", [None])[0] if isinstance(arn, dict) else None
            fn = resources.get(logical_id or "", {})
            if fn.get("Type") != "AWS::Lambda::Function":
                continue
            name = "key_guard" if "KeyGuard" in logical_id else "other"
            out.append(
                {
                    "function": logical_id,
                    "runs_per_month": _RUNS_PER_MONTH[unit] / amount,
                    "memory_mb": fn["Properties"].get("MemorySize", 128),
                    "seconds_per_run": ASSUMPTIONS["idle_seconds_per_scheduled_run"][name],  # type: ignore[index]
                }
            )
    return out


def fixed_cost(template: dict[str, Any]) -> dict[str, Any]:
    """Counted resources and the monthly cost of a stack with no traffic and no consumers."""
    p = PRICES
    acls = _of(template, "AWS::WAFv2::WebACL")
    counts = {
        "kms_keys": len(_of(template, "AWS::KMS::Key")),
        "waf_web_acls": len(acls),
        "waf_rules": sum(len(a.get("Rules", [])) for a in acls),
        "cloudtrail_trails": len(_of(template, "AWS::CloudTrail::Trail")),
        "alarms": len(_of(template, "AWS::CloudWatch::Alarm")),
        "alarm_metrics": sum(_alarm_metrics(a) for a in _of(template, "AWS::CloudWatch::Alarm")),
        "composite_alarms": len(_of(template, "AWS::CloudWatch::CompositeAlarm")),
        "dashboards": len(_of(template, "AWS::CloudWatch::Dashboard")),
        "contributor_insights_rules": len(_of(template, "AWS::CloudWatch::InsightRule")),
        "metric_filter_metrics": sum(
            len(f.get("MetricTransformations", [])) for f in _of(template, "AWS::Logs::MetricFilter")
        ),
        "dynamodb_tables": len(_of(template, "AWS::DynamoDB::Table")),
        "lambda_functions": len(_of(template, "AWS::Lambda::Function")),
    }
    runs = _scheduled_runs(template)
    lambda_idle = sum(
        r["runs_per_month"] * r["seconds_per_run"] * r["memory_mb"] / 1024 * p["lambda_arm64_per_gb_second"]
        + r["runs_per_month"] / 1e6 * p["lambda_per_million_requests"]
        for r in runs
    )
    lines = {
        "kms_keys": counts["kms_keys"] * p["kms_key_per_month"],
        "waf_web_acl_and_rules": counts["waf_web_acls"] * p["waf_web_acl_per_month"]
        + counts["waf_rules"] * p["waf_rule_per_month"],
        "cloudtrail_trail": counts["cloudtrail_trails"] * p["cloudtrail_first_copy_management_events"],
        "alarms": counts["alarm_metrics"] * p["standard_alarm_per_metric_month"]
        + counts["composite_alarms"] * p["composite_alarm_per_month"],
        "dashboard": counts["dashboards"] * p["dashboard_per_month"],
        "contributor_insights_rules": counts["contributor_insights_rules"]
        * p["contributor_insights_per_rule_month"],
        "custom_metrics_from_metric_filters": counts["metric_filter_metrics"] * p["custom_metric_per_month"],
        "dynamodb_at_idle": 0.0,  # on demand: no requests, a few KB of storage
        "lambda_at_idle": lambda_idle,
    }
    total = sum(lines.values())
    return {
        "counts": counts,
        "scheduled_functions": runs,
        "monthly_usd": {k: round(v, 2) for k, v in lines.items()},
        "fixed_monthly_usd": round(total, 2),
        "fixed_monthly_usd_after_two_key_rotations": round(
            total + counts["kms_keys"] * (p["kms_key_rotated_year3_per_month"] - p["kms_key_per_month"]), 2
        ),
    }


def per_consumer() -> dict[str, float]:
    """Monthly cost of one consumer: its key secret, and its key guard baseline when it is active."""
    p = PRICES
    traffic = Traffic(requests_per_month=0)
    runs = 730 * 60 / traffic.window_minutes
    wru, rru = -(-traffic.baseline_item_kb // 1), 0.5
    lines = {
        "secret": p["secret_per_month"],
        "key_guard_baseline_dynamodb": runs * wru / 1e6 * p["dynamodb_on_demand_per_million_wru"]
        + runs * rru / 1e6 * p["dynamodb_on_demand_per_million_rru"],
    }
    return {k: round(v, 4) for k, v in lines.items()} | {"total": round(sum(lines.values()), 4)}


def per_million_requests(template: dict[str, Any]) -> dict[str, float]:
    """Cost of one million requests through the stack's protections (not the backend's own cost)."""
    p, a = PRICES, ASSUMPTIONS
    authorizers = [
        r["Properties"]
        for logical_id, r in template["Resources"].items()
        if r["Type"] == "AWS::Lambda::Function" and "Authorizer" in logical_id
    ]
    assert authorizers, "the stack has no authorizer function"
    memory_gb = (authorizers[0].get("MemorySize", 128) if authorizers else 128) / 1024
    invocations = 1e6 * float(a["authorizer_invocations_per_request"])  # type: ignore[arg-type]
    log_gb = 1e6 * float(a["access_log_bytes_per_request"]) / 1e9  # type: ignore[arg-type]
    lines = {
        "api_gateway_rest": p["apigateway_rest_per_million_requests"],
        "waf_requests": p["waf_per_million_requests"],
        "authorizer_lambda_upper_bound": invocations / 1e6 * p["lambda_per_million_requests"]
        + invocations
        * float(a["authorizer_billed_ms_per_invocation"])  # type: ignore[arg-type]
        / 1000
        * memory_gb
        * p["lambda_arm64_per_gb_second"],
        "access_logs_ingestion": log_gb * p["logs_ingestion_per_gb"],
        "waf_logs": 1e6 * float(a["waf_log_bytes_per_request"]) / 1e9 * p["vended_logs_per_gb"],  # type: ignore[arg-type]
        "xray_traces": 1e6
        * float(a["xray_traces_recorded_share"])
        / 1e6
        * p["xray_per_million_traces_recorded"],  # type: ignore[arg-type]
        "contributor_insights_events": float(a["contributor_insights_events_per_request"])  # type: ignore[arg-type]
        * p["contributor_insights_per_million_events"],
        "key_guard_logs_insights": log_gb
        * float(a["key_guard_gb_scanned_per_gb_of_logs"])  # type: ignore[arg-type]
        * p["logs_insights_per_gb_scanned"],
    }
    return {k: round(v, 4) for k, v in lines.items()} | {"total": round(sum(lines.values()), 2)}


def main() -> None:
    """Synthesize, count, price, write the JSON and print a summary."""
    stacks = templates()
    consumer = per_consumer()
    result: dict[str, Any] = {
        "prices_usd": PRICES,
        "prices_as_of": PRICES_AS_OF,
        "assumptions": ASSUMPTIONS,
        "stacks": {
            "default": {
                "description": "SecureRestApi(stack, 'Api', auth=BearerAuth(...)) with one route: "
                "every protection at its default, no usage tiers",
                **fixed_cost(stacks["default"]),
            },
            "example": {
                "description": "the example stack (app.py): custom domain, WAF with a per-key rate rule, "
                "audit, two usage tiers, three consumers, monitoring with the key guard",
                **fixed_cost(stacks["example"]),
            },
        },
        "per_consumer_monthly_usd": consumer,
        "consumers_monthly_usd": {str(n): round(n * consumer["total"], 2) for n in (1, 100, 1_000, 10_000)},
        "per_million_requests_usd": per_million_requests(stacks["example"]),
    }
    out = ROOT / "bench" / "results" / "default_cost.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    for name, data in result["stacks"].items():
        print(f"{name}: fixed ${data['fixed_monthly_usd']}/month {data['monthly_usd']}")
    print(f"per consumer: {consumer}; per million requests: {result['per_million_requests_usd']}")


if __name__ == "__main__":
    main()
