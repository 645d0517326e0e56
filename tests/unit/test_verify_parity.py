"""``secure-api verify``'s runtime-scanner parity checks: ``endpoint.tls_policy``, ``domain.mtls``,
``domain.certificate``, ``stage.variables``, ``stage.data_trace``, ``stage.cache_encryption`` and
``methods.request_validation``, against moto (with the answers moto 5.2 does not keep recorded on the
wire, see ``verify_world.WIRE_ANSWERS``), each broken once."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from secure_api.verify import model as m
from secure_api.verify.checks import (
    RECOMMENDED_SECURITY_POLICIES,
    certificate_result,
    endpoint_tls_result,
    mtls_result,
    request_validation_result,
)
from secure_api.verify.facts import Certificate, DomainMapping, Method, RequestValidator, Unavailable
from secure_api.verify.gather import Gatherer
from tests.unit import test_keys_support as support
from tests.unit.test_verify_checks import DenyingClient, assert_only, statuses
from tests.unit.verify_world import LIBRARY_POLICY, REGION, STAGE, TRUSTSTORE, Setup, clients, deploy

aws = support.aws


def no_domain(**fields: Any) -> Setup:
    """The library's API without a custom domain, so its execute-api endpoint serves it."""
    return Setup(domain=False, disable_execute_api=False, **fields)


NO_DOMAIN_SKIPS = (m.ENDPOINT_EXECUTE_API_DISABLED, m.DOMAIN_TLS_POLICY, m.DOMAIN_CERTIFICATE)

# -- endpoint.tls_policy -----------------------------------------------------------------------------


def test_endpoint_tls_policy_passes_the_librarys_policy_with_strict(aws: None) -> None:
    results = statuses(no_domain())
    assert_only(results, {}, skipped=NO_DOMAIN_SKIPS)
    detail = results[m.ENDPOINT_TLS_POLICY].detail
    assert LIBRARY_POLICY in detail and "endpoint access mode STRICT" in detail


def test_fails_endpoint_tls_policy_without_a_policy_naming_awss_default(aws: None) -> None:
    # A REST API created without SecurityPolicy: GetRestApi names none, and AWS serves TLS_1_0.
    results = statuses(no_domain(api_security_policy=None, endpoint_access_mode=None))
    assert_only(results, {m.ENDPOINT_TLS_POLICY: m.FAIL}, skipped=NO_DOMAIN_SKIPS)
    assert "TLS_1_0" in results[m.ENDPOINT_TLS_POLICY].detail
    assert "no security policy" in results[m.ENDPOINT_TLS_POLICY].detail


def test_fails_endpoint_tls_policy_on_tls_1_0(aws: None) -> None:
    results = statuses(no_domain(api_security_policy="TLS_1_0", endpoint_access_mode=None))
    assert_only(results, {m.ENDPOINT_TLS_POLICY: m.FAIL}, skipped=NO_DOMAIN_SKIPS)
    assert "TLS_1_0 accepts TLS 1.0" in results[m.ENDPOINT_TLS_POLICY].detail


@pytest.mark.parametrize("policy", ["TLS_1_2", "SecurityPolicy_TLS13_1_2_PQ_2025_09"])
def test_warns_on_an_endpoint_policy_security_hub_flags(aws: None, policy: str) -> None:
    results = statuses(no_domain(api_security_policy=policy))
    assert_only(results, {m.ENDPOINT_TLS_POLICY: m.WARN}, skipped=NO_DOMAIN_SKIPS)
    detail = results[m.ENDPOINT_TLS_POLICY].detail
    assert policy in detail and "APIGateway.11" in detail and LIBRARY_POLICY in detail


def test_endpoint_tls_policy_passes_a_disabled_endpoint_whatever_its_policy(aws: None) -> None:
    results = statuses(Setup(api_security_policy=None))
    assert_only(results, {})
    assert results[m.ENDPOINT_TLS_POLICY].detail.startswith("endpoint disabled")


@pytest.mark.parametrize(
    ("answer", "status", "fragment"),
    [
        ({}, m.FAIL, "AWS's default for a Regional REST API, TLS_1_0"),
        ({"securityPolicy": "TLS_1_0"}, m.FAIL, "TLS_1_0 accepts TLS 1.0"),
        ({"securityPolicy": "TLS_1_2"}, m.WARN, "APIGateway.11"),
        ({"securityPolicy": "Policy_From_The_Future"}, m.WARN, "unknown security policy"),
        (
            {"securityPolicy": LIBRARY_POLICY, "endpointAccessMode": "STRICT"},
            m.PASS,
            f"{LIBRARY_POLICY}, endpoint access mode STRICT",
        ),
        ({"securityPolicy": "TLS_1_0", "disableExecuteApiEndpoint": True}, m.PASS, "endpoint disabled"),
    ],
)
def test_endpoint_tls_result(answer: dict[str, Any], status: str, fragment: str) -> None:
    result = endpoint_tls_result({"id": "a1b2c3d4e5", **answer})
    assert (result.status, result.id) == (status, m.ENDPOINT_TLS_POLICY)
    assert fragment in result.detail


