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
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

SPIKE: Final = "spike"
ERROR_BURST: Final = "error_burst"
UNUSUAL_TIME: Final = "unusual_time"
UNUSUAL_PLACE: Final = "unusual_place"
UNKNOWN_KEY: Final = "unknown_key"
KINDS: Final[tuple[str, ...]] = (SPIKE, ERROR_BURST, UNUSUAL_TIME, UNUSUAL_PLACE, UNKNOWN_KEY)

HOURS: Final = 24
_FULL_DAY: Final = (1 << HOURS) - 1


@dataclass(frozen=True, kw_only=True)
class DetectorConfig:
    """Thresholds of the detector. Each has an environment variable; see ``key_guard_config``."""

    window_minutes: int = 5
    spike_multiplier: float = 4.0
    spike_min_z: float = 4.0
    spike_min_requests: int = 50
    spike_peak_margin: float = 1.5
    error_ratio: float = 0.5
    error_min_requests: int = 20
    error_min_z: float = 4.0
    learning_windows: int = 2016
    new_prefix_threshold: int = 8
    new_prefix_min_z: float = 4.0
    time_min_requests: int = 10
    time_sustain_windows: int = 3
    slot_alpha: float = 0.1
    error_alpha: float = 0.05
    prefix_alpha: float = 0.05
    slot_min_samples: int = 3
    error_min_samples: int = 12
    peak_half_life_windows: int = 2016
    max_prefixes: int = 512
    incident_gap_windows: int = 2

    @property
    def window_seconds(self) -> int:
        """Length of one window in seconds."""
        return self.window_minutes * 60


@dataclass(frozen=True, kw_only=True)
class KeyWindow:
    """One key's aggregated traffic in one window, as read from the access logs.

    ``prefixes`` is ``None`` when the network prefixes were not fetched for this key in this window; the
    unusual-place check and prefix learning are then skipped for it.
    """

    api_key_id: str
    requests: int
    errors_4xx: int = 0
    errors_5xx: int = 0
    distinct_ips: int = 0
    distinct_prefixes: int = 0
    prefixes: frozenset[str] | None = None


