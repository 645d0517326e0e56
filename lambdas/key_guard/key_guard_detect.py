"""Per-key anomaly detection for the key guard: pure logic, no AWS calls.

One call to :func:`evaluate_key` looks at one API key's aggregated traffic in one window, compares it with
the key's :class:`Baseline`, returns the findings and updates the baseline in place. The module is
deterministic and has no I/O, so the same code runs in the Lambda, the synthetic-traffic tests and the
benchmark.

Findings (``Finding.kind``):

``spike``
    requests far above what the key does at this hour of day (``SPIKE_MULTIPLIER`` times the hour's
    exponentially weighted mean and ``SPIKE_MIN_Z`` standard deviations above it), above the key's recent
    peak, and at least ``SPIKE_MIN_REQUESTS``.
``error_burst``
    4XX+5XX ratio at least ``ERROR_RATIO`` over at least ``ERROR_MIN_REQUESTS`` requests, and
    significantly above the key's own usual error ratio.
``unusual_time``
    sustained activity (``TIME_SUSTAIN_WINDOWS`` consecutive windows of at least ``TIME_MIN_REQUESTS``)
    in hours of day the key was never active in, once ``LEARNING_WINDOWS`` have been seen; or outside
    the consumer's declared active hours.
``unusual_place``
    at least ``NEW_PREFIX_THRESHOLD`` network prefixes (/24 IPv4, /48 IPv6) never seen for this key,
    and significantly more than the key's usual rate of new prefixes, once learned.
``unknown_key``
    traffic under an API key id that the API does not know.

Consecutive flagged windows of one kind (gaps up to ``incident_gap_windows``) form one incident; only the
first window of an incident has ``notify=True``. The learning period is counted in elapsed windows since
the key was first seen, so a key that is quiet at night still learns that it is.

Each kind but ``unknown_key`` has one detector function, which updates its own part of the baseline and
returns its finding's numbers when it fires. The data model lives in ``key_guard_model`` and its names
are re-exported here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from key_guard_model import (
    ERROR_BURST,
    HOURS,
    KINDS,
    SPIKE,
    UNKNOWN_KEY,
    UNUSUAL_PLACE,
    UNUSUAL_TIME,
    Baseline,
    DetectorConfig,
    Finding,
    KeyContext,
    KeyWindow,
)

__all__ = [
    "ERROR_BURST",
    "HOURS",
    "KINDS",
    "SPIKE",
    "UNKNOWN_KEY",
    "UNUSUAL_PLACE",
    "UNUSUAL_TIME",
    "Baseline",
    "DetectorConfig",
    "Finding",
    "KeyContext",
    "KeyWindow",
    "WindowResult",
    "evaluate_key",
    "evaluate_window",
    "hour_of",
    "in_hours",
    "should_quarantine",
]


def _ewm(mean: float, var: float, x: float, alpha: float) -> tuple[float, float]:
    diff = x - mean
    incr = alpha * diff
    return mean + incr, (1.0 - alpha) * (var + diff * incr)


def in_hours(hour: int, active_hours: tuple[int, int]) -> bool:
    """Whether ``hour`` lies in ``[start, end)``, wrapping past midnight when ``start > end``."""
    start, end = active_hours
    if start == end:
        return True
    if start < end:
        return start <= hour < end
    return hour >= start or hour < end


def hour_of(window_start: int) -> int:
    """UTC hour of day of a window starting at ``window_start`` (epoch seconds)."""
    return (window_start // 3600) % HOURS


class _Incidents:
    """Groups consecutive flagged windows of one kind into one incident (the unit of notification)."""

    __slots__ = ("baseline", "gap", "window_start")

    def __init__(self, baseline: Baseline, window_start: int, gap: int) -> None:
        self.baseline = baseline
        self.window_start = window_start
        self.gap = gap

    def flag(self, kind: str, consumer: str | None, numbers: dict[str, Any]) -> Finding:
        key = self.baseline
        start = self.window_start
        current = key.incidents.get(kind)
        if current is not None and 0 <= self.window_start - current[1] <= self.gap:
            start = current[0]
        key.incidents[kind] = (start, self.window_start)
        notify = key.notified.get(kind) != start
        if notify:
            key.notified[kind] = start
        return Finding(
            kind=kind,
            api_key_id=key.api_key_id,
            consumer=consumer,
            window_start=self.window_start,
            incident_start=start,
            notify=notify,
            numbers=numbers,
        )

    def prune(self) -> None:
        """Forget incidents that ended more than the gap ago, so the record stays small."""
        stale = [k for k, (_, last) in self.baseline.incidents.items() if self.window_start - last > self.gap]
        for kind in stale:
            del self.baseline.incidents[kind]


def evaluate_key(
    window: KeyWindow,
    baseline: Baseline,
    context: KeyContext,
    window_start: int,
    config: DetectorConfig,
) -> list[Finding]:
    """Check one key's window against its baseline; update the baseline in place; return the findings.

    A window that is not newer than ``baseline.last_window`` was already evaluated (a re-run) and yields
    nothing, so re-running a window neither updates the baseline twice nor re-notifies.
    """
    if baseline.last_window is not None and window_start <= baseline.last_window:
        return []
    window_s = config.window_seconds
    gap_windows = (
        1 if baseline.last_window is None else max(1, (window_start - baseline.last_window) // window_s)
    )
    incidents = _Incidents(baseline, window_start, config.incident_gap_windows * window_s)
    findings: list[Finding] = []
    consumer = context.consumer
    requests = window.requests

    if not context.known:
        findings.append(incidents.flag(UNKNOWN_KEY, consumer, {"requests": requests}))
        baseline.windows_seen += 1
        baseline.last_window = window_start
        incidents.prune()
        return findings

    hour = hour_of(window_start)
    if baseline.first_window is None:
        baseline.first_window = window_start
    # Learning is measured in elapsed windows, not windows with traffic: a key quiet at night must still
    # finish learning which hours it is (not) active in.
    learned = window_start - baseline.first_window >= config.learning_windows * window_s

    # Each detector updates its own part of the baseline and returns its finding's numbers when it fires.
    detected = (
        (SPIKE, _spike(window, baseline, hour=hour, gap_windows=gap_windows, config=config)),
        (ERROR_BURST, _error_burst(window, baseline, config=config)),
        (
            UNUSUAL_TIME,
            _unusual_time(
                window,
                baseline,
                context,
                hour=hour,
                window_start=window_start,
                learned=learned,
                config=config,
            ),
        ),
        (UNUSUAL_PLACE, _unusual_place(window, baseline, learned=learned, config=config)),
    )
    for kind, numbers in detected:
        if numbers is not None:
            findings.append(incidents.flag(kind, consumer, numbers))

    baseline.windows_seen += 1
    baseline.last_window = window_start
    incidents.prune()
    return findings


def _spike(
    window: KeyWindow, baseline: Baseline, *, hour: int, gap_windows: int, config: DetectorConfig
) -> dict[str, Any] | None:
    """``spike``: the finding's numbers, or None. Updates the key's recent peak and its hour's baseline."""
    requests = window.requests
    # Spike: hour-of-day baseline, with the decayed recent peak as a floor so that a key that was quiet
    # over a weekend does not look like a spike on Monday morning.
    peak = baseline.peak * 0.5 ** (gap_windows / config.peak_half_life_windows)
    mean = baseline.slot_mean[hour]
    var = baseline.slot_var[hour]
    sd = math.sqrt(var + mean + 1.0)
    z = (requests - mean) / sd
    if baseline.slot_n[hour] >= config.slot_min_samples:
        spiked = (
            requests >= config.spike_min_requests
            and requests >= config.spike_multiplier * mean
            and z >= config.spike_min_z
            and requests > config.spike_peak_margin * peak
        )
    else:
        # No history at this hour of day yet: compare with the busiest level the key reached recently.
        spiked = (
            baseline.windows_seen >= config.slot_min_samples * 4
            and requests >= config.spike_min_requests
            and requests >= config.spike_multiplier * peak
        )
    numbers: dict[str, Any] | None = None
    if spiked:
        numbers = {
            "requests": requests,
            "expected": round(mean, 1),
            "multiple": round(requests / max(mean, 1.0), 1),
            "zScore": round(z, 1),
            "recentPeak": round(peak, 1),
        }
    else:
        peak = max(peak, float(requests))
    baseline.peak = peak
    if baseline.slot_n[hour] >= config.slot_min_samples:
        # Winsorised so that an attack (or a one-off) cannot drag the baseline up with it.
        x = min(float(requests), mean + 3.0 * sd)
    else:
        x = float(requests)
    if baseline.slot_n[hour] == 0:
        baseline.slot_mean[hour] = x
    else:
        baseline.slot_mean[hour], baseline.slot_var[hour] = _ewm(mean, var, x, config.slot_alpha)
    baseline.slot_n[hour] += 1
    return numbers


