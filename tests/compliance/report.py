"""``make compliance``: findings before and after acknowledgement, for every stack the gate builds
under every feature-flag set.

The screen gets one line per stack and flag set (and any finding left unacknowledged) and one line
naming the full report file, which holds the per-checker tables, every finding, what acknowledged it,
and the checkers' own output.
"""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from tests.compliance.apps import GATE
from tests.compliance.gate import Findings, run_app

REPORT = Path(__file__).resolve().parents[2] / "cdk.out" / "compliance-report.txt"


@contextmanager
def _captured(log: IO[bytes]) -> Iterator[None]:
    """Send this process's stdout and stderr (and the CDK validation report that jsii relays from Node
    on a background thread) to ``log``."""
    saved = sys.stdout, sys.stderr
    wrapper = io.TextIOWrapper(log, encoding="utf-8", write_through=True)
    sys.stdout = sys.stderr = wrapper
    try:
        yield
    finally:
        time.sleep(0.5)  # let jsii's stderr relay thread write what Node printed last
        sys.stdout, sys.stderr = saved
        wrapper.flush()
        wrapper.detach()  # ``log`` stays open for the caller


def table(name: str, raw: Findings, left: Findings) -> list[str]:
    """The lines of one stack's table: checker, findings, acknowledged, left."""
    lines = [f"{name} stack", f"{'checker':<26}{'findings':>10}{'acknowledged':>14}{'left':>6}"]
    for checker in sorted(set(raw.by_checker) | set(left.by_checker)):
        found = len(raw.by_checker.get(checker, []))
        remaining = len(left.by_checker.get(checker, []))
        lines.append(f"{checker:<26}{found:>10}{found - remaining:>14}{remaining:>6}")
        lines += [f"    unacknowledged: {finding}" for finding in left.by_checker.get(checker, [])]
    return lines


def details(name: str, raw: Findings, left: Findings) -> list[str]:
    """Every finding of one stack, marked acknowledged or left."""
    lines = [f"== {name} stack: every finding =="]
    for checker in sorted(raw.by_checker):
        remaining = set(left.by_checker.get(checker, []))
        lines.append(f"-- {checker}")
        lines += [
            f"   {'LEFT' if finding in remaining else 'acknowledged'}: {finding}"
            for finding in sorted(raw.by_checker[checker])
        ]
    return lines


SECURITY_HUB = "securityhub"
"""The checker whose row the screen shows under every stack (AWS Security Hub's API Gateway controls)."""


def summary(name: str, raw: Findings, left: Findings) -> list[str]:
    """One stack's screen line (findings, acknowledged, left), its Security Hub row, and any finding left
    unacknowledged."""
    found, remaining = raw.total(), left.total()
    hub_found = len(raw.by_checker.get(SECURITY_HUB, []))
    hub_left = len(left.by_checker.get(SECURITY_HUB, []))
    lines = [
        f"{name:<44}{found:>10}{found - remaining:>14}{remaining:>6}",
        f"{'  of which Security Hub APIGateway.*':<44}{hub_found:>10}{hub_found - hub_left:>14}{hub_left:>6}",
    ]
    for checker, findings in sorted(left.by_checker.items()):
        lines += [f"    unacknowledged ({checker}): {finding}" for finding in findings]
    return lines


def main() -> int:
    """Print one line per stack and flag set and the report's path; exit 1 when anything is left."""
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    screen = [f"{'stack (feature flags)':<44}{'findings':>10}{'acknowledged':>14}{'left':>6}"]
    left_total = 0
    with REPORT.open("wb") as log:
        log.write(b"Checkers' own output (CDK validation report, before and after acknowledgement):\n\n")
        with _captured(log):
            results = [
                (f"{stack_id} ({flags})", raw, run_app(flags, stacks, acknowledge=True)[stack_id])
                for flags, stacks in GATE.items()
                for stack_id, raw in run_app(flags, stacks, acknowledge=False).items()
            ]
        body: list[str] = []
        for name, raw, left in results:
            screen += summary(name, raw, left)
            body += ["", *table(name, raw, left), "", *details(name, raw, left)]
            left_total += left.total()
        log.write("\n".join([*screen, *body, ""]).encode())
    try:
        shown = REPORT.relative_to(Path.cwd())
    except ValueError:
        shown = REPORT
    screen += ["", f"Full report (per-checker tables, every finding, the checkers' output): {shown}"]
    print("\n".join(screen))
    return 1 if left_total else 0


if __name__ == "__main__":
    sys.exit(main())
