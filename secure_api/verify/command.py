"""``secure-api verify``: resolve the API and its protocol (REST or WebSocket), gather the facts, probe
the URL, run every check, report."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from typing import IO

from secure_api.keys.environment import API_ID_ENV, env_api_id
from secure_api.keys.errors import KeyOpsError
from secure_api.keys.stack_outputs import resolve_stack_api
from secure_api.verify import facts as facts_module
from secure_api.verify import model as m
from secure_api.verify.checks import run_aws_checks
from secure_api.verify.facts import ApiFacts, Unavailable, WebSocketFacts
from secure_api.verify.gather import Gatherer, VerifyClients, make_clients
from secure_api.verify.http_checks import (
    FOREIGN_ORIGIN,
    HttpObservations,
    fill,
    preflight_target,
    run_http_checks,
    unauthenticated_targets,
)
from secure_api.verify.model import Report
from secure_api.verify.probes import (
    DEFAULT_TIMEOUT,
    LEGACY_VERSIONS,
    TLS_SCHEMES,
    WEBSOCKET_SCHEMES,
    Answer,
    Target,
    https_context,
    request,
    tls_handshake,
    unverified_context,
)
from secure_api.verify.public import PublicRoute, parse_public
from secure_api.verify.report import exit_code, render_json, render_table
from secure_api.verify.ws_checks import run_ws_aws_checks
from secure_api.verify.ws_gather import REST, WEBSOCKET, WebSocketGatherer, detect_protocol
from secure_api.verify.ws_probes import websocket_handshake
from secure_api.verify.ws_url_checks import WsObservations, run_ws_url_checks

DEFAULT_STAGE = "prod"
MAX_PROBED_ROUTES = 50
"""At most this many GET routes are probed without credentials (the detail says when more exist)."""


@dataclass(frozen=True)
class VerifyOptions:
    """What to verify: the API stage, and with ``url`` the HTTPS probes."""

    api_id: str
    stage: str = DEFAULT_STAGE
    url: str | None = None
    public: tuple[PublicRoute, ...] = ()
    ca_bundle: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    execute_api_url: str | None = None
    """Overrides the stage's execute-api URL (computed from the API id, region and stage by default)."""
    protocol: str | None = None
    """``REST`` or ``WEBSOCKET`` when known (from ``--stack``); None: asked of API Gateway."""


def observe(options: VerifyOptions, facts: ApiFacts) -> HttpObservations:
    """Run the network probes of ``options.url`` (nothing without it)."""
    if not options.url:
        return HttpObservations(url=None)
    target = Target.parse(options.url)
    timeout = options.timeout
    if target.scheme == "https":
        handshakes = tuple(
            tls_handshake(target.host, target.port, v, timeout=timeout) for v in LEGACY_VERSIONS
        )
        tls_skip = None
    else:
        handshakes, tls_skip = (), f"--url {options.url} is not https"
    context = https_context(options.ca_bundle) if target.scheme == "https" else None

    unauthenticated: list[tuple[str, Answer]] | Unavailable
    unprobed = 0
    if isinstance(facts.methods, Unavailable):
        unauthenticated = facts.methods
        path, requested = "/", "GET"
    else:
        paths = unauthenticated_targets(facts.methods, options.public)
        unprobed = max(0, len(paths) - MAX_PROBED_ROUTES)
        unauthenticated = [
            (path, request(target.url(fill(path)), "GET", context=context, timeout=timeout))
            for path in paths[:MAX_PROBED_ROUTES]
        ]
        path, requested = preflight_target(facts.methods)
    preflight_route = path
    preflight = request(
        target.url(fill(path)),
        "OPTIONS",
        {
            "Origin": FOREIGN_ORIGIN,
            "Access-Control-Request-Method": requested,
            "Access-Control-Request-Headers": "authorization",
        },
        context=context,
        timeout=timeout,
    )

    domain_mapped: bool | Unavailable = (
        facts.domains if isinstance(facts.domains, Unavailable) else bool(facts.domains)
    )
    execute_api = None
    if domain_mapped is True:
        url = options.execute_api_url or facts_module.execute_api_url(facts.api_id, facts.region, facts.stage)
        execute_api = request(url, "GET", context=unverified_context(), timeout=timeout)
    return HttpObservations(
        url=options.url,
        handshakes=handshakes,
        unauthenticated=unauthenticated,
        preflight=preflight,
        preflight_route=preflight_route,
        execute_api=execute_api,
        domain_mapped=domain_mapped,
        tls_skip_reason=tls_skip,
        unprobed_routes=unprobed,
    )


