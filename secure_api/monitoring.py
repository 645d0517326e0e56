"""``Monitoring``: alarms, a dashboard, Contributor Insights rules and the per-key key guard.

``apply_monitoring`` reads the escape hatches of a ``SecureRestApi`` and builds, under ``scope``:

- alarms, each notifying the topic on ALARM and on OK: 5XX rate, 4XX rate (only once a period has
  ``error_4xx_min_requests``), p99 latency and integration latency, 429 responses (an access-log metric
  filter), authorizer failures and throttles, WAF blocked requests, anomalous request count, and the key
  guard's own errors;
- Contributor Insights rules on the JSON access logs: top API keys, top API keys by 4XX/5XX, top client
  IPs, top client IPs by 401/403;
- the dashboard (construct id ``Dashboard``);
- the key guard: a scheduled Lambda (``lambdas/key_guard``) that reads each window of access logs with
  Logs Insights, keeps a per-key baseline in DynamoDB, reports findings and may quarantine a key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import jsii
from aws_cdk import Duration, Fn, Names, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from secure_api import compliance, defaults, grammar
from secure_api.errors import SecureApiConfigError, is_token, require_int, require_number
from secure_api.lambda_function import SecureFunction

if TYPE_CHECKING:
    from secure_api.api import SecureRestApi

_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
_CONSUMER = re.compile(r"^[^,\s]+$")
# Tags the quarantine may set (secure_api/keys/quarantine.py) and the tags that scope it.
_QUARANTINE_TAGS = ("secure-api:quarantined", "secure-api:quarantined-at")
_API_TAG = "secure-api:api"
# What the construct adds to the key guard's environment: the API id, log group, table and topic
# names/ARNs (up to 512 + 255 + 256 characters) and the query timeout.
_KEY_GUARD_CONSTRUCT_ENV_BYTES = 1200
_CONSUMER_TAG = "secure-api:consumer"


@dataclass(frozen=True, kw_only=True)
class Monitoring:
    """Alarms, a dashboard, Contributor Insights rules and per-key anomaly detection for the API.

    Notifications: ``alarm_topic`` (your SNS topic) or a new KMS-encrypted, TLS-only topic, with an
    optional ``alarm_email`` subscription (not both). Every alarm notifies the topic on ALARM and OK.

    Alarms (each over ``alarm_period``, default 1 minute, firing when ``datapoints_to_alarm`` (3) of
    ``evaluation_periods`` (5) periods breach; missing data is not breaching):

    - ``error_5xx_rate`` (default 1): percent of requests answered 5XX;
    - ``error_4xx_rate`` (default 10): percent of requests answered 4XX, evaluated only in periods with
      at least ``error_4xx_min_requests`` (default 50) requests, so a quiet API does not page;
    - ``p99_latency`` (default 2 s) and ``p99_integration_latency`` (default 1.5 s);
    - ``throttled_requests`` (default 100): 429 responses per period, from the access logs;
    - ``authorizer_errors`` (default 1): requests API Gateway failed because the authorizer failed
      (``AUTHORIZER_FAILURE``/``AUTHORIZER_CONFIGURATION_ERROR``) plus authorizer faults it logged
      (internal error, bad configuration, JWKS unreachable); rejected tokens are not errors;
    - ``authorizer_throttles`` (default 1): throttled authorizer invocations;
    - ``waf_blocked_requests`` (default 100): requests the WebACL blocked per period;
    - request count outside an anomaly band ``anomaly_band_width`` (default 3) standard deviations
      wide, upper side, three 5-minute periods in a row.

    Key guard (``key_guard``, default on): every ``key_guard_schedule`` (default 5 minutes, a divisor
    of 60 minutes) it evaluates the last window of access logs per API key and reports a ``spike``
    (``spike_multiplier`` x and ``spike_min_z`` sigma above the key's usual rate for the hour, at least
    ``spike_min_requests``), an ``error_burst`` (``key_error_ratio`` of at least
    ``key_error_min_requests``), an ``unusual_time`` (hours never seen after ``learning_windows``, or
    outside ``active_hours`` ``{"consumer": (startHour, endHour)}`` UTC), an ``unusual_place``
    (``new_prefix_threshold`` never-seen networks) or an ``unknown_key``. With ``auto_quarantine`` a
    finding of a kind in ``quarantine_on`` (default spike, unusual_place) disables the key at once,
    except for consumers in ``quarantine_exempt``; ``secure-api keys reinstate`` undoes it.
    """

    alarm_email: str | None = None
    alarm_topic: sns.ITopic | None = field(default=None, hash=False)
    alarm_period: Duration = field(default=defaults.MONITORING_ALARM_PERIOD, hash=False)
    evaluation_periods: int = defaults.MONITORING_EVALUATION_PERIODS
    datapoints_to_alarm: int = defaults.MONITORING_DATAPOINTS_TO_ALARM
    error_5xx_rate: float = defaults.MONITORING_ERROR_5XX_RATE
    error_4xx_rate: float = defaults.MONITORING_ERROR_4XX_RATE
    error_4xx_min_requests: int = defaults.MONITORING_ERROR_4XX_MIN_REQUESTS
    p99_latency: Duration = field(default=defaults.MONITORING_P99_LATENCY, hash=False)
    p99_integration_latency: Duration = field(default=defaults.MONITORING_P99_INTEGRATION_LATENCY, hash=False)
    throttled_requests: int = defaults.MONITORING_THROTTLED_REQUESTS
    authorizer_errors: int = defaults.MONITORING_AUTHORIZER_ERRORS
    authorizer_throttles: int = defaults.MONITORING_AUTHORIZER_THROTTLES
    waf_blocked_requests: int = defaults.MONITORING_WAF_BLOCKED_REQUESTS
    anomaly_band_width: float = defaults.MONITORING_ANOMALY_BAND_WIDTH
    key_guard: bool = True
    key_guard_schedule: Duration = field(default=defaults.KEY_GUARD_SCHEDULE, hash=False)
    auto_quarantine: bool = False
    quarantine_exempt: Sequence[str] = ()
    quarantine_on: Sequence[str] = defaults.KEY_GUARD_QUARANTINE_ON
    spike_multiplier: float = defaults.KEY_GUARD_SPIKE_MULTIPLIER
    spike_min_z: float = defaults.KEY_GUARD_SPIKE_MIN_Z
    spike_min_requests: int = defaults.KEY_GUARD_SPIKE_MIN_REQUESTS
    key_error_ratio: float = defaults.KEY_GUARD_ERROR_RATIO
    key_error_min_requests: int = defaults.KEY_GUARD_ERROR_MIN_REQUESTS
    learning_windows: int = defaults.KEY_GUARD_LEARNING_WINDOWS
    new_prefix_threshold: int = defaults.KEY_GUARD_NEW_PREFIX_THRESHOLD
    active_hours: Mapping[str, tuple[int, int]] | None = field(default=None, hash=False)

    def __post_init__(self) -> None:
        self._check_notifications()
        self._check_alarms()
        self._check_key_guard()

    def _check_notifications(self) -> None:
        email = self.alarm_email
        if (
            email is not None
            and not is_token(email)
            and (not isinstance(email, str) or not _EMAIL.match(email))
        ):
            raise SecureApiConfigError("Monitoring.alarm_email", self.alarm_email, "an e-mail address")
        if self.alarm_topic is not None:
            if not hasattr(self.alarm_topic, "topic_arn"):
                raise SecureApiConfigError("Monitoring.alarm_topic", self.alarm_topic, "an aws_sns.ITopic")
            if self.alarm_email is not None:
                raise SecureApiConfigError(
                    "Monitoring.alarm_email",
                    self.alarm_email,
                    "None when alarm_topic is given (subscribe the address to your own topic)",
                )

    def _check_alarms(self) -> None:
        period = _seconds("Monitoring.alarm_period", self.alarm_period)
        if period % 60 or not 60 <= period <= 86_400:
            raise SecureApiConfigError(
                "Monitoring.alarm_period", self.alarm_period, "whole minutes between 1 minute and 1 day"
            )
        require_int("Monitoring.evaluation_periods", self.evaluation_periods, minimum=1, maximum=1440)
        if period * self.evaluation_periods > 86_400:
            raise SecureApiConfigError(
                "Monitoring.evaluation_periods",
                self.evaluation_periods,
                "alarm_period x evaluation_periods of at most 1 day",
            )
        require_int(
            "Monitoring.datapoints_to_alarm",
            self.datapoints_to_alarm,
            minimum=1,
            maximum=self.evaluation_periods,
        )
        require_number("Monitoring.error_5xx_rate", self.error_5xx_rate, maximum=100)
        require_number("Monitoring.error_4xx_rate", self.error_4xx_rate, maximum=100)
        require_int("Monitoring.error_4xx_min_requests", self.error_4xx_min_requests, minimum=1)
        for name in ("p99_latency", "p99_integration_latency"):
            value = getattr(self, name)
            if not 0 < _seconds(f"Monitoring.{name}", value) <= 29:
                raise SecureApiConfigError(
                    f"Monitoring.{name}", value, "a Duration above 0 and at most 29 s (API Gateway's timeout)"
                )
        for name in (
            "throttled_requests",
            "authorizer_errors",
            "authorizer_throttles",
            "waf_blocked_requests",
        ):
            require_int(f"Monitoring.{name}", getattr(self, name), minimum=1)
        require_number("Monitoring.anomaly_band_width", self.anomaly_band_width, minimum=0.1, maximum=100)

    def _check_key_guard(self) -> None:
        for name in ("key_guard", "auto_quarantine"):
            if not isinstance(getattr(self, name), bool):
                raise SecureApiConfigError(f"Monitoring.{name}", getattr(self, name), "True or False")
        schedule = _seconds("Monitoring.key_guard_schedule", self.key_guard_schedule)
        if schedule % 60 or schedule == 0 or 3600 % schedule:
            raise SecureApiConfigError(
                "Monitoring.key_guard_schedule",
                self.key_guard_schedule,
                "whole minutes that divide an hour (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30 or 60)",
            )
        if self.auto_quarantine and not self.key_guard:
            raise SecureApiConfigError("Monitoring.auto_quarantine", True, "False when key_guard is False")
        object.__setattr__(
            self,
            "quarantine_exempt",
            _names("Monitoring.quarantine_exempt", self.quarantine_exempt, _CONSUMER),
        )
        quarantine_on = _names("Monitoring.quarantine_on", self.quarantine_on, None)
        for i, kind in enumerate(quarantine_on):
            if kind not in defaults.KEY_GUARD_FINDING_KINDS:
                raise SecureApiConfigError(
                    f"Monitoring.quarantine_on[{i}]",
                    kind,
                    f"one of {', '.join(defaults.KEY_GUARD_FINDING_KINDS)}",
                )
        if self.auto_quarantine and not quarantine_on:
            raise SecureApiConfigError(
                "Monitoring.quarantine_on", [], "at least one finding kind with auto_quarantine"
            )
        object.__setattr__(self, "quarantine_on", quarantine_on)
        require_number("Monitoring.spike_multiplier", self.spike_multiplier, minimum=1)
        require_number("Monitoring.spike_min_z", self.spike_min_z)
        require_int("Monitoring.spike_min_requests", self.spike_min_requests, minimum=1)
        require_number("Monitoring.key_error_ratio", self.key_error_ratio, maximum=1)
        require_int("Monitoring.key_error_min_requests", self.key_error_min_requests, minimum=1)
        require_int("Monitoring.learning_windows", self.learning_windows)
        require_int("Monitoring.new_prefix_threshold", self.new_prefix_threshold, minimum=1)
        if self.active_hours is not None:
            object.__setattr__(self, "active_hours", _active_hours(self.active_hours))
        self._check_key_guard_environment_size()

    def _check_key_guard_environment_size(self) -> None:
        """The key guard's environment must fit Lambda's 4 KB, with room for the names the construct adds."""
        if not self.key_guard:
            return
        size = grammar.environment_size(self.key_guard_environment(window_minutes=60))
        if size + _KEY_GUARD_CONSTRUCT_ENV_BYTES > grammar.LAMBDA_ENVIRONMENT_MAX_BYTES:
            exempt = len(",".join(self.quarantine_exempt))
            hours = len(json.dumps(self.active_hours or {}))
            name, value = (
                ("quarantine_exempt", f"{len(self.quarantine_exempt)} names")
                if exempt >= hours
                else ("active_hours", f"{len(self.active_hours or {})} consumers")
            )
            raise SecureApiConfigError(
                f"Monitoring.{name}",
                value,
                f"fewer entries: the key guard's environment would exceed Lambda's "
                f"{grammar.LAMBDA_ENVIRONMENT_MAX_BYTES} bytes",
            )

    def key_guard_environment(self, *, window_minutes: int) -> dict[str, str]:
        """The key guard's thresholds as its environment variables (``lambdas/key_guard/key_guard_config.py``)."""
        env = {
            "WINDOW_MINUTES": str(window_minutes),
            "AUTO_QUARANTINE": "true" if self.auto_quarantine else "false",
            "QUARANTINE_EXEMPT": ",".join(self.quarantine_exempt),
            "QUARANTINE_ON": ",".join(self.quarantine_on),
            "SPIKE_MULTIPLIER": _num(self.spike_multiplier),
            "SPIKE_MIN_Z": _num(self.spike_min_z),
            "SPIKE_MIN_REQUESTS": str(self.spike_min_requests),
            "ERROR_RATIO": _num(self.key_error_ratio),
            "ERROR_MIN_REQUESTS": str(self.key_error_min_requests),
            "LEARNING_WINDOWS": str(self.learning_windows),
            "NEW_PREFIX_THRESHOLD": str(self.new_prefix_threshold),
        }
        if self.active_hours:
            env["ACTIVE_HOURS"] = json.dumps(
                {k: list(v) for k, v in sorted(self.active_hours.items())}, separators=(",", ":")
            )
        return env


