"""The key guard's environment-variable contract, parsed into typed settings (no AWS calls).

| variable | default | meaning |
| --- | --- | --- |
| ``REST_API_ID`` | required | the API whose keys are guarded (keys tagged ``secure-api:api=<id>``) |
| ``LOG_GROUP_NAME`` | required | the stage's JSON access log group |
| ``TABLE_NAME`` | required | DynamoDB baseline table, partition key ``apiKeyId`` (S) |
| ``TOPIC_ARN`` | required | SNS topic for findings |
| ``USAGE_PLAN_IDS`` | "" | comma-separated ids of the API's usage plans, through which its keys are found |
| ``WINDOW_MINUTES`` | 5 | window length; divides 60; match the schedule |
| ``INGESTION_DELAY_SECONDS`` | 120 | how far behind "now" the evaluated window ends |
| ``AUTO_QUARANTINE`` | false | disable the key at once on a quarantining finding |
| ``QUARANTINE_EXEMPT`` | "" | comma-separated consumer names never quarantined |
| ``QUARANTINE_ON`` | spike,unusual_place | finding kinds that quarantine |
| ``SPIKE_MULTIPLIER`` | 4 | requests at least this multiple of the hour's mean |
| ``SPIKE_MIN_Z`` | 4 | and this many standard deviations above it |
| ``SPIKE_MIN_REQUESTS`` | 50 | and at least this many requests in the window |
| ``ERROR_RATIO`` | 0.5 | 4XX+5XX share of requests that is a burst |
| ``ERROR_MIN_REQUESTS`` | 20 | minimum requests in the window for an error burst |
| ``LEARNING_WINDOWS`` | 2016 | windows (7 days) before unusual time/place are reported |
| ``NEW_PREFIX_THRESHOLD`` | 8 | never-seen /24 (IPv4) or /48 (IPv6) networks in one window |
| ``TIME_MIN_REQUESTS`` | 10 | requests that make a window "active" for unusual time |
| ``TIME_SUSTAIN_WINDOWS`` | 3 | consecutive active windows in unusual hours before reporting |
| ``ACTIVE_HOURS`` | unset | JSON ``{"consumer": [startHour, endHour]}`` in UTC, end exclusive |
| ``QUERY_TIMEOUT_SECONDS`` | 120 | bound on waiting for one Logs Insights query |
| ``MAX_PREFIX_QUERIES`` | 10 | bound on (concurrent) prefix queries per run; Logs Insights limits concurrent queries per account |
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from key_guard_model import KINDS, DetectorConfig


class KeyGuardConfigError(ValueError):
    """An environment variable of the key guard has a bad value."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the key guard reads from its environment."""

    rest_api_id: str
    log_group_name: str
    table_name: str
    topic_arn: str
    detector: DetectorConfig
    auto_quarantine: bool = False
    quarantine_exempt: frozenset[str] = frozenset()
    quarantine_on: frozenset[str] = frozenset({"spike", "unusual_place"})
    active_hours: Mapping[str, tuple[int, int]] | None = None
    ingestion_delay_seconds: int = 120
    query_timeout_seconds: float = 120.0
    max_prefix_queries: int = 10
    usage_plan_ids: tuple[str, ...] = ()


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise KeyGuardConfigError(f"{name} is required and was not set")
    return value


