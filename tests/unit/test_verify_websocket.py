"""``secure-api verify`` for a WebSocket API: the protocol is recognised, a ``SecureWebSocketApi`` built
with the defaults (deployed in moto the way its template says) passes every AWS-side check, and each
test breaks exactly one thing in that template and sees exactly that check change."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk.assertions import Template

from secure_api import BearerAuth, Consumer, CustomDomain, SecureWebSocketApi, Throttle, UsageTier
from secure_api.keys import cli
from secure_api.keys.errors import UnknownApiError
from secure_api.verify import model as m
from secure_api.verify.command import VerifyOptions, verify
from secure_api.verify.kinds import detect_protocol
from secure_api.verify.model import HTTP, REST, WEBSOCKET
from tests.unit import test_keys_support as support
from tests.unit.helpers import inline_function, new_stack
from tests.unit.verify_world import (
    REGION,
    DenyingV2,
    V2TemplateDeployment,
    assert_statuses,
    clients,
    verify_template,
)

aws = support.aws
AUTH = BearerAuth(issuer="https://login.example.com/", audience=["chat"])
DOMAIN = CustomDomain(
    domain_name="chat.example.com", hosted_zone_id="Z0123456789ABC", hosted_zone_name="example.com"
)


def synth(**options: Any) -> dict[str, Any]:
    _, stack = new_stack()
    chat = SecureWebSocketApi(stack, "Chat", auth=AUTH, **options)
    send = inline_function(stack, "Send")
    chat.add_route("sendMessage", send, throttle=Throttle(rate_limit=100, burst_limit=200))
    chat.add_route("$default", send)
    template: dict[str, Any] = Template.from_stack(stack).to_json()
    return template


@pytest.fixture(scope="module")
def defaults() -> dict[str, Any]:
    """A default SecureWebSocketApi (audit and monitoring on) with two routes; synthesized once."""
    return synth()


@pytest.fixture(scope="module")
def with_tiers() -> dict[str, Any]:
    """The same with a domain, a usage tier and a consumer; synthesized once."""
    return synth(
        domain=DOMAIN,
        usage_tiers=[UsageTier("gold", throttle=Throttle(rate_limit=50, burst_limit=100))],
        consumers=[Consumer("mobile-app", tier="gold")],
    )


def of_type(template: dict[str, Any], type_: str) -> list[dict[str, Any]]:
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == type_]


def results_of(template: dict[str, Any], url: str | None = None) -> dict[str, m.CheckResult]:
    return verify_template(template, url=url, timeout=5)


def assert_only(
    results: dict[str, m.CheckResult], changed: dict[str, str], *, skipped: tuple[str, ...] = ()
) -> None:
    """Every WebSocket AWS check passes except ``changed`` and ``skipped``; the URL checks skip."""
    expected = (
        {cid: m.PASS for cid in m.WS_AWS_CHECK_IDS}
        | {cid: m.SKIP for cid in (*m.WS_URL_CHECK_IDS, *skipped)}
        | changed
    )
    assert_statuses(results, expected)


def broken(template: dict[str, Any], type_: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    copied = copy.deepcopy(template)
    for props in of_type(copied, type_):
        change(props)
    return copied


# --- the defaults pass ---------------------------------------------------------------------------


def test_a_default_websocket_api_passes_every_websocket_check(aws: None, defaults: dict[str, Any]) -> None:
    results = results_of(defaults)
    # No domain and no tier: the two checks that need one skip; everything else passes.
    assert_only(
        results, {}, skipped=(m.ENDPOINT_EXECUTE_API_DISABLED, m.DOMAIN_TLS_POLICY, m.ROUTES_API_KEYS)
    )
    assert list(results) == list(m.WS_CHECK_IDS)
    assert "rate 1000/s, burst 2000" in results[m.STAGE_THROTTLING].detail
    assert "own limits on route(s) sendMessage" in results[m.STAGE_THROTTLING].detail
    assert "execution logging at ERROR, data tracing off" in results[m.STAGE_EXECUTION_LOGS].detail
    assert "$connect requires authorization (CUSTOM)" in results[m.ROUTES_CONNECT_AUTH].detail


def test_with_a_domain_and_tiers_every_websocket_check_passes(aws: None, with_tiers: dict[str, Any]) -> None:
    results = results_of(with_tiers)
    assert_only(results, {})
    assert "chat.example.com (TLS_1_2)" in results[m.DOMAIN_TLS_POLICY].detail
    assert "only policy API Gateway offers" in results[m.DOMAIN_TLS_POLICY].detail
    assert "$connect requires an API key" in results[m.ROUTES_API_KEYS].detail
    assert "served through chat.example.com" in results[m.ENDPOINT_EXECUTE_API_DISABLED].detail


def test_the_protocol_is_recognised(aws: None, defaults: dict[str, Any]) -> None:
    import boto3

    ws_id = V2TemplateDeployment(defaults).deploy()
    rest_id = boto3.client("apigateway", region_name=REGION).create_rest_api(name="orders")["id"]
    assert detect_protocol(clients(), ws_id)[0] == WEBSOCKET
    assert detect_protocol(clients(), rest_id)[0] == REST
    http_id = boto3.client("apigatewayv2", region_name=REGION).create_api(Name="h", ProtocolType="HTTP")[
        "ApiId"
    ]
    assert detect_protocol(clients(), http_id)[0] == HTTP
    with pytest.raises(UnknownApiError, match="no such REST or WebSocket API"):
        detect_protocol(clients(), "nope123")


def test_the_cli_reports_a_websocket_api_with_the_same_shape_and_exit_code(
    aws: None, defaults: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    api_id = V2TemplateDeployment(defaults).deploy()
    code = cli.main(["verify", "--api-id", api_id, "--json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["apiId"] == api_id and data["stage"] == "prod"
    assert [c["id"] for c in data["checks"]] == list(m.WS_CHECK_IDS)
    assert set(data["summary"]) == {"pass", "fail", "warn", "skip"}
    assert cli.main(["verify", "--api-id", api_id, "--stage", "nope"]) == 2
    assert "unknown stage 'nope'" in capsys.readouterr().err


def test_a_rest_url_for_a_websocket_api_is_refused(
    aws: None, defaults: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    api_id = V2TemplateDeployment(defaults).deploy()
    assert cli.main(["verify", "--api-id", api_id, "--url", "https://chat.example.com/"]) == 2
    err = capsys.readouterr().err
    assert "WebSocket API" in err and "wss://" in err and err.count("\n") == 1
    assert cli.main(["verify", "--api-id", api_id, "--public", "GET /health"]) == 2
    err = capsys.readouterr().err
    assert "--public GET /health" in err and "no methods" in err and err.count("\n") == 1


# --- each break changes exactly one check --------------------------------------------------------


def test_fails_connect_auth_when_connect_is_open(aws: None, defaults: dict[str, Any]) -> None:
    def open_connect(props: dict[str, Any]) -> None:
        if props["RouteKey"] == "$connect":
            props["AuthorizationType"] = "NONE"
            props.pop("AuthorizerId", None)

    results = results_of(broken(defaults, "AWS::ApiGatewayV2::Route", open_connect))
    assert_only(
        results,
        {m.ROUTES_CONNECT_AUTH: m.FAIL},
        skipped=(m.ENDPOINT_EXECUTE_API_DISABLED, m.DOMAIN_TLS_POLICY, m.ROUTES_API_KEYS),
    )
    assert "authorization NONE" in results[m.ROUTES_CONNECT_AUTH].detail


def test_fails_connect_auth_without_a_connect_route(aws: None, defaults: dict[str, Any]) -> None:
    template = copy.deepcopy(defaults)
    template["Resources"] = {
        lid: r
        for lid, r in template["Resources"].items()
        if not (r["Type"] == "AWS::ApiGatewayV2::Route" and r["Properties"]["RouteKey"] == "$connect")
    }
    results = results_of(template)
    assert results[m.ROUTES_CONNECT_AUTH].status == m.FAIL
    assert "no $connect route" in results[m.ROUTES_CONNECT_AUTH].detail


def test_fails_api_keys_when_connect_requires_none(aws: None, with_tiers: dict[str, Any]) -> None:
    def keyless(props: dict[str, Any]) -> None:
        props["ApiKeyRequired"] = False

    results = results_of(broken(with_tiers, "AWS::ApiGatewayV2::Route", keyless))
    assert_only(results, {m.ROUTES_API_KEYS: m.FAIL})
    assert "$connect requires no API key" in results[m.ROUTES_API_KEYS].detail


def test_fails_endpoint_when_execute_api_stays_enabled_behind_a_domain(
    aws: None, with_tiers: dict[str, Any]
) -> None:
    def enabled(props: dict[str, Any]) -> None:
        props["DisableExecuteApiEndpoint"] = False

    results = results_of(broken(with_tiers, "AWS::ApiGatewayV2::Api", enabled))
    assert_only(results, {m.ENDPOINT_EXECUTE_API_DISABLED: m.FAIL})


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        (lambda s: s["DefaultRouteSettings"].pop("ThrottlingRateLimit"), "no default throttling"),
        (lambda s: s["DefaultRouteSettings"].update(ThrottlingRateLimit=-1), "disabled"),
        (lambda s: s["RouteSettings"]["sendMessage"].update(ThrottlingBurstLimit=-1), "route(s) sendMessage"),
    ],
)
def test_fails_throttling(
    aws: None, defaults: dict[str, Any], change: Callable[[dict[str, Any]], None], detail: str
) -> None:
    results = results_of(broken(defaults, "AWS::ApiGatewayV2::Stage", change))
    assert_only(
        results,
        {m.STAGE_THROTTLING: m.FAIL},
        skipped=(m.ENDPOINT_EXECUTE_API_DISABLED, m.DOMAIN_TLS_POLICY, m.ROUTES_API_KEYS),
    )
    assert detail in results[m.STAGE_THROTTLING].detail


def test_throttling_equal_to_the_account_limits_is_a_warning(aws: None, defaults: dict[str, Any]) -> None:
    # moto's GetAccount reports 10000/s, burst 5000.
    def account_figures(props: dict[str, Any]) -> None:
        props["DefaultRouteSettings"].update(ThrottlingRateLimit=10000, ThrottlingBurstLimit=5000)

    results = results_of(broken(defaults, "AWS::ApiGatewayV2::Stage", account_figures))
    assert results[m.STAGE_THROTTLING].status == m.WARN
    assert "GetAccount: rate 10000/s, burst 5000" in results[m.STAGE_THROTTLING].detail


def test_fails_access_logs_when_the_stage_writes_none(aws: None, defaults: dict[str, Any]) -> None:
    results = results_of(broken(defaults, "AWS::ApiGatewayV2::Stage", lambda s: s.pop("AccessLogSettings")))
    assert_only(
        results,
        {m.STAGE_ACCESS_LOGS: m.FAIL},
        skipped=(m.ENDPOINT_EXECUTE_API_DISABLED, m.DOMAIN_TLS_POLICY, m.ROUTES_API_KEYS),
    )


@pytest.mark.parametrize(
    ("change", "status", "detail"),
    [
        (
            lambda s: s["DefaultRouteSettings"].update(DataTraceEnabled=True),
            m.FAIL,
            "(default route settings)",
        ),
        (lambda s: s["RouteSettings"]["sendMessage"].update(DataTraceEnabled=True), m.FAIL, "sendMessage"),
        (lambda s: s["DefaultRouteSettings"].update(LoggingLevel="OFF"), m.WARN, "execution logging off"),
    ],
)
def test_execution_logs(
    aws: None, defaults: dict[str, Any], change: Callable[[dict[str, Any]], None], status: str, detail: str
) -> None:
    results = results_of(broken(defaults, "AWS::ApiGatewayV2::Stage", change))
    assert_only(
        results,
        {m.STAGE_EXECUTION_LOGS: status},
        skipped=(m.ENDPOINT_EXECUTE_API_DISABLED, m.DOMAIN_TLS_POLICY, m.ROUTES_API_KEYS),
    )
    assert detail in results[m.STAGE_EXECUTION_LOGS].detail


def test_fails_domain_allowing_tls_1_0(aws: None, with_tiers: dict[str, Any]) -> None:
    def weak(props: dict[str, Any]) -> None:
        for configuration in props["DomainNameConfigurations"]:
            configuration["SecurityPolicy"] = "TLS_1_0"

    results = results_of(broken(with_tiers, "AWS::ApiGatewayV2::DomainName", weak))
    assert_only(results, {m.DOMAIN_TLS_POLICY: m.FAIL})
    assert "chat.example.com (TLS_1_0)" in results[m.DOMAIN_TLS_POLICY].detail


def test_fails_audit_without_a_trail(aws: None) -> None:
    results = results_of(synth(audit=None))
    assert_only(
        results,
        {m.AUDIT_TRAIL: m.FAIL},
        skipped=(m.ENDPOINT_EXECUTE_API_DISABLED, m.DOMAIN_TLS_POLICY, m.ROUTES_API_KEYS),
    )
    assert "0 trail(s)" in results[m.AUDIT_TRAIL].detail


def test_a_denied_get_routes_warns_naming_the_permission(aws: None, with_tiers: dict[str, Any]) -> None:
    from dataclasses import replace

    api_id = V2TemplateDeployment(with_tiers).deploy()
    base = clients()
    denied = replace(base, apigatewayv2=DenyingV2(base.apigatewayv2, "get_routes"))
    report = verify(denied, VerifyOptions(api_id=api_id, stage="prod", protocol=WEBSOCKET))
    results = {c.id: c for c in report.checks}
    assert_only(results, {m.ROUTES_CONNECT_AUTH: m.WARN, m.ROUTES_API_KEYS: m.WARN})
    assert f"missing permission apigateway:GET on arn:aws:apigateway:{REGION}::/apis/{api_id}/routes" in (
        results[m.ROUTES_CONNECT_AUTH].detail
    )


# --- the wss:// probes, against TLS WebSocket servers on 127.0.0.1 only -------------------------------

from secure_api.verify.command import observe_websocket  # noqa: E402
from secure_api.verify.facts import DomainMapping, V2Facts  # noqa: E402
from secure_api.verify.websocket_checks import run_websocket_url_checks  # noqa: E402
from tests.unit.tls_servers import Pki, make_pki  # noqa: E402
from tests.unit.ws_servers import WsBehaviour, wss_server  # noqa: E402

WS_DOMAIN = DomainMapping("chat.example.com", "(none)", "TLS_1_2", ("REGIONAL",))


def ws_facts(*, domains: tuple[DomainMapping, ...] = (WS_DOMAIN,)) -> V2Facts:
    return V2Facts(
        api_id="w5s6t7u8v9",
        stage="prod",
        region="us-east-1",
        partition="aws",
        api={},
        stage_info={},
        routes=(),
        domains=domains,
        usage_plans=(),
        trails=(),
    )


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("ws-pki"))


def probe(
    pki: Pki, url: str, execute_api: str, *, facts: V2Facts | None = None, ca: bool = True
) -> dict[str, m.CheckResult]:
    options = VerifyOptions(
        api_id="w5s6t7u8v9",
        url=url,
        ca_bundle=str(pki.ca_file) if ca else None,
        timeout=5,
        execute_api_url=execute_api,
        protocol=WEBSOCKET,
    )
    return {c.id: c for c in run_websocket_url_checks(observe_websocket(options, facts or ws_facts()))}


def statuses(results: dict[str, m.CheckResult]) -> dict[str, str]:
    return {cid: r.status for cid, r in results.items()}


def test_a_correct_websocket_api_passes_every_wss_check(pki: Pki) -> None:
    with (
        wss_server(pki) as (url, behaviour),
        wss_server(pki, WsBehaviour(fixed=(403, '{"message":"Forbidden"}'))) as (execute_api, _),
    ):
        results = probe(pki, url, execute_api + "prod/")
    assert statuses(results) == dict.fromkeys(m.WS_URL_CHECK_IDS, m.PASS), results
    assert "refused a handshake without credentials (401)" in results[m.WS_UNAUTHENTICATED].detail
    assert "403 Forbidden (endpoint disabled)" in results[m.WS_EXECUTE_API_URL].detail
    # The probe sent a real WebSocket handshake and no credentials.
    seen = behaviour.seen
    assert seen and seen[0]["upgrade"].lower() == "websocket"
    assert not any("authorization" in headers or "x-api-key" in headers for headers in seen)


def test_fails_unauthenticated_when_a_connection_opens_without_a_token(pki: Pki) -> None:
    with wss_server(pki, WsBehaviour(open_without_token=True)) as (url, _):
        results = probe(pki, url, "wss://127.0.0.1:1/prod/", facts=ws_facts(domains=()))
    assert results[m.WS_UNAUTHENTICATED].status == m.FAIL
    assert "opened a connection without credentials (101)" in results[m.WS_UNAUTHENTICATED].detail
    assert results[m.WS_EXECUTE_API_URL].status == m.SKIP  # no domain maps the stage


def test_fails_tls_min_version_when_tls_1_0_and_1_1_are_accepted(pki: Pki) -> None:
    with wss_server(pki, WsBehaviour(legacy_tls=True)) as (url, _):
        results = probe(pki, url, "wss://127.0.0.1:1/prod/", facts=ws_facts(domains=()))
    assert results[m.WS_TLS_MIN_VERSION].status == m.FAIL, results[m.WS_TLS_MIN_VERSION].detail
    assert results[m.WS_UNAUTHENTICATED].status == m.PASS


def test_fails_execute_api_url_when_it_still_answers(pki: Pki) -> None:
    with wss_server(pki) as (url, _), wss_server(pki) as (execute_api, _):
        results = probe(pki, url, execute_api + "prod/")
    assert results[m.WS_EXECUTE_API_URL].status == m.FAIL
    assert "still answers (401)" in results[m.WS_EXECUTE_API_URL].detail


def test_another_refusal_status_warns(pki: Pki) -> None:
    with wss_server(pki, WsBehaviour(fixed=(500, "Internal Server Error"))) as (url, _):
        results = probe(pki, url, "wss://127.0.0.1:1/prod/", facts=ws_facts(domains=()))
    assert results[m.WS_UNAUTHENTICATED].status == m.WARN
    assert "500, not 401 or 403" in results[m.WS_UNAUTHENTICATED].detail


def test_an_untrusted_certificate_or_closed_port_skips_never_passes(pki: Pki) -> None:
    with wss_server(pki) as (url, _):
        untrusted = probe(pki, url, "wss://127.0.0.1:1/prod/", facts=ws_facts(domains=()), ca=False)
    assert untrusted[m.WS_UNAUTHENTICATED].status == m.SKIP
    assert "certificate not trusted" in untrusted[m.WS_UNAUTHENTICATED].detail
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    closed = probe(pki, f"wss://127.0.0.1:{port}/", f"wss://127.0.0.1:{port}/prod/")
    assert closed[m.WS_UNAUTHENTICATED].status == m.SKIP
    assert closed[m.WS_TLS_MIN_VERSION].status == m.SKIP
    # ... but a refused execute-api URL is a refusal: the endpoint does not answer.
    assert closed[m.WS_EXECUTE_API_URL].status == m.PASS


def test_every_wss_check_skips_without_url() -> None:
    options = VerifyOptions(api_id="w5s6t7u8v9", protocol=WEBSOCKET)
    results = run_websocket_url_checks(observe_websocket(options, ws_facts()))
    assert [(r.id, r.status) for r in results] == [(cid, m.SKIP) for cid in m.WS_URL_CHECK_IDS]