def _seconds(field_: str, value: Any) -> float:
    if not isinstance(value, Duration):
        raise SecureApiConfigError(field_, value, "an aws_cdk.Duration")
    if is_token(value.to_string()):
        raise SecureApiConfigError(field_, value.to_string(), "a Duration that is not a token")
    return float(value.to_milliseconds()) / 1000


def _names(field_: str, values: Any, pattern: re.Pattern[str] | None) -> tuple[str, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | set | frozenset):
        raise SecureApiConfigError(field_, values, "a list of strings")
    out: list[str] = []
    for i, v in enumerate(values):
        if not isinstance(v, str) or not v or (pattern is not None and not pattern.match(v)):
            raise SecureApiConfigError(f"{field_}[{i}]", v, "a non-empty name without ',' or spaces")
        if v in out:
            raise SecureApiConfigError(field_, list(values), f"distinct values ({v!r} appears twice)")
        out.append(v)
    return tuple(out)


def _active_hours(value: Any) -> dict[str, tuple[int, int]]:
    field_ = "Monitoring.active_hours"
    if not isinstance(value, Mapping):
        raise SecureApiConfigError(field_, value, "a mapping of consumer name to (startHour, endHour)")
    out: dict[str, tuple[int, int]] = {}
    for consumer, hours in value.items():
        ok = (
            isinstance(consumer, str)
            and _CONSUMER.match(consumer)
            and isinstance(hours, Sequence)
            and len(hours) == 2
            and all(isinstance(h, int) and not isinstance(h, bool) and 0 <= h <= 24 for h in hours)
            and hours[0] % 24 != hours[1] % 24
        )
        if not ok:
            raise SecureApiConfigError(
                f"{field_}[{consumer!r}]",
                hours,
                "(startHour, endHour), hours 0-24 UTC, end exclusive, not equal",
            )
        out[consumer] = (int(hours[0]), int(hours[1]))
    return out