def test_every_recommended_policy_passes_the_endpoint() -> None:
    for policy in RECOMMENDED_SECURITY_POLICIES:
        assert endpoint_tls_result({"securityPolicy": policy}).status == m.PASS


# A GetRestApi answer as API Gateway sends it since November 2025 (ids changed).
REST_API_POLICY_FIELDS = ("securityPolicy", "endpointAccessMode")

RECORDED_GET_REST_API = {
    "id": "a1b2c3d4e5",
    "name": "SecureApiExample-OrdersApi",
    "createdDate": 1767225600,
    "apiKeySource": "HEADER",
    "endpointConfiguration": {"types": ["REGIONAL"], "ipAddressType": "ipv4"},
    "disableExecuteApiEndpoint": False,
    "rootResourceId": "r00tr3s0ur",
    "securityPolicy": LIBRARY_POLICY,
    "endpointAccessMode": "STRICT",
    "apiStatus": "AVAILABLE",
}


def _recorded_client(body: dict[str, Any]) -> Any:
    """An API Gateway client whose GetRestApi gets ``body`` over the wire (nothing else is called)."""
    from botocore.awsrequest import AWSResponse

    client = boto3.client("apigateway", region_name=REGION)

    class Raw:
        def __init__(self, data: bytes) -> None:
            self.data = data

        def stream(self, **_kwargs: Any) -> Any:
            yield self.data

    def answer(**_kwargs: Any) -> AWSResponse:
        data = json.dumps(body).encode()
        return AWSResponse("https://apigateway/", 200, {"content-type": "application/json"}, Raw(data))

    client.meta.events.register_first("before-send.api-gateway.GetRestApi", answer)
    return client


def test_the_gatherer_reads_the_policy_from_a_recorded_getrestapi_answer(aws: None) -> None:
    # botocore parses only what its model describes: the boto3 the library requires (>= 1.44) models
    # both fields, so a recorded GetRestApi answer reaches the check through the real parser.
    model = boto3.client("apigateway", region_name=REGION).meta.service_model
    assert set(REST_API_POLICY_FIELDS) <= set(model.operation_model("GetRestApi").output_shape.members)
    gatherer = Gatherer(
        replace(clients(), apigateway=_recorded_client(RECORDED_GET_REST_API)), "a1b2c3d4e5", STAGE
    )
    rest_api = gatherer.rest_api_fact()
    assert not isinstance(rest_api, Unavailable)
    assert (rest_api["securityPolicy"], rest_api["endpointAccessMode"]) == (LIBRARY_POLICY, "STRICT")
    assert endpoint_tls_result(rest_api).status == m.PASS
    without = {k: v for k, v in RECORDED_GET_REST_API.items() if k not in REST_API_POLICY_FIELDS}
    gatherer = Gatherer(replace(clients(), apigateway=_recorded_client(without)), "a1b2c3d4e5", STAGE)
    assert endpoint_tls_result(gatherer.rest_api_fact()).status == m.FAIL


# -- domain.mtls -------------------------------------------------------------------------------------


def test_domain_mtls_passes_naming_the_truststore_and_its_version(aws: None) -> None:
    results = statuses(Setup(mtls=TRUSTSTORE))
    assert_only(results, {m.DOMAIN_MTLS: m.PASS})
    detail = results[m.DOMAIN_MTLS].detail
    assert TRUSTSTORE["truststoreUri"] in detail and f"version {TRUSTSTORE['truststoreVersion']}" in detail


def test_domain_mtls_warns_on_truststore_warnings(aws: None) -> None:
    warned = {**TRUSTSTORE, "truststoreWarnings": ["Certificate CN=old-ca is expired"]}
    results = statuses(Setup(mtls=warned))
    assert_only(results, {m.DOMAIN_MTLS: m.WARN})
    assert "api.example.com: 1 truststore warning(s)" in results[m.DOMAIN_MTLS].detail


def test_domain_mtls_skips_without_mutual_tls_or_domain(aws: None) -> None:
    results = statuses()
    assert results[m.DOMAIN_MTLS].status == m.SKIP
    assert "no mutual TLS on api.example.com" in results[m.DOMAIN_MTLS].detail
    assert mtls_result([], STAGE).status == m.SKIP


