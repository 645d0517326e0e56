"""``secure-api verify --url``'s HTTP-side checks against HTTPS servers on 127.0.0.1 only, signed by a
CA made in the test: TLS 1.0/1.1 accepted or refused, 401 or 200 without credentials, preflight origins
reflected or not, and the execute-api URL refused or answering."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from secure_api.verify import model as m
from secure_api.verify.command import VerifyOptions, observe
from secure_api.verify.facts import ApiFacts, DomainMapping, Method, Unavailable
from secure_api.verify.http_checks import (
    FOREIGN_ORIGIN,
    PLACEHOLDER,
    HttpObservations,
    check_execute_api_url,
    run_http_checks,
)
from secure_api.verify.probes import Answer, request
from secure_api.verify.public import parse_public
from tests.unit.tls_servers import Behaviour, Pki, https_server, make_pki
from tests.unit.verify_world import assert_statuses

METHODS = (
    Method("GET", "/health", "NONE", False),
    Method("GET", "/orders", "CUSTOM", True),
    Method("OPTIONS", "/orders", "NONE", False),
    Method("POST", "/orders", "CUSTOM", True),
    Method("GET", "/orders/{id}", "CUSTOM", True),
    Method("OPTIONS", "/orders/{id}", "NONE", False),
)
DOMAIN = DomainMapping("api.example.com", "(none)", "TLS_1_2", ("REGIONAL",))


def facts(*, domains: tuple[DomainMapping, ...] = (DOMAIN,)) -> ApiFacts:
    return ApiFacts(
        api_id="a1b2c3d4e5",
        stage="prod",
        region="us-east-1",
        partition="aws",
        rest_api={},
        stage_info={},
        methods=METHODS,
        domains=domains,
        usage_plans=(),
        web_acl=None,
        trails=(),
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"https://127.0.0.1:{port}/prod/"


@pytest.fixture
def disabled_execute_api(pki: Pki) -> Iterator[str]:
    """A stand-in for a disabled execute-api endpoint: 403 {"message":"Forbidden"} to everything."""
    with https_server(pki, Behaviour(fixed=(403, '{"message":"Forbidden"}'))) as (url, _):
        yield url + "prod/"


def run(
    pki: Pki, url: str, execute_api: str, *public: str, ca: bool = True, api: ApiFacts | None = None
) -> dict[str, m.CheckResult]:
    options = VerifyOptions(
        api_id="a1b2c3d4e5",
        url=url,
        public=parse_public(public),
        ca_bundle=str(pki.ca_file) if ca else None,
        timeout=5,
        execute_api_url=execute_api,
    )
    return {c.id: c for c in run_http_checks(observe(options, api or facts()))}


ALL_PASS = dict.fromkeys(m.HTTP_CHECK_IDS, m.PASS)


def test_a_correct_api_passes_every_http_check(pki: Pki, disabled_execute_api: str) -> None:
    with https_server(pki) as (url, seen):
        results = run(pki, url, disabled_execute_api, "GET /health")
    assert_statuses(results, ALL_PASS)
    assert "TLS 1.0 and TLS 1.1 refused" in results[m.HTTP_TLS_MIN_VERSION].detail
    assert "GET /orders -> 401" in results[m.HTTP_UNAUTHENTICATED].detail
    assert "https://app.example.com" in results[m.HTTP_CORS_FOREIGN_ORIGIN].detail
    # Only GET and OPTIONS, never to a public route, placeholders in path parameters, no credentials.
    assert {(method, path) for method, path, _ in seen.requests} == {
        ("GET", "/orders"),
        ("GET", f"/orders/{PLACEHOLDER}"),
        ("OPTIONS", "/orders"),
    }
    for _, _, headers in seen.requests:
        assert "authorization" not in headers and "x-api-key" not in headers
    preflight = next(h for method, _, h in seen.requests if method == "OPTIONS")
    assert preflight["origin"] == FOREIGN_ORIGIN
    assert preflight["access-control-request-method"] == "GET"


def test_fails_tls_min_version_when_tls_1_0_and_1_1_are_accepted(pki: Pki, disabled_execute_api: str) -> None:
    with https_server(pki, Behaviour(legacy_tls=True)) as (url, _):
        results = run(pki, url, disabled_execute_api, "GET /health")
    assert_statuses(results, ALL_PASS | {m.HTTP_TLS_MIN_VERSION: m.FAIL})
    assert "accepted a TLSv1 handshake" in results[m.HTTP_TLS_MIN_VERSION].detail
    assert "accepted a TLSv1.1 handshake" in results[m.HTTP_TLS_MIN_VERSION].detail


def test_fails_unauthenticated_when_a_route_answers_200(pki: Pki, disabled_execute_api: str) -> None:
    behaviour = Behaviour(open_paths=(f"/orders/{PLACEHOLDER}",))
    with https_server(pki, behaviour) as (url, _):
        results = run(pki, url, disabled_execute_api, "GET /health")
    assert_statuses(results, ALL_PASS | {m.HTTP_UNAUTHENTICATED: m.FAIL})
    assert "GET /orders/{id} -> 200" in results[m.HTTP_UNAUTHENTICATED].detail


def test_public_routes_are_not_probed_but_unlisted_open_ones_are(pki: Pki, disabled_execute_api: str) -> None:
    with https_server(pki, Behaviour(open_paths=("/health",))) as (url, _):
        listed = run(pki, url, disabled_execute_api, "GET /health")
        unlisted = run(pki, url, disabled_execute_api)
    assert listed[m.HTTP_UNAUTHENTICATED].status == m.PASS
    assert unlisted[m.HTTP_UNAUTHENTICATED].status == m.FAIL
    assert "GET /health -> 200" in unlisted[m.HTTP_UNAUTHENTICATED].detail


def test_fails_cors_when_the_foreign_origin_is_echoed(pki: Pki, disabled_execute_api: str) -> None:
    with https_server(pki, Behaviour(reflect_origin=True)) as (url, _):
        results = run(pki, url, disabled_execute_api, "GET /health")
    assert_statuses(results, ALL_PASS | {m.HTTP_CORS_FOREIGN_ORIGIN: m.FAIL})
    assert FOREIGN_ORIGIN in results[m.HTTP_CORS_FOREIGN_ORIGIN].detail


def test_a_wildcard_origin_is_not_a_failure_of_the_cors_check(pki: Pki, disabled_execute_api: str) -> None:
    with https_server(pki, Behaviour(allowed_origin="*")) as (url, _):
        results = run(pki, url, disabled_execute_api, "GET /health")
    assert results[m.HTTP_CORS_FOREIGN_ORIGIN].status == m.PASS


def test_fails_execute_api_url_when_it_still_answers(pki: Pki) -> None:
    with https_server(pki) as (url, _), https_server(pki) as (execute_api, _):
        results = run(pki, url, execute_api + "prod/", "GET /health")
    assert_statuses(results, ALL_PASS | {m.HTTP_EXECUTE_API_URL: m.FAIL})
    assert "still answers (401)" in results[m.HTTP_EXECUTE_API_URL].detail


def test_an_execute_api_url_that_refuses_connections_passes(pki: Pki) -> None:
    with https_server(pki) as (url, _):
        results = run(pki, url, closed_port_url(), "GET /health")
    assert results[m.HTTP_EXECUTE_API_URL].status == m.PASS
    assert "refused" in results[m.HTTP_EXECUTE_API_URL].detail


def test_execute_api_url_skips_without_a_domain(pki: Pki, disabled_execute_api: str) -> None:
    with https_server(pki) as (url, _):
        results = run(pki, url, disabled_execute_api, "GET /health", api=facts(domains=()))
    assert_statuses(results, ALL_PASS | {m.HTTP_EXECUTE_API_URL: m.SKIP})


def test_every_http_check_skips_without_url() -> None:
    results = run_http_checks(observe(VerifyOptions(api_id="a1b2c3d4e5"), facts()))
    assert [(c.id, c.status, c.detail) for c in results] == [
        (cid, m.SKIP, "no --url given") for cid in m.HTTP_CHECK_IDS
    ]


def test_an_unreachable_host_skips_never_passes(disabled_execute_api: str, pki: Pki) -> None:
    results = run(pki, closed_port_url(), disabled_execute_api, "GET /health")
    for cid in (m.HTTP_TLS_MIN_VERSION, m.HTTP_UNAUTHENTICATED, m.HTTP_CORS_FOREIGN_ORIGIN):
        assert results[cid].status == m.SKIP, results[cid]
    assert "cannot connect" in results[m.HTTP_TLS_MIN_VERSION].detail


def test_an_untrusted_certificate_skips_never_passes(pki: Pki, disabled_execute_api: str) -> None:
    with https_server(pki) as (url, _):
        results = run(pki, url, disabled_execute_api, "GET /health", ca=False)
    assert results[m.HTTP_UNAUTHENTICATED].status == m.SKIP
    assert "certificate not trusted" in results[m.HTTP_UNAUTHENTICATED].detail
    assert results[m.HTTP_CORS_FOREIGN_ORIGIN].status == m.SKIP
    # The handshake probe and the execute-api probe verify nothing: they only ask what the server accepts.
    assert results[m.HTTP_TLS_MIN_VERSION].status == m.PASS


def test_routes_unavailable_warn_naming_the_permission(pki: Pki, disabled_execute_api: str) -> None:
    denied = Unavailable(
        "apigateway:GET on arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/resources", True
    )
    with https_server(pki) as (url, _):
        results = run(pki, url, disabled_execute_api, api=replace(facts(), methods=denied))
    assert results[m.HTTP_UNAUTHENTICATED].status == m.WARN
    assert "missing permission apigateway:GET" in results[m.HTTP_UNAUTHENTICATED].detail


def test_probes_never_send_mutating_methods() -> None:
    with pytest.raises(ValueError, match="never send POST"):
        request("https://127.0.0.1:1/", "POST")


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (Answer(url="u", status=403, body='{"message":"Forbidden"}'), m.PASS),
        (Answer(url="u", status=403, body='{"message":"Missing Authentication Token"}'), m.FAIL),
        (Answer(url="u", status=401, body='{"message":"Unauthorized"}'), m.FAIL),
        (Answer(url="u", error="connection refused", error_kind="connect"), m.PASS),
        (Answer(url="u", error="name not resolved", error_kind="dns"), m.SKIP),
        (Answer(url="u", error="no answer within 5 s", error_kind="timeout"), m.SKIP),
    ],
)
def test_what_counts_as_a_refusal_of_the_execute_api_url(answer: Answer, status: str) -> None:
    obs = HttpObservations(url="https://api.example.com/", execute_api=answer, domain_mapped=True)
    assert check_execute_api_url(obs).status == status


def test_servers_bind_loopback_only(pki: Pki, tmp_path: Path) -> None:
    with https_server(pki) as (url, _):
        assert url.startswith("https://127.0.0.1:")