def _num(value: float) -> str:
    return f"{value:g}"


def apply_monitoring(
    scope: Construct,
    monitoring: Monitoring,
    *,
    api: SecureRestApi,
    topic: sns.ITopic,
    retention: logs.RetentionDays = defaults.LOG_RETENTION,
) -> cloudwatch.Dashboard:
    """Build the alarms, Contributor Insights rules, key guard and dashboard of ``api`` under ``scope``.

    Every alarm notifies ``topic`` on ALARM and OK. ``retention`` is the key guard's log retention.
    Returns the dashboard.
    """
    return _Builder(scope, monitoring, api=api, topic=topic, retention=retention).build()


class _Builder:
    """One ``apply_monitoring`` call: the metrics it shares between alarms and dashboard."""

    def __init__(
        self,
        scope: Construct,
        monitoring: Monitoring,
        *,
        api: SecureRestApi,
        topic: sns.ITopic,
        retention: logs.RetentionDays,
    ) -> None:
        self.scope = scope
        self.m = monitoring
        self.api = api
        self.topic = topic
        self.retention = retention
        self.stack = Stack.of(scope)
        self.period = monitoring.alarm_period
        self.api_id = api.rest_api.rest_api_id
        self.alarms: list[cloudwatch.Alarm] = []
        self.rules: dict[str, cloudwatch.CfnInsightRule] = {}
        self.key_guard: SecureFunction | None = None

    # -- metrics ---------------------------------------------------------------------------------
    def _stage_metric(
        self, name: str, statistic: str, label: str, period: Duration | None = None
    ) -> cloudwatch.Metric:
        return self.api.stage.metric(name, statistic=statistic, period=period or self.period, label=label)

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
            alarm_description=f"secure_api {self.api.node.path}: {description}",
        )
        return self._notify(alarm)

    def _notify(self, alarm: cloudwatch.Alarm) -> cloudwatch.Alarm:
        action = cw_actions.SnsAction(self.topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        self.alarms.append(alarm)
        return alarm

    def build(self) -> cloudwatch.Dashboard:
        m = self.m
        count = self._stage_metric("Count", "Sum", "Requests")
        e4 = self._stage_metric("4XXError", "Sum", "4XX")
        e5 = self._stage_metric("5XXError", "Sum", "5XX")
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
            f"5XX responses above {_num(m.error_5xx_rate)}% of requests",
        )
        self._alarm(
            "ClientErrorRateAlarm",
            self.rate_4xx,
            m.error_4xx_rate,
            f"4XX responses above {_num(m.error_4xx_rate)}% of requests (periods with >= {m.error_4xx_min_requests} requests)",
        )
        self.latency = self._stage_metric("Latency", "p99", "Latency p99")
        self.integration_latency = self._stage_metric("IntegrationLatency", "p99", "Integration latency p99")
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

        access_logs = self.api.access_log_group
        self.throttled = self._filter_metric(
            "ThrottledRequestsFilter",
            access_logs,
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
        self._authorizer()
        self._waf()
        self.count_5m = self._stage_metric("Count", "Sum", "Requests", defaults.MONITORING_ANOMALY_PERIOD)
        self._notify(
            cloudwatch.AnomalyDetectionAlarm(
                self.scope,
                "RequestCountAnomalyAlarm",
                metric=self.count_5m,
                std_devs=m.anomaly_band_width,
                evaluation_periods=defaults.MONITORING_ANOMALY_EVALUATION_PERIODS,
                datapoints_to_alarm=defaults.MONITORING_ANOMALY_EVALUATION_PERIODS,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_UPPER_THRESHOLD,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=f"secure_api {self.api.node.path}: request count above its "
                f"{_num(m.anomaly_band_width)}-sigma anomaly band",
            )
        )
        self._contributor_insights()
        if m.key_guard:
            self._key_guard()
        return self._dashboard(count, e4, e5)

    def _authorizer(self) -> None:
        fn = self.api.authorizer_function
        self.authorizer_metrics: list[cloudwatch.IMetric] = []
        if fn is None:
            return
        failures = self._filter_metric(
            "AuthorizerFailuresFilter",
            self.api.access_log_group,
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
        acl = self.api.web_acl
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
        if self.api.web_acl is None:
            return
        blocked = self._waf_metric("BlockedRequests", "Blocked")
        self._alarm(
            "WafBlockedRequestsAlarm",
            blocked,
            self.m.waf_blocked_requests,
            f"WAF blocked more than {self.m.waf_blocked_requests} requests per {self.period.to_human_string()}",
        )
        self.waf_metrics = [self._waf_metric("AllowedRequests", "Allowed"), blocked]

    # -- Contributor Insights ---------------------------------------------------------------------
    def _contributor_insights(self) -> None:
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
        prefix = Names.unique_resource_name(self.scope, max_length=80, separator="-")
        for id_, (suffix, key, filters) in specs.items():
            self.rules[id_] = cloudwatch.CfnInsightRule(
                self.scope,
                id_,
                rule_name=f"{prefix}-{suffix}",
                rule_state="ENABLED",
                rule_body=self.stack.to_json_string(
                    insight_rule_body(self.api.access_log_group.log_group_name, key, filters)
                ),
            )

    # -- key guard -------------------------------------------------------------------------------
    def _key_guard(self) -> None:
        m = self.m
        key = self.api.logs_key
        table = dynamodb.Table(
            self.scope,
            "KeyGuardTable",
            partition_key=dynamodb.Attribute(name="apiKeyId", type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=defaults.KEY_GUARD_TTL_ATTRIBUTE,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        schedule_s = int(m.key_guard_schedule.to_seconds())
        timeout_s = min(int(defaults.KEY_GUARD_TIMEOUT.to_seconds()), schedule_s)
        query_timeout_s = min(int(defaults.KEY_GUARD_QUERY_TIMEOUT.to_seconds()), timeout_s // 2)
        guard = SecureFunction(
            self.scope,
            "KeyGuard",
            code_name="key_guard",
            with_keys=True,
            description="secure_api: per-key anomaly detection and quarantine (key guard)",
            environment={
                "REST_API_ID": self.api_id,
                "LOG_GROUP_NAME": self.api.access_log_group.log_group_name,
                "TABLE_NAME": table.table_name,
                "TOPIC_ARN": self.topic.topic_arn,
                "QUERY_TIMEOUT_SECONDS": str(query_timeout_s),
                **m.key_guard_environment(window_minutes=schedule_s // 60),
            },
            key=key,
            retention=self.retention,
            timeout=Duration.seconds(timeout_s),
            memory_size=defaults.KEY_GUARD_MEMORY_MB,
        )
        # A run that still fails after Lambda's retries lands on the alarm topic (the dead-letter target).
        cfn_function = guard.function.node.default_child
        assert isinstance(cfn_function, lambda_.CfnFunction)
        cfn_function.dead_letter_config = lambda_.CfnFunction.DeadLetterConfigProperty(
            target_arn=self.topic.topic_arn
        )
        for statement in key_guard_statements(
            stack=self.stack,
            access_log_group=self.api.access_log_group,
            table=table,
            table_key=key,
            topic=self.topic,
            rest_api_id=self.api_id,
            monitoring=m,
        ):
            guard.add_to_policy(statement)
        compliance.acknowledge(guard.policy, "key-guard-logs-query-results", "key-guard-api-key-ids")
        compliance.acknowledge(table, "key-guard-table-no-backup-plan")
        schedule = events.Rule(
            self.scope,
            "KeyGuardSchedule",
            description=f"secure_api {self.api.node.path}: runs the key guard every {m.key_guard_schedule.to_human_string()}",
            schedule=events.Schedule.rate(m.key_guard_schedule),
            targets=[
                targets.LambdaFunction(guard.function, retry_attempts=2, max_event_age=m.key_guard_schedule)
            ],
        )
        compliance.acknowledge(schedule, "key-guard-schedule-no-dlq")
        self._notify(
            cloudwatch.Alarm(
                self.scope,
                "KeyGuardErrorsAlarm",
                metric=guard.function.metric_errors(statistic="Sum", period=m.key_guard_schedule),
                threshold=0,
                comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=2,
                datapoints_to_alarm=2,
                treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
                alarm_description=f"secure_api {self.api.node.path}: the key guard failed two runs in a row",
            )
        )
        self.table = table
        self.key_guard = guard

    # -- dashboard -------------------------------------------------------------------------------
    def _dashboard(
        self, count: cloudwatch.Metric, e4: cloudwatch.Metric, e5: cloudwatch.Metric
    ) -> cloudwatch.Dashboard:
        m = self.m
        band = cloudwatch.MathExpression(
            expression=f"ANOMALY_DETECTION_BAND(requests, {_num(m.anomaly_band_width)})",
            using_metrics={"requests": self.count_5m},
            label="Expected range",
        )
        rows: list[list[cloudwatch.IWidget]] = [
            [
                cloudwatch.TextWidget(
                    markdown=f"# {self.api.node.path}\nRequests, errors and latency of stage "
                    f"`{self.api.stage.stage_name}`; alarms notify the alarm topic.",
                    width=24,
                    height=2,
                )
            ],
            [
                _graph("Requests (5 min) and anomaly band", [self.count_5m, band]),
                _graph("4XX / 5XX", [e4, e5], right=[self.rate_4xx, self.rate_5xx]),
                _graph(
                    "Latency",
                    [
                        self._stage_metric("Latency", "p50", "Latency p50"),
                        self._stage_metric("Latency", "p90", "Latency p90"),
                        self.latency,
                        self.integration_latency,
                    ],
                    lines=[(m.p99_latency.to_milliseconds(), "p99 latency alarm")],
                ),
            ],
        ]
        second: list[cloudwatch.IWidget] = [
            _graph("Throttled (429)", [self.throttled], lines=[(m.throttled_requests, "alarm")], width=6)
        ]
        if self.waf_metrics:
            second.append(_graph("WAF allowed / blocked", self.waf_metrics, width=6))
        if self.authorizer_metrics:
            second.append(
                _graph("Authorizer", self.authorizer_metrics[:2], right=self.authorizer_metrics[2:], width=6)
            )
        if self.key_guard is not None:
            findings = [
                cloudwatch.Metric(
                    namespace=defaults.KEY_GUARD_METRIC_NAMESPACE,
                    metric_name="Findings",
                    dimensions_map={"ApiId": self.api_id, "Reason": kind},
                    statistic="Sum",
                    period=m.key_guard_schedule,
                    label=kind,
                )
                for kind in defaults.KEY_GUARD_FINDING_KINDS
            ]
            second.append(_graph("Key guard findings", findings, width=6))
        rows.append(second)
        titles = {
            "TopApiKeysRule": "Top API keys (requests)",
            "TopApiKeyErrorsRule": "Top API keys (4XX/5XX)",
            "TopClientIpsRule": "Top client IPs (requests)",
            "TopUnauthorizedIpsRule": "Top client IPs (401/403)",
        }
        rows.append(
            [
                ContributorInsightsWidget(
                    title=titles[id_], rule_name=rule.rule_name, region=self.stack.region
                )
                for id_, rule in self.rules.items()
            ]
        )
        rows.append(
            [cloudwatch.AlarmStatusWidget(title="Alarms", alarms=list(self.alarms), width=24, height=4)]
        )
        return cloudwatch.Dashboard(
            self.scope,
            "Dashboard",
            default_interval=Duration.hours(3),
            widgets=rows,
        )


def insight_rule_body(log_group_name: str, key: str, filters: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A Contributor Insights rule (schema CloudWatchLogRule v1) counting JSON log events per ``key``."""
    return {
        "Schema": {"Name": "CloudWatchLogRule", "Version": 1},
        "LogGroupNames": [log_group_name],
        "LogFormat": "JSON",
        "Contribution": {"Keys": [key], "Filters": [dict(f) for f in filters]},
        "AggregateOn": "Count",
    }


def key_guard_statements(
    *,
    stack: Stack,
    access_log_group: logs.ILogGroup,
    table: dynamodb.ITable,
    table_key: kms.IKey,
    topic: sns.ITopic,
    rest_api_id: str,
    monitoring: Monitoring,
) -> list[iam.PolicyStatement]:
    """Exactly what the key guard may do (its log group, X-Ray and environment key come with its function)."""
    apikeys = f"arn:{stack.partition}:apigateway:{stack.region}::/apikeys"
    statements = [
        iam.PolicyStatement(
            sid="QueryAccessLogs", actions=["logs:StartQuery"], resources=[access_log_group.log_group_arn]
        ),
        # Logs Insights identifies a running query by its id only: GetQueryResults and StopQuery have no
        # resource-level permissions. StartQuery above is what limits the data to the access logs.
        iam.PolicyStatement(
            sid="ReadQueryResults", actions=["logs:GetQueryResults", "logs:StopQuery"], resources=["*"]
        ),
        iam.PolicyStatement(
            sid="Baselines",
            actions=[
                f"dynamodb:{a}"
                for a in ("BatchGetItem", "BatchWriteItem", "GetItem", "PutItem", "Query", "UpdateItem")
            ],
            resources=[table.table_arn],
        ),
        iam.PolicyStatement(
            sid="BaselinesKey",
            actions=["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
            resources=[table_key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{stack.region}.{stack.url_suffix}"}},
        ),
        iam.PolicyStatement(sid="Notify", actions=["sns:Publish"], resources=[topic.topic_arn]),
        iam.PolicyStatement(
            sid="ReadApiKeys", actions=["apigateway:GET"], resources=[apikeys, f"{apikeys}/*"]
        ),
    ]
    topic_key: kms.IKey | None = getattr(topic, "master_key", None)
    if topic_key is not None:
        statements.append(
            iam.PolicyStatement(
                sid="NotifyKey",
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[topic_key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"sns.{stack.region}.{stack.url_suffix}"}},
            )
        )
    if monitoring.auto_quarantine:
        api_key_conditions: dict[str, Any] = {"StringEquals": {f"aws:ResourceTag/{_API_TAG}": rest_api_id}}
        if monitoring.quarantine_exempt:
            api_key_conditions["StringNotEquals"] = {
                f"aws:ResourceTag/{_CONSUMER_TAG}": list(monitoring.quarantine_exempt)
            }
        statements += [
            # Disable only this API's keys (tag secure-api:api), never an exempt consumer's.
            iam.PolicyStatement(
                sid="QuarantineApiKeys",
                actions=["apigateway:PATCH"],
                resources=[f"{apikeys}/*"],
                conditions=api_key_conditions,
            ),
            # Set only the two quarantine tags.
            iam.PolicyStatement(
                sid="TagQuarantinedKeys",
                actions=["apigateway:PUT"],
                resources=[f"arn:{stack.partition}:apigateway:{stack.region}::/tags/*"],
                conditions={"ForAllValues:StringEquals": {"aws:TagKeys": list(_QUARANTINE_TAGS)}},
            ),
        ]
    return statements


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