def _error_burst(window: KeyWindow, baseline: Baseline, *, config: DetectorConfig) -> dict[str, Any] | None:
    """``error_burst``: the finding's numbers, or None. Updates the key's usual error ratio."""
    requests = window.requests
    if requests <= 0:
        return None
    # Error burst: a binomial-style test against the key's own usual error ratio.
    errors = window.errors_4xx + window.errors_5xx
    ratio = errors / requests
    p0 = max(baseline.err_mean, 0.01) if baseline.err_n >= config.error_min_samples else 0.01
    err_sd = math.sqrt(max(baseline.err_var, p0 * (1.0 - p0) / requests))
    err_z = (ratio - p0) / err_sd
    burst = (
        requests >= config.error_min_requests and ratio >= config.error_ratio and err_z >= config.error_min_z
    )
    if burst:
        return {
            "requests": requests,
            "errors4xx": window.errors_4xx,
            "errors5xx": window.errors_5xx,
            "errorRatio": round(ratio, 3),
            "usualErrorRatio": round(baseline.err_mean, 3),
        }
    if requests >= config.error_min_requests:
        # Small windows are left out: their ratios are mostly noise and would inflate the variance.
        if baseline.err_n == 0:
            baseline.err_mean = ratio
        else:
            baseline.err_mean, baseline.err_var = _ewm(
                baseline.err_mean, baseline.err_var, ratio, config.error_alpha
            )
        baseline.err_n += 1
    return None


