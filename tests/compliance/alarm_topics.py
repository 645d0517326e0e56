"""The library's own check that every alarm can notify: CloudWatch must be allowed to publish to the SNS
topic an alarm's actions name, and to use the topic's KMS key.

An ``AWS::SNS::TopicPolicy`` replaces SNS's default policy, and a customer-managed key's policy is the
only thing that lets a service principal use it, so an alarm whose topic lacks either fails each
notification with "not authorized" and nobody hears of it. cdk-nag, checkov, cfn-lint, cfn-guard and
the Security Hub controls do not look for this.

For every ``AWS::CloudWatch::Alarm`` whose ``AlarmActions``, ``OKActions`` or ``InsufficientDataActions``
reference an ``AWS::SNS::Topic`` of the template:

- ``cloudwatch-cannot-publish`` @ topic: no ``AWS::SNS::TopicPolicy`` of the topic has an Allow of
  ``sns:Publish`` on the topic to ``cloudwatch.amazonaws.com`` (an explicit grant is required: SNS's
  default policy is account-wide), or that Allow is not conditioned on ``aws:SourceAccount`` or
  ``aws:SourceArn`` (any account's alarm could then publish: the confused deputy), or its
  ``aws:SourceArn`` does not name CloudWatch alarms, or an unconditioned Deny covers CloudWatch;
- ``cloudwatch-cannot-use-key`` @ topic: the topic's ``KmsMasterKeyId`` is the AWS managed key
  (``alias/aws/sns``, whose policy no one can change), or the template's key's policy does not Allow
  ``cloudwatch.amazonaws.com`` both ``kms:Decrypt`` and ``kms:GenerateDataKey*``, conditioned the same way.

A Deny with a condition is taken not to apply to CloudWatch (the TLS-only Deny, for one: CloudWatch
publishes over TLS). Topics and keys that are not in the template (imported) cannot be checked here.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tests.compliance.securityhub.template import Template, flatten, resources

CHECKER = "secure-api-alarm-topics"
"""The checker's name in the gate's findings."""

SERVICE = "cloudwatch.amazonaws.com"
ACTION_LISTS = ("AlarmActions", "OKActions", "InsufficientDataActions")
KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
"""What SNS asks KMS for on behalf of a publisher (``kms:GenerateDataKey*`` covers the second)."""
_ALARM_ARN = re.compile(r"arn:[^:]*:cloudwatch:[^:]*:[^:]*:alarm:.+")
_PARAMETER = re.compile(r"\$\{[^}]*\}")
"""A reference in flattened text (``${AWS::Partition}``): one ARN field."""
_SOURCE_KEYS = ("aws:sourceaccount", "aws:sourcearn")


@dataclass(frozen=True, order=True)
class Finding:
    """One topic that CloudWatch cannot publish to, or whose key it cannot use."""

    logical_id: str
    rule: str
    reason: str

    def __str__(self) -> str:
        return f"{self.rule} @ {self.logical_id}: {self.reason}"


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [] if value is None else [value]


def _ref_target(value: Any) -> str | None:
    """The logical id that ``value`` refers to with ``Ref`` or ``Fn::GetAtt``, else None."""
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref" and isinstance(arg, str):
            return arg
        if key == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else arg
            return str(parts[0])
    return None


def _covers(patterns: Iterable[Any], name: str) -> bool:
    """Whether an IAM ``Action`` list names ``name`` (case-insensitive, ``*`` and ``?`` wildcards)."""
    return any(isinstance(p, str) and fnmatch.fnmatchcase(name.lower(), p.lower()) for p in patterns)


def _names_cloudwatch(principal: Any) -> bool:
    if principal == "*":
        return True
    if not isinstance(principal, dict):
        return False
    return SERVICE in _as_list(principal.get("Service")) or "*" in _as_list(principal.get("AWS"))


def _condition_keys(statement: dict[str, Any]) -> dict[str, list[str]]:
    """Condition key (lower case) -> the flattened values it is compared with, over every operator."""
    keys: dict[str, list[str]] = {}
    for operator in (statement.get("Condition") or {}).values():
        for key, value in (operator or {}).items():
            keys.setdefault(key.lower(), []).extend(flatten(v) for v in _as_list(value))
    return keys


def _source_problem(statement: dict[str, Any]) -> str | None:
    """Why the Allow ``statement`` is not conditioned on CloudWatch alarms of one account, or None."""
    keys = _condition_keys(statement)
    if not any(key in keys for key in _SOURCE_KEYS):
        return "its Allow to cloudwatch.amazonaws.com has no aws:SourceAccount or aws:SourceArn condition"
    arns = keys.get("aws:sourcearn", [])
    if any(not _ALARM_ARN.fullmatch(_PARAMETER.sub("x", arn)) for arn in arns):
        return f"its aws:SourceArn condition {arns} does not name CloudWatch alarms"
    return None


def _denied(statements: list[dict[str, Any]], action: str) -> bool:
    """An unconditioned Deny of ``action`` that covers CloudWatch."""
    return any(
        s.get("Effect") == "Deny"
        and not s.get("Condition")
        and _names_cloudwatch(s.get("Principal"))
        and _covers(_as_list(s.get("Action")), action)
        for s in statements
    )


def _allowed(statements: list[dict[str, Any]], action: str, resource: str) -> tuple[bool, str | None]:
    """Whether some Allow to CloudWatch covers ``action`` on ``resource``; and the condition problem of
    the matching statements when none is conditioned correctly."""
    problems = []
    for statement in statements:
        resources_ = [flatten(r) for r in _as_list(statement.get("Resource"))]
        if (
            statement.get("Effect") == "Allow"
            and _names_cloudwatch(statement.get("Principal"))
            and _covers(_as_list(statement.get("Action")), action)
            and any(r in ("*", resource) for r in resources_)
        ):
            problem = _source_problem(statement)
            if problem is None:
                return True, None
            problems.append(problem)
    return False, problems[0] if problems else None


def _alarm_topics(template: Template) -> set[str]:
    """Logical ids of the template's SNS topics that an alarm notifies."""
    topics = {logical_id for logical_id, _ in resources(template, "AWS::SNS::Topic")}
    found = set()
    for _, props in resources(template, "AWS::CloudWatch::Alarm"):
        for name in ACTION_LISTS:
            for action in _as_list(props.get(name)):
                target = _ref_target(action)
                if target in topics:
                    found.add(target)
    return found


