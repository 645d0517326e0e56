"""The CloudTrail trail, its KMS key, its hardened buckets (log files and their server access logs), its
CloudWatch log group and the role that delivers to it."""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, Names, RemovalPolicy, Stack
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from secure_api import compliance, defaults
from secure_api.audit.options import AuditTrail
from secure_api.bucket_emptier import empty_on_delete
from secure_api.encryption import encrypted_log_group, logs_key


def trail_name(scope: Construct) -> str:
    """The trail's name (fixed, so the key policy can name the trail without a dependency cycle)."""
    return f"{Names.unique_id(scope)[-120:]}-audit"


def build_trail(
    scope: Construct, audit: AuditTrail, *, retention: logs.RetentionDays
) -> tuple[cloudtrail.Trail, logs.ILogGroup]:
    """The trail ``Trail`` (named ``trail_name(scope)``) with its key (``TrailKey``), buckets
    (``TrailBucket``, ``TrailAccessLogsBucket``) and log group (``TrailLogs``) kept ``retention``.
    Returns the trail and its log group."""
    stack = Stack.of(scope)
    name = trail_name(scope)
    trail_arn = stack.format_arn(service="cloudtrail", resource="trail", resource_name=name)
    key = logs_key(
        scope, "TrailKey", description=f"secure_api {scope.node.path}: CloudTrail trail and its logs"
    )
    _admit_cloudtrail(key, trail_arn=trail_arn, account=stack.account, partition=stack.partition)

    access_logs = _hardened_bucket(
        scope,
        "TrailAccessLogsBucket",
        # S3 server access logs can only be delivered to a bucket with S3-managed encryption.
        encryption=s3.BucketEncryption.S3_MANAGED,
        lifecycle_rules=[
            s3.LifecycleRule(
                id="ExpireAccessLogs",
                expiration=Duration.days(defaults.AUDIT_ACCESS_LOGS_EXPIRE_AFTER_DAYS),
                noncurrent_version_expiration=Duration.days(30),
                abort_incomplete_multipart_upload_after=Duration.days(7),
            )
        ],
    )
    compliance.acknowledge(
        access_logs,
        "audit-bucket-no-replication",
        "access-logs-bucket-sse-s3",
        "access-logs-bucket-not-logged",
    )
    transitions = []
    if audit.transition_after_days is not None:
        transitions.append(
            s3.Transition(
                storage_class=defaults.AUDIT_TRANSITION_STORAGE_CLASS,
                transition_after=Duration.days(audit.transition_after_days),
            )
        )
    expiry = Duration.days(audit.expire_after_days) if audit.expire_after_days is not None else None
    bucket = _hardened_bucket(
        scope,
        "TrailBucket",
        encryption=s3.BucketEncryption.KMS,
        encryption_key=key,
        bucket_key_enabled=True,
        object_lock_default_retention=(
            s3.ObjectLockRetention.governance(Duration.days(audit.object_lock_days))
            if audit.object_lock_days is not None
            else None
        ),
        lifecycle_rules=[
            s3.LifecycleRule(
                id="ArchiveThenExpire",
                transitions=transitions or None,
                expiration=expiry,
                noncurrent_version_expiration=expiry,
                abort_incomplete_multipart_upload_after=Duration.days(7),
            )
        ],
    )
    _deliver_server_access_logs(bucket, to=access_logs, prefix="trail-bucket/")
    compliance.acknowledge(bucket, "audit-bucket-no-replication")
    _admit_trail_delivery(bucket, trail_arn=trail_arn, account=stack.account)
    log_group = encrypted_log_group(scope, "TrailLogs", key=key, retention=retention)
    trail = cloudtrail.Trail(
        scope,
        "Trail",
        trail_name=name,
        # The construct adds its own, unconditioned, CloudTrail statements to the bucket it is given;
        # a reference to the bucket cannot take a policy, so only ours (for this trail) are written.
        bucket=s3.Bucket.from_bucket_attributes(
            scope,
            "TrailBucketRef",
            bucket_arn=bucket.bucket_arn,
            bucket_name=bucket.bucket_name,
            encryption_key=key,
        ),
        encryption_key=key,
        # CloudWatch Logs delivery is wired below with a role whose policy is a managed one (the
        # construct's own role carries an inline policy).
        send_to_cloud_watch_logs=False,
        enable_file_validation=True,
        include_global_service_events=audit.include_global_service_events,
        is_multi_region_trail=audit.multi_region,
        management_events=cloudtrail.ReadWriteType.ALL,
    )
    cfn_trail = trail.node.default_child
    assert isinstance(cfn_trail, cloudtrail.CfnTrail)
    cfn_trail.cloud_watch_logs_log_group_arn = log_group.log_group_arn
    cfn_trail.cloud_watch_logs_role_arn = _logs_role(scope, log_group, trail_arn=trail_arn).role_arn
    # CloudTrail checks the bucket policy when the trail is created.
    assert bucket.policy is not None
    cfn_trail.node.add_dependency(bucket.policy)
    if audit.removal_policy == RemovalPolicy.DESTROY:
        cfn_trail.node.add_dependency(
            empty_on_delete(scope, [bucket, access_logs], key=key, retention=retention)
        )
    return trail, log_group


