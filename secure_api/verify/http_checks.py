"""The HTTP-side checks of ``secure-api verify --url https://...`` (REST and HTTP APIs): pure functions
over what the probes observed, plus the pure choice of what to probe. The TLS and execute-api
judgements serve the ``ws.*`` checks of a WebSocket API too."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from secure_api.verify import model as m
from secure_api.verify.checks import unavailable
from secure_api.verify.facts import Method, Unavailable
from secure_api.verify.probes import ACCEPTED, REFUSED, Answer, Handshake
from secure_api.verify.public import ANY, OPTIONS, PublicRoute, exempt

PLACEHOLDER = "secure-api-verify"
"""What fills every ``{param}`` (and ``{proxy+}``) segment of a probed path."""
FOREIGN_ORIGIN = "https://secure-api-verify.invalid"
"""The preflight's origin: under ``.invalid`` (RFC 2606), so no API can list it."""
_PARAM_RE = re.compile(r"\{[^}/]+\}")
# A refused connection or handshake is a refusal; a name that does not resolve is not evidence (execute-api
# names resolve even when the endpoint is disabled, so it is the local network failing): skip.
_REFUSAL_KINDS = frozenset({"connect", "tls"})
_LISTED = 5
NO_URL = "no --url given"


@dataclass(frozen=True)
class HttpObservations:
    """What the probes saw; ``url`` is None when ``--url`` was not given (every HTTP check skips)."""

    url: str | None
    handshakes: Sequence[Handshake] = ()
    unauthenticated: Sequence[tuple[str, Answer]] | Unavailable = ()
    preflight: Answer | None = None
    preflight_route: str | None = None
    execute_api: Answer | None = None
    domain_mapped: bool | Unavailable = False
    tls_skip_reason: str | None = None
    unprobed_routes: int = 0
    """Non-public GET routes left out because of the probe limit."""


def fill(path: str) -> str:
    """``path`` with every ``{param}`` segment replaced by :data:`PLACEHOLDER`."""
    return _PARAM_RE.sub(PLACEHOLDER, path)


def _with_paths(methods: Sequence[Method]) -> list[Method]:
    return [x for x in methods if x.has_path]


def unauthenticated_targets(methods: Sequence[Method], public: Sequence[PublicRoute]) -> list[str]:
    """The paths of the non-public GET (or ANY) routes, each once, in order."""
    paths: list[str] = []
    for method in _with_paths(methods):
        if method.http_method in {"GET", ANY} and not exempt(method, public) and method.path not in paths:
            paths.append(method.path)
    return paths


def preflight_target(methods: Sequence[Method]) -> tuple[str, str]:
    """``(path, method)`` of the CORS preflight: a resource with an OPTIONS method when there is one."""
    with_options = [x.path for x in _with_paths(methods) if x.http_method == OPTIONS]
    routes = [x for x in _with_paths(methods) if x.http_method != OPTIONS]
    path = with_options[0] if with_options else (routes[0].path if routes else "/")
    on_path = [x.http_method for x in routes if x.path == path and x.http_method != ANY]
    requested = "GET" if "GET" in on_path or not on_path else on_path[0]
    return path, requested


def tls_min_version_result(
    check_id: str, url: str | None, skip_reason: str | None, handshakes: Sequence[Handshake]
) -> m.CheckResult:
    """``http.tls_min_version`` / ``ws.tls_min_version``: fails when a TLS 1.0 or 1.1 handshake with the
    host of ``url`` succeeded; passes when every one was refused; else skips."""
    if url is None:
        return m.CheckResult(check_id, m.SKIP, NO_URL)
    if skip_reason:
        return m.CheckResult(check_id, m.SKIP, skip_reason)
    accepted = [h for h in handshakes if h.outcome == ACCEPTED]
    if accepted:
        return m.CheckResult(check_id, m.FAIL, "; ".join(h.detail for h in accepted))
    if handshakes and all(h.outcome == REFUSED for h in handshakes):
        versions = " and ".join(f"TLS {h.version}" for h in handshakes)
        return m.CheckResult(check_id, m.PASS, f"{versions} refused: {handshakes[0].detail}")
    untested = [h.detail for h in handshakes if h.outcome != REFUSED]
    return m.CheckResult(check_id, m.SKIP, "; ".join(untested) or "no handshake attempted")


def check_tls_min_version(obs: HttpObservations) -> m.CheckResult:
    """``http.tls_min_version``: fails when a TLS 1.0 or 1.1 handshake with the host succeeds."""
    return tls_min_version_result(m.HTTP_TLS_MIN_VERSION, obs.url, obs.tls_skip_reason, obs.handshakes)