def _unusual_time(
    window: KeyWindow,
    baseline: Baseline,
    context: KeyContext,
    *,
    hour: int,
    window_start: int,
    learned: bool,
    config: DetectorConfig,
) -> dict[str, Any] | None:
    """``unusual_time``: the finding's numbers, or None. Updates the key's usual hours and its streak of
    activity at unusual ones."""
    requests = window.requests
    window_s = config.window_seconds
    bit = 1 << hour
    active = requests >= config.time_min_requests
    declared = context.active_hours
    if declared is not None:
        odd = active and not in_hours(hour, declared)
    else:
        odd = active and learned and not (baseline.hours_mask & bit)
    streak = baseline.time_streak
    if streak is not None and (not odd or window_start - streak[1] > window_s):
        # The streak ended. An alerted streak teaches its hours (the key has now been active in them).
        if (streak[1] - streak[0]) // window_s + 1 >= config.time_sustain_windows:
            baseline.hours_mask |= baseline.pending_hours_mask
        baseline.pending_hours_mask = 0
        streak = None
    found: dict[str, Any] | None = None
    if odd:
        streak = (streak[0] if streak else window_start, window_start)
        baseline.pending_hours_mask |= bit
        length = (streak[1] - streak[0]) // window_s + 1
        if length >= config.time_sustain_windows:
            numbers: dict[str, Any] = {
                "requests": requests,
                "hourUtc": hour,
                "sustainedWindows": length,
            }
            if declared is not None:
                numbers["declaredActiveHoursUtc"] = list(declared)
            found = numbers
    baseline.time_streak = streak
    if active and not learned:
        baseline.hours_mask |= bit
    return found


def _unusual_place(
    window: KeyWindow, baseline: Baseline, *, learned: bool, config: DetectorConfig
) -> dict[str, Any] | None:
    """``unusual_place``: the finding's numbers, or None. Updates the key's usual networks and its usual
    rate of new ones; nothing when the window's prefixes were not fetched."""
    prefixes = window.prefixes
    if prefixes is None:
        return None
    known = baseline.prefixes
    new = [p for p in prefixes if p not in known]
    n_new = len(new)
    nm, nv = baseline.new_prefix_mean, baseline.new_prefix_var
    place_z = (n_new - nm) / math.sqrt(nv + nm + 1.0)
    placed = learned and n_new >= config.new_prefix_threshold and place_z >= config.new_prefix_min_z
    numbers: dict[str, Any] | None = None
    if placed:
        numbers = {
            "requests": window.requests,
            "newPrefixes": n_new,
            "distinctPrefixes": len(prefixes),
            "usualNewPrefixes": round(nm, 1),
            "examples": sorted(new)[:5],
        }
    else:
        baseline.new_prefix_mean, baseline.new_prefix_var = _ewm(nm, nv, float(n_new), config.prefix_alpha)
    # The dict's insertion order is its recency order, so eviction drops the least recently seen.
    for p in prefixes:
        known.pop(p, None)
        known[p] = None
    excess = len(known) - config.max_prefixes
    if excess > 0:
        for p in list(itertools.islice(known, excess)):
            del known[p]
    return numbers


@dataclass(frozen=True, kw_only=True)
class WindowResult:
    """Findings of one window over all keys, and the baselines to persist."""

    findings: list[Finding]
    baselines: dict[str, Baseline]
    evaluated: int
    skipped: int


def evaluate_window(
    windows: Iterable[KeyWindow],
    baselines: Mapping[str, Baseline],
    contexts: Mapping[str, KeyContext],
    window_start: int,
    config: DetectorConfig,
) -> WindowResult:
    """Run :func:`evaluate_key` for every key with traffic in the window.

    ``baselines`` holds the stored baselines (missing keys start fresh); keys absent from ``contexts``
    are unknown to the API.
    """
    unknown = KeyContext(known=False)
    findings: list[Finding] = []
    updated: dict[str, Baseline] = {}
    skipped = 0
    evaluated = 0
    for window in windows:
        key_id = window.api_key_id
        baseline = baselines.get(key_id) or Baseline(api_key_id=key_id)
        if baseline.last_window is not None and window_start <= baseline.last_window:
            skipped += 1
            continue
        evaluated += 1
        findings.extend(evaluate_key(window, baseline, contexts.get(key_id, unknown), window_start, config))
        updated[key_id] = baseline
    return WindowResult(findings=findings, baselines=updated, evaluated=evaluated, skipped=skipped)


def should_quarantine(
    finding: Finding,
    *,
    enabled: bool,
    kinds: frozenset[str],
    exempt: frozenset[str],
) -> bool:
    """Whether a finding disables its key: only new incidents, of a quarantining kind, of a known consumer
    that is not exempt, and only when automatic quarantine is on."""
    return (
        enabled
        and finding.notify
        and finding.kind in kinds
        and finding.consumer is not None
        and finding.consumer not in exempt
    )