def _admit_trail_delivery(bucket: s3.Bucket, *, trail_arn: str, account: str) -> None:
    """Let CloudTrail check the bucket's ACL and deliver this trail's log files, for this trail only
    (``aws:SourceArn``, the statements AWS documents for a trail bucket)."""
    principal = iam.ServicePrincipal("cloudtrail.amazonaws.com")
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AWSCloudTrailAclCheck",
            principals=[principal],
            actions=["s3:GetBucketAcl"],
            resources=[bucket.bucket_arn],
            conditions={"StringEquals": {"aws:SourceArn": trail_arn}},
        )
    )
    bucket.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AWSCloudTrailWrite",
            principals=[principal],
            actions=["s3:PutObject"],
            resources=[bucket.arn_for_objects(f"AWSLogs/{account}/*")],
            conditions={
                "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}
            },
        )
    )


def _logs_role(scope: Construct, log_group: logs.ILogGroup, *, trail_arn: str) -> iam.Role:
    """The role CloudTrail assumes (for this trail only) to write to ``log_group``."""
    policy = iam.ManagedPolicy(
        scope,
        "TrailLogsPolicy",
        description="CloudTrail delivers this trail's events to its CloudWatch log group",
        statements=[
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
            )
        ],
    )
    # The role references the policy, so CloudFormation attaches it before the trail checks it.
    return iam.Role(
        scope,
        "TrailLogsRole",
        assumed_by=iam.ServicePrincipal(
            "cloudtrail.amazonaws.com", conditions={"StringEquals": {"aws:SourceArn": trail_arn}}
        ),
        managed_policies=[policy],
    )


def _hardened_bucket(scope: Construct, id_: str, **props: Any) -> s3.Bucket:
    """A bucket with public access blocked, TLS 1.2+ only, versioned, ACLs disabled, Object Lock
    enabled, events to EventBridge, kept on deletion."""
    bucket = s3.Bucket(
        scope,
        id_,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        enforce_ssl=True,
        minimum_tls_version=1.2,
        versioned=True,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        removal_policy=RemovalPolicy.RETAIN,
        object_lock_enabled=True,
        **props,
    )
    # Object-level events go to EventBridge, for detection rules (set on the L1 resource: the L2
    # option deploys a custom-resource Lambda function to do what CloudFormation can do natively).
    cfn_bucket = bucket.node.default_child
    assert isinstance(cfn_bucket, s3.CfnBucket)
    cfn_bucket.notification_configuration = s3.CfnBucket.NotificationConfigurationProperty(
        event_bridge_configuration=s3.CfnBucket.EventBridgeConfigurationProperty(event_bridge_enabled=True)
    )
    return bucket


def _deliver_server_access_logs(bucket: s3.Bucket, *, to: s3.Bucket, prefix: str) -> None:
    """S3 server access logs of ``bucket`` into ``to`` under ``prefix``, admitted by a bucket policy.

    Written out rather than through ``Bucket(server_access_logs_bucket=...)``: without the app's
    ``@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy`` flag CDK would grant the delivery with the
    LogDeliveryWrite ACL instead, which a bucket with ACLs disabled (BucketOwnerEnforced) rejects.
    """
    cfn_bucket = bucket.node.default_child
    assert isinstance(cfn_bucket, s3.CfnBucket)
    cfn_bucket.logging_configuration = s3.CfnBucket.LoggingConfigurationProperty(
        destination_bucket_name=to.bucket_name, log_file_prefix=prefix
    )
    to.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")],
            actions=["s3:PutObject"],
            resources=[to.arn_for_objects(f"{prefix}*")],
            conditions={
                "ArnLike": {"aws:SourceArn": bucket.bucket_arn},
                "StringEquals": {"aws:SourceAccount": Stack.of(bucket).account},
            },
        )
    )


def _admit_cloudtrail(key: kms.Key, *, trail_arn: str, account: str, partition: str) -> None:
    """Let CloudTrail use ``key`` for this trail only (the conditions AWS documents for trail keys)."""
    principal = iam.ServicePrincipal("cloudtrail.amazonaws.com")
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudTrailToEncryptLogs",
            principals=[principal],
            actions=["kms:GenerateDataKey*"],
            resources=["*"],
            conditions={
                "StringEquals": {"aws:SourceArn": trail_arn},
                "StringLike": {
                    "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:{partition}:cloudtrail:*:{account}:trail/*"
                },
            },
        )
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudTrailToDescribeKey",
            principals=[principal],
            actions=["kms:DescribeKey"],
            resources=["*"],
            conditions={"StringEquals": {"aws:SourceArn": trail_arn}},
        )
    )
