"""Seeded synthetic API-key traffic with injected incidents, for the key guard's detector.

Run as a script to print precision and recall per incident kind::

    python tests/synthetic_traffic.py [--seed 7] [--keys 300] [--days 7]

Traffic model (per key, per 5-minute window):

* ``server`` keys: 24-hour diurnal cosine (random amplitude and peak hour), a weekend factor, a day-level
  and a window-level log-normal noise, Poisson counts; 1-4 source networks.
* ``business`` keys: active in office hours (random UTC start, 8-11 hours, 30-minute ramps), near zero at
  night, much lower on weekends; 2-12 source networks.
* ``mobile`` keys: diurnal, thousands of source networks with a Zipf popularity and a trickle of
  never-seen networks every window.
* ``low`` keys: a few requests per window at most.
* error ratios between 0.5 % and 6 %, a few noisy keys up to 35 %.

Injected incidents, all after the learning period, never overlapping on one key:

* ``spike``: 2-6 windows of extra traffic, 5-15 times the key's busiest hourly level (at least 100).
* ``error_burst``: 3-10 windows where 60-100 % of the key's normal traffic fails (volume >= 40).
* ``unusual_time``: 4-12 windows of office-level traffic at night on a ``business`` key (one per key:
  once alerted, the key has been active at that hour and it is learned).
* ``unusual_place``: 1-4 windows of extra traffic from many networks never used by the key
  (15-60, and at least twice the key's usual distinct networks per window).

The detector sees only the aggregated windows, never the labels.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lambdas" / "key_guard"))

from key_guard_detect import (
    Baseline,
    DetectorConfig,
    Finding,
    KeyContext,
    KeyWindow,
    evaluate_key,
)

INCIDENT_KINDS = ("spike", "error_burst", "unusual_time", "unusual_place")
WINDOW_SECONDS = 300
DAY_WINDOWS = 86400 // WINDOW_SECONDS
# A Thursday, 00:00 UTC: the learning period spans Thu-Sat, evaluation covers Sun-Wed (Monday ramp).
START_EPOCH = 1_704_326_400
# Windows after an incident that are neither counted as normal traffic nor as false positives.
AFTERMATH_WINDOWS = 12


@dataclass
class Profile:
    """One synthetic API key."""

    key_id: str
    kind: str
    base: float
    amplitude: float
    peak_hour: float
    weekend: float
    err: float
    pool: list[str]
    cum_weights: list[float]
    office: tuple[int, int] = (9, 18)
    fresh_per_window: float = 0.0
    day_level: list[float] = field(default_factory=list)
    typical_prefixes: int = 1


@dataclass(frozen=True)
class Incident:
    """One injected incident on one key, windows ``start..end`` inclusive."""

    key_id: str
    kind: str
    start: int
    end: int
    size: float


def _prefix(rng: random.Random, v6: bool = False) -> str:
    if v6:
        return f"2001:db8:{rng.randrange(1 << 16):x}::/48"
    return f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.0/24"


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam < 15:
        limit = math.exp(-lam)
        k, p = 0, rng.random()
        while p > limit:
            k += 1
            p *= rng.random()
        return k
    return max(0, round(rng.gauss(lam, math.sqrt(lam))))


def _binomial(rng: random.Random, n: int, p: float) -> int:
    if n <= 0 or p <= 0:
        return 0
    if p >= 1:
        return n
    if n < 40:
        return sum(1 for _ in range(n) if rng.random() < p)
    mean = n * p
    return min(n, max(0, round(rng.gauss(mean, math.sqrt(mean * (1 - p))))))


def _zipf_cum(n: int, s: float) -> list[float]:
    total, out = 0.0, []
    for i in range(1, n + 1):
        total += 1.0 / i**s
        out.append(total)
    return out


class Scenario:
    """A seeded population of keys, its incidents, and a generator of per-window aggregates."""

    def __init__(self, *, seed: int = 7, keys: int = 300, days: int = 7, learning_days: int = 3) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.n_windows = days * DAY_WINDOWS
        self.days = days
        self.learning_windows = learning_days * DAY_WINDOWS
        self.profiles = [self._profile(i) for i in range(keys)]
        self.incidents: list[Incident] = []
        self._by_key: dict[str, list[Incident]] = {}
        self._schedule()

    def _profile(self, i: int) -> Profile:
        rng = self.rng
        roll = rng.random()
        kind = "server" if roll < 0.4 else "business" if roll < 0.72 else "mobile" if roll < 0.8 else "low"
        v6 = rng.random() < 0.2
        err = rng.uniform(0.005, 0.06) if rng.random() < 0.9 else rng.uniform(0.1, 0.35)
        if kind == "server":
            pool = [_prefix(rng, v6) for _ in range(rng.randint(1, 4))]
            base = math.exp(rng.uniform(math.log(10), math.log(400)))
            cum = _zipf_cum(len(pool), 0.5)
            fresh = 0.0
        elif kind == "business":
            pool = [_prefix(rng, v6) for _ in range(rng.randint(2, 12))]
            base = math.exp(rng.uniform(math.log(15), math.log(200)))
            cum = _zipf_cum(len(pool), 1.0)
            fresh = 0.0
        elif kind == "mobile":
            pool = [_prefix(rng, v6 and rng.random() < 0.5) for _ in range(rng.randint(1500, 4000))]
            base = math.exp(rng.uniform(math.log(150), math.log(1500)))
            cum = _zipf_cum(len(pool), 1.1)
            fresh = rng.uniform(0.5, 3.0)
        else:
            pool = [_prefix(rng, v6) for _ in range(rng.randint(1, 2))]
            base = rng.uniform(0.3, 4.0)
            cum = _zipf_cum(len(pool), 1.0)
            fresh = 0.0
        start = rng.randint(5, 11)
        profile = Profile(
            key_id=f"k{i:05d}{rng.randrange(36**4):04x}",
            kind=kind,
            base=base,
            amplitude=rng.uniform(0.2, 0.8),
            peak_hour=rng.uniform(0, 24),
            weekend=rng.uniform(0.05, 0.3) if kind == "business" else rng.uniform(0.4, 1.0),
            err=err,
            pool=pool,
            cum_weights=cum,
            office=(start, start + rng.randint(8, 11)),
            fresh_per_window=fresh,
            day_level=[math.exp(rng.gauss(0, 0.1)) for _ in range(self.days + 1)],
        )
        profile.typical_prefixes = self._typical_prefixes(profile)
        return profile

    def _typical_prefixes(self, p: Profile) -> int:
        sessions = min(self._sessions(p.base), 160)
        if len(p.pool) <= 12:
            return len(p.pool)
        seen = set(self.rng.choices(p.pool, cum_weights=p.cum_weights, k=sessions))
        return len(seen)

    @staticmethod
    def _sessions(requests: float) -> int:
        return max(1, int(requests / 4))

    def expected(self, p: Profile, index: int) -> float:
        """Expected requests of a key in window ``index`` (without noise or incidents)."""
        t = START_EPOCH + index * WINDOW_SECONDS
        hour = (t % 86400) / 3600
        day = index // DAY_WINDOWS
        weekday = (3 + day) % 7
        weekend = p.weekend if weekday >= 5 else 1.0
        if p.kind == "business":
            start, end = p.office
            up = 1 / (1 + math.exp(-(hour - start) * 6))
            down = 1 / (1 + math.exp((hour - end) * 6))
            shape = max(up * down, 0.002)
            if end > 24 and hour < end - 24:
                shape = max(shape, 1 / (1 + math.exp((hour + 24 - end) * 6)))
        else:
            shape = 1 + p.amplitude * math.cos(2 * math.pi * (hour - p.peak_hour) / 24)
        return p.base * shape * weekend * p.day_level[day]

    def _office_hours(self, p: Profile) -> set[int]:
        start, end = p.office
        return {h % 24 for h in range(start - 2, end + 2)}

    def _schedule(self, per_kind: int = 60) -> None:
        rng = self.rng
        busy: dict[str, list[tuple[int, int]]] = {}
        # Learning starts when a key is first seen (office keys: in the morning of day 0), so incidents
        # begin half a day after the nominal learning period.
        first = self.learning_windows + DAY_WINDOWS // 2
        timed: set[str] = set()
        last = self.n_windows - 16

        def free(key: str, a: int, b: int) -> bool:
            return all(b + AFTERMATH_WINDOWS < s or a > e + AFTERMATH_WINDOWS for s, e in busy.get(key, []))

        for kind in INCIDENT_KINDS:
            made = 0
            attempts = 0
            while made < per_kind and attempts < 100_000:
                attempts += 1
                p = rng.choice(self.profiles)
                if kind == "unusual_time" and (p.kind != "business" or p.key_id in timed):
                    # One per key: once alerted, the key has been active at that hour and it is learned.
                    continue
                length = {
                    "spike": rng.randint(2, 6),
                    "error_burst": rng.randint(3, 10),
                    "unusual_time": rng.randint(4, 12),
                    "unusual_place": rng.randint(1, 4),
                }[kind]
                start = rng.randint(first, last - length)
                if kind == "unusual_time":
                    night = [h for h in range(24) if h not in self._office_hours(p)]
                    if not night:
                        continue
                    hour = rng.choice(night)
                    day_start = (start // DAY_WINDOWS) * DAY_WINDOWS
                    start = day_start + hour * 12 + rng.randint(0, 11 - min(length, 11))
                    hours = {((start + j) % DAY_WINDOWS) // 12 for j in range(length)}
                    if hours & self._office_hours(p) or start < first or start + length >= last:
                        continue
                if kind == "error_burst" and min(self.expected(p, start + j) for j in range(length)) < 40:
                    continue
                end = start + length - 1
                if not free(p.key_id, start, end):
                    continue
                if kind == "spike":
                    size = max(100.0, rng.uniform(5, 15) * p.base * (1 + p.amplitude))
                elif kind == "error_burst":
                    size = rng.uniform(0.6, 1.0)
                elif kind == "unusual_time":
                    size = max(20.0, rng.uniform(0.5, 1.5) * p.base)
                else:
                    size = max(rng.uniform(15, 60), 2.0 * p.typical_prefixes)
                incident = Incident(p.key_id, kind, start, end, size)
                self.incidents.append(incident)
                self._by_key.setdefault(p.key_id, []).append(incident)
                busy.setdefault(p.key_id, []).append((start, end))
                if kind == "unusual_time":
                    timed.add(p.key_id)
                made += 1

    def incident_for(self, key_id: str, index: int) -> Incident | None:
        """The incident active on ``key_id`` at window ``index``, if any."""
        for incident in self._by_key.get(key_id, ()):
            if incident.start <= index <= incident.end:
                return incident
        return None

    def near_incident(self, key_id: str, index: int) -> bool:
        """Whether window ``index`` lies in an incident or in its aftermath."""
        return any(i.start <= index <= i.end + AFTERMATH_WINDOWS for i in self._by_key.get(key_id, ()))

    def windows(self) -> Iterator[tuple[int, int, list[KeyWindow]]]:
        """Yield ``(index, window_start, [KeyWindow...])`` for every window, in time order."""
        rng = self.rng
        for index in range(self.n_windows):
            window_start = START_EPOCH + index * WINDOW_SECONDS
            out: list[KeyWindow] = []
            for p in self.profiles:
                lam = self.expected(p, index) * math.exp(rng.gauss(0, 0.15))
                incident = self.incident_for(p.key_id, index)
                kind = incident.kind if incident else None
                if kind == "unusual_time":
                    assert incident is not None
                    lam = incident.size
                requests = _poisson(rng, lam)
                p_err = p.err
                if kind == "error_burst":
                    assert incident is not None
                    p_err = incident.size
                errors = _binomial(rng, requests, p_err)
                prefixes = self._prefixes(p, requests)
                if kind == "spike":
                    assert incident is not None
                    requests += _poisson(rng, incident.size)
                elif kind == "unusual_place":
                    assert incident is not None
                    attackers = {_prefix(rng) for _ in range(int(incident.size))}
                    prefixes |= attackers
                    requests += sum(rng.randint(1, 5) for _ in attackers)
                if requests == 0:
                    continue
                e5 = _binomial(rng, errors, 0.1)
                out.append(
                    KeyWindow(
                        api_key_id=p.key_id,
                        requests=requests,
                        errors_4xx=errors - e5,
                        errors_5xx=e5,
                        distinct_prefixes=len(prefixes),
                        prefixes=frozenset(prefixes),
                    )
                )
            yield index, window_start, out

    def _prefixes(self, p: Profile, requests: int) -> set[str]:
        if requests == 0:
            return set()
        rng = self.rng
        sessions = min(self._sessions(requests), 160)
        if len(p.pool) == 1:
            seen = {p.pool[0]}
        else:
            seen = set(rng.choices(p.pool, cum_weights=p.cum_weights, k=sessions))
        if p.fresh_per_window:
            seen.update(_prefix(rng) for _ in range(_poisson(rng, p.fresh_per_window)))
        return seen


@dataclass
class Report:
    """Detector quality on a scenario."""

    incidents: dict[str, int]
    detected: dict[str, int]
    alerts: dict[str, int]
    alerts_same_kind: dict[str, int]
    alerts_any_incident: dict[str, int]
    flagged_normal: int
    normal_key_windows: int
    seconds: float
    key_windows: int

    def recall(self, kind: str) -> float:
        """Share of injected incidents of ``kind`` that produced a finding of that kind."""
        return self.detected[kind] / self.incidents[kind] if self.incidents[kind] else 1.0

    def precision(self, kind: str) -> float:
        """Share of ``kind`` alerts (notifications) that fall in an injected incident of that kind."""
        return self.alerts_same_kind[kind] / self.alerts[kind] if self.alerts[kind] else 1.0

    def precision_any(self, kind: str) -> float:
        """Share of ``kind`` alerts that fall in an injected incident of any kind."""
        return self.alerts_any_incident[kind] / self.alerts[kind] if self.alerts[kind] else 1.0

    @property
    def false_positive_rate(self) -> float:
        """Flagged key-windows of normal traffic per key-window of normal traffic (evaluation period)."""
        return self.flagged_normal / self.normal_key_windows if self.normal_key_windows else 0.0

    def table(self) -> str:
        """A printable summary."""
        lines = [
            f"{'kind':<14} {'incidents':>9} {'detected':>8} {'recall':>7} {'alerts':>6} "
            f"{'precision':>9} {'prec(any)':>9}"
        ]
        for kind in INCIDENT_KINDS:
            lines.append(
                f"{kind:<14} {self.incidents[kind]:>9} {self.detected[kind]:>8} {self.recall(kind):>7.3f} "
                f"{self.alerts[kind]:>6} {self.precision(kind):>9.3f} {self.precision_any(kind):>9.3f}"
            )
        lines.append(
            f"false positives: {self.flagged_normal} flagged of {self.normal_key_windows} normal key-windows "
            f"= {1000 * self.false_positive_rate:.3f} per 1,000"
        )
        lines.append(f"{self.key_windows} key-windows evaluated in {self.seconds:.1f} s")
        return "\n".join(lines)


def scenario_config(scenario: Scenario) -> DetectorConfig:
    """Production defaults, with the learning period shortened to the scenario's (3 days, not 7)."""
    return DetectorConfig(learning_windows=scenario.learning_windows)


