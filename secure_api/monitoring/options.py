"""``Monitoring``: the options of the alarms, dashboard, Contributor Insights rules and key guard."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_sns as sns

from secure_api import defaults, grammar
from secure_api.errors import SecureApiConfigError, is_token, require_int, require_number

# Printable ASCII without space, "," and "@" (and, for the domain, without "."): no line breaks or
# look-alike characters reach an SNS subscription.
_EMAIL = re.compile(r"[!-+\--?A-~]+@(?:[!-+\-/-?A-~]+\.)+[!-+\-/-?A-~]+")
_CONSUMER = re.compile(r"[!-+\--~]+")
# What the construct adds to the key guard's environment: the API id, log group, table and topic
# names/ARNs (up to 512 + 255 + 256 characters) and the query timeout.
_KEY_GUARD_CONSTRUCT_ENV_BYTES = 1200


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
            and (not isinstance(email, str) or not _EMAIL.fullmatch(email))
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
            "SPIKE_MULTIPLIER": num(self.spike_multiplier),
            "SPIKE_MIN_Z": num(self.spike_min_z),
            "SPIKE_MIN_REQUESTS": str(self.spike_min_requests),
            "ERROR_RATIO": num(self.key_error_ratio),
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
        if not isinstance(v, str) or not v or (pattern is not None and not pattern.fullmatch(v)):
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
            and _CONSUMER.fullmatch(consumer)
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


def num(value: float) -> str:
    """``value`` as alarm descriptions and the key guard's environment spell it (no trailing zeros)."""
    return f"{value:g}"
