"""``secure-api verify``'s AWS-side checks against moto: a correct API passes every check, and each
test breaks exactly one thing and sees exactly that check change."""

from __future__ import annotations

from typing import Any

import pytest

from secure_api.verify import model as m
from secure_api.verify.checks import minimum_tls, run_aws_checks
from secure_api.verify.command import VerifyOptions, verify
from secure_api.verify.gather import Gatherer
from secure_api.verify.public import parse_public
from tests.unit import test_keys_support as support
from tests.unit.verify_world import STAGE, Setup, assert_statuses, clients, deploy

aws = support.aws


def statuses(setup: Setup | None = None, *public: str) -> dict[str, m.CheckResult]:
    deployed = deploy(setup or Setup())
    facts = Gatherer(clients(), deployed.api_id, STAGE).gather()
    return {c.id: c for c in run_aws_checks(facts, parse_public(public))}


UNUSED_BY_DEFAULT = (m.DOMAIN_MTLS, m.STAGE_CACHE_ENCRYPTION)
"""What the library's defaults leave off, so its check is ``skip``: mutual TLS and caching."""


def assert_only(
    results: dict[str, m.CheckResult], changed: dict[str, str], *, skipped: tuple[str, ...] = ()
) -> None:
    """Every AWS check passes except those in ``changed`` (with that status), ``skipped`` and the
    checks of what the defaults leave off (:data:`UNUSED_BY_DEFAULT`)."""
    expected = (
        {cid: m.PASS for cid in m.AWS_CHECK_IDS}
        | {cid: m.SKIP for cid in (*UNUSED_BY_DEFAULT, *skipped)}
        | changed
    )
    assert_statuses(results, expected)


def test_a_correct_api_passes_every_aws_check(aws: None) -> None:
    results = statuses()
    assert_only(results, {})
    assert "2 statement(s): 1 Allow, 1 Deny" in results[m.POLICY_RESOURCE_POLICY].detail
    assert "api.example.com" in results[m.ENDPOINT_EXECUTE_API_DISABLED].detail
    assert "rate 1000/s, burst 2000" in results[m.STAGE_THROTTLING].detail
    assert "orders-audit" in results[m.AUDIT_TRAIL].detail
    assert "3 method(s) require an API key" in results[m.METHODS_API_KEYS].detail


def test_the_report_lists_every_check_in_order_and_skips_http_without_url(aws: None) -> None:
    deployed = deploy()
    report = verify(clients(), VerifyOptions(api_id=deployed.api_id))
    assert [c.id for c in report.checks] == list(m.CHECK_IDS)
    assert {c.id: c.status for c in report.checks if c.id.startswith("http.")} == dict.fromkeys(
        m.HTTP_CHECK_IDS, m.SKIP
    )
    assert report.summary() == {"pass": 16, "fail": 0, "warn": 0, "skip": 6}


def test_fails_policy_without_resource_policy(aws: None) -> None:
    results = statuses(Setup(policy=False))
    assert_only(results, {m.POLICY_RESOURCE_POLICY: m.FAIL})
    assert "no resource policy" in results[m.POLICY_RESOURCE_POLICY].detail


def test_fails_endpoint_when_execute_api_stays_enabled_behind_a_domain(aws: None) -> None:
    results = statuses(Setup(disable_execute_api=False))
    assert_only(results, {m.ENDPOINT_EXECUTE_API_DISABLED: m.FAIL})
    assert "api.example.com" in results[m.ENDPOINT_EXECUTE_API_DISABLED].detail


def test_endpoint_and_domain_skip_without_a_domain(aws: None) -> None:
    results = statuses(Setup(domain=False, disable_execute_api=False))
    assert_only(
        results, {}, skipped=(m.ENDPOINT_EXECUTE_API_DISABLED, m.DOMAIN_TLS_POLICY, m.DOMAIN_CERTIFICATE)
    )
    assert "no custom domain maps stage prod" in results[m.DOMAIN_TLS_POLICY].detail


def test_fails_domain_allowing_tls_1_0(aws: None) -> None:
    results = statuses(Setup(security_policy="TLS_1_0"))
    assert_only(results, {m.DOMAIN_TLS_POLICY: m.FAIL})
    assert "api.example.com (TLS_1_0)" in results[m.DOMAIN_TLS_POLICY].detail