def run(scenario: Scenario, config: DetectorConfig | None = None) -> Report:
    """Feed every window of ``scenario`` through the detector and score its findings."""
    config = config or scenario_config(scenario)
    baselines: dict[str, Baseline] = {}
    contexts = {p.key_id: KeyContext(consumer=f"consumer-{p.key_id}") for p in scenario.profiles}
    counts = dict.fromkeys(INCIDENT_KINDS, 0)
    detected_ids: set[Incident] = set()
    alerts = dict(counts)
    alerts_same = dict(counts)
    alerts_any = dict(counts)
    flagged_normal = 0
    normal = 0
    key_windows = 0
    began = time.perf_counter()
    for index, window_start, windows in scenario.windows():
        evaluating = index >= scenario.learning_windows
        for window in windows:
            key_id = window.api_key_id
            baseline = baselines.get(key_id)
            if baseline is None:
                baseline = baselines[key_id] = Baseline(api_key_id=key_id)
            findings: list[Finding] = evaluate_key(window, baseline, contexts[key_id], window_start, config)
            key_windows += 1
            if not evaluating:
                continue
            incident = scenario.incident_for(key_id, index)
            near = scenario.near_incident(key_id, index)
            if not near:
                normal += 1
                if findings:
                    flagged_normal += 1
            for finding in findings:
                if incident is not None and incident.kind == finding.kind:
                    detected_ids.add(incident)
                if finding.notify:
                    alerts[finding.kind] += 1
                    if incident is not None:
                        alerts_any[finding.kind] += 1
                        if incident.kind == finding.kind:
                            alerts_same[finding.kind] += 1
    incidents = dict(counts)
    detected = dict(counts)
    for incident in scenario.incidents:
        incidents[incident.kind] += 1
        if incident in detected_ids:
            detected[incident.kind] += 1
    return Report(
        incidents=incidents,
        detected=detected,
        alerts=alerts,
        alerts_same_kind=alerts_same,
        alerts_any_incident=alerts_any,
        flagged_normal=flagged_normal,
        normal_key_windows=normal,
        seconds=time.perf_counter() - began,
        key_windows=key_windows,
    )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: build a scenario, run the detector, print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keys", type=int, default=300)
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args(argv)
    scenario = Scenario(seed=args.seed, keys=args.keys, days=args.days)
    report = run(scenario)
    print(f"seed={args.seed} keys={args.keys} days={args.days} incidents={len(scenario.incidents)}")
    print(report.table())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
