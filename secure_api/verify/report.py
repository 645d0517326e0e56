"""How ``secure-api verify`` prints its report: a table (default) or the ``--json`` document."""

from __future__ import annotations

import json

from secure_api.terminal import printable
from secure_api.verify.model import STATUSES, Report

EXIT_OK = 0
EXIT_FAILED = 1


def render_table(report: Report) -> str:
    """The human report: a header line, one row per check (CHECK, STATUS, DETAIL) and a summary line."""
    rows = [("CHECK", "STATUS", "DETAIL")] + [
        (printable(c.id), printable(c.status), printable(c.detail)) for c in report.checks
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = [f"API {printable(report.api_id)}, stage {printable(report.stage)}", ""]
    lines += [f"{a.ljust(widths[0])}  {b.ljust(widths[1])}  {c}".rstrip() for a, b, c in rows]
    summary = report.summary()
    lines += ["", ", ".join(f"{summary[s]} {s}" for s in STATUSES)]
    return "\n".join(lines)


def render_json(report: Report) -> str:
    """The ``--json`` document: ``{"apiId", "stage", "checks": [...], "summary": {...}}``."""
    return json.dumps(report.to_dict(), indent=2)


def exit_code(report: Report) -> int:
    """0 when no check failed, 1 when at least one did."""
    return EXIT_FAILED if report.failed else EXIT_OK
