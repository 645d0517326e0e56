"""The audit trail's buckets emptied before ``cdk destroy`` deletes them
(``AuditTrail(removal_policy=RemovalPolicy.DESTROY)``): CloudFormation cannot delete a bucket that
holds objects, so without this the stack deletion would fail on the trail bucket.

The library's own function (``lambdas/bucket_emptier``, a ``SecureFunction``: traced, its environment
and log group encrypted) rather than CDK's ``auto_delete_objects``, whose Node.js provider is untraced,
logs unencrypted and carries an AWS managed policy and an inline one. Its custom resource
(``Custom::SecureApiEmptyBuckets``) does nothing until the stack deletes it; it is deleted after the
trail (which depends on it, so no log file arrives after it ran) and before the buckets and their
policies (on which it depends), and it denies further writes before emptying.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import CustomResource, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from constructs import Construct

from secure_api import compliance
from secure_api.lambda_function import SecureFunction

RESOURCE_TYPE = "Custom::SecureApiEmptyBuckets"


def empty_on_delete(
    scope: Construct,
    buckets: Sequence[s3.Bucket],
    *,
    key: kms.IKey,
    retention: logs.RetentionDays,
) -> CustomResource:
    """Create (under ``scope``) the function ``TrailBucketsEmptier`` and its custom resource
    ``TrailBucketsEmptying``, which empties ``buckets`` when the stack deletes it. Make the resources
    that write to the buckets (the trail) depend on the returned custom resource."""
    emptier = SecureFunction(
        scope,
        "TrailBucketsEmptier",
        code_name="bucket_emptier",
        description="secure_api: empties the audit trail's buckets when the stack is deleted",
        environment={},
        key=key,
        retention=retention,
        timeout=Duration.minutes(15),
        acknowledgements=("bucket-emptier-no-dlq",),
        concurrency_acknowledgement="bucket-emptier-no-reserved-concurrency",
    )
    emptier.add_to_policy(
        iam.PolicyStatement(
            actions=["s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketPolicy", "s3:PutBucketPolicy"],
            resources=[b.bucket_arn for b in buckets],
        ),
        iam.PolicyStatement(
            actions=["s3:DeleteObject", "s3:DeleteObjectVersion"],
            resources=[b.arn_for_objects("*") for b in buckets],
        ),
    )
    compliance.acknowledge(emptier.policy, "bucket-emptier-objects", buckets=list(buckets))
    emptying = CustomResource(
        scope,
        "TrailBucketsEmptying",
        service_token=emptier.function.function_arn,
        resource_type=RESOURCE_TYPE,
        properties={"BucketNames": [b.bucket_name for b in buckets]},
    )
    # Deleted before its permissions and before the bucket policies (which then go, and take every
    # service's write access with them).
    emptying.node.add_dependency(emptier.policy, emptier.role)
    for bucket in buckets:
        if bucket.policy is not None:
            emptying.node.add_dependency(bucket.policy)
    return emptying
