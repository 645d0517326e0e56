"""The Security Hub checker as a CDK validation plugin: it runs on every stack of the app during synth,
beside cdk-nag and cfn-guard, and CDK applies the acknowledgements made with ``Validations.acknowledge``
(``secure_api.compliance.acknowledge``) to its findings."""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import jsii

from secure_api.compliance import ACKNOWLEDGEMENTS
from tests.compliance.securityhub import CONTROLS, PLUGIN_NAME, check, check_acknowledgements


@jsii.implements(cdk.IPolicyValidationPlugin)
class SecurityHubPlugin:
    """Every control of ``CONTROLS`` on every template; one violation per control, naming each resource."""

    def __init__(self) -> None:
        check_acknowledgements({name: ack.rules for name, ack in ACKNOWLEDGEMENTS.items()})
        self.evaluated: list[str] = []
        """The templates checked so far (CDK leaves a plugin without violations out of its report)."""

    @property
    def name(self) -> str:
        return PLUGIN_NAME

    @property
    def version(self) -> str:
        return "1.0.0"

    @property
    def rule_ids(self) -> list[str]:
        return list(CONTROLS)

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        by_control: dict[str, list[cdk.PolicyViolatingResource]] = {}
        reasons: dict[str, list[str]] = {}
        for path in context.template_paths:
            self.evaluated.append(path)
            for finding in check(json.loads(Path(path).read_text())):
                by_control.setdefault(finding.control, []).append(
                    cdk.PolicyViolatingResource(
                        resource_logical_id=finding.logical_id, template_path=path, locations=[finding.reason]
                    )
                )
                reasons.setdefault(finding.control, []).append(finding.reason)
        violations = [
            cdk.PolicyViolation(
                rule_name=control,
                description=f"Security Hub control {control}: {(CONTROLS[control].__doc__ or '').splitlines()[0]}",
                violating_resources=resources,
                fix=f"https://docs.aws.amazon.com/securityhub/latest/userguide/apigateway-controls.html#apigateway-{control.split('.')[1]}",
            )
            for control, resources in by_control.items()
        ]
        return cdk.PolicyValidationPluginReport(success=not violations, violations=violations)
