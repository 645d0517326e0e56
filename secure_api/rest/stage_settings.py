"""Per-route stage method settings, written in API Gateway's ``~1`` path encoding."""

from __future__ import annotations

from aws_cdk import aws_apigateway as apigw

from secure_api.rest.routes import RouteKey
from secure_api.throttling import Throttle


class StageMethodSettings:
    """Appends one ``MethodSettings`` entry per throttled route after the stage's own ``/*/*`` entry.

    Limits of 0 are written as 0 (they block the route), never dropped.
    """

    def __init__(self, stage: apigw.Stage) -> None:
        self._cfn: apigw.CfnStage = stage.node.default_child  # type: ignore[assignment]
        base = self._cfn.method_settings
        self._next = len(base) if isinstance(base, list) else 0
        self._index: dict[RouteKey, int] = {}
        self.entries: dict[str, dict[str, object]] = {}
        """The entries written, by route key (what they add to the template)."""

    def throttle(self, route: RouteKey, throttle: Throttle) -> None:
        """Override the stage throttle for one route."""
        index = self._index.setdefault(route, self._next + len(self._index))
        entry: dict[str, object] = {
            "HttpMethod": route.method if route.method != "ANY" else "*",
            "ResourcePath": route.stage_method_setting_path,
            "ThrottlingRateLimit": throttle.rate_limit,
            "ThrottlingBurstLimit": throttle.burst_limit,
            "LoggingLevel": "ERROR",
            "DataTraceEnabled": False,
            "MetricsEnabled": True,
        }
        self.entries[route.key] = entry
        self._cfn.add_property_override(f"MethodSettings.{index}", entry)
