"""``make compliance``: a table of findings per checker, before and after acknowledgement, for every
stack the gate builds under every feature-flag set."""

from __future__ import annotations

import sys

from tests.compliance.apps import GATE
from tests.compliance.gate import run_app


def main() -> int:
    """Print checker, findings, acknowledged, left; exit 1 when anything is left unacknowledged."""
    left_total = 0
    for flags, stacks in GATE.items():
        raw_app = run_app(flags, stacks, acknowledge=False)
        left_app = run_app(flags, stacks, acknowledge=True)
        for stack_id, raw in raw_app.items():
            left = left_app[stack_id]
            print(f"\n{stack_id} stack, feature flags: {flags}")
            print(f"{'checker':<26}{'findings':>10}{'acknowledged':>14}{'left':>6}")
            for checker in sorted(set(raw.by_checker) | set(left.by_checker)):
                found = len(raw.by_checker.get(checker, []))
                remaining = len(left.by_checker.get(checker, []))
                print(f"{checker:<26}{found:>10}{found - remaining:>14}{remaining:>6}")
                for finding in left.by_checker.get(checker, []):
                    print(f"    unacknowledged: {finding}")
            left_total += left.total()
    return 1 if left_total else 0


if __name__ == "__main__":
    sys.exit(main())