def test_domain_mtls_warns_when_another_domain_skips_client_certificates() -> None:
    guarded = DomainMapping("api.example.com", "(none)", LIBRARY_POLICY, mutual_tls=TRUSTSTORE)
    open_ = DomainMapping("legacy.example.com", "(none)", "TLS_1_2")
    result = mtls_result([guarded, open_], STAGE)
    assert result.status == m.WARN
    assert "no mutual TLS on legacy.example.com" in result.detail


# -- domain.certificate ------------------------------------------------------------------------------


def test_domain_certificate_warns_within_30_days_of_expiry(aws: None) -> None:
    results = statuses(Setup(certificate_days=10))
    assert_only(results, {m.DOMAIN_CERTIFICATE: m.WARN})
    detail = results[m.DOMAIN_CERTIFICATE].detail
    expiry = f"{datetime.now(UTC) + timedelta(days=10):%Y-%m-%d}"
    assert "api.example.com: certificate ISSUED" in detail and expiry in detail


def test_domain_certificate_warns_when_not_issued(aws: None) -> None:
    results = statuses(Setup(certificate_status="PENDING_VALIDATION"))
    assert_only(results, {m.DOMAIN_CERTIFICATE: m.WARN})
    assert "api.example.com: certificate PENDING_VALIDATION" in results[m.DOMAIN_CERTIFICATE].detail


def test_domain_certificate_passes_naming_the_expiry(aws: None) -> None:
    detail = statuses()[m.DOMAIN_CERTIFICATE].detail
    assert f"expires {datetime.now(UTC) + timedelta(days=395):%Y-%m-%d}" in detail


def test_a_denied_acm_call_is_a_warning_naming_the_permission(aws: None) -> None:
    deployed = deploy()
    base = clients()
    denying = replace(
        base,
        acm_in=lambda region: DenyingClient(boto3.client("acm", region_name=region), "describe_certificate"),
    )
    results = {c.id: c for c in run(denying, deployed.api_id)}
    assert_only(results, {m.DOMAIN_CERTIFICATE: m.WARN})
    assert "missing permission acm:DescribeCertificate" in results[m.DOMAIN_CERTIFICATE].detail


def test_certificate_result_boundaries() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    domain = DomainMapping("api.example.com", "(none)", LIBRARY_POLICY, certificate_arn="arn:c")

    def status(cert: Certificate | Unavailable) -> str:
        return certificate_result([domain], {"arn:c": cert}, STAGE, now).status

    assert status(Certificate("arn:c", "ISSUED", now + timedelta(days=31))) == m.PASS
    assert status(Certificate("arn:c", "ISSUED", now + timedelta(days=29))) == m.WARN
    assert status(Certificate("arn:c", "EXPIRED", now - timedelta(days=1))) == m.WARN
    assert status(Unavailable("acm:DescribeCertificate", denied=False, reason="throttled")) == m.SKIP
    assert certificate_result([domain], None, STAGE, now).status == m.SKIP


def run(verify_clients: Any, api_id: str) -> list[m.CheckResult]:
    from secure_api.verify.checks import run_aws_checks

    return run_aws_checks(Gatherer(verify_clients, api_id, STAGE).gather())


# -- stage.variables ---------------------------------------------------------------------------------

AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"


def test_fails_stage_variables_with_a_secret_like_name_without_showing_the_value(aws: None) -> None:
    results = statuses(Setup(stage_variables={"dbPassword": "hunter2-but-longer", "region": "eu-west-1"}))
    assert_only(results, {m.STAGE_VARIABLES: m.FAIL})
    detail = results[m.STAGE_VARIABLES].detail
    assert "dbPassword (its name)" in detail and "region" not in detail.split(";")[0].split(":")[1]
    assert "hunter2" not in detail


def test_fails_stage_variables_with_a_secret_like_value_without_showing_it(aws: None) -> None:
    results = statuses(Setup(stage_variables={"backend": AWS_KEY_ID}))
    assert_only(results, {m.STAGE_VARIABLES: m.FAIL})
    detail = results[m.STAGE_VARIABLES].detail
    assert "backend (its value looks like an AWS access key id)" in detail
    assert AWS_KEY_ID not in detail and "AKIA" not in detail


def test_stage_variables_referencing_secrets_pass(aws: None) -> None:
    references = {
        "dbSecretArn": f"arn:aws:secretsmanager:{REGION}:123456789012:secret:orders-db-AbCdEf",
        "tokenUrl": "https://login.example.com/oauth2/token",
        "region": "eu-west-1",
    }
    results = statuses(Setup(stage_variables=references))
    assert_only(results, {})
    assert "none of stage prod's 3 variable(s) looks like a secret" in results[m.STAGE_VARIABLES].detail


