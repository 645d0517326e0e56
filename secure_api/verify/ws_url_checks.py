"""The checks of ``secure-api verify --url wss://...`` for a WebSocket API: pure functions over what the
probes observed (TLS handshakes offering only 1.0 or 1.1, and WebSocket opening handshakes without
credentials)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from secure_api.verify import http_checks
from secure_api.verify import model as m
from secure_api.verify.checks import unavailable
from secure_api.verify.facts import Unavailable
from secure_api.verify.probes import Answer
from secure_api.verify.probes import Handshake as TlsHandshake
from secure_api.verify.ws_probes import Handshake

NO_URL = "no --url given"
REFUSED_STATUSES = (401, 403)
"""What ``ws.unauthenticated`` accepts as a refusal: the authorizer's 401 (no token) or 403 (denied)."""
# As for REST: a refused connection or TLS handshake is a refusal; a name that does not resolve is not
# evidence (execute-api names resolve even when the endpoint is disabled).
_REFUSAL_KINDS = frozenset({"connect", "tls"})


@dataclass(frozen=True)
class WsObservations:
    """What the probes saw; ``url`` is None when ``--url`` was not given (every check skips)."""

    url: str | None
    tls: Sequence[TlsHandshake] = ()
    tls_skip_reason: str | None = None
    unauthenticated: Handshake | None = None
    execute_api: Handshake | None = None
    domain_mapped: bool | Unavailable = False


def check_tls_min_version(obs: WsObservations) -> m.CheckResult:
    """``ws.tls_min_version``: fails when a TLS 1.0 or 1.1 handshake with the host succeeds (the same
    judgement as ``http.tls_min_version``, over the same probes)."""
    verdict = http_checks.check_tls_min_version(
        http_checks.HttpObservations(url=obs.url, handshakes=obs.tls, tls_skip_reason=obs.tls_skip_reason)
    )
    return m.CheckResult(m.WS_TLS_MIN_VERSION, verdict.status, verdict.detail)


def check_unauthenticated(obs: WsObservations) -> m.CheckResult:
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
    if answer.opened:
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


def check_execute_api_url(obs: WsObservations) -> m.CheckResult:
    """``ws.execute_api_url``: with a custom domain, fails when the stage's ``wss://`` execute-api URL
    answers a handshake with anything but a refusal (connection or TLS refused, or the disabled
    endpoint's 403 Forbidden)."""
    cid = m.WS_EXECUTE_API_URL
    if obs.url is None:
        return m.CheckResult(cid, m.SKIP, NO_URL)
    if isinstance(obs.domain_mapped, Unavailable):
        return unavailable(cid, obs.domain_mapped)
    if not obs.domain_mapped:
        return m.CheckResult(cid, m.SKIP, "no custom domain maps the stage")
    answer = obs.execute_api
    if answer is None:
        return m.CheckResult(cid, m.SKIP, "execute-api URL not probed")
    if answer.status is None:
        if answer.error_kind in _REFUSAL_KINDS:
            return m.CheckResult(cid, m.PASS, f"{answer.url} refused: {answer.error}")
        return m.CheckResult(cid, m.SKIP, f"{answer.url}: {answer.error}")
    if answer.status == 403 and http_checks.is_disabled_endpoint_answer(
        Answer(url=answer.url, status=403, body=answer.body)
    ):
        return m.CheckResult(cid, m.PASS, f"{answer.url} refused: 403 Forbidden (endpoint disabled)")
    return m.CheckResult(
        cid,
        m.FAIL,
        f"{answer.url} still answers ({answer.status}): the custom domain's TLS policy can be bypassed",
    )


def run_ws_url_checks(obs: WsObservations) -> list[m.CheckResult]:
    """Every ``--url wss://`` check, in report order."""
    return [check_tls_min_version(obs), check_unauthenticated(obs), check_execute_api_url(obs)]