def observe_websocket(options: VerifyOptions, facts: WebSocketFacts) -> WsObservations:
    """Run the probes of ``options.url`` (``wss://``) for a WebSocket API (nothing without it)."""
    if not options.url:
        return WsObservations(url=None)
    target = Target.parse(options.url)
    timeout = options.timeout
    if target.scheme in TLS_SCHEMES:
        tls = tuple(tls_handshake(target.host, target.port, v, timeout=timeout) for v in LEGACY_VERSIONS)
        tls_skip = None
    else:
        tls, tls_skip = (), f"--url {options.url} is not wss"
    context = https_context(options.ca_bundle) if target.scheme in TLS_SCHEMES else None
    unauthenticated = websocket_handshake(target.url("/"), context=context, timeout=timeout)
    domain_mapped: bool | Unavailable = (
        facts.domains if isinstance(facts.domains, Unavailable) else bool(facts.domains)
    )
    execute_api = None
    if domain_mapped is True:
        url = options.execute_api_url or facts_module.execute_api_url(
            facts.api_id, facts.region, facts.stage, scheme="wss"
        )
        execute_api = websocket_handshake(url, context=unverified_context(), timeout=timeout)
    return WsObservations(
        url=options.url,
        tls=tls,
        tls_skip_reason=tls_skip,
        unauthenticated=unauthenticated,
        execute_api=execute_api,
        domain_mapped=domain_mapped,
    )


def _check_options(options: VerifyOptions, protocol: str) -> None:
    if protocol == WEBSOCKET and options.public:
        raise KeyOpsError(
            f"--public {options.public[0]}: {options.api_id} is a WebSocket API, which has no methods; "
            "AWS authorizes only $connect, which routes.connect_auth checks"
        )
    if not options.url:
        return
    websocket_url = Target.parse(options.url).scheme in WEBSOCKET_SCHEMES
    if protocol == WEBSOCKET and not websocket_url:
        raise KeyOpsError(
            f"--url {options.url!r}: {options.api_id} is a WebSocket API; give its wss:// URL, "
            "e.g. wss://ws.example.com/"
        )
    if protocol == REST and websocket_url:
        raise KeyOpsError(
            f"--url {options.url!r}: {options.api_id} is a REST API; give its https:// URL, "
            "e.g. https://api.example.com/"
        )


def verify(clients: VerifyClients, options: VerifyOptions) -> Report:
    """Recognise the API's protocol, gather, probe and check; raises :class:`KeyOpsError` when the
    command cannot run."""
    protocol = options.protocol or detect_protocol(clients, options.api_id)
    _check_options(options, protocol)
    checks: list[m.CheckResult]
    if protocol == WEBSOCKET:
        ws_facts = WebSocketGatherer(clients, options.api_id, options.stage).gather()
        checks = run_ws_aws_checks(ws_facts) + run_ws_url_checks(observe_websocket(options, ws_facts))
    else:
        facts = Gatherer(clients, options.api_id, options.stage).gather()
        checks = run_aws_checks(facts, options.public) + run_http_checks(observe(options, facts))
    return Report(api_id=options.api_id, stage=options.stage, checks=tuple(checks))


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
    return "\n".join(
        [
            "checks of a REST API:",
            *(f"  {cid}" for cid in m.CHECK_IDS),
            "checks of a WebSocket API:",
            *(f"  {cid}" for cid in m.WS_CHECK_IDS),
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
        help="also probe this URL (the custom domain's: https://api.example.com/ for a REST API, "
        "wss://ws.example.com/ for a WebSocket API)",
    )
    parser.add_argument(
        "--public",
        action="append",
        default=[],
        metavar='"METHOD /path"',
        help="a route meant to be public, exactly as declared (repeat per route; ANY covers every method)",
    )
    parser.add_argument(
        "--ca-bundle", dest="ca_bundle", default=None, help="CA certificates to trust for --url"
    )
