"""``secure-api verify``: resolve the API and recognise its kind (REST, WebSocket or HTTP API), then run
that kind's gatherer, AWS-side checks and probes (:mod:`secure_api.verify.kinds`), and report."""

from __future__ import annotations

import argparse
import os
from typing import IO, Any

from secure_api.keys.environment import API_ID_ENV, env_api_id
from secure_api.keys.errors import KeyOpsError
from secure_api.keys.stack_outputs import resolve_stack_api
from secure_api.verify.gather import VerifyClients, make_clients
from secure_api.verify.kinds import KINDS, ApiKind, detect_protocol
from secure_api.verify.model import Report
from secure_api.verify.observe import observe, observe_websocket
from secure_api.verify.options import DEFAULT_STAGE, MAX_PROBED_ROUTES, VerifyOptions
from secure_api.verify.probes import WEBSOCKET_SCHEMES, Target
from secure_api.verify.public import parse_public
from secure_api.verify.report import exit_code, render_json, render_table

__all__ = [
    "DEFAULT_STAGE",
    "MAX_PROBED_ROUTES",
    "VerifyOptions",
    "observe",
    "observe_websocket",
    "options_from_args",
    "run",
    "verify",
]


def _check_options(options: VerifyOptions, kind: ApiKind[Any, Any]) -> None:
    """Refuse (exit 2) ``--public`` for a kind without methods and a ``--url`` of the other scheme."""
    if kind.public_refusal and options.public:
        raise KeyOpsError(
            f"--public {options.public[0]}: {options.api_id} is {kind.name}, {kind.public_refusal}"
        )
    if not options.url:
        return
    websocket_url = Target.parse(options.url).scheme in WEBSOCKET_SCHEMES
    if websocket_url != (kind.probes.scheme == "wss"):
        raise KeyOpsError(
            f"--url {options.url!r}: {options.api_id} is {kind.name}; give its {kind.probes.scheme}:// URL, "
            f"e.g. {kind.probes.example}"
        )


def verify(clients: VerifyClients, options: VerifyOptions) -> Report:
    """Recognise the API's kind, gather, probe and check; raises :class:`KeyOpsError` when the command
    cannot run."""
    protocol, answer = (
        (options.protocol, None) if options.protocol else detect_protocol(clients, options.api_id)
    )
    kind = KINDS[protocol]
    _check_options(options, kind)
    return Report(
        api_id=options.api_id, stage=options.stage, checks=tuple(kind.run(clients, options, answer))
    )


def options_from_args(args: argparse.Namespace) -> VerifyOptions:
    """Validate the command line and resolve ``--stack``; :class:`KeyOpsError` (exit 2) on bad input."""
    public = parse_public(getattr(args, "public", None) or ())
    url = getattr(args, "url", None)
    if url:
        try:
            Target.parse(url)
        except ValueError as exc:
            raise KeyOpsError(str(exc)) from None
    ca_bundle = getattr(args, "ca_bundle", None)
    if ca_bundle and not os.path.isfile(ca_bundle):
        raise KeyOpsError(f"--ca-bundle {ca_bundle!r}: no such file")
    api_id = getattr(args, "api_id", None)
    stage = getattr(args, "stage", None)
    stack = getattr(args, "stack", None)
    protocol = None
    if stack:
        picked = resolve_stack_api(
            stack, api_id, region=getattr(args, "region", None), profile=getattr(args, "profile", None)
        )
        api_id = picked.rest_api_id
        stage = stage or picked.stage_name
        protocol = picked.protocol
    api_id = api_id or env_api_id()
    if not api_id:
        raise KeyOpsError(f"no API given: pass --api-id ID or --stack NAME (or set {API_ID_ENV})")
    return VerifyOptions(
        api_id=api_id,
        stage=stage or DEFAULT_STAGE,
        url=url,
        public=public,
        ca_bundle=ca_bundle,
        protocol=protocol,
    )


def run(args: argparse.Namespace, out: IO[str]) -> int:
    """The ``verify`` subcommand: print the report on ``out``; return 0 (no failure) or 1."""
    options = options_from_args(args)
    clients = make_clients(region=getattr(args, "region", None), profile=getattr(args, "profile", None))
    report = verify(clients, options)
    out.write((render_json(report) if getattr(args, "json", False) else render_table(report)) + "\n")
    return exit_code(report)


def checks_epilog() -> str:
    """The help's list of check ids, per API kind, in report order."""
    lines = []
    for kind in KINDS.values():
        lines += [f"checks of {kind.name}:", *(f"  {cid}" for cid in kind.check_ids)]
    return "\n".join(
        [
            *lines,
            "each ends pass, fail, warn or skip; exit 0: nothing failed, 1: a check failed, 2: could not run",
        ]
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``secure-api verify`` (``--api-id``, ``--stack``, ``--json`` come from the common ones)."""
    parser.epilog = checks_epilog()
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument(
        "--stage",
        default=None,
        help=f"stage to verify (default: the stack's StageName output with --stack, else {DEFAULT_STAGE})",
    )
    parser.add_argument(
        "--url",
        default=None,
        help="also probe this URL (the custom domain's: https://api.example.com/ for a REST or HTTP API, "
        "wss://ws.example.com/ for a WebSocket API)",
    )
    parser.add_argument(
        "--public",
        action="append",
        default=[],
        metavar='"METHOD /path"',
        help="a route meant to be public, exactly as declared (a REST or HTTP API's; repeat per route; "
        "ANY covers every method)",
    )
    parser.add_argument(
        "--ca-bundle", dest="ca_bundle", default=None, help="CA certificates to trust for --url"
    )
