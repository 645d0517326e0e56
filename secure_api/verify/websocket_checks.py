"""The checks of ``secure-api verify --url wss://...`` for a WebSocket API: pure functions over what the
probes observed (TLS handshakes offering only 1.0 or 1.1, and WebSocket opening handshakes without
credentials). The TLS and execute-api judgements are the ``http.*`` ones
(:mod:`secure_api.verify.http_checks`) under ``ws.*`` ids; what only a WebSocket API has is the
unauthenticated handshake."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from secure_api.verify import model as m
from secure_api.verify.facts import Unavailable
from secure_api.verify.http_checks import NO_URL, execute_api_url_result, tls_min_version_result
from secure_api.verify.probes import SWITCHING_PROTOCOLS, Answer, Handshake

REFUSED_STATUSES = (401, 403)
"""What ``ws.unauthenticated`` accepts as a refusal: the authorizer's 401 (no token) or 403 (denied)."""


@dataclass(frozen=True)
class WebSocketObservations:
    """What the probes saw; ``url`` is None when ``--url`` was not given (every check skips)."""

    url: str | None
    tls: Sequence[Handshake] = ()
    tls_skip_reason: str | None = None
    unauthenticated: Answer | None = None
    execute_api: Answer | None = None
    domain_mapped: bool | Unavailable = False


def check_tls_min_version(obs: WebSocketObservations) -> m.CheckResult:
    """``ws.tls_min_version``: fails when a TLS 1.0 or 1.1 handshake with the host succeeds."""
    return tls_min_version_result(m.WS_TLS_MIN_VERSION, obs.url, obs.tls_skip_reason, obs.tls)


def check_unauthenticated(obs: WebSocketObservations) -> m.CheckResult:
    """``ws.unauthenticated``: passes when a handshake without a token is refused with 401 or 403; fails
    when the connection opens; ``warn`` on any other answer; ``skip`` when nothing answered."""
    cid = m.WS_UNAUTHENTICATED
    if obs.url is None:
        return m.CheckResult(cid, m.SKIP, NO_URL)
    answer = obs.unauthenticated
    if answer is None:
        return m.CheckResult(cid, m.SKIP, "no handshake attempted")
    if answer.status is None:
        return m.CheckResult(cid, m.SKIP, f"{answer.url}: {answer.error}")
    if answer.status == SWITCHING_PROTOCOLS:
        return m.CheckResult(cid, m.FAIL, f"{answer.url} opened a connection without credentials (101)")
    if answer.status in REFUSED_STATUSES:
        return m.CheckResult(
            cid, m.PASS, f"{answer.url} refused a handshake without credentials ({answer.status})"
        )
    return m.CheckResult(
        cid,
        m.WARN,
        f"{answer.url} answered a handshake without credentials with {answer.status}, not 401 or 403",
    )


def check_execute_api_url(obs: WebSocketObservations) -> m.CheckResult:
    """``ws.execute_api_url``: with a custom domain, fails when the stage's ``wss://`` execute-api URL
    answers a handshake with anything but a refusal."""
    return execute_api_url_result(m.WS_EXECUTE_API_URL, obs.url, obs.domain_mapped, obs.execute_api)


def run_websocket_url_checks(obs: WebSocketObservations) -> list[m.CheckResult]:
    """Every ``--url wss://`` check, in report order."""
    return [check_tls_min_version(obs), check_unauthenticated(obs), check_execute_api_url(obs)]
