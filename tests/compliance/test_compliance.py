"""The compliance gate: zero unacknowledged findings, and no acknowledgement that stands for nothing."""

from __future__ import annotations

import json

import pytest

from secure_api.compliance import ACKNOWLEDGEMENTS
from tests.compliance.apps import STACKS
from tests.compliance.gate import Findings, run_all


@pytest.fixture(scope="module", params=sorted(STACKS))
def findings(request: pytest.FixtureRequest) -> tuple[Findings, Findings]:
    build = STACKS[request.param]
    return run_all(build, acknowledge=False), run_all(build, acknowledge=True)


def test_no_unacknowledged_findings(findings: tuple[Findings, Findings]) -> None:
    _, left = findings
    assert {k: v for k, v in left.by_checker.items() if v} == {}


def test_every_checker_ran(findings: tuple[Findings, Findings]) -> None:
    raw, _ = findings
    for checker in ("AwsSolutions", "Serverless", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321",
                    "cdk-validator-cfnguard", "checkov", "cfn-lint", "secure-api-openapi"):  # fmt: skip
        assert checker in raw.by_checker
    assert raw.total() > 0, "without acknowledgements something must be found, or the checkers did not run"


def test_every_acknowledgement_has_a_specific_reason() -> None:
    for name, ack in ACKNOWLEDGEMENTS.items():
        assert ack.rules, name
        assert len(ack.reason) > 60, name


def test_no_secret_in_template(findings: tuple[Findings, Findings]) -> None:
    _, synthesized = findings
    types = {r["Type"] for r in synthesized.template["Resources"].values()}
    # Keys and their secrets are created by the provisioner at deploy time, never declared.
    assert "Custom::SecureApiKeys" in types
    assert not types & {"AWS::ApiGateway::ApiKey", "AWS::SecretsManager::Secret"}
    text = json.dumps(synthesized.template).lower()
    for marker in ('apikey": "', "secretstring", "begin private key"):
        assert marker not in text
