"""The bucket emptier Lambda (against moto): what AuditTrail(removal_policy=DESTROY) runs before
CloudFormation deletes the trail's buckets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from .conftest import load_handler

REGION = "us-east-1"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/Dev/0a1b2c3d"


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        yield client


@pytest.fixture
def emptier() -> Any:
    return load_handler("bucket_emptier")


def _event(request_type: str, *buckets: str) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": "https://cloudformation-custom-resource-response.example/answer",
        "StackId": STACK_ID,
        "RequestId": "req-1",
        "LogicalResourceId": "TrailBucketsEmptier",
        "ResourceType": "Custom::SecureApiEmptyBuckets",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:...", "BucketNames": list(buckets)},
    }


def _versioned_bucket(s3: Any, name: str, objects: int) -> None:
    s3.create_bucket(Bucket=name, ObjectLockEnabledForBucket=True)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_policy(
        Bucket=name,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "AWSCloudTrailAclCheck",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudtrail.amazonaws.com"},
                        "Action": "s3:GetBucketAcl",
                        "Resource": f"arn:aws:s3:::{name}",
                    }
                ],
            }
        ),
    )
    for i in range(objects):
        s3.put_object(Bucket=name, Key=f"AWSLogs/{i % 3}/log-{i}.json.gz", Body=b"x")
        s3.put_object(Bucket=name, Key=f"AWSLogs/{i % 3}/log-{i}.json.gz", Body=b"y")  # a second version
    s3.delete_object(Bucket=name, Key="AWSLogs/0/log-0.json.gz")  # a delete marker


def test_delete_removes_every_version_and_marker_and_denies_writes(s3: Any, emptier: Any) -> None:
    _versioned_bucket(s3, "trail", 1100)  # more than one DeleteObjects batch
    _versioned_bucket(s3, "access-logs", 3)
    summary = emptier.handle(_event("Delete", "trail", "access-logs"), s3)
    for name in ("trail", "access-logs"):
        listing = s3.list_object_versions(Bucket=name)
        assert not listing.get("Versions") and not listing.get("DeleteMarkers")
        statements = json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])["Statement"]
        assert [s["Sid"] for s in statements] == ["AWSCloudTrailAclCheck", emptier.DENY_WRITES_SID]
        assert statements[1]["Effect"] == "Deny" and statements[1]["Action"] == "s3:PutObject"
        assert statements[1]["Resource"] == f"arn:aws:s3:::{name}/*"
    assert "trail: 2201 versions deleted" in summary
    s3.delete_bucket(Bucket="trail")  # what CloudFormation does next succeeds


def test_create_and_update_leave_the_buckets_alone(s3: Any, emptier: Any) -> None:
    _versioned_bucket(s3, "trail", 2)
    for request in ("Create", "Update"):
        emptier.handle(_event(request, "trail"), s3)
    assert len(s3.list_object_versions(Bucket="trail")["Versions"]) == 4
    assert emptier.DENY_WRITES_SID not in s3.get_bucket_policy(Bucket="trail")["Policy"]


def test_a_bucket_already_gone_is_not_an_error(s3: Any, emptier: Any) -> None:
    assert "gone: already gone" in emptier.handle(_event("Delete", "gone"), s3)


def test_the_handler_always_answers_cloudformation(
    s3: Any, emptier: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers: list[tuple[str, str]] = []
    monkeypatch.setattr(emptier, "respond", lambda event, status, reason, pid: answers.append((status, pid)))
    monkeypatch.setattr(emptier.boto3, "client", lambda *_a, **_k: s3)
    _versioned_bucket(s3, "trail", 1)
    emptier.handler(_event("Delete", "trail"), None)

    def broken(*_a: Any, **_k: Any) -> None:
        raise RuntimeError("access denied")

    monkeypatch.setattr(emptier, "empty_bucket", broken)
    _versioned_bucket(s3, "other", 1)
    emptier.handler(_event("Delete", "other"), None)
    assert answers == [
        ("SUCCESS", "empty-buckets-TrailBucketsEmptier"),
        ("FAILED", "empty-buckets-TrailBucketsEmptier"),
    ]


def test_fails_to_answer_anywhere_but_https(emptier: Any) -> None:
    event = {**_event("Delete"), "ResponseURL": "file:///etc/passwd"}
    with pytest.raises(ValueError, match="https"):
        emptier.respond(event, "SUCCESS", "", "id")


def test_the_answer_is_a_put_of_the_status(emptier: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[Any] = []

    class _Response:
        def __enter__(self) -> _Response:
            return self

        def __exit__(self, *_: Any) -> None:
            return None

        def read(self) -> bytes:
            return b""

    def urlopen(request: Any, timeout: int) -> _Response:
        sent.append(request)
        return _Response()

    monkeypatch.setattr(emptier.urllib.request, "urlopen", urlopen)
    emptier.respond(_event("Delete"), "SUCCESS", "done", "pid")
    (request,) = sent
    body = json.loads(request.data)
    assert request.get_method() == "PUT" and request.full_url.startswith("https://")
    assert body["Status"] == "SUCCESS" and body["PhysicalResourceId"] == "pid"
    assert body["LogicalResourceId"] == "TrailBucketsEmptier" and body["RequestId"] == "req-1"
