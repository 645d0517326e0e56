"""``make compliance``: a table of findings per checker, before and after acknowledgement."""

from __future__ import annotations

import sys

from tests.compliance.apps import STACKS
from tests.compliance.gate import run_all


def main() -> int:
    """Print checker, findings, acknowledged, left; exit 1 when anything is left unacknowledged."""
    left_total = 0
    for name, build in STACKS.items():
        raw = run_all(build, acknowledge=False)
        left = run_all(build, acknowledge=True)
        print(f"\n{name} stack")
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
