"""Detection quality of the key guard on seeded synthetic traffic (``tests/synthetic_traffic.py``).

300 keys of four traffic profiles over 7 days of 5-minute windows (diurnal and weekly patterns, noise),
incidents of every kind injected after the learning period. Computes recall and precision per incident
kind and false positives per 1,000 key-windows of normal traffic, writes
``bench/results/key_guard_accuracy.json`` and prints the table.

Run: ``.venv/bin/python bench/key_guard_accuracy.py``
"""

from __future__ import annotations

import datetime
import json
import platform
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests import synthetic_traffic as st  # noqa: E402

SEED, KEYS, DAYS = 7, 300, 7
RECALL_MIN = 0.95
FALSE_POSITIVES_PER_1000_MAX = 1.0


def main() -> int:
    """Run the scenario, write the results, exit 1 when a target is missed."""
    report = st.run(st.Scenario(seed=SEED, keys=KEYS, days=DAYS))
    per_kind = {
        kind: {
            "incidents": report.incidents[kind],
            "detected": report.detected[kind],
            "recall": round(report.recall(kind), 3),
            "alerts": report.alerts[kind],
            "precision": round(report.precision(kind), 3),
            "precision_any_incident": round(report.precision_any(kind), 3),
        }
        for kind in st.INCIDENT_KINDS
    }
    fp_per_1000 = round(1000 * report.false_positive_rate, 3)
    met = (
        all(v["recall"] >= RECALL_MIN for v in per_kind.values())
        and fp_per_1000 <= FALSE_POSITIVES_PER_1000_MAX
    )
    result = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "machine": platform.machine()},
        "scenario": {"seed": SEED, "keys": KEYS, "days": DAYS, "key_windows": report.key_windows},
        "per_kind": per_kind,
        "false_positives": {
            "flagged_normal_key_windows": report.flagged_normal,
            "normal_key_windows": report.normal_key_windows,
            "per_1000": fp_per_1000,
        },
        "seconds": round(report.seconds, 1),
        "targets": {
            "recall_min": RECALL_MIN,
            "false_positives_per_1000_max": FALSE_POSITIVES_PER_1000_MAX,
            "met": met,
        },
    }
    out = REPO / "bench" / "results" / "key_guard_accuracy.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(report.table())
    print(f"written to {out.relative_to(REPO)}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
