"""AuditTrail: the CloudTrail trail, its key, buckets and log group, and the control-plane alarms."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Stack
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Template

from secure_api.audit import AUDIT_EVENT_GROUPS, AuditTrail, apply_audit
from secure_api.encryption import secure_key
from secure_api.errors import SecureApiConfigError
from secure_api.notifications import alarm_topic
from tests.unit.helpers import bare_api_stack, inline_function, new_stack, only, resources


def _apply(audit: AuditTrail) -> tuple[Template, Any]:
    stack, api = bare_api_stack()
    topic = alarm_topic(stack, "Alarms", key=secure_key(stack, "AlarmsKey", description="alarms"))
    trail, _ = apply_audit(
        api, audit, rest_api=api.rest_api, topic=topic, retention=logs.RetentionDays.ONE_YEAR
    )
    return Template.from_stack(stack), trail


@pytest.fixture(scope="module")
def default() -> tuple[Template, Any]:
    return _apply(AuditTrail())


@pytest.fixture(scope="module")
def custom() -> Template:
    audit = AuditTrail(
        multi_region=False,
        include_global_service_events=False,
        transition_after_days=None,
        expire_after_days=None,
        object_lock_days=None,
        log_retention=logs.RetentionDays.TEN_YEARS,
    )
    return _apply(audit)[0]


@pytest.fixture(scope="module")
def existing() -> tuple[Template, Any]:
    return _apply(AuditTrail.existing(log_group_name="aws-controltower/CloudTrailLogs"))


@pytest.fixture(scope="module")
def existing_without_logs() -> tuple[Template, Any]:
    return _apply(AuditTrail.existing())


def _id(template: Template, type_: str, contains: str = "") -> str:
    ids = [k for k in resources(template, type_) if contains in k]
    assert len(ids) == 1, ids
    return ids[0]


def test_trail_defaults(default: tuple[Template, Any]) -> None:
    template, trail = default
    assert isinstance(trail, cloudtrail.Trail)
    props = only(template, "AWS::CloudTrail::Trail")["Properties"]
    assert props["IsMultiRegionTrail"] is True
    assert props["IncludeGlobalServiceEvents"] is True
    assert props["EnableLogFileValidation"] is True
    assert props["IsLogging"] is True
    assert props["EventSelectors"] == [{"IncludeManagementEvents": True, "ReadWriteType": "All"}]
    key = _id(template, "AWS::KMS::Key", "TrailKey")
    assert props["KMSKeyId"] == {"Fn::GetAtt": [key, "Arn"]}
    assert props["S3BucketName"] == {"Ref": _id(template, "AWS::S3::Bucket", "TrailBucket")}
    assert props["CloudWatchLogsLogGroupArn"] == {
        "Fn::GetAtt": [_id(template, "AWS::Logs::LogGroup", "TrailLogs"), "Arn"]
    }
    assert props["CloudWatchLogsRoleArn"] == {
        "Fn::GetAtt": [_id(template, "AWS::IAM::Role", "TrailLogsRole"), "Arn"]
    }


def test_trail_key_rotates_and_admits_cloudtrail_for_this_trail_only(default: tuple[Template, Any]) -> None:
    template = default[0]
    key = resources(template, "AWS::KMS::Key")[_id(template, "AWS::KMS::Key", "TrailKey")]["Properties"]
    assert key["EnableKeyRotation"] is True
    trail_name = only(template, "AWS::CloudTrail::Trail")["Properties"]["TrailName"]
    by_sid = {s.get("Sid"): s for s in key["KeyPolicy"]["Statement"]}
    encrypt = by_sid["AllowCloudTrailToEncryptLogs"]
    assert encrypt["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert encrypt["Action"] == "kms:GenerateDataKey*"
    assert json.dumps(encrypt["Condition"]["StringEquals"]["aws:SourceArn"]).endswith(
        f':trail/{trail_name}"]]}}'
    )
    assert "kms:EncryptionContext:aws:cloudtrail:arn" in encrypt["Condition"]["StringLike"]
    assert by_sid["AllowCloudTrailToDescribeKey"]["Action"] == "kms:DescribeKey"
    assert "aws:SourceArn" in by_sid["AllowCloudTrailToDescribeKey"]["Condition"]["StringEquals"]
    assert by_sid["AllowCloudWatchLogs"]["Condition"]["ArnLike"]


def _trail_arn_suffix(template: Template) -> str:
    return f':trail/{only(template, "AWS::CloudTrail::Trail")["Properties"]["TrailName"]}"]]}}'


def test_trail_bucket_admits_cloudtrail_for_this_trail_only(default: tuple[Template, Any]) -> None:
    # Without aws:SourceArn any trail of any account could write into the bucket (confused deputy).
    template = default[0]
    bucket = _id(template, "AWS::S3::Bucket", "TrailBucket")
    policy = next(
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in resources(template, "AWS::S3::BucketPolicy").values()
        if p["Properties"]["Bucket"] == {"Ref": bucket}
    )
    admitted = [s for s in policy if s["Effect"] == "Allow" and "cloudtrail.amazonaws.com" in json.dumps(s)]
    assert sorted(s["Action"] for s in admitted) == ["s3:GetBucketAcl", "s3:PutObject"]
    for statement in admitted:
        assert statement["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
        source = statement["Condition"]["StringEquals"]["aws:SourceArn"]
        assert json.dumps(source).endswith(_trail_arn_suffix(template))
    (write,) = (s for s in admitted if s["Action"] == "s3:PutObject")
    assert write["Condition"]["StringEquals"]["s3:x-amz-acl"] == "bucket-owner-full-control"
    # CloudTrail checks the bucket policy when the trail is created: the trail waits for it.
    trail = only(template, "AWS::CloudTrail::Trail")
    policy_id = _id(template, "AWS::S3::BucketPolicy", "TrailBucketPolicy")
    assert policy_id in trail["DependsOn"]


def test_trail_key_admits_cloudtrail_statements_for_this_trail_only(default: tuple[Template, Any]) -> None:
    template = default[0]
    key = resources(template, "AWS::KMS::Key")[_id(template, "AWS::KMS::Key", "TrailKey")]["Properties"]
    for statement in key["KeyPolicy"]["Statement"]:
        if "cloudtrail.amazonaws.com" in json.dumps(statement.get("Principal")):
            source = statement["Condition"]["StringEquals"]["aws:SourceArn"]
            assert json.dumps(source).endswith(_trail_arn_suffix(template))


def test_trail_bucket_is_hardened(default: tuple[Template, Any]) -> None:
    template = default[0]
    buckets = resources(template, "AWS::S3::Bucket")
    trail_bucket = buckets[_id(template, "AWS::S3::Bucket", "TrailBucket")]
    logs_bucket_id = _id(template, "AWS::S3::Bucket", "TrailAccessLogsBucket")
    props = trail_bucket["Properties"]
    assert trail_bucket["DeletionPolicy"] == "Retain"
    assert props["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    sse = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert sse["BucketKeyEnabled"] is True
    assert props["LoggingConfiguration"] == {
        "DestinationBucketName": {"Ref": logs_bucket_id},
        "LogFilePrefix": "trail-bucket/",
    }
    assert props["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled",
        "Rule": {"DefaultRetention": {"Days": 365, "Mode": "GOVERNANCE"}},
    }
    assert props["NotificationConfiguration"] == {"EventBridgeConfiguration": {"EventBridgeEnabled": True}}


def test_trail_bucket_lifecycle(default: tuple[Template, Any]) -> None:
    template = default[0]
    props = resources(template, "AWS::S3::Bucket")[_id(template, "AWS::S3::Bucket", "TrailBucket")][
        "Properties"
    ]
    (rule,) = props["LifecycleConfiguration"]["Rules"]
    assert rule["Status"] == "Enabled"
    assert rule["Transitions"] == [{"StorageClass": "GLACIER_IR", "TransitionInDays": 90}]
    assert rule["ExpirationInDays"] == 2557
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 2557}


def test_buckets_refuse_plain_http(default: tuple[Template, Any]) -> None:
    template = default[0]
    policies = resources(template, "AWS::S3::BucketPolicy").values()
    assert len(policies) == 2
    for policy in policies:
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}
            for s in statements
        )
        assert any(
            s["Effect"] == "Deny" and s.get("Condition") == {"NumericLessThan": {"s3:TlsVersion": 1.2}}
            for s in statements
        )


def test_access_logs_bucket_is_hardened(default: tuple[Template, Any]) -> None:
    template = default[0]
    props = resources(template, "AWS::S3::Bucket")[_id(template, "AWS::S3::Bucket", "TrailAccessLogsBucket")][
        "Properties"
    ]
    assert props["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is True
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}
    assert props["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    # Server access logs can only be delivered to an SSE-S3 bucket.
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
        "ServerSideEncryptionByDefault"
    ] == {"SSEAlgorithm": "AES256"}
    assert props["ObjectLockEnabled"] is True
    assert "ObjectLockConfiguration" not in props  # a log target must not have a default retention
    assert props["LifecycleConfiguration"]["Rules"][0]["ExpirationInDays"] == 365


def test_log_group_encrypted_with_retention(default: tuple[Template, Any]) -> None:
    template = default[0]
    group = resources(template, "AWS::Logs::LogGroup")[_id(template, "AWS::Logs::LogGroup", "TrailLogs")]
    assert group["Properties"]["KmsKeyId"] == {
        "Fn::GetAtt": [_id(template, "AWS::KMS::Key", "TrailKey"), "Arn"]
    }
    assert group["Properties"]["RetentionInDays"] == 365


def test_logs_role_is_for_this_trail_with_a_managed_policy(default: tuple[Template, Any]) -> None:
    template = default[0]
    role = resources(template, "AWS::IAM::Role")[_id(template, "AWS::IAM::Role", "TrailLogsRole")][
        "Properties"
    ]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert "aws:SourceArn" in trust["Condition"]["StringEquals"]
    policy_id = _id(template, "AWS::IAM::ManagedPolicy", "TrailLogsPolicy")
    assert role["ManagedPolicyArns"] == [{"Ref": policy_id}]
    assert "Policies" not in role
    (statement,) = resources(template, "AWS::IAM::ManagedPolicy")[policy_id]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]


def test_one_metric_filter_and_alarm_per_event_group(default: tuple[Template, Any]) -> None:
    template = default[0]
    filters = resources(template, "AWS::Logs::MetricFilter")
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    assert len(filters) == len(alarms) == len(AUDIT_EVENT_GROUPS) == 6
    log_group = _id(template, "AWS::Logs::LogGroup", "TrailLogs")
    for group in AUDIT_EVENT_GROUPS:
        (f,) = [v["Properties"] for k, v in filters.items() if f"Audit{group.id}Filter" in k]
        assert f["LogGroupName"] == {"Ref": log_group}
        (transform,) = f["MetricTransformations"]
        assert transform["MetricNamespace"] == "SecureApi/Audit"
        assert transform["MetricName"] == group.id
        assert transform["MetricValue"] == "1"
        pattern = json.dumps(f["FilterPattern"])
        assert f'$.eventSource = \\"{group.event_source}\\"' in pattern
        for name in group.event_names:
            assert f'$.eventName = \\"{name}\\"' in pattern


def test_sensitive_events_are_all_watched() -> None:
    watched = {name for group in AUDIT_EVENT_GROUPS for name in group.event_names}
    assert {
        "CreateApiKey",
        "DeleteApiKey",
        "GetApiKey",
        "GetApiKeys",
        "UpdateApiKey",
        "CreateUsagePlanKey",
        "DeleteUsagePlanKey",
        "UpdateUsagePlan",
        "UpdateRestApi",
        "PutRestApi",
        "UpdateStage",
        "DeleteStage",
        "CreateDeployment",
        "AssociateWebACL",
        "DisassociateWebACL",
    } <= watched


def _filter(template: Template, group_id: str) -> dict[str, Any]:
    filters = resources(template, "AWS::Logs::MetricFilter")
    (props,) = [v["Properties"] for k, v in filters.items() if f"Audit{group_id}Filter" in k]
    return props


def _alarm(template: Template, group_id: str) -> dict[str, Any]:
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    (props,) = [v["Properties"] for k, v in alarms.items() if f"Audit{group_id}Alarm" in k]
    return props


def test_key_value_reads_need_include_value(default: tuple[Template, Any]) -> None:
    pattern = _filter(default[0], "ApiKeyValueReads")["FilterPattern"]
    # GetApiKey's flag is includeValue, GetApiKeys' is includeValues: a bulk read must alarm too.
    for flag in ("includeValue", "includeValues"):
        assert f"$.requestParameters.{flag} IS TRUE" in pattern
        assert f'$.requestParameters.{flag} = "true"' in pattern


def test_a_tag_put_on_an_existing_api_key_alarms(default: tuple[Template, Any]) -> None:
    """TagResource on an API key: keys are tagged at creation (CreateApiKey), so a tag put on an existing
    key afterwards (which could make another API's key look like this API's) is worth an alarm."""
    pattern = _filter(default[0], "ApiKeyTagged")["FilterPattern"]
    assert '$.eventSource = "apigateway.amazonaws.com"' in pattern
    assert '$.eventName = "TagResource"' in pattern
    # Only API keys' tags (the ARN in the request, plain or URL-encoded), not the stages' or the APIs'.
    assert '$.requestParameters.resourceArn = "*/apikeys/*"' in pattern
    assert '$.requestParameters.resourceArn = "*%2Fapikeys%2F*"' in pattern
    alarm = _alarm(default[0], "ApiKeyTagged")
    assert alarm["Threshold"] == 1 and alarm["AlarmActions"]
    assert "tag" in alarm["AlarmDescription"] and "existing API key" in alarm["AlarmDescription"]


def test_websocket_apis_alarm_on_api_key_tags_too() -> None:
    from secure_api.audit import API_KEY_TAGGED, WEBSOCKET_AUDIT_EVENT_GROUPS

    for groups in (WEBSOCKET_AUDIT_EVENT_GROUPS, AUDIT_EVENT_GROUPS):
        assert [g.id for g in groups].count(API_KEY_TAGGED.id) == 1


def test_api_changes_narrowed_to_this_api(default: tuple[Template, Any]) -> None:
    template = default[0]
    api_id = _id(template, "AWS::ApiGateway::RestApi")
    f = _filter(template, "ApiChanges")
    assert '$.requestParameters.restApiId = \\"", {"Ref": "' + api_id in json.dumps(f["FilterPattern"])
    assert f["MetricTransformations"][0]["Dimensions"] == [
        {"Key": "RestApiId", "Value": "$.requestParameters.restApiId"}
    ]
    assert _alarm(template, "ApiChanges")["Dimensions"] == [{"Name": "RestApiId", "Value": {"Ref": api_id}}]


def test_waf_association_changes_narrowed_to_this_stage(default: tuple[Template, Any]) -> None:
    template = default[0]
    stage_id = _id(template, "AWS::ApiGateway::Stage")
    f = _filter(template, "WafAssociationChanges")
    pattern = json.dumps(f["FilterPattern"])
    assert "$.requestParameters.resourceArn" in pattern and stage_id in pattern
    (dimension,) = _alarm(template, "WafAssociationChanges")["Dimensions"]
    assert dimension["Name"] == "ResourceArn"
    assert {"Ref": stage_id} in dimension["Value"]["Fn::Join"][1]


def test_account_wide_groups_have_no_dimension(default: tuple[Template, Any]) -> None:
    for group_id in ("ApiKeyChanges", "ApiKeyValueReads", "UsagePlanChanges", "ApiKeyTagged"):
        assert "Dimensions" not in _filter(default[0], group_id)["MetricTransformations"][0]
        assert "Dimensions" not in _alarm(default[0], group_id)


def test_alarms_fire_on_one_call_and_notify_the_topic(default: tuple[Template, Any]) -> None:
    template = default[0]
    topic = _id(template, "AWS::SNS::Topic")
    for alarm in resources(template, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        assert props["Namespace"] == "SecureApi/Audit"
        assert props["Threshold"] == 1
        assert props["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
        assert props["EvaluationPeriods"] == 1
        assert props["Period"] == 300
        assert props["Statistic"] == "Sum"
        assert props["TreatMissingData"] == "notBreaching"
        assert props["AlarmActions"] == [{"Ref": topic}]
        assert props["OKActions"] == [{"Ref": topic}]


def test_custom_options(custom: Template) -> None:
    trail = only(custom, "AWS::CloudTrail::Trail")["Properties"]
    assert trail["IsMultiRegionTrail"] is False
    assert trail["IncludeGlobalServiceEvents"] is False
    assert trail["EnableLogFileValidation"] is True
    props = resources(custom, "AWS::S3::Bucket")[_id(custom, "AWS::S3::Bucket", "TrailBucket")]["Properties"]
    (rule,) = props["LifecycleConfiguration"]["Rules"]
    assert "Transitions" not in rule
    assert "ExpirationInDays" not in rule
    assert props["ObjectLockEnabled"] is True
    assert "ObjectLockConfiguration" not in props
    group = resources(custom, "AWS::Logs::LogGroup")[_id(custom, "AWS::Logs::LogGroup", "TrailLogs")]
    assert group["Properties"]["RetentionInDays"] == 3653


def test_existing_trail_alarms_on_its_log_group(existing: tuple[Template, Any]) -> None:
    template, trail = existing
    assert trail is None
    assert not resources(template, "AWS::CloudTrail::Trail")
    assert not any("Trail" in k for k in resources(template, "AWS::S3::Bucket"))
    filters = resources(template, "AWS::Logs::MetricFilter")
    assert len(filters) == len(AUDIT_EVENT_GROUPS)
    assert {f["Properties"]["LogGroupName"] for f in filters.values()} == {"aws-controltower/CloudTrailLogs"}
    assert len(resources(template, "AWS::CloudWatch::Alarm")) == len(AUDIT_EVENT_GROUPS)


def test_existing_trail_without_log_group_creates_nothing(
    existing_without_logs: tuple[Template, Any],
) -> None:
    template, trail = existing_without_logs
    assert trail is None
    assert not resources(template, "AWS::CloudTrail::Trail")
    assert not resources(template, "AWS::Logs::MetricFilter")
    assert not resources(template, "AWS::CloudWatch::Alarm")


# --- several APIs in one stack ---------------------------------------------------------------------


def _two_apis(first: AuditTrail, second: AuditTrail, **second_options: Any) -> tuple[Template, Any, Any]:
    from secure_api import SecureRestApi

    _, stack = new_stack()
    one = SecureRestApi(stack, "OrdersApi", audit=first, firewall=None, monitoring=None)
    two = SecureRestApi(stack, "BillingApi", audit=second, firewall=None, monitoring=None, **second_options)
    backend = inline_function(stack)
    one.add_route("GET", "/orders", backend, auth="iam")
    two.add_route("GET", "/invoices", backend, auth="iam")
    return Template.from_stack(stack), one, two


@pytest.fixture(scope="module")
def shared() -> tuple[Template, Any, Any]:
    return _two_apis(AuditTrail(), AuditTrail())


def test_apis_in_one_stack_share_one_trail(shared: tuple[Template, Any, Any]) -> None:
    template, orders, billing = shared
    only(template, "AWS::CloudTrail::Trail")
    assert len(resources(template, "AWS::S3::Bucket")) == 2
    assert billing.trail is orders.trail and billing.audit_log_group is orders.audit_log_group
    # Each API keeps its own alarms, all on the one trail log group.
    filters = resources(template, "AWS::Logs::MetricFilter").values()
    assert len(filters) == 2 * len(AUDIT_EVENT_GROUPS)
    assert {json.dumps(f["Properties"]["LogGroupName"]) for f in filters} == {
        json.dumps(Stack.of(orders).resolve(orders.audit_log_group.log_group_name))
    }
    api_changes = [
        f for f in filters if f["Properties"]["MetricTransformations"][0]["MetricName"] == "ApiChanges"
    ]
    assert len({json.dumps(f["Properties"]["FilterPattern"]) for f in api_changes}) == 2


@pytest.mark.parametrize(
    "second",
    [AuditTrail(shared=False), AuditTrail(expire_after_days=3653)],
    ids=["not-shared", "other-settings"],
)
def test_own_trail_when_not_shared_or_settings_differ(second: AuditTrail) -> None:
    template, _, _ = _two_apis(AuditTrail(), second)
    assert len(resources(template, "AWS::CloudTrail::Trail")) == 2


def test_own_trail_when_the_trail_logs_would_be_kept_longer() -> None:
    # The trail's log group takes the API's log_retention unless AuditTrail.log_retention is set.
    template, _, _ = _two_apis(AuditTrail(), AuditTrail(), log_retention=logs.RetentionDays.TWO_YEARS)
    assert len(resources(template, "AWS::CloudTrail::Trail")) == 2


# --- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"transition_after_days": -1}, "AuditTrail.transition_after_days"),
        ({"transition_after_days": "90"}, "AuditTrail.transition_after_days"),
        ({"expire_after_days": 0}, "AuditTrail.expire_after_days"),
        ({"transition_after_days": 90, "expire_after_days": 90}, "AuditTrail.expire_after_days"),
        ({"object_lock_days": 0}, "AuditTrail.object_lock_days"),
        ({"object_lock_days": 3000}, "AuditTrail.object_lock_days"),
        ({"multi_region": "yes"}, "AuditTrail.multi_region"),
        ({"include_global_service_events": 1}, "AuditTrail.include_global_service_events"),
        ({"log_retention": 30}, "AuditTrail.log_retention"),
        ({"log_group_name": "trail-logs"}, "AuditTrail.log_group_name"),
        ({"shared": "yes"}, "AuditTrail.shared"),
    ],
)
def test_fails_bad_options(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(SecureApiConfigError, match=field.replace(".", r"\.")):
        AuditTrail(**kwargs)


@pytest.mark.parametrize("name", ["", "bad name", "x" * 513, "logs:*"])
def test_fails_bad_existing_log_group_name(name: str) -> None:
    with pytest.raises(SecureApiConfigError, match=r"AuditTrail\.log_group_name"):
        AuditTrail.existing(log_group_name=name)