def check_unauthenticated(obs: HttpObservations) -> m.CheckResult:
    """``http.unauthenticated``: fails when a GET without credentials to a non-public route gets a 2xx."""
    cid = m.HTTP_UNAUTHENTICATED
    if obs.url is None:
        return m.CheckResult(cid, m.SKIP, NO_URL)
    if isinstance(obs.unauthenticated, Unavailable):
        return unavailable(cid, obs.unauthenticated)
    if not obs.unauthenticated:
        return m.CheckResult(cid, m.SKIP, "no non-public GET route to probe")
    open_ = [
        f"GET {route} -> {a.status}" for route, a in obs.unauthenticated if a.status and 200 <= a.status < 300
    ]
    if open_:
        return m.CheckResult(cid, m.FAIL, f"answered without credentials: {', '.join(open_)}")
    answered = [(route, a) for route, a in obs.unauthenticated if a.status is not None]
    if not answered:
        route, first = obs.unauthenticated[0]
        return m.CheckResult(cid, m.SKIP, f"no route answered (GET {route}: {first.error})")
    shown = ", ".join(f"GET {route} -> {a.status}" for route, a in answered[:_LISTED])
    more = f" and {len(answered) - _LISTED} more" if len(answered) > _LISTED else ""
    if obs.unprobed_routes:
        more += f" ({obs.unprobed_routes} more route(s) not probed)"
    return m.CheckResult(
        cid, m.PASS, f"{len(answered)} route(s) refused a request without credentials: {shown}{more}"
    )


def check_cors_foreign_origin(obs: HttpObservations) -> m.CheckResult:
    """``http.cors_foreign_origin``: fails only when the preflight's foreign origin is echoed back."""
    cid = m.HTTP_CORS_FOREIGN_ORIGIN
    if obs.url is None:
        return m.CheckResult(cid, m.SKIP, NO_URL)
    answer = obs.preflight
    if answer is None:
        return m.CheckResult(cid, m.SKIP, "no preflight sent")
    where = f"OPTIONS {obs.preflight_route}" if obs.preflight_route else "preflight"
    if answer.status is None:
        return m.CheckResult(cid, m.SKIP, f"{where} got no answer: {answer.error}")
    allowed = (answer.headers.get("access-control-allow-origin") or "").strip()
    if allowed.lower() == FOREIGN_ORIGIN:
        return m.CheckResult(
            cid,
            m.FAIL,
            f"{where} from {FOREIGN_ORIGIN} got it back in Access-Control-Allow-Origin ({answer.status})",
        )
    shown = allowed or "none"
    return m.CheckResult(
        cid, m.PASS, f"{where} from {FOREIGN_ORIGIN}: {answer.status}, Access-Control-Allow-Origin {shown}"
    )


def is_disabled_endpoint_answer(answer: Answer) -> bool:
    """True for API Gateway's answer on a disabled execute-api endpoint: 403 ``{"message":"Forbidden"}``."""
    if answer.status != 403:
        return False
    try:
        message = json.loads(answer.body).get("message")
    except (ValueError, AttributeError):
        return False
    return bool(message == "Forbidden")


def execute_api_url_result(
    check_id: str, url: str | None, domain_mapped: bool | Unavailable, answer: Answer | None
) -> m.CheckResult:
    """``http.execute_api_url`` / ``ws.execute_api_url``: with a custom domain, fails when the stage's
    execute-api URL answered anything but a refusal (connection or TLS handshake refused, or the
    disabled endpoint's 403 Forbidden)."""
    if url is None:
        return m.CheckResult(check_id, m.SKIP, NO_URL)
    if isinstance(domain_mapped, Unavailable):
        return unavailable(check_id, domain_mapped)
    if not domain_mapped:
        return m.CheckResult(check_id, m.SKIP, "no custom domain maps the stage")
    if answer is None:
        return m.CheckResult(check_id, m.SKIP, "execute-api URL not probed")
    if answer.status is None:
        if answer.error_kind in _REFUSAL_KINDS:
            return m.CheckResult(check_id, m.PASS, f"{answer.url} refused: {answer.error}")
        return m.CheckResult(check_id, m.SKIP, f"{answer.url}: {answer.error}")
    if is_disabled_endpoint_answer(answer):
        return m.CheckResult(check_id, m.PASS, f"{answer.url} refused: 403 Forbidden (endpoint disabled)")
    return m.CheckResult(
        check_id,
        m.FAIL,
        f"{answer.url} still answers ({answer.status}): the custom domain's TLS policy can be bypassed",
    )


def check_execute_api_url(obs: HttpObservations) -> m.CheckResult:
    """``http.execute_api_url``: the execute-api URL's answer judged by :func:`execute_api_url_result`."""
    return execute_api_url_result(m.HTTP_EXECUTE_API_URL, obs.url, obs.domain_mapped, obs.execute_api)


def run_http_checks(obs: HttpObservations) -> list[m.CheckResult]:
    """Every HTTP-side check, in report order."""
    return [
        check_tls_min_version(obs),
        check_unauthenticated(obs),
        check_cors_foreign_origin(obs),
        check_execute_api_url(obs),
    ]
