"""``secure-api verify`` for an HTTP API: the protocol is recognised, an HTTP API set up in moto's API
Gateway v2 the way ``SecureHttpApi`` deploys it passes every HTTP API check, each test breaks exactly
one thing and sees exactly that check change, and ``--url https://`` runs the ``http.*`` probes
against HTTPS servers on 127.0.0.1."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import boto3
import pytest

from secure_api.keys import cli
from secure_api.verify import model as m
from secure_api.verify.command import VerifyOptions, observe, verify
from secure_api.verify.facts import DomainMapping, Route, V2Facts
from secure_api.verify.http_checks import PLACEHOLDER, run_http_checks
from secure_api.verify.kinds import KINDS, detect_protocol
from secure_api.verify.public import parse_public
from secure_api.verify.v2_checks import HTTP_API_AWS_CHECKS
from tests.unit import test_keys_support as support
from tests.unit.http_api_world import PUBLIC, ROUTES, STAGE, HttpSetup, deploy_http_api
from tests.unit.tls_servers import Behaviour, Pki, https_server, make_pki
from tests.unit.verify_world import REGION, DenyingV2, assert_statuses, clients

aws = support.aws

HTTP_API_AWS_CHECK_IDS = tuple(cid for cid, _ in HTTP_API_AWS_CHECKS)
HTTP_API_CHECK_IDS = KINDS[m.HTTP].check_ids
"""The registry's lists; :func:`test_the_http_api_checks_are_designs_list` pins them to DESIGN.md's."""

DEFAULTS = HttpSetup()


def results_of(
    setup: HttpSetup = DEFAULTS, public: tuple[str, ...] = PUBLIC, **options: Any
) -> dict[str, m.CheckResult]:
    api_id = deploy_http_api(setup)
    report = verify(
        clients(), VerifyOptions(api_id=api_id, stage=STAGE, public=parse_public(public), **options)
    )
    return {c.id: c for c in report.checks}


def assert_only(
    results: dict[str, m.CheckResult], changed: dict[str, str], *, skipped: tuple[str, ...] = ()
) -> None:
    """Every HTTP API AWS check passes except ``changed`` and ``skipped``; the ``http.*`` checks skip."""
    expected = (
        dict.fromkeys(HTTP_API_AWS_CHECK_IDS, m.PASS)
        | dict.fromkeys((*m.HTTP_CHECK_IDS, *skipped), m.SKIP)
        | changed
    )
    assert_statuses(results, expected)


# --- the defaults pass ---------------------------------------------------------------------------


def test_a_default_http_api_passes_every_http_api_check(aws: None) -> None:
    results = results_of()
    assert_only(results, {})
    assert list(results) == list(HTTP_API_CHECK_IDS)
    assert "served through api.example.com" in results[m.ENDPOINT_EXECUTE_API_DISABLED].detail
    assert "api.example.com (TLS_1_2)" in results[m.DOMAIN_TLS_POLICY].detail
    assert "only policy API Gateway offers" in results[m.DOMAIN_TLS_POLICY].detail
    # DESIGN.md's HTTP checks only: domain.mtls and domain.certificate are REST's runtime-scanner parity.
    assert m.DOMAIN_MTLS not in results and m.DOMAIN_CERTIFICATE not in results
    assert "rate 1000/s, burst 2000" in results[m.STAGE_THROTTLING].detail
    assert "own limits on route(s) GET /orders/{id}" in results[m.STAGE_THROTTLING].detail
    assert "/secure-api/orders-http/access" in results[m.STAGE_ACCESS_LOGS].detail
    routes_auth = results[m.ROUTES_AUTH].detail
    assert "3 route(s) require authorization (AWS_IAM, JWT)" in routes_auth
    assert "public (--public): GET /health" in routes_auth


def test_no_check_looks_for_what_http_apis_do_not_have(aws: None) -> None:
    # No execution logs, resource policy, WAF, usage plans or API keys: those checks are not run at all
    # (never a pass for something that cannot exist).
    results = results_of()
    for absent in (
        m.STAGE_EXECUTION_LOGS,
        m.STAGE_DATA_TRACE,
        m.POLICY_RESOURCE_POLICY,
        m.WAF_ASSOCIATED,
        m.METHODS_API_KEYS,
        m.ROUTES_API_KEYS,
        m.ROUTES_CONNECT_AUTH,
    ):
        assert absent not in results


def test_the_protocol_is_recognised(aws: None) -> None:
    api_id = deploy_http_api(HttpSetup(domain=False, trail=False))
    assert detect_protocol(clients(), api_id)[0] == m.HTTP


def test_the_cli_reports_an_http_api_with_the_same_shape_and_exit_codes(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    api_id = deploy_http_api()
    code = cli.main(["verify", "--api-id", api_id, "--json", "--public", "GET /health"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert set(data) == {"apiId", "stage", "checks", "summary"}
    assert data["apiId"] == api_id and data["stage"] == "prod"
    assert [c["id"] for c in data["checks"]] == list(HTTP_API_CHECK_IDS)
    assert data["summary"] == {"pass": 6, "fail": 0, "warn": 0, "skip": 4}
    # Without --public, the open route fails routes.auth: exit 1.
    assert cli.main(["verify", "--api-id", api_id]) == 1
    assert "GET /health" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--stage", "nope"], "unknown stage 'nope'"),
        (["--url", "wss://api.example.com/"], "is an HTTP API; give its https:// URL"),
        (["--public", "get /health"], "upper-case method"),
    ],
)
def test_fails_exit_2_when_the_command_cannot_run(
    aws: None, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    api_id = deploy_http_api(HttpSetup(domain=False, trail=False))
    assert cli.main(["verify", "--api-id", api_id, *argv]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1 and fragment in err, err


def test_the_stack_names_an_http_api_by_its_http_api_id_output(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    api_id = deploy_http_api()
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {
            "OrdersHttpApiHttpApiId": {"Value": api_id},
            "OrdersHttpApiUrl": {"Value": "https://api.example.com/"},
            "OrdersHttpApiStageName": {"Value": STAGE},
        },
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName="OrdersHttp", TemplateBody=json.dumps(template)
    )
    code = cli.main(["verify", "--stack", "OrdersHttp", "--public", "GET /health", "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0, data
    assert data["apiId"] == api_id and [c["id"] for c in data["checks"]] == list(HTTP_API_CHECK_IDS)


def test_verifying_an_http_api_is_read_only(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from botocore.client import BaseClient

    api_id = deploy_http_api()
    calls: list[str] = []
    original = BaseClient._make_api_call

    def record(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        calls.append(operation_name)
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    verify(clients(), VerifyOptions(api_id=api_id, stage=STAGE, public=parse_public(PUBLIC)))
    assert {
        "GetApi",
        "GetStage",
        "GetRoutes",
        "GetDomainNames",
        "GetApiMappings",
    } <= set(calls)
    assert [name for name in calls if not name.startswith(("Get", "Describe", "List"))] == []
    # Not GetAuthorizers (moto 5.2.6 answers it with a 500 for HTTP APIs; no check needs it).
    assert "GetAuthorizers" not in calls


# --- each break changes exactly one check --------------------------------------------------------


def test_fails_routes_auth_on_an_open_route_not_listed_in_public(aws: None) -> None:
    results = results_of(public=())
    assert_only(results, {m.ROUTES_AUTH: m.FAIL})
    assert "authorization NONE on GET /health (not listed in --public)" in results[m.ROUTES_AUTH].detail


def test_fails_routes_auth_on_an_open_default_route(aws: None) -> None:
    results = results_of(HttpSetup(routes=(*ROUTES, ("$default", "NONE"))))
    assert_only(results, {m.ROUTES_AUTH: m.FAIL})
    assert "authorization NONE on $default" in results[m.ROUTES_AUTH].detail


def test_public_matches_the_route_key_exactly_and_options_is_exempt(aws: None) -> None:
    setup = HttpSetup(
        routes=(("GET /orders/{id}", "JWT"), ("GET /status/{id}", "NONE"), ("OPTIONS /orders/{id}", "NONE"))
    )
    exact = results_of(setup, public=("GET /status/{id}",))
    assert exact[m.ROUTES_AUTH].status == m.PASS, exact[m.ROUTES_AUTH].detail


def test_fails_routes_auth_when_public_is_a_prefix_of_the_route(aws: None) -> None:
    setup = HttpSetup(routes=(("GET /orders/{id}", "JWT"), ("GET /status/{id}", "NONE")))
    prefix = results_of(setup, public=("GET /status",))
    assert prefix[m.ROUTES_AUTH].status == m.FAIL
    assert "--public matching no route: GET /status" in prefix[m.ROUTES_AUTH].detail


def test_fails_endpoint_when_execute_api_stays_enabled_behind_a_domain(aws: None) -> None:
    results = results_of(HttpSetup(disable_execute_api=False))
    assert_only(results, {m.ENDPOINT_EXECUTE_API_DISABLED: m.FAIL})


def test_without_a_domain_the_domain_checks_skip(aws: None) -> None:
    results = results_of(HttpSetup(domain=False))
    assert_only(
        results,
        {},
        skipped=(m.ENDPOINT_EXECUTE_API_DISABLED, m.DOMAIN_TLS_POLICY),
    )


def test_fails_domain_allowing_tls_1_0(aws: None) -> None:
    results = results_of(HttpSetup(security_policy="TLS_1_0"))
    assert_only(results, {m.DOMAIN_TLS_POLICY: m.FAIL})
    assert "api.example.com (TLS_1_0)" in results[m.DOMAIN_TLS_POLICY].detail


@pytest.mark.parametrize(
    ("setup", "detail"),
    [
        (HttpSetup(throttling=None), "no default throttling"),
        (HttpSetup(throttling=(-1, -1)), "disabled"),
        (HttpSetup(route_throttles={"GET /orders/{id}": (-1, -1)}), "route(s) GET /orders/{id}"),
    ],
)
def test_fails_throttling(aws: None, setup: HttpSetup, detail: str) -> None:
    results = results_of(setup)
    assert_only(results, {m.STAGE_THROTTLING: m.FAIL})
    assert detail in results[m.STAGE_THROTTLING].detail


def test_fails_access_logs_when_the_stage_writes_none(aws: None) -> None:
    results = results_of(HttpSetup(access_logs=False))
    assert_only(results, {m.STAGE_ACCESS_LOGS: m.FAIL})


def test_fails_audit_without_a_trail(aws: None) -> None:
    results = results_of(HttpSetup(trail=False))
    assert_only(results, {m.AUDIT_TRAIL: m.FAIL})


def test_a_denied_get_routes_warns_naming_the_permission(aws: None) -> None:
    api_id = deploy_http_api()
    base = clients()
    denied = replace(base, apigatewayv2=DenyingV2(base.apigatewayv2, "get_routes"))
    report = verify(denied, VerifyOptions(api_id=api_id, stage=STAGE, protocol=m.HTTP))
    results = {c.id: c for c in report.checks}
    assert_only(results, {m.ROUTES_AUTH: m.WARN})
    assert f"missing permission apigateway:GET on arn:aws:apigateway:{REGION}::/apis/{api_id}/routes" in (
        results[m.ROUTES_AUTH].detail
    )


# --- the https:// probes, against TLS servers on 127.0.0.1 only -----------------------------------------

API_ID = "h1t2t3p4a5"
HTTP_DOMAIN = DomainMapping("api.example.com", "(none)", "TLS_1_2", ("REGIONAL",))


def http_facts(*, domains: tuple[DomainMapping, ...] = (HTTP_DOMAIN,)) -> V2Facts:
    routes = [Route(key, authorization, False) for key, authorization in (*ROUTES, ("$default", "JWT"))]
    return V2Facts(
        api_id=API_ID,
        stage=STAGE,
        region=REGION,
        partition="aws",
        api={},
        stage_info={},
        routes=routes,
        domains=domains,
        trails=(),
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("http-api-pki"))


def probe(pki: Pki, url: str, execute_api: str, *public: str) -> dict[str, m.CheckResult]:
    options = VerifyOptions(
        api_id=API_ID,
        url=url,
        public=parse_public(public),
        ca_bundle=str(pki.ca_file),
        timeout=5,
        execute_api_url=execute_api,
        protocol=m.HTTP,
    )
    return {c.id: c for c in run_http_checks(observe(options, http_facts()))}


def test_a_correct_http_api_passes_every_http_probe_with_get_only_on_non_public_get_routes(pki: Pki) -> None:
    with (
        https_server(pki) as (url, seen),
        https_server(pki, Behaviour(fixed=(403, '{"message":"Forbidden"}'))) as (execute_api, _),
    ):
        results = probe(pki, url, execute_api + "prod/", *PUBLIC)
    assert_statuses(results, dict.fromkeys(m.HTTP_CHECK_IDS, m.PASS))
    assert "GET /orders/{id} -> 401" in results[m.HTTP_UNAUTHENTICATED].detail
    # GET to the non-public GET routes (path parameters filled), one preflight (to the first route: HTTP
    # APIs answer preflights themselves); never POST /orders, the public GET /health or the $default
    # route, and no credentials.
    assert {(method, path) for method, path, _ in seen.requests} == {
        ("GET", "/orders"),
        ("GET", f"/orders/{PLACEHOLDER}"),
        ("OPTIONS", f"/orders/{PLACEHOLDER}"),
    }
    for _, _, headers in seen.requests:
        assert "authorization" not in headers


def test_fails_unauthenticated_when_a_bearer_route_answers_without_a_token(pki: Pki) -> None:
    with https_server(pki, Behaviour(open_paths=(f"/orders/{PLACEHOLDER}",))) as (url, _):
        results = probe(pki, url, "https://127.0.0.1:1/prod/", *PUBLIC)
    assert results[m.HTTP_UNAUTHENTICATED].status == m.FAIL
    assert "GET /orders/{id} -> 200" in results[m.HTTP_UNAUTHENTICATED].detail


def test_fails_cors_when_the_foreign_origin_is_echoed(pki: Pki) -> None:
    with https_server(pki, Behaviour(reflect_origin=True)) as (url, _):
        results = probe(pki, url, "https://127.0.0.1:1/prod/", *PUBLIC)
    assert results[m.HTTP_CORS_FOREIGN_ORIGIN].status == m.FAIL


def test_fails_tls_min_version_when_tls_1_0_and_1_1_are_accepted(pki: Pki) -> None:
    with https_server(pki, Behaviour(legacy_tls=True)) as (url, _):
        results = probe(pki, url, "https://127.0.0.1:1/prod/", *PUBLIC)
    assert results[m.HTTP_TLS_MIN_VERSION].status == m.FAIL


def test_fails_execute_api_url_when_it_still_answers(pki: Pki) -> None:
    with https_server(pki) as (url, _), https_server(pki) as (execute_api, _):
        results = probe(pki, url, execute_api + "prod/", *PUBLIC)
    assert results[m.HTTP_EXECUTE_API_URL].status == m.FAIL
    assert "still answers (401)" in results[m.HTTP_EXECUTE_API_URL].detail


def test_every_http_probe_skips_without_url() -> None:
    options = VerifyOptions(api_id=API_ID, protocol=m.HTTP)
    results = run_http_checks(observe(options, http_facts()))
    assert [(r.id, r.status) for r in results] == [(cid, m.SKIP) for cid in m.HTTP_CHECK_IDS]


def test_help_lists_every_http_api_check_and_names_the_three_kinds(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["verify", "--help"]) == 0
    out = capsys.readouterr().out
    assert "checks of an HTTP API:\n" + "".join(f"  {cid}\n" for cid in HTTP_API_CHECK_IDS) in out
    assert "REST, WebSocket or HTTP API" in out


# --- a SecureHttpApi's synthesized template, deployed in moto the way it says -------------------------

from aws_cdk.assertions import Template  # noqa: E402

from secure_api import BearerAuth, CustomDomain, MutualTls, SecureHttpApi, Throttle  # noqa: E402
from tests.unit.helpers import inline_function, new_stack  # noqa: E402
from tests.unit.verify_world import verify_template  # noqa: E402


@pytest.fixture(scope="module")
def http_api_template() -> dict[str, Any]:
    """A ``SecureHttpApi`` with the library's defaults and a custom domain with mutual TLS: a bearer route
    with scopes and its own throttle, an IAM route and a public health route; synthesized once."""
    _, stack = new_stack()
    domain = CustomDomain(
        domain_name="api.example.com",
        hosted_zone_id="Z0123456789ABC",
        hosted_zone_name="example.com",
        mtls=MutualTls(
            truststore_bucket="orders-truststores",
            truststore_key="truststore.pem",
            truststore_version="3",
        ),
    )
    api = SecureHttpApi(
        stack,
        "Orders",
        auth=BearerAuth(issuer="https://login.example.com/", audience=["orders-api"]),
        domain=domain,
    )
    handler = inline_function(stack, "Handler")
    api.add_route(
        "GET",
        "/orders/{id}",
        handler,
        scopes=["orders:read"],
        throttle=Throttle(rate_limit=100, burst_limit=200),
    )
    api.add_route("POST", "/orders", handler, auth="iam")
    api.add_route("GET", "/health", handler, auth="none")
    template: dict[str, Any] = Template.from_stack(stack).to_json()
    return template


def template_results(template: dict[str, Any], *public: str) -> dict[str, m.CheckResult]:
    return verify_template(template, public=parse_public(public))


def test_a_default_secure_http_api_template_passes_every_http_api_check(
    aws: None, http_api_template: dict[str, Any]
) -> None:
    results = template_results(http_api_template, "GET /health")
    assert_only(results, {})
    assert "2 route(s) require authorization (AWS_IAM, JWT)" in results[m.ROUTES_AUTH].detail
    assert "own limits on route(s) GET /orders/{id}" in results[m.STAGE_THROTTLING].detail


def test_the_secure_http_api_templates_open_route_fails_unless_listed_in_public(
    aws: None, http_api_template: dict[str, Any]
) -> None:
    results = template_results(http_api_template)
    assert_only(results, {m.ROUTES_AUTH: m.FAIL})
    assert "authorization NONE on GET /health" in results[m.ROUTES_AUTH].detail


def test_each_kind_reports_its_check_ids_in_the_documented_order() -> None:
    assert KINDS[m.REST].check_ids == m.CHECK_IDS
    assert KINDS[m.WEBSOCKET].check_ids == m.WS_CHECK_IDS


def test_the_http_api_checks_are_designs_list() -> None:
    # DESIGN.md's list for HTTP APIs, written out: the contract, so not derived from the code.
    assert KINDS[m.HTTP].check_ids == (
        "endpoint.execute_api_disabled",
        "domain.tls_policy",
        "stage.throttling",
        "stage.access_logs",
        "routes.auth",
        "audit.trail",
        "http.tls_min_version",
        "http.unauthenticated",
        "http.cors_foreign_origin",
        "http.execute_api_url",
    )