def test_domain_names_the_recommended_policy_in_force(aws: None) -> None:
    results = statuses()
    detail = results[m.DOMAIN_TLS_POLICY].detail
    assert "api.example.com (SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09)" in detail
    assert "APIGateway.11" not in detail


@pytest.mark.parametrize("policy", ["TLS_1_2", "SecurityPolicy_TLS13_1_2_PQ_2025_09"])
def test_warns_on_a_domain_policy_security_hub_flags(aws: None, policy: str) -> None:
    # Both allow TLS 1.2 at the least, yet neither is on APIGateway.11's recommended list.
    results = statuses(Setup(security_policy=policy))
    assert_only(results, {m.DOMAIN_TLS_POLICY: m.WARN})
    detail = results[m.DOMAIN_TLS_POLICY].detail
    assert f"api.example.com ({policy})" in detail
    assert "APIGateway.11" in detail
    assert "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09" in detail  # what to choose instead


@pytest.mark.parametrize(
    ("policy", "oldest"),
    [
        ("TLS_1_0", "1.0"),
        ("TLS_1_2", "1.2"),
        ("SecurityPolicy_TLS13_1_3_2025_09", "1.3"),
        ("SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09", "1.2"),
        ("SecurityPolicy_TLS12_PFS_2025_EDGE", "1.2"),
        ("SecurityPolicy_TLS13_1_0_2021_06", "1.0"),
        ("Something_else", None),
        (None, None),
    ],
)
def test_minimum_tls_of_security_policies(policy: str | None, oldest: str | None) -> None:
    assert minimum_tls(policy) == oldest


def test_fails_waf_when_no_web_acl_is_associated(aws: None) -> None:
    results = statuses(Setup(waf=False))
    assert_only(results, {m.WAF_ASSOCIATED: m.FAIL})


