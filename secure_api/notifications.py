"""The SNS topic every alarm of the library notifies: KMS-encrypted, TLS-only."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from constructs import Construct

from secure_api import compliance


def alarm_topic(scope: Construct, id_: str, *, key: kms.Key, email: str | None = None) -> sns.Topic:
    """A topic encrypted with ``key`` that refuses non-TLS publishers, to which CloudWatch alarms of this
    account and region (and only they, as a service) may publish, with an optional e-mail subscription."""
    # The topic's policy replaces SNS's default one, and a service principal may use a customer-managed
    # key only when its policy says so: without both grants every alarm action fails "not authorized".
    # The key guard publishes through its own role (same account), which needs neither.
    conditions = cloudwatch_alarm_conditions(Stack.of(scope))
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudwatchToPublish",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],
            conditions=conditions,
        )
    )
    topic = sns.Topic(scope, id_, master_key=key, enforce_ssl=True, display_name="secure_api alarms")
    topic.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudwatchAlarmsToPublish",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["sns:Publish"],
            resources=[topic.topic_arn],
            conditions=conditions,
        )
    )
    if email:
        subscription = topic.add_subscription(subs.EmailSubscription(email))
        compliance.acknowledge(subscription, "alarm-email-no-redrive")
    return topic


def publish_statements(stack: Stack, topic: sns.ITopic, *, sid: str) -> list[iam.PolicyStatement]:
    """What a role of ``stack`` needs to publish to ``topic``: ``sns:Publish`` on it and, for a topic
    encrypted with a key the library knows, that key through SNS only (statement ids ``sid`` and
    ``<sid>Key``)."""
    statements = [iam.PolicyStatement(sid=sid, actions=["sns:Publish"], resources=[topic.topic_arn])]
    topic_key: kms.IKey | None = getattr(topic, "master_key", None)
    if topic_key is not None:
        statements.append(
            iam.PolicyStatement(
                sid=f"{sid}Key",
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=[topic_key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"sns.{stack.region}.{stack.url_suffix}"}},
            )
        )
    return statements


def cloudwatch_alarm_conditions(stack: Stack) -> dict[str, dict[str, str]]:
    """Conditions that limit a grant to ``cloudwatch.amazonaws.com`` to the alarms of ``stack``'s account
    and region (no other account's alarm can use the grant: the confused deputy)."""
    return {
        "StringEquals": {"aws:SourceAccount": stack.account},
        "ArnLike": {
            "aws:SourceArn": f"arn:{stack.partition}:cloudwatch:{stack.region}:{stack.account}:alarm:*"
        },
    }


def errors_alarm(
    scope: Construct, id_: str, metric: cloudwatch.IMetric, *, description: str, periods: int = 1
) -> cloudwatch.Alarm:
    """An alarm on any error (``metric`` above 0) of one of the library's functions, ``periods`` periods
    in a row; no data is no error."""
    return cloudwatch.Alarm(
        scope,
        id_,
        metric=metric,
        threshold=0,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluation_periods=periods,
        datapoints_to_alarm=periods,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        alarm_description=description,
    )


def notify(alarm: cloudwatch.Alarm, topic: sns.ITopic) -> cloudwatch.Alarm:
    """Let ``alarm`` notify ``topic`` on ALARM and OK."""
    action = cw_actions.SnsAction(topic)
    alarm.add_alarm_action(action)
    alarm.add_ok_action(action)
    return alarm
