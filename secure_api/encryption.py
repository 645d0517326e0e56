"""Customer-managed KMS keys and the encrypted log groups built on them."""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct


def secure_key(scope: Construct, id_: str, *, description: str) -> kms.Key:
    """A customer-managed key with rotation on, kept on stack deletion, whose grants can only be
    created for AWS resources (Control Tower CT.KMS.PR.3)."""
    key = kms.Key(
        scope,
        id_,
        description=description,
        enable_key_rotation=True,
        removal_policy=RemovalPolicy.RETAIN,
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="DenyGrantsNotForAwsResources",
            effect=iam.Effect.DENY,
            principals=[iam.AnyPrincipal()],
            actions=["kms:CreateGrant"],
            resources=["*"],
            conditions={
                "BoolIfExists": {"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false"}
            },
        )
    )
    return key


def logs_key(scope: Construct, id_: str, *, description: str) -> kms.Key:
    """A ``secure_key`` that CloudWatch Logs may use for this account's and region's log groups only."""
    stack = Stack.of(scope)
    key = secure_key(scope, id_, description=description)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchLogs",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=[
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        )
    )
    return key


def encrypted_log_group(
    scope: Construct,
    id_: str,
    *,
    key: kms.IKey,
    retention: logs.RetentionDays,
    log_group_name: str | None = None,
) -> logs.LogGroup:
    """A log group encrypted with ``key``, with a retention, kept when the stack is deleted."""
    return logs.LogGroup(
        scope,
        id_,
        log_group_name=log_group_name,
        encryption_key=key,
        retention=retention,
        removal_policy=RemovalPolicy.RETAIN,
    )
