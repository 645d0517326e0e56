"""The ``end-to-end: N checks ran, N passed`` line of a test run.

Its hooks are registered by tests/conftest.py, which pytest also loads in xdist's controller process
(where the reports of every worker arrive); tests/e2e/conftest.py is loaded only where the end-to-end
tests are collected.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

E2E_DIR = Path(__file__).resolve().parent
_RESULTS: dict[str, str] = {}
_SPAN: list[float] = []  # the start of the first end-to-end phase, the stop of the last


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Remember each end-to-end check's outcome (a failed setup or teardown counts as failed)."""
    if not Path(report.fspath).resolve().is_relative_to(E2E_DIR):
        return
    _SPAN[:] = (
        [min(_SPAN[0], report.start), max(_SPAN[1], report.stop)] if _SPAN else [report.start, report.stop]
    )
    if report.when == "call" or report.outcome != "passed":
        previous = _RESULTS.get(report.nodeid)
        if previous != "failed":
            _RESULTS[report.nodeid] = report.outcome


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """``end-to-end: N checks ran, N passed`` (skipped checks counted apart) and its wall time."""
    if not _RESULTS:
        return
    ran = [o for o in _RESULTS.values() if o != "skipped"]
    passed = sum(o == "passed" for o in ran)
    skipped = len(_RESULTS) - len(ran)
    line = f"end-to-end: {len(ran)} checks ran, {passed} passed"
    if skipped:
        line += f" ({skipped} skipped: emulator gaps, see tests/e2e/emulator_gaps.py)"
    line += f", {_SPAN[1] - _SPAN[0]:.0f} s"
    terminalreporter.write_line(line)