class WithoutThrottlingDefaults:
    """moto fills 1000/2000 into every method setting it creates; API Gateway leaves a stage's ``*/*``
    setting without throttling keys (or at -1) unless someone set them, so this proxy removes moto's."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        if name != "get_stage":
            return getattr(self._client, name)

        def get_stage(**kwargs: Any) -> Any:
            stage = self._client.get_stage(**kwargs)
            for settings in stage.get("methodSettings", {}).values():
                settings.pop("throttlingRateLimit", None)
                settings.pop("throttlingBurstLimit", None)
            return stage

        return get_stage


def test_fails_throttling_when_the_stage_sets_none(aws: None) -> None:
    from dataclasses import replace

    deployed = deploy(Setup(throttling=None))
    base = clients()
    facts = Gatherer(
        replace(base, apigateway=WithoutThrottlingDefaults(base.apigateway)), deployed.api_id, STAGE
    ).gather()
    results = {c.id: c for c in run_aws_checks(facts)}
    assert_only(results, {m.STAGE_THROTTLING: m.FAIL})
    assert "no default throttling" in results[m.STAGE_THROTTLING].detail


def test_fails_throttling_when_disabled_with_minus_one(aws: None) -> None:
    results = statuses(Setup(throttling=("-1", "-1")))
    assert_only(results, {m.STAGE_THROTTLING: m.FAIL})
    assert "disabled" in results[m.STAGE_THROTTLING].detail


class AccountLimits:
    """A moto client whose ``GetAccount`` reports the given account throttle (moto's is 10000/5000)."""

    def __init__(self, client: Any, rate: float, burst: int) -> None:
        self._client = client
        self._limits = {"rateLimit": rate, "burstLimit": burst}

    def __getattr__(self, name: str) -> Any:
        if name == "get_account":
            return lambda **_kwargs: {"throttleSettings": dict(self._limits)}
        return getattr(self._client, name)


def throttling_with_account(stage: tuple[str, str], account: tuple[float, int] | None) -> m.CheckResult:
    from dataclasses import replace

    deployed = deploy(Setup(throttling=stage))
    base = clients()
    verify_clients = (
        base if account is None else replace(base, apigateway=AccountLimits(base.apigateway, *account))
    )
    facts = Gatherer(verify_clients, deployed.api_id, STAGE).gather()
    results = {c.id: c for c in run_aws_checks(facts)}
    assert_only(results, {m.STAGE_THROTTLING: results[m.STAGE_THROTTLING].status})
    return results[m.STAGE_THROTTLING]


def test_throttling_equal_to_the_account_limits_is_a_warning(aws: None) -> None:
    # moto's GetAccount reports 10000/s, burst 5000: what API Gateway shows when nobody chose a limit.
    result = throttling_with_account(("10000", "5000"), None)
    assert result.status == m.WARN, result.detail
    assert "rate 10000/s, burst 5000" in result.detail
    assert "account's own limits (GetAccount: rate 10000/s, burst 5000)" in result.detail


def test_throttling_is_compared_with_the_account_limits_getaccount_reports(aws: None) -> None:
    raised = throttling_with_account(("20000", "8000"), (20000.0, 8000))
    assert raised.status == m.WARN, raised.detail
    assert "rate 20000/s, burst 8000" in raised.detail
    assert "GetAccount: rate 20000/s, burst 8000" in raised.detail
    # The usual account default is a limit someone chose once the account's own limits are raised.
    chosen = throttling_with_account(("10000", "5000"), (20000.0, 8000))
    assert chosen.status == m.PASS, chosen.detail
    assert "rate 10000/s, burst 5000" in chosen.detail


def test_throttling_still_runs_when_getaccount_is_denied(aws: None) -> None:
    from dataclasses import replace

    deployed = deploy()
    base = clients()
    facts = Gatherer(
        replace(base, apigateway=DenyingClient(base.apigateway, "get_account")), deployed.api_id, STAGE
    ).gather()
    results = {c.id: c for c in run_aws_checks(facts)}
    assert_only(results, {})
    detail = results[m.STAGE_THROTTLING].detail
    assert "rate 1000/s, burst 2000" in detail
    assert "account limits could not be read" in detail
    assert "missing permission apigateway:GET on arn:aws:apigateway:us-east-1::/account" in detail


def test_fails_access_logs_when_the_stage_writes_none(aws: None) -> None:
    assert_only(statuses(Setup(access_logs=False)), {m.STAGE_ACCESS_LOGS: m.FAIL})


def test_fails_execution_logs_with_data_tracing(aws: None) -> None:
    results = statuses(Setup(data_trace=True))
    assert_only(results, {m.STAGE_EXECUTION_LOGS: m.FAIL, m.STAGE_DATA_TRACE: m.FAIL})
    assert "*/*" in results[m.STAGE_EXECUTION_LOGS].detail


def test_execution_logging_off_is_a_warning(aws: None) -> None:
    assert_only(statuses(Setup(logging_level="OFF")), {m.STAGE_EXECUTION_LOGS: m.WARN})


def test_tracing_off_is_a_warning(aws: None) -> None:
    assert_only(statuses(Setup(tracing=False)), {m.STAGE_TRACING: m.WARN})


OPEN_HEALTH = Setup(extra_methods=(("GET", "/health", "NONE", False),))


def test_fails_methods_auth_and_keys_for_an_unlisted_open_method(aws: None) -> None:
    results = statuses(OPEN_HEALTH)
    # An open method without a key breaks both promises; OPTIONS methods are never reported.
    assert_only(results, {m.METHODS_AUTH: m.FAIL, m.METHODS_API_KEYS: m.FAIL})
    assert "GET /health" in results[m.METHODS_AUTH].detail
    assert "OPTIONS" not in results[m.METHODS_AUTH].detail


def test_fails_methods_auth_listing_every_open_method(aws: None) -> None:
    setup = Setup(extra_methods=(("GET", "/health", "NONE", True), ("DELETE", "/orders/{id}", "NONE", True)))
    results = statuses(setup)
    assert_only(results, {m.METHODS_AUTH: m.FAIL})
    assert "DELETE /orders/{id}" in results[m.METHODS_AUTH].detail
    assert "GET /health" in results[m.METHODS_AUTH].detail


@pytest.mark.parametrize("public", ["GET /health", "ANY /health"])
def test_public_routes_are_exempt(aws: None, public: str) -> None:
    results = statuses(OPEN_HEALTH, public)
    assert_only(results, {})
    assert "public (--public): " in results[m.METHODS_AUTH].detail


@pytest.mark.parametrize("public", ["GET /health/", "GET /heal", "POST /health", "GET /"])
def test_fails_public_routes_match_exactly(aws: None, public: str) -> None:
    results = statuses(OPEN_HEALTH, public)
    assert_only(results, {m.METHODS_AUTH: m.FAIL, m.METHODS_API_KEYS: m.FAIL})
    assert "matching no method" in results[m.METHODS_AUTH].detail


def test_public_matches_param_segments_as_declared(aws: None) -> None:
    setup = Setup(extra_methods=(("GET", "/items/{id}", "NONE", False),))
    assert_only(statuses(setup, "GET /items/{id}"), {})


def test_fails_methods_api_keys_for_a_keyless_method(aws: None) -> None:
    setup = Setup(extra_methods=(("GET", "/reports", "CUSTOM", False),))
    results = statuses(setup)
    assert_only(results, {m.METHODS_API_KEYS: m.FAIL})
    assert "GET /reports" in results[m.METHODS_API_KEYS].detail


def test_api_keys_skip_without_usage_plans(aws: None) -> None:
    setup = Setup(usage_plan=False, extra_methods=(("GET", "/reports", "CUSTOM", False),))
    assert_only(statuses(setup), {}, skipped=(m.METHODS_API_KEYS,))


def test_fails_audit_without_any_trail(aws: None) -> None:
    results = statuses(Setup(trail=False))
    assert_only(results, {m.AUDIT_TRAIL: m.FAIL})
    assert "0 trail(s)" in results[m.AUDIT_TRAIL].detail


def test_fails_audit_when_the_trail_is_not_logging(aws: None) -> None:
    results = statuses(Setup(trail_logging=False))
    assert_only(results, {m.AUDIT_TRAIL: m.FAIL})
    assert "orders-audit: not logging" in results[m.AUDIT_TRAIL].detail


def test_fails_audit_when_the_trail_skips_management_events(aws: None) -> None:
    results = statuses(Setup(trail_management_events=False))
    assert_only(results, {m.AUDIT_TRAIL: m.FAIL})
    assert "no management events" in results[m.AUDIT_TRAIL].detail


def test_a_trail_without_any_selectors_logs_every_management_event(aws: None) -> None:
    # CloudTrail's default: GetEventSelectors answers no selectors and the trail has no custom ones.
    results = statuses(Setup(trail_selectors=False))
    assert_only(results, {})
    assert "orders-audit" in results[m.AUDIT_TRAIL].detail


class CustomEmptySelectors:
    """A moto CloudTrail client whose trails claim custom selectors, yet none come back."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        if name == "describe_trails":

            def describe(**kwargs: Any) -> Any:
                answer = self._client.describe_trails(**kwargs)
                for trail in answer["trailList"]:
                    trail["HasCustomEventSelectors"] = True
                return answer

            return describe
        if name == "get_event_selectors":
            return lambda **_kwargs: {"EventSelectors": [], "AdvancedEventSelectors": []}
        return getattr(self._client, name)


def test_fails_audit_when_custom_selectors_select_nothing(aws: None) -> None:
    from dataclasses import replace

    deployed = deploy(Setup(trail_selectors=False))
    base = clients()
    facts = Gatherer(
        replace(base, cloudtrail=CustomEmptySelectors(base.cloudtrail)), deployed.api_id, STAGE
    ).gather()
    results = {c.id: c for c in run_aws_checks(facts)}
    assert_only(results, {m.AUDIT_TRAIL: m.FAIL})
    assert "no management events" in results[m.AUDIT_TRAIL].detail


# -- denied calls: warn naming the permission ------------------------------------------------------


def denied(operation: str) -> dict[str, Any]:
    return {
        "service_error_code": "AccessDeniedException",
        "service_message": f"User is not authorized to perform {operation}",
        "http_status_code": 403,
    }


def test_a_denied_waf_call_is_a_warning_naming_the_permission(aws: None) -> None:
    # moto answers GetWebACLForResource; botocore's Stubber stands in to make it deny the call.
    from botocore.stub import Stubber

    deployed = deploy()
    verify_clients = clients()
    with Stubber(verify_clients.wafv2) as stub:
        stub.add_client_error("get_web_acl_for_resource", **denied("wafv2:GetWebACLForResource"))
        facts = Gatherer(verify_clients, deployed.api_id, STAGE).gather()
    results = {c.id: c for c in run_aws_checks(facts)}
    assert_only(results, {m.WAF_ASSOCIATED: m.WARN})
    assert "missing permission wafv2:GetWebACLForResource" in results[m.WAF_ASSOCIATED].detail


def test_a_denied_cloudtrail_call_is_a_warning_naming_the_permission(aws: None) -> None:
    from botocore.stub import Stubber

    deployed = deploy()
    verify_clients = clients()
    with Stubber(verify_clients.cloudtrail) as stub:
        stub.add_client_error("describe_trails", **denied("cloudtrail:DescribeTrails"))
        facts = Gatherer(verify_clients, deployed.api_id, STAGE).gather()
    results = {c.id: c for c in run_aws_checks(facts)}
    assert_only(results, {m.AUDIT_TRAIL: m.WARN})
    assert "cloudtrail:DescribeTrails" in results[m.AUDIT_TRAIL].detail


class DenyingClient:
    """A moto client whose ``operation`` is denied the way IAM denies it."""

    def __init__(self, client: Any, operation: str) -> None:
        self._client = client
        self._operation = operation

    def __getattr__(self, name: str) -> Any:
        if name == self._operation:

            def deny(**_kwargs: Any) -> Any:
                from botocore.exceptions import ClientError

                raise ClientError(
                    {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, name
                )

            return deny
        return getattr(self._client, name)


@pytest.mark.parametrize(
    ("operation", "warned", "resource"),
    [
        ("get_usage_plans", {m.METHODS_API_KEYS}, "::/usageplans"),
        ("get_resources", {m.METHODS_AUTH, m.METHODS_API_KEYS, m.METHODS_REQUEST_VALIDATION}, "/resources"),
        ("get_request_validators", {m.METHODS_REQUEST_VALIDATION}, "/requestvalidators"),
        (
            "get_domain_names",
            {
                m.ENDPOINT_EXECUTE_API_DISABLED,
                m.DOMAIN_TLS_POLICY,
                m.DOMAIN_MTLS,
                m.DOMAIN_CERTIFICATE,
            },
            "::/domainnames",
        ),
        (
            "get_stage",
            {
                m.STAGE_THROTTLING,
                m.STAGE_ACCESS_LOGS,
                m.STAGE_EXECUTION_LOGS,
                m.STAGE_DATA_TRACE,
                m.STAGE_TRACING,
                m.STAGE_VARIABLES,
                m.STAGE_CACHE_ENCRYPTION,
            },
            "/stages/prod",
        ),
        (
            "get_rest_api",
            {m.POLICY_RESOURCE_POLICY, m.ENDPOINT_EXECUTE_API_DISABLED, m.ENDPOINT_TLS_POLICY},
            "/restapis/",
        ),
    ],
)
def test_denied_api_gateway_reads_are_warnings(
    aws: None, operation: str, warned: set[str], resource: str
) -> None:
    from dataclasses import replace

    deployed = deploy()
    base = clients()
    facts = Gatherer(
        replace(base, apigateway=DenyingClient(base.apigateway, operation)), deployed.api_id, STAGE
    ).gather()
    results = {c.id: c for c in run_aws_checks(facts)}
    assert_only(results, dict.fromkeys(warned, m.WARN))
    for cid in warned:
        assert "missing permission apigateway:GET on arn:aws:apigateway:us-east-1::" in results[cid].detail
        assert resource in results[cid].detail


def test_the_resource_policy_is_read_as_api_gateway_escapes_it() -> None:
    from secure_api.verify.checks import parse_policy

    escaped = '{\\"Version\\":\\"2012-10-17\\",\\"Statement\\":[{\\"Effect\\":\\"Deny\\"}]}'
    assert parse_policy(escaped) == {"Version": "2012-10-17", "Statement": [{"Effect": "Deny"}]}
    assert parse_policy("not json") is None