def _number(env: Mapping[str, str], name: str, default: float, *, minimum: float = 0.0) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise KeyGuardConfigError(f"{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise KeyGuardConfigError(f"{name} must be at least {minimum}, got {raw!r}")
    return value


def _integer(env: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    value = _number(env, name, default, minimum=minimum)
    if value != int(value):
        raise KeyGuardConfigError(f"{name} must be a whole number, got {env.get(name)!r}")
    return int(value)


def _flag(env: Mapping[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in ("", "false", "0", "no", "off"):
        return False
    if raw in ("true", "1", "yes", "on"):
        return True
    raise KeyGuardConfigError(f"{name} must be true or false, got {env.get(name)!r}")


def _names(env: Mapping[str, str], name: str, default: str = "") -> frozenset[str]:
    raw = env.get(name, default)
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def parse_active_hours(raw: str) -> dict[str, tuple[int, int]]:
    """Parse ``ACTIVE_HOURS``: ``{"consumer": [startHour, endHour], ...}``, hours 0-24 UTC."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise KeyGuardConfigError(f"ACTIVE_HOURS must be a JSON object, got {raw!r}: {exc}") from None
    if not isinstance(data, dict):
        raise KeyGuardConfigError(f"ACTIVE_HOURS must be a JSON object, got {raw!r}")
    out: dict[str, tuple[int, int]] = {}
    for consumer, hours in data.items():
        if (
            not isinstance(hours, list)
            or len(hours) != 2
            or not all(isinstance(h, int) and not isinstance(h, bool) and 0 <= h <= 24 for h in hours)
        ):
            raise KeyGuardConfigError(
                f"ACTIVE_HOURS[{consumer!r}] must be [startHour, endHour] with hours 0-24, got {hours!r}"
            )
        out[str(consumer)] = (hours[0] % 24, hours[1] % 24)
    return out


def load_settings(env: Mapping[str, str]) -> Settings:
    """Read and validate the key guard's settings from ``env`` (normally ``os.environ``)."""
    window = _integer(env, "WINDOW_MINUTES", 5, minimum=1)
    if window > 60 or 60 % window:
        raise KeyGuardConfigError(f"WINDOW_MINUTES must divide 60 (1, 2, 3, 5, ..., 60), got {window}")
    quarantine_on = _names(env, "QUARANTINE_ON", "spike,unusual_place")
    unknown = quarantine_on - set(KINDS)
    if unknown:
        raise KeyGuardConfigError(
            f"QUARANTINE_ON has unknown finding kinds {sorted(unknown)}; expected some of {list(KINDS)}"
        )
    detector = DetectorConfig(
        window_minutes=window,
        spike_multiplier=_number(env, "SPIKE_MULTIPLIER", 4.0, minimum=1.0),
        spike_min_z=_number(env, "SPIKE_MIN_Z", 4.0),
        spike_min_requests=_integer(env, "SPIKE_MIN_REQUESTS", 50, minimum=1),
        error_ratio=_number(env, "ERROR_RATIO", 0.5),
        error_min_requests=_integer(env, "ERROR_MIN_REQUESTS", 20, minimum=1),
        learning_windows=_integer(env, "LEARNING_WINDOWS", 2016),
        new_prefix_threshold=_integer(env, "NEW_PREFIX_THRESHOLD", 8, minimum=1),
        time_min_requests=_integer(env, "TIME_MIN_REQUESTS", 10, minimum=1),
        time_sustain_windows=_integer(env, "TIME_SUSTAIN_WINDOWS", 3, minimum=1),
    )
    if detector.error_ratio > 1:
        raise KeyGuardConfigError(f"ERROR_RATIO must be between 0 and 1, got {env.get('ERROR_RATIO')!r}")
    raw_hours = env.get("ACTIVE_HOURS", "").strip()
    return Settings(
        rest_api_id=_required(env, "REST_API_ID"),
        log_group_name=_required(env, "LOG_GROUP_NAME"),
        table_name=_required(env, "TABLE_NAME"),
        topic_arn=_required(env, "TOPIC_ARN"),
        detector=detector,
        auto_quarantine=_flag(env, "AUTO_QUARANTINE"),
        quarantine_exempt=_names(env, "QUARANTINE_EXEMPT"),
        quarantine_on=quarantine_on,
        active_hours=parse_active_hours(raw_hours) if raw_hours else None,
        ingestion_delay_seconds=_integer(env, "INGESTION_DELAY_SECONDS", 120),
        query_timeout_seconds=_number(env, "QUERY_TIMEOUT_SECONDS", 120.0, minimum=1.0),
        max_prefix_queries=_integer(env, "MAX_PREFIX_QUERIES", 10, minimum=0),
        usage_plan_ids=tuple(p.strip() for p in env.get("USAGE_PLAN_IDS", "").split(",") if p.strip()),
    )
