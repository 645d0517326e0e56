"""Issue 27 item 7: ``secure-api`` never prints a terminal escape sequence it read from data.

A CSV, a consumer or tier name on the command line, or an AWS error message is data; every table cell and
error line shows its control characters escaped (``\\x1b``, ``\\r``, ``\\x07``), so a crafted file cannot
recolour, rewrite or retitle the operator's terminal.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from secure_api.keys import cli
from secure_api.terminal import printable
from tests.unit import test_keys_support as support
from tests.unit.test_keys_support import World

aws = support.aws
world = support.world

HOSTILE = "\x1b[31mred\x1b]0;pwned\x07\rover\x9b2J\u202eevil"
RAW = ("\x1b", "\x07", "\r", "\x9b", "\u202e")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_no_raw_controls(text: str, *, allow_cr: bool = False) -> None:
    for char in RAW:
        if char == "\r" and allow_cr:
            continue
        assert char not in text, f"{char!r} printed raw in {text!r}"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plain name", "plain name"),
        ("caf\u00e9 \u65e5\u672c", "caf\u00e9 \u65e5\u672c"),
        ("\x1b[31mx", "\\x1b[31mx"),
        ("a\rb\x07", "a\\rb\\x07"),
        ("back\\slash", "back\\\\slash"),
        ("\u202eevil", "\\u202eevil"),
        ("\x85next", "\\x85next"),
    ],
)
def test_printable_escapes_control_characters(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_fails_import_csv_escape_sequences_are_printed_escaped(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    csv_file = tmp_path / "consumers.csv"
    with csv_file.open("w", encoding="utf-8", newline="") as file:
        # Quoted by the writer, so the '\r' stays inside its cell.
        csv.writer(file).writerows(
            [["consumer", "tier"], [HOSTILE, "gold"], ["ok", HOSTILE], ["fine", "gold"]]
        )
    code, out, err = run(capsys, "keys", "import", str(csv_file), "--api-id", world.api_id)
    assert code == 1
    assert_no_raw_controls(out)
    assert_no_raw_controls(err, allow_cr=True)  # the progress bar redraws itself with '\r'
    assert "\\x1b[31mred" in out  # shown, escaped
    code, out, _ = run(capsys, "keys", "import", str(csv_file), "--api-id", world.api_id, "--json")
    assert_no_raw_controls(out)
    failed = {r["consumer"] for r in json.loads(out)["results"] if r["result"] == "failed"}
    assert any(name.startswith("\x1b[31mred") for name in failed)  # JSON keeps the value, encoded


@pytest.mark.parametrize(
    "argv",
    [
        ["keys", "create", HOSTILE, "--tier", "gold"],
        ["keys", "create", "ok", "--tier", HOSTILE],
        ["keys", "rotate", HOSTILE],
        ["keys", "usage", HOSTILE],
        ["keys", "reinstate", HOSTILE],
    ],
)
def test_fails_error_lines_echoing_input_are_escaped(
    world: World, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, out, err = run(capsys, *argv, "--api-id", world.api_id)
    assert code == 2 and out == ""
    assert_no_raw_controls(err)
    assert err.count("\n") == 1


def test_fails_an_unreadable_csv_path_is_escaped(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "keys", "import", f"/nonexistent/{HOSTILE}.csv", "--api-id", world.api_id)
    assert code == 2
    assert_no_raw_controls(err)


def test_fails_verify_report_details_are_escaped() -> None:
    from secure_api.verify.model import CheckResult, Report
    from secure_api.verify.report import render_table

    report = Report(
        api_id="a1b2c3d4e5",
        stage=HOSTILE,
        checks=[CheckResult(id="stage.throttling", status="fail", detail=f"server said {HOSTILE}")],
    )
    table = render_table(report)
    assert_no_raw_controls(table)
    assert "server said \\x1b[31mred" in table