def _topic_policy_statements(template: Template, topic: str) -> list[dict[str, Any]] | None:
    """The statements of the topic's policies, or None when no ``AWS::SNS::TopicPolicy`` names it."""
    statements: list[dict[str, Any]] | None = None
    for _, props in resources(template, "AWS::SNS::TopicPolicy"):
        if topic in (_ref_target(t) for t in _as_list(props.get("Topics"))):
            statements = (statements or []) + _as_list((props.get("PolicyDocument") or {}).get("Statement"))
    return statements


def _publish_findings(template: Template, topic: str) -> list[Finding]:
    statements = _topic_policy_statements(template, topic)
    if statements is None:
        return [Finding(topic, "cloudwatch-cannot-publish", "no AWS::SNS::TopicPolicy grants CloudWatch")]
    if _denied(statements, "sns:Publish"):
        return [Finding(topic, "cloudwatch-cannot-publish", "an unconditioned Deny of sns:Publish covers it")]
    allowed, problem = _allowed(statements, "sns:Publish", "${" + topic + "}")
    if allowed:
        return []
    return [
        Finding(
            topic,
            "cloudwatch-cannot-publish",
            problem or "its policy has no Allow of sns:Publish to cloudwatch.amazonaws.com",
        )
    ]


def _key_findings(template: Template, topic: str, key_id: Any) -> list[Finding]:
    if isinstance(key_id, str) and "alias/aws/sns" in key_id:
        return [Finding(topic, "cloudwatch-cannot-use-key", "alias/aws/sns: CloudWatch cannot use it")]
    key = template.get("Resources", {}).get(_ref_target(key_id) or "", {})
    if key.get("Type") != "AWS::KMS::Key":
        return []  # an imported key: its policy is not in the template
    statements = _as_list((key.get("Properties", {}).get("KeyPolicy") or {}).get("Statement"))
    out = []
    for action in KEY_ACTIONS:
        if _denied(statements, action):
            out.append(Finding(topic, "cloudwatch-cannot-use-key", f"an unconditioned Deny of {action}"))
            continue
        allowed, problem = _allowed(statements, action, "*")
        if not allowed:
            reason = problem or f"the key's policy has no Allow of {action} to cloudwatch.amazonaws.com"
            out.append(Finding(topic, "cloudwatch-cannot-use-key", reason))
    return out


def check(template: Template) -> list[Finding]:
    """Every alarm topic of ``template`` that CloudWatch cannot publish to or whose key it cannot use."""
    out = []
    for topic in sorted(_alarm_topics(template)):
        out += _publish_findings(template, topic)
        key_id = template["Resources"][topic].get("Properties", {}).get("KmsMasterKeyId")
        if key_id is not None:
            out += _key_findings(template, topic, key_id)
    return sorted(set(out))
