"""The SNS topic every alarm of the library notifies: KMS-encrypted, TLS-only."""

from __future__ import annotations

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from constructs import Construct

from secure_api import compliance


def alarm_topic(scope: Construct, id_: str, *, key: kms.Key, email: str | None = None) -> sns.Topic:
    """A topic encrypted with ``key`` (which CloudWatch alarms may use to publish), that refuses
    non-TLS publishers, with an optional e-mail subscription."""
    # Only alarms publish as a service; the key guard publishes with its own role's key grant.
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudwatchToPublish",
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"],
            resources=["*"],
        )
    )
    topic = sns.Topic(scope, id_, master_key=key, enforce_ssl=True, display_name="secure_api alarms")
    if email:
        subscription = topic.add_subscription(subs.EmailSubscription(email))
        compliance.acknowledge(subscription, "alarm-email-no-redrive")
    return topic


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
