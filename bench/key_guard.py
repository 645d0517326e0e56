"""Benchmark of the key guard's per-window work (``lambdas/key_guard``), in memory, no AWS.

Builds 10,000 keys with learned baselines (hour-of-day statistics, usual networks: most keys a handful,
5 % of them a full set of 512, learned hours) and one window of their traffic (a few of them anomalous),
then times, for that window: the detector and baseline update (``evaluate_window``), and the baselines'
conversion to and from DynamoDB items (what the store does besides the network calls). Median of several
runs, each on fresh copies of the baselines. Writes ``bench/results/key_guard.json`` and prints a table.

Run: ``.venv/bin/python bench/key_guard.py``
"""

from __future__ import annotations

import datetime
import json
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "lambdas" / "key_guard"))

from key_guard_baseline import from_item, to_item  # noqa: E402
from key_guard_detect import (  # noqa: E402
    Baseline,
    DetectorConfig,
    KeyContext,
    KeyWindow,
    evaluate_window,
)

RESULTS = REPO / "bench" / "results" / "key_guard.json"
KEYS = 10_000
RUNS = 7
TARGET_S = 1.0
WINDOW = 1_704_888_000  # 2024-01-10T12:00:00Z
SEED = 42


def _net(rng: random.Random) -> str:
    return f"{rng.randrange(1, 224)}.{rng.randrange(256)}.{rng.randrange(256)}.0/24"


def build(rng: random.Random) -> tuple[list[dict[str, Any]], list[KeyWindow], dict[str, KeyContext]]:
    """Stored baselines (as items), the window's traffic, and the API's keys."""
    config = DetectorConfig()
    items: list[dict[str, Any]] = []
    windows: list[KeyWindow] = []
    contexts: dict[str, KeyContext] = {}
    for i in range(KEYS):
        key_id = f"{i:05d}{rng.randrange(36**5):05x}"[:10]
        level = rng.uniform(2, 500)
        big = rng.random() < 0.05
        usual = [_net(rng) for _ in range(512 if big else rng.randint(1, 12))]
        baseline = Baseline(
            api_key_id=key_id,
            windows_seen=4000,
            first_window=WINDOW - 30 * 86400,
            last_window=WINDOW - 300,
            slot_mean=[level * rng.uniform(0.5, 1.5) for _ in range(24)],
            slot_var=[level * rng.uniform(0.5, 3.0) for _ in range(24)],
            slot_n=[300] * 24,
            peak=level * 2,
            err_mean=rng.uniform(0.0, 0.1),
            err_var=0.001,
            err_n=4000,
            new_prefix_mean=rng.uniform(0, 20) if big else 0.1,
            new_prefix_var=4.0,
            prefixes=dict.fromkeys(usual),
            hours_mask=(1 << 24) - 1 if rng.random() < 0.7 else 0b000000111111111110000000,
        )
        items.append(to_item(baseline, now=WINDOW))
        requests = max(1, int(rng.gauss(level, level**0.5)))
        if i % 500 == 0:
            requests *= 20
        seen = set(rng.sample(usual, min(len(usual), max(1, requests // 4))))
        if big:
            seen.update(_net(rng) for _ in range(rng.randint(0, 20)))
        if i % 700 == 0:
            seen.update(_net(rng) for _ in range(30))
        errors = int(requests * rng.uniform(0, 0.05))
        windows.append(
            KeyWindow(
                api_key_id=key_id,
                requests=requests,
                errors_4xx=errors,
                errors_5xx=0,
                distinct_prefixes=len(seen),
                prefixes=frozenset(seen),
            )
        )
        contexts[key_id] = KeyContext(consumer=f"consumer-{i}")
    assert config.window_seconds == 300
    return items, windows, contexts


def main() -> int:
    """Run the benchmark, print the table and write the results file."""
    rng = random.Random(SEED)
    items, windows, contexts = build(rng)
    config = DetectorConfig()
    detect: list[float] = []
    load: list[float] = []
    dump: list[float] = []
    findings = 0
    for _ in range(RUNS):
        began = time.perf_counter()
        baselines = {b.api_key_id: b for b in (from_item(item) for item in items)}
        loaded = time.perf_counter()
        result = evaluate_window(windows, baselines, contexts, WINDOW, config)
        evaluated = time.perf_counter()
        out = [to_item(b, now=WINDOW) for b in result.baselines.values()]
        dumped = time.perf_counter()
        assert result.evaluated == KEYS and len(out) == KEYS
        findings = len(result.findings)
        load.append(loaded - began)
        detect.append(evaluated - loaded)
        dump.append(dumped - evaluated)
    totals = [a + b + c for a, b, c in zip(load, detect, dump, strict=True)]
    results = {
        "date": datetime.datetime.now(tz=datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "machine": platform.machine(),
        },
        "keys": KEYS,
        "runs": RUNS,
        "findings_in_window": findings,
        "median_s": {
            "detect_and_update": round(statistics.median(detect), 4),
            "items_to_baselines": round(statistics.median(load), 4),
            "baselines_to_items": round(statistics.median(dump), 4),
            "total": round(statistics.median(totals), 4),
        },
        "min_total_s": round(min(totals), 4),
        "max_total_s": round(max(totals), 4),
        "target_s": TARGET_S,
        "detect_and_update_meets_target": statistics.median(detect) < TARGET_S,
        "total_meets_target": statistics.median(totals) < TARGET_S,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"key guard, one window of {KEYS:,} keys, median of {RUNS} runs ({platform.python_version()})")
    print(f"{'step':<28} {'median s':>9}")
    for name, value in results["median_s"].items():
        print(f"{name:<28} {value:>9.4f}")
    print(f"{'target':<28} {TARGET_S:>9.4f}")
    print(f"findings in the window: {findings}; written to {RESULTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
