"""``ManagedRuleGroup`` and the WebACL rules built from it, and the shape every WebACL rule shares
(its own CloudWatch metric and sampled requests)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_wafv2 as wafv2

from secure_api import defaults
from secure_api.errors import SecureApiConfigError

_RULE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
_GROUP_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")
_VERSION = re.compile(r"[A-Za-z0-9_#:./-]{1,64}")

# Managed rule groups take priorities 100, 101, ... (see the table in firewall.py).
PRIORITY_MANAGED = 100


@dataclass(frozen=True, kw_only=True)
class ManagedRuleGroup:
    """One managed rule group of the WebACL.

    ``count_only`` sets the whole group to Count (its matches are logged and measured, never
    blocked: the way to trial a group). ``excluded_rules`` names rules of the group whose action is
    overridden to Count (``RuleActionOverrides``, WAF's replacement for ``ExcludedRules``), for rules
    that misfire on legitimate traffic. ``version`` pins a version (default: the vendor's default).
    """

    name: str
    vendor: str = "AWS"
    count_only: bool = False
    excluded_rules: Sequence[str] = ()
    version: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _GROUP_NAME.fullmatch(self.name):
            raise SecureApiConfigError(
                "ManagedRuleGroup.name", self.name, "a rule group name such as 'AWSManagedRulesSQLiRuleSet'"
            )
        if not isinstance(self.vendor, str) or not _GROUP_NAME.fullmatch(self.vendor):
            raise SecureApiConfigError("ManagedRuleGroup.vendor", self.vendor, "a vendor name such as 'AWS'")
        if len(self.rule_name) > 128:
            # The WebACL rule and its metric are named '<vendor>-<name>': WAF allows 128 characters.
            raise SecureApiConfigError(
                "ManagedRuleGroup.name", self.name, f"a name of at most {127 - len(self.vendor)} characters"
            )
        if not isinstance(self.count_only, bool):
            raise SecureApiConfigError("ManagedRuleGroup.count_only", self.count_only, "True or False")
        rules = self.excluded_rules
        if isinstance(rules, str) or not all(isinstance(r, str) and _RULE_NAME.fullmatch(r) for r in rules):
            raise SecureApiConfigError(
                "ManagedRuleGroup.excluded_rules",
                rules,
                "a list of rule names such as 'SizeRestrictions_BODY'",
            )
        if len(set(rules)) != len(tuple(rules)):
            raise SecureApiConfigError("ManagedRuleGroup.excluded_rules", list(rules), "distinct rule names")
        object.__setattr__(self, "excluded_rules", tuple(rules))
        if self.version is not None and not (
            isinstance(self.version, str) and _VERSION.fullmatch(self.version)
        ):
            raise SecureApiConfigError(
                "ManagedRuleGroup.version", self.version, "a version such as 'Version_1.10'"
            )

    @property
    def rule_name(self) -> str:
        """The WebACL rule's (and metric's) name: ``<vendor>-<name>``."""
        return f"{self.vendor}-{self.name}"


def visibility(metric_name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    """CloudWatch metrics and sampled requests on, under ``metric_name``."""
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=metric_name, sampled_requests_enabled=True
    )


def waf_rule(
    name: str,
    priority: int,
    statement: wafv2.CfnWebACL.StatementProperty,
    *,
    action: str | None = None,
    count_only: bool = False,
) -> wafv2.CfnWebACL.RuleProperty:
    """A WebACL rule: ``action`` ("block"/"allow") for a plain rule, None for a rule group."""
    kwargs: dict[str, Any] = {}
    if action is not None:
        kwargs["action"] = wafv2.CfnWebACL.RuleActionProperty(**{action: {}})
    else:
        kwargs["override_action"] = wafv2.CfnWebACL.OverrideActionProperty(
            **({"count": {}} if count_only else {"none": {}})
        )
    return wafv2.CfnWebACL.RuleProperty(
        name=name, priority=priority, statement=statement, visibility_config=visibility(name), **kwargs
    )


def managed_rule_group_rules(groups: Sequence[ManagedRuleGroup]) -> list[wafv2.CfnWebACL.RuleProperty]:
    """One WebACL rule per managed rule group, priorities 100, 101, ... in the order given."""
    rules: list[wafv2.CfnWebACL.RuleProperty] = []
    for i, group in enumerate(groups):
        configs = None
        if group.vendor == "AWS" and group.name == defaults.WAF_BOT_CONTROL_RULE_GROUP:
            configs = [
                wafv2.CfnWebACL.ManagedRuleGroupConfigProperty(
                    aws_managed_rules_bot_control_rule_set=wafv2.CfnWebACL.AWSManagedRulesBotControlRuleSetProperty(
                        inspection_level=defaults.WAF_BOT_CONTROL_INSPECTION_LEVEL
                    )
                )
            ]
        statement = wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name=group.vendor,
                name=group.name,
                version=group.version,
                managed_rule_group_configs=configs,
                rule_action_overrides=[
                    wafv2.CfnWebACL.RuleActionOverrideProperty(
                        name=rule, action_to_use=wafv2.CfnWebACL.RuleActionProperty(count={})
                    )
                    for rule in group.excluded_rules
                ]
                or None,
            )
        )
        rules.append(waf_rule(group.rule_name, PRIORITY_MANAGED + i, statement, count_only=group.count_only))
    return rules
