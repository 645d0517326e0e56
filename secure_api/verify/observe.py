"""The network side of ``secure-api verify --url``: what to probe for an API, and the probes' outcomes
as observations for the checks (nothing is judged here)."""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from typing import Protocol

from secure_api.verify import facts as facts_module
from secure_api.verify.facts import DomainMapping, Method, Unavailable
from secure_api.verify.http_checks import (
    FOREIGN_ORIGIN,
    HttpObservations,
    fill,
    preflight_target,
    unauthenticated_targets,
)
from secure_api.verify.options import MAX_PROBED_ROUTES, VerifyOptions
from secure_api.verify.probes import (
    LEGACY_VERSIONS,
    TLS_SCHEMES,
    Answer,
    Handshake,
    Target,
    https_context,
    request,
    tls_handshake,
    unverified_context,
    websocket_handshake,
)
from secure_api.verify.websocket_checks import WebSocketObservations


class ProbedApi(Protocol):
    """What the probes need to know of an API stage (a REST API's or a v2 API's facts)."""

    @property
    def api_id(self) -> str: ...

    @property
    def region(self) -> str: ...

    @property
    def stage(self) -> str: ...

    @property
    def methods(self) -> Sequence[Method] | Unavailable: ...

    @property
    def domains(self) -> Sequence[DomainMapping] | Unavailable: ...


class _Probe(Protocol):
    """A probe of one URL (:func:`~secure_api.verify.probes.request`'s GET, or
    :func:`~secure_api.verify.probes.websocket_handshake`)."""

    def __call__(self, url: str, *, context: ssl.SSLContext | None, timeout: float) -> Answer: ...


def _legacy_tls(
    options: VerifyOptions, target: Target, expected: str
) -> tuple[tuple[Handshake, ...], str | None]:
    """The TLS 1.0 and 1.1 handshakes with ``--url``'s host, or why none was tried."""
    if target.scheme not in TLS_SCHEMES:
        return (), f"--url {options.url} is not {expected}"
    return tuple(
        tls_handshake(target.host, target.port, v, timeout=options.timeout) for v in LEGACY_VERSIONS
    ), None


def _execute_api(
    options: VerifyOptions, api: ProbedApi, scheme: str, probe: _Probe
) -> tuple[bool | Unavailable, Answer | None]:
    """Whether a custom domain maps the stage and, when one does, ``probe``'s answer from the stage's
    ``scheme`` execute-api URL (which the domain should have replaced), without verifying the server."""
    domain_mapped = api.domains if isinstance(api.domains, Unavailable) else bool(api.domains)
    if domain_mapped is not True:
        return domain_mapped, None
    url = options.execute_api_url or facts_module.execute_api_url(api.api_id, api.region, api.stage, scheme)
    return domain_mapped, probe(url, context=unverified_context(), timeout=options.timeout)


def observe(options: VerifyOptions, facts: ProbedApi) -> HttpObservations:
    """Run the network probes of ``options.url`` (``https://``) for a REST or HTTP API (nothing without it)."""
    if not options.url:
        return HttpObservations(url=None)
    target = Target.parse(options.url)
    timeout = options.timeout
    handshakes, tls_skip = _legacy_tls(options, target, "https")
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
    domain_mapped, execute_api = _execute_api(options, facts, "https", request)
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


def observe_websocket(options: VerifyOptions, facts: ProbedApi) -> WebSocketObservations:
    """Run the probes of ``options.url`` (``wss://``) for a WebSocket API (nothing without it)."""
    if not options.url:
        return WebSocketObservations(url=None)
    target = Target.parse(options.url)
    tls, tls_skip = _legacy_tls(options, target, "wss")
    context = https_context(options.ca_bundle) if target.scheme in TLS_SCHEMES else None
    unauthenticated = websocket_handshake(target.url("/"), context=context, timeout=options.timeout)
    domain_mapped, execute_api = _execute_api(options, facts, "wss", websocket_handshake)
    return WebSocketObservations(
        url=options.url,
        tls=tls,
        tls_skip_reason=tls_skip,
        unauthenticated=unauthenticated,
        execute_api=execute_api,
        domain_mapped=domain_mapped,
    )
