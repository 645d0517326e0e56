"""The example stacks (REST and HTTP APIs), deployed in moto the way their synthesized templates say, pass
every AWS-side check of ``secure-api verify``."""

from __future__ import annotations

from typing import Any

from secure_api.verify import model as m
from secure_api.verify.checks import run_aws_checks
from secure_api.verify.gather import Gatherer
from secure_api.verify.v2_checks import HTTP_API_AWS_CHECKS
from tests.unit import test_keys_support as support
from tests.unit.verify_world import TemplateDeployment, assert_statuses, clients, verify_template

aws = support.aws


def stage_name(template: dict[str, Any], type_: str) -> str:
    """The ``StageName`` of the template's (first) stage resource of ``type_``."""
    name: str = next(
        r["Properties"]["StageName"] for r in template["Resources"].values() if r["Type"] == type_
    )
    return name


def test_the_example_stack_as_deployed_passes_every_aws_check(aws: None, example_template: Any) -> None:
    template = example_template.to_json()
    api_id = TemplateDeployment(template).deploy()
    stage = stage_name(template, "AWS::ApiGateway::Stage")
    facts = Gatherer(clients(), api_id, stage).gather()
    results = {c.id: c for c in run_aws_checks(facts)}
    # The example uses neither mutual TLS nor a cache: those checks have nothing to judge.
    expected = dict.fromkeys(m.AWS_CHECK_IDS, m.PASS) | {
        m.DOMAIN_MTLS: m.SKIP,
        m.STAGE_CACHE_ENCRYPTION: m.SKIP,
    }
    assert_statuses(results, expected)
    # What the template promises, read back: the custom domain's policy and the three routes.
    assert "api.example.com (SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09)" in results[m.DOMAIN_TLS_POLICY].detail
    assert "3 method(s) require authorization (CUSTOM)" in results[m.METHODS_AUTH].detail
    assert "SecureApiExample-OrdersApi-gold" in results[m.METHODS_API_KEYS].detail
    # The domain disables the execute-api endpoint; its certificate is the stack's own, ISSUED.
    assert results[m.ENDPOINT_TLS_POLICY].detail.startswith("endpoint disabled")
    assert "api.example.com: certificate ISSUED" in results[m.DOMAIN_CERTIFICATE].detail
    assert "no mutual TLS on api.example.com" in results[m.DOMAIN_MTLS].detail


def test_the_http_example_stack_as_deployed_passes_every_http_api_check(
    aws: None, http_example_template: Any
) -> None:
    template = http_example_template.to_json()
    results = verify_template(template, stage_name(template, "AWS::ApiGatewayV2::Stage"))
    # No --url: the http.* probes skip.
    expected = dict.fromkeys((cid for cid, _ in HTTP_API_AWS_CHECKS), m.PASS) | dict.fromkeys(
        m.HTTP_CHECK_IDS, m.SKIP
    )
    assert_statuses(results, expected)
    assert "(TLS_1_2)" in results[m.DOMAIN_TLS_POLICY].detail
    assert "require authorization (JWT)" in results[m.ROUTES_AUTH].detail
