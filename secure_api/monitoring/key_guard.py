"""The key guard's infrastructure: a scheduled Lambda (``lambdas/key_guard``) that reads each window of
access logs with Logs Insights, keeps a per-key baseline in DynamoDB, reports findings and may
quarantine a key; its table, schedule, permissions and errors alarm."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns

from secure_api import compliance, defaults
from secure_api.failure_destination import failure_destination
from secure_api.lambda_function import SecureFunction
from secure_api.monitoring.alarms import Alarms
from secure_api.monitoring.options import Monitoring
from secure_api.notifications import errors_alarm, publish_statements

# Tags the quarantine may set (secure_api/keys/quarantine.py) and the tags that scope it.
_QUARANTINE_TAGS = ("secure-api:quarantined", "secure-api:quarantined-at")
_API_TAG = "secure-api:api"
_CONSUMER_TAG = "secure-api:consumer"


def key_guard(
    alarms: Alarms,
    *,
    logs_key: kms.IKey,
    retention: logs.RetentionDays,
    usage_plans: Sequence[apigw.IUsagePlan] = (),
) -> SecureFunction:
    """The key guard of the API whose ``alarms`` are given (its access logs, alarm topic and construct,
    whose path names its schedule and alarm); its errors alarm joins them. It finds the API's keys
    through ``usage_plans`` (the API's own). Returns its function."""
    scope, m, topic = alarms.scope, alarms.m, alarms.topic
    rest_api_id, access_log_group = alarms.api_id, alarms.access_log_group
    key = logs_key
    stack = Stack.of(scope)
    table = dynamodb.Table(
        scope,
        "KeyGuardTable",
        partition_key=dynamodb.Attribute(name="apiKeyId", type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
        encryption_key=key,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute=defaults.KEY_GUARD_TTL_ATTRIBUTE,
        deletion_protection=True,
        removal_policy=RemovalPolicy.RETAIN,
    )
    schedule_s = int(m.key_guard_schedule.to_seconds())
    timeout_s = min(int(defaults.KEY_GUARD_TIMEOUT.to_seconds()), schedule_s)
    query_timeout_s = min(int(defaults.KEY_GUARD_QUERY_TIMEOUT.to_seconds()), timeout_s // 2)
    guard = SecureFunction(
        scope,
        "KeyGuard",
        code_name="key_guard",
        with_keys=True,
        description="secure_api: per-key anomaly detection and quarantine (key guard)",
        environment={
            "REST_API_ID": rest_api_id,
            "LOG_GROUP_NAME": access_log_group.log_group_name,
            "TABLE_NAME": table.table_name,
            "TOPIC_ARN": topic.topic_arn,
            "QUERY_TIMEOUT_SECONDS": str(query_timeout_s),
            "USAGE_PLAN_IDS": ",".join(p.usage_plan_id for p in usage_plans),
            **m.key_guard_environment(window_minutes=schedule_s // 60),
        },
        key=key,
        retention=retention,
        timeout=Duration.seconds(timeout_s),
        memory_size=defaults.KEY_GUARD_MEMORY_MB,
        acknowledgements=("key-guard-failure-destination",),
    )
    # A run that still fails after Lambda's retries lands on the alarm topic.
    failure_destination(guard, topic, max_event_age=m.key_guard_schedule, grant=False)
    for statement in key_guard_statements(
        stack=stack,
        access_log_group=access_log_group,
        table=table,
        table_key=key,
        topic=topic,
        rest_api_id=rest_api_id,
        monitoring=m,
        usage_plans=usage_plans,
    ):
        guard.add_to_policy(statement)
    compliance.acknowledge(guard.policy, "key-guard-logs-query-results", "key-guard-api-key-ids")
    compliance.acknowledge(table, "key-guard-table-no-backup-plan")
    schedule = events.Rule(
        scope,
        "KeyGuardSchedule",
        description=f"secure_api {scope.node.path}: runs the key guard every {m.key_guard_schedule.to_human_string()}",
        schedule=events.Schedule.rate(m.key_guard_schedule),
        targets=[
            targets.LambdaFunction(guard.function, retry_attempts=2, max_event_age=m.key_guard_schedule)
        ],
    )
    compliance.acknowledge(schedule, "key-guard-schedule-no-dlq")
    alarms.notify(
        errors_alarm(
            scope,
            "KeyGuardErrorsAlarm",
            guard.function.metric_errors(statistic="Sum", period=m.key_guard_schedule),
            description=f"secure_api {scope.node.path}: the key guard failed two runs in a row",
            periods=2,
        )
    )
    return guard


def key_guard_statements(
    *,
    stack: Stack,
    access_log_group: logs.ILogGroup,
    table: dynamodb.ITable,
    table_key: kms.IKey,
    topic: sns.ITopic,
    rest_api_id: str,
    monitoring: Monitoring,
    usage_plans: Sequence[apigw.IUsagePlan] = (),
) -> list[iam.PolicyStatement]:
    """Exactly what the key guard may do (its log group, X-Ray and environment key come with its function)."""
    apikeys = f"arn:{stack.partition}:apigateway:{stack.region}::/apikeys"
    statements = [
        iam.PolicyStatement(
            sid="QueryAccessLogs", actions=["logs:StartQuery"], resources=[access_log_group.log_group_arn]
        ),
        # Logs Insights identifies a running query by its id only: GetQueryResults and StopQuery have no
        # resource-level permissions. StartQuery above is what limits the data to the access logs.
        iam.PolicyStatement(
            sid="ReadQueryResults", actions=["logs:GetQueryResults", "logs:StopQuery"], resources=["*"]
        ),
        iam.PolicyStatement(
            sid="Baselines",
            actions=[
                f"dynamodb:{a}"
                for a in ("BatchGetItem", "BatchWriteItem", "GetItem", "PutItem", "Query", "UpdateItem")
            ],
            resources=[table.table_arn],
        ),
        iam.PolicyStatement(
            sid="BaselinesKey",
            actions=["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
            resources=[table_key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"dynamodb.{stack.region}.{stack.url_suffix}"}},
        ),
        *publish_statements(stack, topic, sid="Notify"),
        # Never GET /apikeys: that list has no tags to condition on and carries every key's value with
        # includeValues. The guard finds the API's keys through its own plans, and reads one key (to
        # quarantine it) only if it is tagged for this API.
        iam.PolicyStatement(
            sid="ReadApiKeys",
            actions=["apigateway:GET"],
            resources=[f"{apikeys}/*"],
            conditions={"StringEquals": {f"aws:ResourceTag/{_API_TAG}": rest_api_id}},
        ),
    ]
    if usage_plans:
        statements.append(
            iam.PolicyStatement(
                sid="ListThisApisPlansKeys",
                actions=["apigateway:GET"],
                resources=[
                    f"arn:{stack.partition}:apigateway:{stack.region}::/usageplans/{p.usage_plan_id}/keys"
                    for p in usage_plans
                ],
            )
        )
    if monitoring.auto_quarantine:
        api_key_conditions: dict[str, Any] = {"StringEquals": {f"aws:ResourceTag/{_API_TAG}": rest_api_id}}
        if monitoring.quarantine_exempt:
            api_key_conditions["StringNotEquals"] = {
                f"aws:ResourceTag/{_CONSUMER_TAG}": list(monitoring.quarantine_exempt)
            }
        statements += [
            # Disable only this API's keys (tag secure-api:api), never an exempt consumer's.
            iam.PolicyStatement(
                sid="QuarantineApiKeys",
                actions=["apigateway:PATCH"],
                resources=[f"{apikeys}/*"],
                conditions=api_key_conditions,
            ),
            # Set only the two quarantine tags.
            iam.PolicyStatement(
                sid="TagQuarantinedKeys",
                actions=["apigateway:PUT"],
                resources=[f"arn:{stack.partition}:apigateway:{stack.region}::/tags/*"],
                conditions={"ForAllValues:StringEquals": {"aws:TagKeys": list(_QUARANTINE_TAGS)}},
            ),
        ]
    return statements
