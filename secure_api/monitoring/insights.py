"""Contributor Insights on the JSON access logs: top API keys, top API keys by 4XX/5XX, top client IPs,
top client IPs by 401/403; and the dashboard widget that graphs a rule."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import jsii
from aws_cdk import Names, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

from secure_api import defaults


def contributor_insights(
    scope: Construct, log_group_name: str, *, api_keys: bool = True
) -> dict[str, cloudwatch.CfnInsightRule]:
    """The four rules under ``scope``, by construct id, over the access log group ``log_group_name``;
    without ``api_keys`` (an API that has none) only the two rules on client IPs."""
    stack = Stack.of(scope)
    rules: dict[str, cloudwatch.CfnInsightRule] = {}
    key_present = {"Match": "$.apiKeyId", "NotIn": ["-", ""]}
    specs: dict[str, tuple[str, str, list[dict[str, Any]]]] = {
        "TopApiKeysRule": ("top-api-keys", "$.apiKeyId", [key_present]),
        "TopApiKeyErrorsRule": (
            "top-api-key-errors",
            "$.apiKeyId",
            [key_present, {"Match": "$.status", "StartsWith": ["4", "5"]}],
        ),
        "TopClientIpsRule": ("top-client-ips", "$.ip", []),
        "TopUnauthorizedIpsRule": (
            "top-unauthorized-ips",
            "$.ip",
            [{"Match": "$.status", "In": ["401", "403"]}],
        ),
    }
    if not api_keys:
        specs = {id_: spec for id_, spec in specs.items() if spec[1] != "$.apiKeyId"}
    prefix = Names.unique_resource_name(scope, max_length=80, separator="-")
    for id_, (suffix, key, filters) in specs.items():
        rules[id_] = cloudwatch.CfnInsightRule(
            scope,
            id_,
            rule_name=f"{prefix}-{suffix}",
            rule_state="ENABLED",
            rule_body=stack.to_json_string(insight_rule_body(log_group_name, key, filters)),
        )

    return rules


def insight_rule_body(log_group_name: str, key: str, filters: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A Contributor Insights rule (schema CloudWatchLogRule v1) counting JSON log events per ``key``."""
    return {
        "Schema": {"Name": "CloudWatchLogRule", "Version": 1},
        "LogGroupNames": [log_group_name],
        "LogFormat": "JSON",
        "Contribution": {"Keys": [key], "Filters": [dict(f) for f in filters]},
        "AggregateOn": "Count",
    }


@jsii.implements(cloudwatch.IWidget)
class ContributorInsightsWidget:
    """A dashboard graph of a Contributor Insights rule's top contributors (no L2 widget exists for it)."""

    def __init__(
        self,
        *,
        title: str,
        rule_name: str,
        region: str,
        top: int = defaults.MONITORING_TOP_CONTRIBUTORS,
        width: int = 6,
        height: int = 6,
    ) -> None:
        self._title = title
        self._rule_name = rule_name
        self._region = region
        self._top = top
        self._width = width
        self._height = height
        self._x: int | None = None
        self._y: int | None = None

    @property
    def width(self) -> int:
        """Width in dashboard grid columns."""
        return self._width

    @property
    def height(self) -> int:
        """Height in dashboard grid rows."""
        return self._height

    @property
    def warnings(self) -> list[str] | None:
        """No warnings."""
        return None

    @property
    def warnings_v2(self) -> Mapping[str, str] | None:
        """No warnings."""
        return None

    def position(self, x: jsii.Number, y: jsii.Number) -> None:
        """Place the widget (called by the dashboard's layout)."""
        self._x = int(x)
        self._y = int(y)

    def to_json(self) -> list[Any]:
        """The widget in dashboard-body JSON."""
        return [
            {
                "type": "metric",
                "width": self._width,
                "height": self._height,
                "x": self._x,
                "y": self._y,
                "properties": {
                    "title": self._title,
                    "region": self._region,
                    "view": "timeSeries",
                    "stacked": False,
                    "legend": {"position": "bottom"},
                    "insightRule": {
                        "maxContributorCount": self._top,
                        "orderBy": "Sum",
                        "ruleName": self._rule_name,
                    },
                },
            }
        ]
