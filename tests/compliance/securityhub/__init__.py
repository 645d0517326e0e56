"""AWS Security Hub's API Gateway controls (APIGateway.1 to .5 and .8 to .11), evaluated on synthesized
templates: one small pure function per control (``controls``), a registry from control id to function,
and a CDK validation plugin (``plugin``) that runs them in the compliance gate.

Acknowledgements go through the one registry in ``secure_api.compliance`` as ``securityhub::<control>``
and reach the findings the way cdk-nag's and cfn-guard's do (CDK's ``Validations.acknowledge``). A control
id the checker does not know, asked for or acknowledged, is an error, never a pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from tests.compliance.securityhub import controls
from tests.compliance.securityhub.controls import Finding
from tests.compliance.securityhub.template import Template

PLUGIN_NAME = "securityhub"
"""The plugin's name, and so the prefix of its acknowledgements: ``securityhub::APIGateway.2``."""

Control = Callable[[Template], list[Finding]]

CONTROLS: dict[str, Control] = {
    "APIGateway.1": controls.execution_logging,
    "APIGateway.2": controls.backend_client_certificate,
    "APIGateway.3": controls.xray_tracing,
    "APIGateway.4": controls.waf_web_acl,
    "APIGateway.5": controls.cache_encrypted,
    "APIGateway.8": controls.route_authorization,
    "APIGateway.9": controls.v2_access_logging,
    "APIGateway.10": controls.private_integration_https,
    "APIGateway.11": controls.domain_security_policy,
}
"""Control id -> the function that evaluates it."""


class UnknownControlError(ValueError):
    """A control id the checker does not implement."""


def _known(control_ids: Iterable[str], where: str) -> list[str]:
    ids = list(control_ids)
    unknown = sorted(set(ids) - set(CONTROLS))
    if unknown:
        raise UnknownControlError(
            f"{where}: unknown Security Hub control(s) {unknown}; known: {sorted(CONTROLS)}"
        )
    return ids


def check(template: Template, control_ids: Iterable[str] | None = None) -> list[Finding]:
    """The findings of ``control_ids`` (default: every control) on ``template``, sorted."""
    ids = list(CONTROLS) if control_ids is None else _known(control_ids, "check")
    return sorted(finding for control_id in ids for finding in CONTROLS[control_id](template))


def check_acknowledgements(rules_by_name: Mapping[str, Iterable[str]]) -> None:
    """Raise ``UnknownControlError`` when an acknowledgement names a ``securityhub::`` control the checker
    does not know (it would otherwise acknowledge nothing, silently)."""
    prefix = f"{PLUGIN_NAME}::"
    for name, rules in rules_by_name.items():
        _known(
            (rule.removeprefix(prefix) for rule in rules if rule.startswith(prefix)),
            f"acknowledgement {name!r}",
        )