# -- stage.data_trace --------------------------------------------------------------------------------


def test_fails_data_trace_on_a_method_naming_it(aws: None) -> None:
    results = statuses(Setup(data_trace_methods=("~1orders/GET",)))
    # stage.execution_logs has always failed on data trace too.
    assert_only(results, {m.STAGE_DATA_TRACE: m.FAIL, m.STAGE_EXECUTION_LOGS: m.FAIL})
    assert "~1orders/GET" in results[m.STAGE_DATA_TRACE].detail
    assert "*/*" not in results[m.STAGE_DATA_TRACE].detail


def test_fails_data_trace_on_the_stage(aws: None) -> None:
    results = statuses(Setup(data_trace=True))
    assert results[m.STAGE_DATA_TRACE].status == m.FAIL
    assert "*/*" in results[m.STAGE_DATA_TRACE].detail


def test_data_trace_off_passes(aws: None) -> None:
    assert "data trace off for stage prod" in statuses()[m.STAGE_DATA_TRACE].detail


# -- stage.cache_encryption --------------------------------------------------------------------------


def test_fails_cache_without_encryption_on_the_stage(aws: None) -> None:
    results = statuses(Setup(cache_cluster=True, caching=("*/*",), cache_encrypted=False))
    assert_only(results, {m.STAGE_CACHE_ENCRYPTION: m.FAIL})
    assert "not encrypted for */*" in results[m.STAGE_CACHE_ENCRYPTION].detail
    assert "APIGateway.5" in results[m.STAGE_CACHE_ENCRYPTION].detail


def test_fails_cache_without_encryption_on_one_method(aws: None) -> None:
    results = statuses(Setup(caching=("~1orders/GET",), cache_encrypted=False))
    assert_only(results, {m.STAGE_CACHE_ENCRYPTION: m.FAIL})
    assert "not encrypted for ~1orders/GET" in results[m.STAGE_CACHE_ENCRYPTION].detail


def test_encrypted_cache_passes(aws: None) -> None:
    results = statuses(Setup(cache_cluster=True, caching=("*/*",), cache_encrypted=True))
    assert_only(results, {m.STAGE_CACHE_ENCRYPTION: m.PASS})
    assert "cache data encrypted" in results[m.STAGE_CACHE_ENCRYPTION].detail


def test_cache_cluster_without_encrypted_default_fails() -> None:
    from secure_api.verify.checks import cache_encryption_result

    stage = {"cacheClusterEnabled": True, "methodSettings": {"*/*": {"cachingEnabled": False}}}
    assert cache_encryption_result(stage, STAGE).status == m.FAIL
    assert cache_encryption_result({"methodSettings": {}}, STAGE).status == m.SKIP


# -- methods.request_validation ----------------------------------------------------------------------


def test_request_validation_warns_on_a_body_model_without_validator(aws: None) -> None:
    results = statuses(Setup(validator=None))
    assert_only(results, {m.METHODS_REQUEST_VALIDATION: m.WARN})
    detail = results[m.METHODS_REQUEST_VALIDATION].detail
    assert "POST /orders (no request validator)" in detail and "GET /orders " not in detail


def test_request_validation_warns_on_a_validator_skipping_the_body(aws: None) -> None:
    results = statuses(Setup(validator="params"))
    assert_only(results, {m.METHODS_REQUEST_VALIDATION: m.WARN})
    assert (
        "POST /orders (validator validate-params skips the body)"
        in results[m.METHODS_REQUEST_VALIDATION].detail
    )


def test_request_validation_passes_without_body_models(aws: None) -> None:
    results = statuses(Setup(body_model=False, validator=None))
    assert_only(results, {})
    assert "no method declares a request body model" in results[m.METHODS_REQUEST_VALIDATION].detail


def test_request_validation_result_names_each_method() -> None:
    body = RequestValidator("v1", "body", validate_body=True, validate_parameters=False)
    methods = [
        Method("POST", "/orders", "CUSTOM", True, ("application/json",), "v1"),
        Method("PUT", "/orders/{id}", "CUSTOM", True, ("application/json",), None),
        Method("PATCH", "/orders/{id}", "CUSTOM", True, ("application/json",), "gone"),
    ]
    result = request_validation_result(methods, {"v1": body})
    assert result.status == m.WARN
    assert "PUT /orders/{id}" in result.detail and "PATCH /orders/{id}" in result.detail
    assert "POST /orders" not in result.detail
