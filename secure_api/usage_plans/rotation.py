"""Rotation and expiry of consumers' keys: the function that implements the Secrets Manager rotation
protocol for the key secrets and, hourly (``ExpireSchedule``), disables and deletes previous keys whose
grace period has passed."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from secure_api import compliance, defaults
from secure_api.failure_destination import failure_destination
from secure_api.key_permissions import KEY_POLICY_ACKNOWLEDGEMENTS, key_statements
from secure_api.lambda_function import SecureFunction
from secure_api.usage_plans.options import KeyRotation


def key_rotation(
    scope: Construct,
    *,
    api: Construct,
    rest_api_id: str,
    secrets_arn: str,
    keys_key: kms.IKey,
    plans: Mapping[str, apigw.UsagePlan],
    rotation: KeyRotation,
    creator_arn: str,
    logs_key: kms.IKey,
    retention: logs.RetentionDays,
    errors_alarm: Callable[[str, cloudwatch.IMetric, str], cloudwatch.Alarm],
    alarm_topic: sns.ITopic | None = None,
) -> tuple[SecureFunction, cloudwatch.Alarm]:
    """The function ``KeyRotation`` (under ``scope``) that rotates the key secrets ``secrets_arn`` of
    ``api`` (id ``rest_api_id``) and expires previous keys (schedule ``ExpireSchedule``, whose failed
    runs go to ``alarm_topic``), through the key creator ``creator_arn``; and the alarm
    ``KeyRotationErrorsAlarm`` on its errors."""
    stack = Stack.of(scope)
    creator_env = {"KEY_CREATOR_FUNCTION": creator_arn}

    rotation_function = SecureFunction(
        scope,
        "KeyRotation",
        code_name="key_rotation",
        with_keys=True,
        description="secure_api: rotates and expires consumers' API keys",
        environment={
            "REST_API_ID": rest_api_id,
            "GRACE_HOURS": str(int(rotation.grace_period.to_hours())),
            **creator_env,
        },
        key=logs_key,
        retention=retention,
        timeout=defaults.KEY_ROTATION_TIMEOUT,
        acknowledgements=("rotation-no-dlq", "rotation-invoke-permissions"),
        concurrency_acknowledgement="key-functions-no-reserved-concurrency",
    )
    rotation_function.add_to_policy(
        *key_statements(stack, rest_api_id, secrets_arn, keys_key, plans, key_creator_arn=creator_arn)
    )
    compliance.acknowledge(
        rotation_function.policy,
        *KEY_POLICY_ACKNOWLEDGEMENTS,
        plan=list(plans.values()),
        api=api,
    )
    rotation_alarm = errors_alarm(
        "KeyRotationErrorsAlarm",
        rotation_function.function.metric_errors(statistic="Sum", period=defaults.KEY_ROTATION_ALARM_PERIOD),
        "the key rotation/expiry function failed (a rotation step, or the hourly expiry that disables "
        "keys past their grace period)",
    )
    rotation_function.function.add_permission(
        "SecretsManagerInvoke",
        principal=iam.ServicePrincipal("secretsmanager.amazonaws.com"),
        action="lambda:InvokeFunction",
        source_account=stack.account,
        # Only for this API's key secrets (Lambda matches SourceArn with ArnLike).
        source_arn=secrets_arn,
    )
    schedule = events.Rule(
        scope,
        "ExpireSchedule",
        description="secure_api: disable and delete previous API keys past their grace period",
        schedule=events.Schedule.rate(defaults.KEY_EXPIRY_SCHEDULE),
        targets=[
            targets.LambdaFunction(
                rotation_function.function,
                event=events.RuleTargetInput.from_object({"action": "expire", "restApiId": rest_api_id}),
                retry_attempts=2,
            )
        ],
    )
    compliance.acknowledge(schedule, "idempotent-schedule-no-dlq")
    if alarm_topic is not None:
        failure_destination(rotation_function, alarm_topic, max_event_age=defaults.KEY_EXPIRY_SCHEDULE)
    return rotation_function, rotation_alarm