@dataclass(frozen=True, kw_only=True)
class KeyContext:
    """What the API says about a key: whether it is one of its keys, its consumer, declared hours."""

    known: bool = True
    consumer: str | None = None
    active_hours: tuple[int, int] | None = None


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One anomaly for one key in one window. Never carries a key value, only the key id."""

    kind: str
    api_key_id: str
    consumer: str | None
    window_start: int
    incident_start: int
    notify: bool
    numbers: Mapping[str, Any]


def _zeros() -> list[float]:
    return [0.0] * HOURS


def _izeros() -> list[int]:
    return [0] * HOURS


@dataclass
class Baseline:
    """What the key guard remembers about one key (one DynamoDB item)."""

    api_key_id: str
    windows_seen: int = 0
    first_window: int | None = None
    last_window: int | None = None
    slot_mean: list[float] = field(default_factory=_zeros)
    slot_var: list[float] = field(default_factory=_zeros)
    slot_n: list[int] = field(default_factory=_izeros)
    peak: float = 0.0
    err_mean: float = 0.0
    err_var: float = 0.0
    err_n: int = 0
    new_prefix_mean: float = 0.0
    new_prefix_var: float = 0.0
    # Usual networks as an ordered set (values unused), least recently seen first.
    prefixes: dict[str, None] = field(default_factory=dict)
    hours_mask: int = 0
    pending_hours_mask: int = 0
    time_streak: tuple[int, int] | None = None
    incidents: dict[str, tuple[int, int]] = field(default_factory=dict)
    notified: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe representation (the stored form)."""
        return {
            "apiKeyId": self.api_key_id,
            "windowsSeen": self.windows_seen,
            "firstWindow": self.first_window,
            "lastWindow": self.last_window,
            # Thousandths as integers: formatting floats would dominate the cost of storing 10,000 keys.
            "slotMeanMilli": [round(v * 1000) for v in self.slot_mean],
            "slotVarMilli": [round(v * 1000) for v in self.slot_var],
            "slotN": self.slot_n,
            "peak": self.peak,
            "errMean": self.err_mean,
            "errVar": self.err_var,
            "errN": self.err_n,
            "newPrefixMean": self.new_prefix_mean,
            "newPrefixVar": self.new_prefix_var,
            "prefixes": " ".join(self.prefixes),
            "hoursMask": self.hours_mask,
            "pendingHoursMask": self.pending_hours_mask,
            "timeStreak": list(self.time_streak) if self.time_streak else None,
            "incidents": {k: list(v) for k, v in self.incidents.items()},
            "notified": dict(self.notified),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Baseline:
        """Inverse of :meth:`to_dict` (shares, does not copy, its lists); missing fields take defaults."""
        streak = data.get("timeStreak")
        last = data.get("lastWindow")
        first = data.get("firstWindow")
        return cls(
            api_key_id=str(data["apiKeyId"]),
            windows_seen=int(data.get("windowsSeen", 0)),
            first_window=int(first) if first is not None else None,
            last_window=int(last) if last is not None else None,
            slot_mean=_milli(data.get("slotMeanMilli")),
            slot_var=_milli(data.get("slotVarMilli")),
            slot_n=[int(v) for v in data.get("slotN") or _izeros()],
            peak=float(data.get("peak", 0.0)),
            err_mean=float(data.get("errMean", 0.0)),
            err_var=float(data.get("errVar", 0.0)),
            err_n=int(data.get("errN", 0)),
            new_prefix_mean=float(data.get("newPrefixMean", 0.0)),
            new_prefix_var=float(data.get("newPrefixVar", 0.0)),
            prefixes=dict.fromkeys(str(data.get("prefixes") or "").split()),
            hours_mask=int(data.get("hoursMask", 0)) & _FULL_DAY,
            pending_hours_mask=int(data.get("pendingHoursMask", 0)) & _FULL_DAY,
            time_streak=(int(streak[0]), int(streak[1])) if streak else None,
            incidents={str(k): (int(v[0]), int(v[1])) for k, v in dict(data.get("incidents", {})).items()},
            notified={str(k): int(v) for k, v in dict(data.get("notified", {})).items()},
        )


def _milli(values: Any) -> list[float]:
    if not values or len(values) != HOURS:
        return _zeros()
    return [v / 1000 for v in values]


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
    if spiked:
        findings.append(
            incidents.flag(
                SPIKE,
                consumer,
                {
                    "requests": requests,
                    "expected": round(mean, 1),
                    "multiple": round(requests / max(mean, 1.0), 1),
                    "zScore": round(z, 1),
                    "recentPeak": round(peak, 1),
                },
            )
        )
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

    # Error burst: a binomial-style test against the key's own usual error ratio.
    errors = window.errors_4xx + window.errors_5xx
    if requests > 0:
        ratio = errors / requests
        p0 = max(baseline.err_mean, 0.01) if baseline.err_n >= config.error_min_samples else 0.01
        err_sd = math.sqrt(max(baseline.err_var, p0 * (1.0 - p0) / requests))
        err_z = (ratio - p0) / err_sd
        burst = (
            requests >= config.error_min_requests
            and ratio >= config.error_ratio
            and err_z >= config.error_min_z
        )
        if burst:
            findings.append(
                incidents.flag(
                    ERROR_BURST,
                    consumer,
                    {
                        "requests": requests,
                        "errors4xx": window.errors_4xx,
                        "errors5xx": window.errors_5xx,
                        "errorRatio": round(ratio, 3),
                        "usualErrorRatio": round(baseline.err_mean, 3),
                    },
                )
            )
        elif requests >= config.error_min_requests:
            # Small windows are left out: their ratios are mostly noise and would inflate the variance.
            if baseline.err_n == 0:
                baseline.err_mean = ratio
            else:
                baseline.err_mean, baseline.err_var = _ewm(
                    baseline.err_mean, baseline.err_var, ratio, config.error_alpha
                )
            baseline.err_n += 1

    # Unusual time.
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
            findings.append(incidents.flag(UNUSUAL_TIME, consumer, numbers))
    baseline.time_streak = streak
    if active and not learned:
        baseline.hours_mask |= bit

    # Unusual place.
    prefixes = window.prefixes
    if prefixes is not None:
        known = baseline.prefixes
        new = [p for p in prefixes if p not in known]
        n_new = len(new)
        nm, nv = baseline.new_prefix_mean, baseline.new_prefix_var
        place_z = (n_new - nm) / math.sqrt(nv + nm + 1.0)
        placed = learned and n_new >= config.new_prefix_threshold and place_z >= config.new_prefix_min_z
        if placed:
            findings.append(
                incidents.flag(
                    UNUSUAL_PLACE,
                    consumer,
                    {
                        "requests": requests,
                        "newPrefixes": n_new,
                        "distinctPrefixes": len(prefixes),
                        "usualNewPrefixes": round(nm, 1),
                        "examples": sorted(new)[:5],
                    },
                )
            )
        else:
            baseline.new_prefix_mean, baseline.new_prefix_var = _ewm(
                nm, nv, float(n_new), config.prefix_alpha
            )
        # The dict's insertion order is its recency order, so eviction drops the least recently seen.
        for p in prefixes:
            known.pop(p, None)
            known[p] = None
        excess = len(known) - config.max_prefixes
        if excess > 0:
            for p in list(itertools.islice(known, excess)):
                del known[p]

    baseline.windows_seen += 1
    baseline.last_window = window_start
    incidents.prune()
    return findings


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
