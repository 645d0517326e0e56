"""The gate's alarm-topic rule: a topic an alarm notifies must let CloudWatch publish and use its key; the
library's own topics pass, plain CDK topics with the TLS-only policy (what the library had) fail."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from secure_api import SecureWebSocketApi
from secure_api.encryption import secure_key
from secure_api.notifications import alarm_topic
from tests.compliance.alarm_topics import check
from tests.unit.helpers import api_stack, inline_function, new_stack

Topic = Callable[[cdk.Stack], sns.Topic]


def _alarmed(make_topic: Topic) -> dict[str, Any]:
    """The template of a stack with one alarm notifying the topic ``make_topic`` builds."""
    _, stack = new_stack()
    topic = make_topic(stack)
    alarm = cloudwatch.Alarm(
        stack,
        "Alarm",
        metric=cloudwatch.Metric(namespace="Test", metric_name="Errors"),
        threshold=0,
        evaluation_periods=1,
    )
    alarm.add_alarm_action(cw_actions.SnsAction(topic))
    template: dict[str, Any] = Template.from_stack(stack).to_json()
    return template


def _cloudwatch(actions: list[str], resource: str, **conditions: Any) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
        actions=actions,
        resources=[resource],
        conditions=conditions or None,
    )


def _alarm_arns(stack: cdk.Stack) -> dict[str, Any]:
    return {
        "StringEquals": {"aws:SourceAccount": stack.account},
        "ArnLike": {
            "aws:SourceArn": f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*"
        },
    }


def _tls_only(stack: cdk.Stack) -> sns.Topic:
    return sns.Topic(stack, "Topic", enforce_ssl=True)


def _allowing(stack: cdk.Stack) -> sns.Topic:
    topic = sns.Topic(stack, "Topic", enforce_ssl=True)
    topic.add_to_resource_policy(_cloudwatch(["sns:Publish"], topic.topic_arn, **_alarm_arns(stack)))
    return topic


def _allowing_any_account(stack: cdk.Stack) -> sns.Topic:
    topic = sns.Topic(stack, "Topic", enforce_ssl=True)
    topic.add_to_resource_policy(_cloudwatch(["sns:Publish"], topic.topic_arn))
    return topic


def _allowing_other_service_arns(stack: cdk.Stack) -> sns.Topic:
    topic = sns.Topic(stack, "Topic", enforce_ssl=True)
    arn = f"arn:{stack.partition}:events:{stack.region}:{stack.account}:rule/*"
    topic.add_to_resource_policy(
        _cloudwatch(["sns:Publish"], topic.topic_arn, ArnLike={"aws:SourceArn": arn})
    )
    return topic


def _denying(stack: cdk.Stack) -> sns.Topic:
    topic = _allowing(stack)
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
        )
    )
    return topic


def _encrypted(key_statement: bool, *, conditioned: bool = True) -> Topic:
    def make(stack: cdk.Stack) -> sns.Topic:
        key = kms.Key(stack, "Key")
        if key_statement:
            conditions = _alarm_arns(stack) if conditioned else {}
            key.add_to_resource_policy(
                _cloudwatch(["kms:Decrypt", "kms:GenerateDataKey*"], "*", **conditions)
            )
        topic = sns.Topic(stack, "Topic", enforce_ssl=True, master_key=key)
        topic.add_to_resource_policy(_cloudwatch(["sns:Publish"], topic.topic_arn, **_alarm_arns(stack)))
        return topic

    return make


def _aws_managed_key(stack: cdk.Stack) -> sns.Topic:
    topic = _allowing(stack)
    cfn = topic.node.default_child
    assert isinstance(cfn, sns.CfnTopic)
    cfn.kms_master_key_id = "alias/aws/sns"
    return topic


def _rules(template: dict[str, Any]) -> list[str]:
    return [finding.rule for finding in check(template)]


@pytest.mark.parametrize(
    ("make_topic", "rule", "reason"),
    [
        (_tls_only, "cloudwatch-cannot-publish", "no Allow of sns:Publish"),
        (_allowing_any_account, "cloudwatch-cannot-publish", "no aws:SourceAccount or aws:SourceArn"),
        (_allowing_other_service_arns, "cloudwatch-cannot-publish", "does not name CloudWatch alarms"),
        (_denying, "cloudwatch-cannot-publish", "unconditioned Deny"),
        (_encrypted(key_statement=False), "cloudwatch-cannot-use-key", "no Allow of kms:"),
        (_encrypted(key_statement=True, conditioned=False), "cloudwatch-cannot-use-key", "aws:SourceAccount"),
        (_aws_managed_key, "cloudwatch-cannot-use-key", "alias/aws/sns"),
    ],
)
def test_fails_topic_cloudwatch_cannot_publish_to(make_topic: Topic, rule: str, reason: str) -> None:
    findings = check(_alarmed(make_topic))
    assert findings, "the rule passed a topic CloudWatch cannot publish to"
    assert {f.rule for f in findings} == {rule}
    assert all(f.logical_id.startswith("Topic") for f in findings)
    assert any(reason in f.reason for f in findings), [str(f) for f in findings]


def test_fails_topic_without_any_topic_policy() -> None:
    findings = check(_alarmed(lambda stack: sns.Topic(stack, "Topic")))
    assert [f.reason for f in findings] == ["no AWS::SNS::TopicPolicy grants CloudWatch"]


@pytest.mark.parametrize("make_topic", [_allowing, _encrypted(key_statement=True)])
def test_topic_cloudwatch_may_publish_to_passes(make_topic: Topic) -> None:
    assert check(_alarmed(make_topic)) == []


def test_topic_no_alarm_notifies_is_not_checked() -> None:
    _, stack = new_stack()
    sns.Topic(stack, "Topic", enforce_ssl=True)
    assert check(Template.from_stack(stack).to_json()) == []


def test_library_alarm_topic_passes() -> None:
    def make(stack: cdk.Stack) -> sns.Topic:
        return alarm_topic(stack, "Topic", key=secure_key(stack, "TopicKey", description="alarms"))

    assert check(_alarmed(make)) == []


def test_rest_api_alarm_topic_passes() -> None:
    """Every alarm of a default REST API (monitoring, audit, key functions) can notify its topic."""
    stack, api = api_stack()
    template = Template.from_stack(stack).to_json()
    alarms = [r for r in template["Resources"].values() if r["Type"] == "AWS::CloudWatch::Alarm"]
    assert len(alarms) > 10 and api.alarm_topic is not None
    assert [str(f) for f in check(template)] == []


def test_websocket_api_alarm_topic_passes() -> None:
    _, stack = new_stack()
    api = SecureWebSocketApi(stack, "Api", auth="iam")
    api.add_route("$default", inline_function(stack))
    template = Template.from_stack(stack).to_json()
    assert any(r["Type"] == "AWS::CloudWatch::Alarm" for r in template["Resources"].values())
    assert [str(f) for f in check(template)] == []
