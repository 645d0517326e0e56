"""The compliance gate: zero unacknowledged findings in every stack under every feature-flag set
(env-agnostic and env-specific), and no acknowledgement that stands for nothing."""

from __future__ import annotations

import json
from typing import Any

import pytest

from secure_api.compliance import ACKNOWLEDGEMENTS
from tests.compliance.apps import GATE, GateStack
from tests.compliance.gate import Findings, run_app

_INSECURE = (GateStack("insecure"),)


@pytest.fixture(scope="module", params=sorted(GATE))
def gate(request: pytest.FixtureRequest) -> dict[str, Findings]:
    """``stack id -> Findings`` (acknowledged) of the gate app under one feature-flag set."""
    return run_app(request.param, GATE[request.param])


def test_no_unacknowledged_findings(gate: dict[str, Findings]) -> None:
    left = {
        stack_id: {checker: found for checker, found in findings.by_checker.items() if found}
        for stack_id, findings in gate.items()
    }
    assert {stack_id: found for stack_id, found in left.items() if found} == {}


def test_every_checker_ran() -> None:
    found = run_app("cdk.json", _INSECURE)["GateInsecure"].by_checker
    for checker in ("AwsSolutions", "Serverless", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321",
                    "cdk-validator-cfnguard", "checkov", "cfn-lint", "secure-api-alarm-topics"):  # fmt: skip
        assert found.get(checker), f"{checker} found nothing in plain CDK resources: did it run?"
    # AWS's serverless rules (cfn-lint-serverless, appended to cfn-lint): ES1005 (no MemorySize) and
    # WS1000 (no active tracing) at least, on the plain function.
    serverless = {f.split(" @ ")[0] for f in found["cfn-lint"] if f[:2] in ("ES", "WS")}
    assert {"ES1005", "WS1000"} <= serverless, found["cfn-lint"]
    # The library's own check and the Security Hub checker have nothing to look at in plain CDK resources;
    # they ran when they are reported (tests/unit/test_openapi_* and tests/compliance/test_securityhub.py
    # show them finding what they should).
    assert "secure-api-openapi" in found
    assert "securityhub" in found


def test_every_acknowledgement_has_a_specific_reason() -> None:
    for name, ack in ACKNOWLEDGEMENTS.items():
        assert ack.rules, name
        assert len(ack.reason) > 60, name


def test_no_secret_in_template(gate: dict[str, Findings]) -> None:
    for stack_id in ("GateExample", "GateVariants"):
        template = gate[stack_id].template
        types = {r["Type"] for r in template["Resources"].values()}
        # Keys and their secrets are created by the provisioner at deploy time, never declared.
        assert "Custom::SecureApiKeys" in types
        assert not types & {"AWS::ApiGateway::ApiKey", "AWS::SecretsManager::Secret"}
        text = json.dumps(template).lower()
        for marker in ('apikey": "', "secretstring", "begin private key"):
            assert marker not in text


def test_every_function_is_traced(gate: dict[str, Findings]) -> None:
    """X-Ray on every function the library deploys, CDK's provider framework included, and the
    permission to send traces in the function's role."""
    for stack_id, findings in gate.items():
        resources = findings.template["Resources"]
        for logical_id, function in _of_type(resources, "AWS::Lambda::Function").items():
            where = f"{stack_id}/{logical_id}"
            assert function["Properties"].get("TracingConfig") == {"Mode": "Active"}, where
            role = resources[function["Properties"]["Role"]["Fn::GetAtt"][0]]
            policies = [resources[ref["Ref"]] for ref in role["Properties"].get("ManagedPolicyArns", [])]
            assert "xray:PutTraceSegments" in json.dumps(policies), where


def test_no_aws_managed_policy(gate: dict[str, Findings]) -> None:
    for stack_id, findings in gate.items():
        for logical_id, role in _of_type(findings.template["Resources"], "AWS::IAM::Role").items():
            assert ":iam::aws:policy/" not in json.dumps(role["Properties"].get("ManagedPolicyArns", [])), (
                f"{stack_id}/{logical_id}"
            )


def _of_type(resources: dict[str, Any], type_: str) -> dict[str, Any]:
    return {logical_id: r for logical_id, r in resources.items() if r["Type"] == type_}
