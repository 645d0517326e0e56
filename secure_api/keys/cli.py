"""The ``secure-api`` command: ``secure-api keys {create,list,rotate,revoke,expire,reinstate,usage,import}``
and ``secure-api verify``; ``--stack NAME`` may replace ``--api-id`` everywhere.

Human output is aligned tables on stdout; ``--json`` prints one JSON document instead. Expected failures
print one line on stderr and exit with code 2. A key value is printed only with ``--show-value``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Any, NoReturn

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from secure_api.keys import ops, stack_outputs
from secure_api.keys.environment import API_ID_ENV, API_ID_ENV_ALIASES, KMS_KEY_ENV, env_api_id
from secure_api.keys.errors import EXIT_ERROR, CsvError, KeyOpsError
from secure_api.keys.model import KeyRecord, format_time, secret_name
from secure_api.keys.retry import THROTTLING_CODES, error_code
from secure_api.terminal import printable
from secure_api.verify import command as verify_command

PROG = "secure-api"
EXIT_PARTIAL = 1
"""Exit code of ``keys import`` when some lines failed (the others were processed)."""


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _UsageError(f"{self.prog}: {message} (see --help)")


def _common() -> _Parser:
    # SUPPRESS defaults let the options appear before or after the subcommand without the
    # subcommand's parser overwriting a value given earlier.
    common = _Parser(add_help=False)
    common.add_argument(
        "--api-id",
        dest="api_id",
        default=argparse.SUPPRESS,
        help=f"id of the REST, WebSocket or HTTP API (default: ${API_ID_ENV}, or its older name "
        f"${API_ID_ENV_ALIASES[0]}); with --stack, picks one of the stack's APIs",
    )
    common.add_argument(
        "--stack",
        default=argparse.SUPPRESS,
        help="CloudFormation stack whose outputs give the API id (and the keys' KMS key)",
    )
    common.add_argument(
        "--json",
        dest="json",
        action="store_true",
        default=argparse.SUPPRESS,
        help="print machine-readable JSON on stdout",
    )
    common.add_argument("--region", default=argparse.SUPPRESS, help="AWS region (default: $AWS_REGION)")
    common.add_argument("--profile", default=argparse.SUPPRESS, help="AWS profile (default: $AWS_PROFILE)")
    return common


def _version() -> str:
    from secure_api import __version__

    return __version__


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``secure-api`` command."""
    common = _common()
    parser = _Parser(
        prog=PROG,
        parents=[common],
        description="Operate and verify an API built with secure_api (a SecureRestApi, SecureWebSocketApi or "
        "SecureHttpApi): its consumers' API keys (REST and WebSocket APIs), and a read-only check of the "
        "deployed API (all three kinds).",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {_version()}")
    groups = parser.add_subparsers(dest="group", required=True, metavar="{keys,verify}")
    verify_command.add_arguments(
        groups.add_parser(
            "verify",
            parents=[common],
            help="read-only check of the deployed API (REST, WebSocket or HTTP API) against the library's promises",
            description="Read-only check of the deployed API (a REST, WebSocket or HTTP API, recognised from "
            "API Gateway) against the library's promises.",
        )
    )
    keys = groups.add_parser("keys", parents=[common], help="manage the API keys of consumers")
    commands = keys.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub: argparse.ArgumentParser = commands.add_parser(
            name, parents=[common], help=help_text, description=help_text
        )
        return sub

    show = {"action": "store_true", "help": "also print the key value (it is otherwise never printed)"}
    kms = {
        "dest": "kms_key_id",
        "default": None,
        "help": (
            f"KMS key for new secrets (default: ${KMS_KEY_ENV}, else the API's customer-managed key"
            " named by its secure-api:keys-kms-key tag)"
        ),
    }

    create = command("create", "issue a key for a consumer, attached to its tier's usage plan")
    create.add_argument("consumer")
    create.add_argument("--tier", required=True)
    create.add_argument("--kms-key-id", **kms)  # type: ignore[arg-type]
    create.add_argument("--show-value", **show)  # type: ignore[arg-type]

    listing = command("list", "one row per consumer: key id, tier, enabled, created, previous key")
    listing.add_argument("--show-value", **show)  # type: ignore[arg-type]

    rotate = command("rotate", "new key made current; the old key stays valid for the grace period")
    rotate.add_argument("consumer")
    rotate.add_argument("--grace-hours", type=float, default=ops.DEFAULT_GRACE_HOURS)
    rotate.add_argument("--show-value", **show)  # type: ignore[arg-type]

    revoke = command("revoke", "disable and detach every key of a consumer at once")
    revoke.add_argument("consumer")

    command("expire", "disable and delete previous keys whose grace period has passed")

    reinstate = command("reinstate", "re-enable a consumer's key that monitoring quarantined")
    reinstate.add_argument("consumer")

    usage = command("usage", "requests per day of a consumer's keys")
    usage.add_argument("consumer")
    usage.add_argument("--days", type=int, default=7)

    bulk = command("import", "create consumers from a CSV file of consumer,tier lines")
    bulk.add_argument("file")
    bulk.add_argument("--kms-key-id", **kms)  # type: ignore[arg-type]
    return parser


# ------------------------------------------------------------------------------------------------
# output
# ------------------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return format_time(value) or "-"
    if isinstance(value, list | tuple):
        return printable(",".join(str(v) for v in value) or "-")
    return printable(value)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Return ``rows`` as a left-aligned text table under ``headers``; every cell is shown
    :func:`~secure_api.terminal.printable` (a CSV or an AWS answer is data, not terminal commands)."""
    cells = [[printable(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, tuple | set):
        return list(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _emit(args: argparse.Namespace, data: Any, table: str, out: IO[str]) -> None:
    if getattr(args, "json", False):
        out.write(json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n")
    else:
        out.write(table + "\n")


def _key_view(rec: KeyRecord, *, show_value: bool) -> dict[str, Any]:
    view = rec.to_dict()
    view.pop("apiKey")
    view["secretName"] = secret_name(rec.rest_api_id, rec.consumer)
    if show_value:
        view["apiKey"] = rec.api_key
    return view


class _Progress:
    """A progress bar on stderr (redrawn in place)."""

    def __init__(self, stream: IO[str], label: str) -> None:
        self.stream = stream
        self.label = label
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()


# ------------------------------------------------------------------------------------------------
# CSV
# ------------------------------------------------------------------------------------------------


def read_import_file(path: str) -> list[tuple[int, str, str]]:
    """Read ``consumer,tier`` lines (optional header, ``#`` comments, blank lines) as (line, consumer, tier).

    Raises :class:`CsvError` for an unreadable file or a line without exactly two non-empty fields, and for
    a consumer listed twice with different tiers; a consumer repeated with the same tier counts once.
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise CsvError(f"cannot read {path}: no such file") from None
    except OSError as exc:
        raise CsvError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CsvError(f"cannot read {path}: not UTF-8 text") from None
    rows: list[tuple[int, str, str]] = []
    seen: dict[str, str] = {}
    reader = csv.reader(io.StringIO(text))
    try:
        for row in reader:
            line = reader.line_num
            cells = [cell.strip() for cell in row]
            if not any(cells) or cells[0].startswith("#"):
                continue
            if not rows and not seen and [c.lower() for c in cells] == ["consumer", "tier"]:
                continue
            if len(cells) != 2 or not cells[0] or not cells[1]:
                raise CsvError(f"{path}:{line}: expected 'consumer,tier', got {','.join(row)!r}")
            consumer, tier = cells
            if consumer in seen:
                if seen[consumer] != tier:
                    raise CsvError(f"{path}:{line}: consumer {consumer!r} listed again with another tier")
                continue
            seen[consumer] = tier
            rows.append((line, consumer, tier))
    except csv.Error as exc:
        raise CsvError(f"{path}:{reader.line_num}: malformed CSV ({exc})") from None
    return rows


# ------------------------------------------------------------------------------------------------
# commands
# ------------------------------------------------------------------------------------------------


def _ops(args: argparse.Namespace) -> ops.KeyOps:
    picked = _stack_api(args)
    api_id = (picked and picked.rest_api_id) or getattr(args, "api_id", None) or env_api_id()
    if not api_id:
        raise KeyOpsError(f"no API given: pass --api-id ID or --stack NAME (or set {API_ID_ENV})")
    clients = ops.make_clients(region=getattr(args, "region", None), profile=getattr(args, "profile", None))
    kms_key_id = (
        getattr(args, "kms_key_id", None)
        or (picked and picked.keys_kms_key_arn)
        or os.environ.get(KMS_KEY_ENV)
        or None
    )
    key_ops = ops.KeyOps(clients, api_id, kms_key_id=kms_key_id)
    key_ops.check_api()
    return key_ops


def _stack_api(args: argparse.Namespace) -> stack_outputs.StackApi | None:
    """``--stack NAME``: the API its outputs name (``--api-id`` picks one when it holds several)."""
    if not getattr(args, "stack", None):
        return None
    return stack_outputs.resolve_stack_api(
        args.stack,
        getattr(args, "api_id", None),
        region=getattr(args, "region", None),
        profile=getattr(args, "profile", None),
    )


def _run(args: argparse.Namespace, out: IO[str], err: IO[str]) -> int:
    if args.group == "verify":
        return verify_command.run(args, out)
    key_ops = _ops(args)
    command = args.command
    show_value = bool(getattr(args, "show_value", False))

    if command == "create":
        outcome, rec = key_ops.create(args.consumer, args.tier)
        view = _key_view(rec, show_value=show_value) | {"result": outcome}
        headers = ["CONSUMER", "TIER", "API KEY ID", "STATUS", "SECRET", "RESULT"]
        row: list[Any] = [rec.consumer, rec.tier, rec.api_key_id, rec.status, view["secretName"], outcome]
        if show_value:
            headers.append("API KEY")
            row.append(rec.api_key)
        _emit(args, view, format_table(headers, [row]), out)
        return 0

    if command == "list":
        rows = key_ops.list_consumers()
        views = []
        for item in rows:
            rec = item.pop("_record")
            if show_value:
                item["apiKey"] = rec.api_key
            views.append(item)
        headers = [
            "CONSUMER",
            "TIER",
            "API KEY ID",
            "ENABLED",
            "CREATED",
            "PREVIOUS KEY",
            "PREVIOUS EXPIRES",
            "STATUS",
        ]
        if show_value:
            headers.append("API KEY")
        table_rows = [
            [
                v["consumer"],
                v["tier"],
                v["apiKeyId"],
                v["enabled"],
                v["created"],
                v["previousApiKeyId"],
                v["previousKeyExpiresAt"],
                v["status"],
            ]
            + ([v["apiKey"]] if show_value else [])
            for v in views
        ]
        _emit(args, views, format_table(headers, table_rows), out)
        return 0

    if command == "rotate":
        rec = key_ops.rotate(args.consumer, args.grace_hours)
        view = _key_view(rec, show_value=show_value)
        headers = ["CONSUMER", "API KEY ID", "PREVIOUS KEY", "PREVIOUS EXPIRES"]
        row = [rec.consumer, rec.api_key_id, rec.previous_api_key_id, rec.previous_key_expires_at]
        if show_value:
            headers.append("API KEY")
            row.append(rec.api_key)
        _emit(args, view, format_table(headers, [row]), out)
        return 0

    if command == "revoke":
        _, key_ids = key_ops.revoke(args.consumer)
        data = {"consumer": args.consumer, "status": "revoked", "revokedApiKeyIds": key_ids}
        table = format_table(["CONSUMER", "STATUS", "REVOKED KEYS"], [[args.consumer, "revoked", key_ids]])
        _emit(args, data, table, out)
        return 0

    if command == "expire":
        expired = key_ops.expire()
        table = format_table(
            ["CONSUMER", "EXPIRED KEY", "EXPIRED AT"],
            [[e["consumer"], e["apiKeyId"], e["expiredAt"]] for e in expired],
        )
        _emit(args, {"expired": expired}, table + f"\n{len(expired)} key(s) expired", out)
        return 0

    if command == "reinstate":
        rec = key_ops.reinstate(args.consumer)
        data = {"consumer": rec.consumer, "apiKeyId": rec.api_key_id, "status": "reinstated"}
        _emit(
            args,
            data,
            format_table(
                ["CONSUMER", "API KEY ID", "STATUS"], [[rec.consumer, rec.api_key_id, "reinstated"]]
            ),
            out,
        )
        return 0

    if command == "usage":
        report = key_ops.usage(args.consumer, args.days)
        table = format_table(["DATE", "REQUESTS"], [[d["date"], d["requests"]] for d in report["days"]])
        _emit(args, report, table + f"\ntotal {report['total']}", out)
        return 0

    if command == "import":
        lines = read_import_file(args.file)
        progress = _Progress(err, "importing")
        try:
            results = key_ops.import_consumers(lines, progress)
        finally:
            progress.close()
        counts = {name: sum(r.result == name for r in results) for name in ("created", "skipped", "failed")}
        data = {
            **counts,
            "results": [
                {"line": r.line, "consumer": r.consumer, "tier": r.tier, "result": r.result, "error": r.error}
                for r in results
            ],
        }
        table = format_table(["RESULT", "COUNT"], [[name, n] for name, n in counts.items()])
        failed = [[r.line, r.consumer, r.tier, r.error] for r in results if r.result == "failed"]
        if failed:
            table += "\n\n" + format_table(["LINE", "CONSUMER", "TIER", "ERROR"], failed)
        _emit(args, data, table, out)
        return EXIT_PARTIAL if counts["failed"] else 0

    raise KeyOpsError(f"unknown command {command!r}")  # pragma: no cover - argparse rejects it first


def _one_line(message: str) -> str:
    """One error line: whitespace runs (newlines too) become one space, the rest is shown printable."""
    return printable(" ".join(message.split()))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``secure-api`` command; return its exit code."""
    out, err = sys.stdout, sys.stderr
    try:
        args = build_parser().parse_args(list(argv) if argv is not None else None)
    except _UsageError as exc:
        err.write(f"{PROG}: error: {_one_line(str(exc))}\n")
        return EXIT_ERROR
    except SystemExit as exc:  # --help
        return int(exc.code or 0) if not isinstance(exc.code, str) else EXIT_ERROR
    try:
        return _run(args, out, err)
    except KeyOpsError as exc:
        message, code = str(exc), exc.exit_code
    except (NoCredentialsError, PartialCredentialsError):
        message, code = (
            "no AWS credentials found: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
            EXIT_ERROR,
        )
    except NoRegionError:
        message, code = "no AWS region: set AWS_REGION or pass --region", EXIT_ERROR
    except ProfileNotFound as exc:
        message, code = str(exc), EXIT_ERROR
    except EndpointConnectionError as exc:
        message, code = f"cannot reach AWS: {exc}", EXIT_ERROR
    except ClientError as exc:
        code_name = error_code(exc)
        detail = exc.response.get("Error", {}).get("Message", "") or str(exc)
        if code_name in THROTTLING_CODES:
            message = f"AWS kept throttling the requests ({code_name}); try again later"
        else:
            message = f"AWS refused the request ({code_name}): {detail}"
        code = EXIT_ERROR
    except BotoCoreError as exc:
        message, code = f"AWS error: {exc}", EXIT_ERROR
    err.write(f"{PROG}: error: {_one_line(message)}\n")
    return code
