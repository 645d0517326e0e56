"""The key guard's data model: the detector's thresholds (:class:`DetectorConfig`), one key's traffic in
one window (:class:`KeyWindow`), what the API says about a key (:class:`KeyContext`), a
:class:`Finding`, and what the guard remembers about a key (:class:`Baseline`, with its stored form).
No AWS calls, no I/O; the detectors are in ``key_guard_detect``.
"""

from __future__ import annotations

from collections.abc import Mapping
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
