"""Bucket emptier: a CloudFormation custom resource (``Custom::SecureApiEmptyBuckets``) that empties the
audit trail's buckets when the stack deletes them (``AuditTrail(removal_policy=RemovalPolicy.DESTROY)``).

CloudFormation cannot delete a bucket that holds objects, and the trail's buckets are versioned: on
Delete this function first denies every further ``s3:PutObject`` in each bucket's policy (late CloudTrail
deliveries and S3 server access logs would refill it), then deletes every object version and delete
marker. Create and Update do nothing. It always answers CloudFormation (``ResponseURL``), with FAILED and
the reason when a bucket cannot be emptied, so a stack deletion never hangs for an hour.

ResourceProperties: ``BucketNames``, the buckets to empty. The function's policy names the same buckets.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Any

import boto3

log = logging.getLogger()
log.setLevel(logging.INFO)

DENY_WRITES_SID = "SecureApiDenyWritesWhileEmptying"
_BATCH = 1000  # DeleteObjects takes at most 1,000 keys


def deny_writes(s3: Any, bucket: str, *, partition: str = "aws") -> None:
    """Add a statement denying every ``s3:PutObject`` in ``bucket`` to its policy (kept otherwise)."""
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except s3.exceptions.ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchBucketPolicy":
            raise
        policy = {"Version": "2012-10-17", "Statement": []}
    statements = [s for s in policy.get("Statement", []) if s.get("Sid") != DENY_WRITES_SID]
    statements.append(
        {
            "Sid": DENY_WRITES_SID,
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:PutObject",
            "Resource": f"arn:{partition}:s3:::{bucket}/*",
        }
    )
    policy["Statement"] = statements
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))


def empty_bucket(s3: Any, bucket: str) -> int:
    """Delete every object version and delete marker of ``bucket``; return how many were deleted.

    Each round lists the bucket from its start again (not the next page): what a round deleted is gone,
    and a marker-based page after deletions could skip versions."""
    deleted = 0
    while True:
        page = s3.list_object_versions(Bucket=bucket, MaxKeys=_BATCH)
        batch = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in (*page.get("Versions", ()), *page.get("DeleteMarkers", ()))
        ][:_BATCH]
        if not batch:
            return deleted
        result = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
        errors = result.get("Errors", [])
        if errors:
            first = errors[0]
            raise RuntimeError(
                f"{len(errors)} objects of {bucket} could not be deleted, e.g. {first.get('Key')}: "
                f"{first.get('Code')} {first.get('Message')}"
            )
        deleted += len(batch)


def bucket_exists(s3: Any, bucket: str) -> bool:
    """Whether ``bucket`` still exists (a retried Delete may find it gone)."""
    try:
        s3.head_bucket(Bucket=bucket)
    except s3.exceptions.ClientError as error:
        if error.response["Error"]["Code"] in {"404", "NoSuchBucket"}:
            return False
        raise
    return True


def respond(event: dict[str, Any], status: str, reason: str, physical_id: str) -> None:
    """Answer CloudFormation at the event's pre-signed ``ResponseURL``."""
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason[:1000],
            "PhysicalResourceId": physical_id,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": {},
        }
    ).encode()
    url = str(event["ResponseURL"])
    if not url.startswith("https://"):
        raise ValueError("ResponseURL is not an https URL")
    request = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": ""})  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (https only, checked above)
        response.read()


def handle(event: dict[str, Any], s3: Any) -> str:
    """Do the work of one event; return what was done (raises when a bucket cannot be emptied)."""
    buckets = [str(b) for b in event.get("ResourceProperties", {}).get("BucketNames", [])]
    if event.get("RequestType") != "Delete":
        return f"nothing to do on {event.get('RequestType')}"
    partition = str(event["StackId"]).split(":")[1]
    done = []
    for bucket in buckets:
        if not bucket_exists(s3, bucket):
            done.append(f"{bucket}: already gone")
            continue
        deny_writes(s3, bucket, partition=partition)
        done.append(f"{bucket}: {empty_bucket(s3, bucket)} versions deleted")
    return "; ".join(done)


def handler(event: dict[str, Any], context: Any) -> None:
    """Entry point: handle the event and always answer CloudFormation."""
    physical_id = str(event.get("PhysicalResourceId") or f"empty-buckets-{event['LogicalResourceId']}")
    try:
        summary = handle(event, boto3.client("s3"))
    except Exception as error:
        log.exception("bucket emptier: %s failed", event.get("RequestType"))
        respond(event, "FAILED", f"{type(error).__name__}: {error}", physical_id)
        return
    log.info("bucket emptier: %s", summary)
    respond(event, "SUCCESS", summary, physical_id)
