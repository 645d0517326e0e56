"""The SNS topic every alarm of the library notifies: KMS-encrypted, TLS-only."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subs
from constructs import Construct

from secure_api import compliance


def alarm_topic(scope: Construct, id_: str, *, key: kms.Key, email: str | None = None) -> sns.Topic:
    """A topic encrypted with ``key`` (which CloudWatch alarms and EventBridge may use to publish),
    that refuses non-TLS publishers, with an optional e-mail subscription."""
    for service in ("cloudwatch.amazonaws.com", "events.amazonaws.com"):
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=f"Allow{service.split('.')[0].title()}ToPublish",
                principals=[iam.ServicePrincipal(service)],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
            )
        )
    topic = sns.Topic(scope, id_, master_key=key, enforce_ssl=True, display_name="secure_api alarms")
    if email:
        subscription = topic.add_subscription(subs.EmailSubscription(email))
        compliance.acknowledge(subscription, "alarm-email-no-redrive")
    return topic
