"""The API's dashboard (construct id ``Dashboard``): requests and the anomaly band, errors, latency,
throttles, WAF, authorizer, key guard findings, the Contributor Insights rules and every alarm."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch

from secure_api import defaults
from secure_api.monitoring.alarms import Alarms
from secure_api.monitoring.insights import ContributorInsightsWidget
from secure_api.monitoring.options import num

INSIGHT_RULE_TITLES = {
    "TopApiKeysRule": "Top API keys (requests)",
    "TopApiKeyErrorsRule": "Top API keys (4XX/5XX)",
    "TopClientIpsRule": "Top client IPs (requests)",
    "TopUnauthorizedIpsRule": "Top client IPs (401/403)",
}
"""The dashboard title of each Contributor Insights rule, by construct id."""


def dashboard(
    alarms: Alarms, rules: Mapping[str, cloudwatch.CfnInsightRule], *, key_guard: bool
) -> cloudwatch.Dashboard:
    """The dashboard beside ``alarms`` (built), graphing ``rules``, with key guard findings if ``key_guard``."""
    m = alarms.m
    e4, e5 = alarms.e4, alarms.e5
    band = cloudwatch.MathExpression(
        expression=f"ANOMALY_DETECTION_BAND(requests, {num(m.anomaly_band_width)})",
        using_metrics={"requests": alarms.count_5m},
        label="Expected range",
    )
    rows: list[list[cloudwatch.IWidget]] = [
        [
            cloudwatch.TextWidget(
                markdown=f"# {alarms.path}\nRequests, errors and latency of stage "
                f"`{alarms.stage.stage_name}`; alarms notify the alarm topic.",
                width=24,
                height=2,
            )
        ],
        [
            _graph("Requests (5 min) and anomaly band", [alarms.count_5m, band]),
            _graph("4XX / 5XX", [e4, e5], right=[alarms.rate_4xx, alarms.rate_5xx]),
            _graph(
                "Latency",
                [
                    alarms.stage_metric("Latency", "p50", "Latency p50"),
                    alarms.stage_metric("Latency", "p90", "Latency p90"),
                    alarms.latency,
                    alarms.integration_latency,
                ],
                lines=[(m.p99_latency.to_milliseconds(), "p99 latency alarm")],
            ),
        ],
    ]
    second: list[cloudwatch.IWidget] = [
        _graph("Throttled (429)", [alarms.throttled], lines=[(m.throttled_requests, "alarm")], width=6)
    ]
    if alarms.waf_metrics:
        second.append(_graph("WAF allowed / blocked", alarms.waf_metrics, width=6))
    if alarms.authorizer_metrics:
        second.append(
            _graph("Authorizer", alarms.authorizer_metrics[:2], right=alarms.authorizer_metrics[2:], width=6)
        )
    if key_guard:
        findings = [
            cloudwatch.Metric(
                namespace=defaults.KEY_GUARD_METRIC_NAMESPACE,
                metric_name="Findings",
                dimensions_map={"ApiId": alarms.api_id, "Reason": kind},
                statistic="Sum",
                period=m.key_guard_schedule,
                label=kind,
            )
            for kind in defaults.KEY_GUARD_FINDING_KINDS
        ]
        second.append(_graph("Key guard findings", findings, width=6))
    rows.append(second)
    rows.append(
        [
            ContributorInsightsWidget(
                title=INSIGHT_RULE_TITLES[id_], rule_name=rule.rule_name, region=alarms.stack.region
            )
            for id_, rule in rules.items()
        ]
    )
    rows.append(
        [cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(alarms.alarms), width=24, height=4)]
    )
    return cloudwatch.Dashboard(
        alarms.scope,
        "Dashboard",
        default_interval=Duration.hours(3),
        widgets=rows,
    )


def _graph(
    title: str,
    left: Sequence[cloudwatch.IMetric],
    *,
    right: Sequence[cloudwatch.IMetric] = (),
    lines: Sequence[tuple[float, str]] = (),
    width: int = 8,
) -> cloudwatch.GraphWidget:
    return cloudwatch.GraphWidget(
        title=title,
        left=list(left),
        right=list(right),
        left_annotations=[cloudwatch.HorizontalAnnotation(value=v, label=label) for v, label in lines],
        width=width,
        height=6,
    )
