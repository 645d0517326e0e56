"""``AuditTrail``: a CloudTrail trail for the account (or an existing one), and alarms on the
sensitive API Gateway control-plane calls that change who can call the API or reveal key values.

Which alarms can be narrowed to this API:

- ``ApiChanges`` (UpdateRestApi, PutRestApi, DeleteRestApi, UpdateStage, DeleteStage,
  CreateDeployment): yes, by ``requestParameters.restApiId`` (metric dimension ``RestApiId``).
- ``WafAssociationChanges`` (wafv2 AssociateWebACL, DisassociateWebACL): yes, by
  ``requestParameters.resourceArn``, the stage's ARN (metric dimension ``ResourceArn``).
- ``ApiKeyChanges`` (CreateApiKey, UpdateApiKey, DeleteApiKey, ImportApiKeys) and
  ``ApiKeyValueReads`` (GetApiKey with ``includeValue``, GetApiKeys with ``includeValues``): no. API keys belong to the
  account and region, not to an API (GetApiKeys lists every key), so these count the whole account.
- ``UsagePlanChanges`` (CreateUsagePlanKey, DeleteUsagePlanKey, UpdateUsagePlan, DeleteUsagePlan):
  no. The events carry only the usage plan id, and a plan can serve several APIs.
- ``ApiKeyTagged`` (TagResource on an API key's ARN): no, for the same reason as ``ApiKeyChanges``. The
  library tags keys at creation (CreateApiKey) only; a tag put on an existing key could make another
  API's key look like this API's to a role that changes keys by tag. The key guard's quarantine tags a
  key too, so a quarantine also trips it.

For a WebSocket API (API Gateway v2, whose control-plane events CloudTrail also records under
``apigateway.amazonaws.com``), ``ApiChanges`` and ``WafAssociationChanges`` give way to:

- ``WebSocketApiChanges`` (the API, its routes, authorizers, integrations, stages and deployments
  changed or deleted): yes, by ``requestParameters.apiId`` (metric dimension ``ApiId``).
- ``ApiMappingChanges`` (Create/Update/DeleteApiMapping): no. The events name the domain and the
  mapping, so these count the whole account and region.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from aws_cdk import Duration, Names, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from secure_api import compliance, defaults
from secure_api.bucket_emptier import empty_on_delete
from secure_api.encryption import encrypted_log_group, logs_key
from secure_api.errors import SecureApiConfigError, is_token, require_int
from secure_api.removal import check_removal_policy

_LOG_GROUP_NAME = re.compile(r"[A-Za-z0-9_./#-]{1,512}")
_MAX_DAYS = 36_500


@dataclass(frozen=True)
class AuditEventGroup:
    """A group of CloudTrail events behind one metric filter and one alarm."""

    id: str
    event_source: str
    event_names: tuple[str, ...]
    description: str


API_KEY_CHANGES = AuditEventGroup(
    "ApiKeyChanges",
    "apigateway.amazonaws.com",
    ("CreateApiKey", "UpdateApiKey", "DeleteApiKey", "ImportApiKeys"),
    "an API key was created, changed (enabled, disabled, renamed) or deleted in this account and region",
)
API_KEY_VALUE_READS = AuditEventGroup(
    "ApiKeyValueReads",
    "apigateway.amazonaws.com",
    ("GetApiKey", "GetApiKeys"),
    "someone read API key values (GetApiKey includeValue, GetApiKeys includeValues) in this account and region",
)
API_KEY_TAGGED = AuditEventGroup(
    "ApiKeyTagged",
    "apigateway.amazonaws.com",
    ("TagResource",),
    "a tag was put on an existing API key in this account and region (the library tags keys when it "
    "creates them; the key guard's quarantine tags a key too)",
)
USAGE_PLAN_CHANGES = AuditEventGroup(
    "UsagePlanChanges",
    "apigateway.amazonaws.com",
    ("CreateUsagePlanKey", "DeleteUsagePlanKey", "UpdateUsagePlan", "DeleteUsagePlan"),
    "a key was attached to or detached from a usage plan, or a plan changed, in this account and region",
)
API_CHANGES = AuditEventGroup(
    "ApiChanges",
    "apigateway.amazonaws.com",
    ("UpdateRestApi", "PutRestApi", "DeleteRestApi", "UpdateStage", "DeleteStage", "CreateDeployment"),
    "this API's definition, resource policy or stage changed, or it was deployed",
)
WAF_ASSOCIATION_CHANGES = AuditEventGroup(
    "WafAssociationChanges",
    "wafv2.amazonaws.com",
    ("AssociateWebACL", "DisassociateWebACL"),
    "a web ACL was associated with or removed from this API's stage",
)
WEBSOCKET_API_CHANGES = AuditEventGroup(
    "WebSocketApiChanges",
    "apigateway.amazonaws.com",
    (
        "UpdateApi",
        "DeleteApi",
        "ReimportApi",
        "CreateRoute",
        "UpdateRoute",
        "DeleteRoute",
        "DeleteRouteSettings",
        "CreateAuthorizer",
        "UpdateAuthorizer",
        "DeleteAuthorizer",
        "CreateIntegration",
        "UpdateIntegration",
        "DeleteIntegration",
        "UpdateStage",
        "DeleteStage",
        "CreateDeployment",
    ),
    "this WebSocket API, its routes, authorizers, integrations or stage changed, or it was deployed",
)
API_MAPPING_CHANGES = AuditEventGroup(
    "ApiMappingChanges",
    "apigateway.amazonaws.com",
    ("CreateApiMapping", "UpdateApiMapping", "DeleteApiMapping"),
    "a custom domain's API mapping was created, changed or deleted in this account and region",
)
WEBSOCKET_AUDIT_EVENT_GROUPS = (
    API_KEY_CHANGES,
    API_KEY_VALUE_READS,
    API_KEY_TAGGED,
    USAGE_PLAN_CHANGES,
    WEBSOCKET_API_CHANGES,
    API_MAPPING_CHANGES,
)
"""The alarms of a WebSocket API (no WAF: AWS WAF cannot be associated with a WebSocket API)."""
AUDIT_EVENT_GROUPS = (
    API_KEY_CHANGES,
    API_KEY_VALUE_READS,
    API_KEY_TAGGED,
    USAGE_PLAN_CHANGES,
    API_CHANGES,
    WAF_ASSOCIATION_CHANGES,
)


@dataclass(frozen=True, kw_only=True)
class AuditTrail:
    """A CloudTrail trail recording the account's management events, and alarms on the sensitive
    API Gateway control-plane calls (see the module docstring for the list).

    Defaults: a multi-region trail (``multi_region``) with global service events
    (``include_global_service_events``) and log file validation (always on), encrypted with a new
    customer-managed KMS key (rotation on), delivered to a hardened S3 bucket (public access
    blocked, TLS 1.2+ only, versioned, KMS-encrypted, server access logs to a second hardened bucket)
    whose objects move to S3 Glacier Instant Retrieval after ``transition_after_days`` (90) and
    expire after ``expire_after_days`` (2557, seven years; None keeps them), each object locked
    against deletion and overwrite (S3 Object Lock, GOVERNANCE mode) for ``object_lock_days`` (365;
    None: Object Lock on without a default retention), and to a KMS-encrypted
    CloudWatch log group kept ``log_retention`` (default: the API's log retention). Each alarm fires
    on one matching call within 5 minutes and notifies the API's alarm topic (alarm and OK).

    ``AuditTrail.existing(log_group_name)`` creates no trail, for accounts whose organization trail
    already records every region; given the CloudWatch log group that trail delivers to (in this
    account and region), the alarms are created on it.

    APIs in the same stack with equal ``AuditTrail`` settings share one trail (``shared``, default
    True): the first such API creates it, the others put their alarms on its log group (a second
    multi-region trail would bill a second copy of the management events, and an account allows five
    trails per region). ``shared=False`` gives an API a trail of its own. APIs in other stacks share a
    trail with ``AuditTrail.existing(log_group_name)``, given the first API's ``audit_log_group``.

    ``removal_policy``: what ``cdk destroy`` does with the trail's key, buckets and log group (the
    audit evidence): keeps them (``RemovalPolicy.RETAIN``, default) or, for development stacks,
    deletes them (``RemovalPolicy.DESTROY``: the buckets are emptied first, which Object Lock
    retention forbids, so it needs ``object_lock_days=None``). See ``secure_api/removal.py``.
    """

    multi_region: bool = True
    include_global_service_events: bool = True
    transition_after_days: int | None = defaults.AUDIT_TRANSITION_AFTER_DAYS
    expire_after_days: int | None = defaults.AUDIT_EXPIRE_AFTER_DAYS
    object_lock_days: int | None = defaults.AUDIT_OBJECT_LOCK_DAYS
    log_retention: logs.RetentionDays | None = None
    create_trail: bool = True
    log_group_name: str | None = None
    shared: bool = True
    removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY

    def __post_init__(self) -> None:
        check_removal_policy("AuditTrail.removal_policy", self.removal_policy)
        if self.removal_policy == RemovalPolicy.DESTROY and self.object_lock_days is not None:
            raise SecureApiConfigError(
                "AuditTrail.object_lock_days",
                self.object_lock_days,
                "None with removal_policy=RemovalPolicy.DESTROY: objects under Object Lock retention cannot "
                "be deleted until it ends, so the stack deletion would fail on the non-empty trail bucket",
            )
        for flag in ("multi_region", "include_global_service_events", "create_trail", "shared"):
            if not isinstance(getattr(self, flag), bool):
                raise SecureApiConfigError(f"AuditTrail.{flag}", getattr(self, flag), "True or False")
        if self.transition_after_days is not None:
            require_int(
                "AuditTrail.transition_after_days", self.transition_after_days, minimum=0, maximum=_MAX_DAYS
            )
        if self.expire_after_days is not None:
            require_int("AuditTrail.expire_after_days", self.expire_after_days, minimum=1, maximum=_MAX_DAYS)
        if (
            self.transition_after_days is not None
            and self.expire_after_days is not None
            and not is_token(self.transition_after_days)
            and not is_token(self.expire_after_days)
            and self.expire_after_days <= self.transition_after_days
        ):
            raise SecureApiConfigError(
                "AuditTrail.expire_after_days",
                self.expire_after_days,
                f"more days than transition_after_days ({self.transition_after_days})",
            )
        if self.object_lock_days is not None:
            require_int(
                "AuditTrail.object_lock_days",
                self.object_lock_days,
                minimum=1,
                maximum=self.expire_after_days if isinstance(self.expire_after_days, int) else _MAX_DAYS,
            )
        if self.log_retention is not None and not isinstance(self.log_retention, logs.RetentionDays):
            raise SecureApiConfigError(
                "AuditTrail.log_retention", self.log_retention, "an aws_logs.RetentionDays value or None"
            )
        if self.log_group_name is not None:
            if self.create_trail:
                raise SecureApiConfigError(
                    "AuditTrail.log_group_name",
                    self.log_group_name,
                    "None unless the trail exists already (AuditTrail.existing(log_group_name=...))",
                )
            _check_log_group_name(self.log_group_name)

    @classmethod
    def existing(cls, log_group_name: str | None = None) -> AuditTrail:
        """No new trail (the account's organization trail records the calls already); the alarms are
        created on ``log_group_name``, the CloudWatch log group that trail delivers to, when given."""
        if log_group_name is not None:
            _check_log_group_name(log_group_name)
        return cls(create_trail=False, log_group_name=log_group_name)

    @property
    def has_alarms(self) -> bool:
        """Whether there is a trail log group to put the control-plane alarms on."""
        return self.create_trail or self.log_group_name is not None


def _check_log_group_name(name: object) -> None:
    if is_token(name):
        return
    if not isinstance(name, str) or not _LOG_GROUP_NAME.fullmatch(name):
        raise SecureApiConfigError(
            "AuditTrail.log_group_name",
            name,
            "a CloudWatch Logs log group name (1-512 letters, digits, '_', '-', '.', '/', '#')",
        )


def apply_audit(
    scope: Construct,
    audit: AuditTrail,
    *,
    rest_api: apigw.RestApiBase | None = None,
    web_socket_api: apigwv2.WebSocketApi | None = None,
    topic: sns.ITopic,
    retention: logs.RetentionDays,
    shared_log_group: logs.ILogGroup | None = None,
) -> tuple[cloudtrail.Trail | None, logs.ILogGroup | None]:
    """Create (under ``scope``) the trail ``Trail`` with its key (``TrailKey``), buckets
    (``TrailBucket``, ``TrailAccessLogsBucket``) and log group (``TrailLogs``), then a metric filter
    and an alarm per event group (``Audit<Group>Filter``, ``Audit<Group>Alarm``) on its log group.
    For ``AuditTrail.existing(...)`` only the filters and alarms, and only with a log group; with
    ``shared_log_group`` (the log group of another API's trail in this stack), the alarms on it.
    Returns the trail (None for an existing or shared one) and the log group the alarms watch (None without).
    The alarms watch ``rest_api`` or ``web_socket_api`` (exactly one)."""
    if (rest_api is None) == (web_socket_api is None):
        raise TypeError("apply_audit watches rest_api or web_socket_api, exactly one")
    trail: cloudtrail.Trail | None = None
    log_group: logs.ILogGroup
    if shared_log_group is not None:
        log_group = shared_log_group
    elif audit.create_trail:
        trail, log_group = _trail(scope, audit, retention=audit.log_retention or retention)
    elif audit.log_group_name is not None:
        log_group = logs.LogGroup.from_log_group_name(scope, "TrailLogGroup", audit.log_group_name)
    else:
        return None, None
    groups: tuple[AuditEventGroup, ...]
    if rest_api is not None:
        groups = AUDIT_EVENT_GROUPS
        narrowing = {
            API_CHANGES.id: ("restApiId", "RestApiId", rest_api.rest_api_id),
            WAF_ASSOCIATION_CHANGES.id: ("resourceArn", "ResourceArn", rest_api.deployment_stage.stage_arn),
        }
    else:
        assert web_socket_api is not None
        groups = WEBSOCKET_AUDIT_EVENT_GROUPS
        narrowing = {WEBSOCKET_API_CHANGES.id: ("apiId", "ApiId", web_socket_api.api_id)}
    action = cloudwatch_actions.SnsAction(topic)
    for group in groups:
        conditions = [
            f'($.eventSource = "{group.event_source}")',
            "(" + " || ".join(f'($.eventName = "{name}")' for name in group.event_names) + ")",
        ]
        if group is API_KEY_VALUE_READS:
            # GetApiKey takes includeValue, GetApiKeys includeValues: either may reveal key values.
            conditions.append(
                "("
                + " || ".join(
                    f'($.requestParameters.{flag} IS TRUE) || ($.requestParameters.{flag} = "true")'
                    for flag in ("includeValue", "includeValues")
                )
                + ")"
            )
        if group is API_KEY_TAGGED:
            # TagResource names the tagged resource's ARN (URL-encoded in the request path): API keys only.
            conditions.append(
                "("
                + " || ".join(
                    f'($.requestParameters.resourceArn = "{arn}")'
                    for arn in ("*/apikeys/*", "*%2Fapikeys%2F*")
                )
                + ")"
            )
        dimensions: dict[str, str] = {}
        dimensions_map: dict[str, str] = {}
        if group.id in narrowing:
            field, dimension, value = narrowing[group.id]
            conditions.append(f'($.requestParameters.{field} = "{value}")')
            dimensions[dimension] = f"$.requestParameters.{field}"
            dimensions_map[dimension] = value
        metric_filter = logs.MetricFilter(
            scope,
            f"Audit{group.id}Filter",
            log_group=log_group,
            filter_pattern=logs.FilterPattern.literal("{ " + " && ".join(conditions) + " }"),
            metric_namespace=defaults.AUDIT_METRIC_NAMESPACE,
            metric_name=group.id,
            metric_value="1",
            dimensions=dimensions or None,
        )
        alarm = cloudwatch.Alarm(
            scope,
            f"Audit{group.id}Alarm",
            alarm_description=f"secure_api {scope.node.path}: {group.description} "
            f"({', '.join(group.event_names)})",
            metric=metric_filter.metric(
                statistic="Sum",
                period=defaults.AUDIT_ALARM_PERIOD,
                dimensions_map=dimensions_map or None,
            ),
            threshold=defaults.AUDIT_ALARM_THRESHOLD,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
    return trail, log_group


def find_trail_owner(api: Construct, audit: AuditTrail) -> Any:
    """The API (REST or WebSocket) declared earlier in ``api``'s stack whose trail ``api`` shares: one
    with equal trail settings (``_trail_settings``) that made a trail. None when ``audit`` creates no
    shareable trail or no such API exists. Both API constructs carry ``_trail_settings``, ``trail``
    and ``audit_log_group``."""
    if not (audit.create_trail and audit.shared):
        return None
    settings = getattr(api, "_trail_settings", None)
    for construct in Stack.of(api).node.find_all():
        if (
            construct is not api
            and getattr(construct, "_trail_settings", None) == settings
            and getattr(construct, "trail", None) is not None
            and getattr(construct, "audit_log_group", None) is not None
        ):
            return construct
    return None


def trail_name(scope: Construct) -> str:
    """The trail's name (fixed, so the key policy can name the trail without a dependency cycle)."""
    return f"{Names.unique_id(scope)[-120:]}-audit"


def _trail(
    scope: Construct, audit: AuditTrail, *, retention: logs.RetentionDays
) -> tuple[cloudtrail.Trail, logs.ILogGroup]:
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
