"""Provisioning at deploy time: one custom resource (``KeyProvisioner``, on CDK's provider framework)
whose function creates, updates and deletes every consumer's key, in slices that the framework polls
(``secure_api.keys.provision``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence

from aws_cdk import CustomResource, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from secure_api import compliance, defaults
from secure_api.key_permissions import KEY_POLICY_ACKNOWLEDGEMENTS, key_statements
from secure_api.key_provider import key_provider
from secure_api.keys.provision import encode_consumers, progress_parameter
from secure_api.lambda_function import SecureFunction
from secure_api.usage_plans.options import Consumer, KeyRotation


def key_provisioner(
    scope: Construct,
    *,
    api: Construct,
    rest_api_id: str,
    stage_name: str,
    secrets_arn: str,
    keys_key: kms.IKey,
    plans: Mapping[str, apigw.UsagePlan],
    consumers: Sequence[Consumer],
    rotation: KeyRotation,
    rotation_function: SecureFunction,
    creator_arn: str,
    logs_key: kms.IKey,
    retention: logs.RetentionDays,
    errors_alarm: Callable[[str, cloudwatch.IMetric, str], cloudwatch.Alarm],
) -> tuple[SecureFunction, cloudwatch.Alarm, CustomResource]:
    """The custom resource ``KeyProvisioner`` (under ``scope``) that provisions ``consumers``' keys of
    ``api`` (id ``rest_api_id``) at deploy time, its function ``KeyProvisionerFunction`` (which has the key
    creator ``creator_arn`` create keys and sets up ``rotation_function``), and the alarm
    ``KeyProvisionerErrorsAlarm`` on its errors."""
    stack = Stack.of(scope)
    creator_env = {"KEY_CREATOR_FUNCTION": creator_arn}

    parameter = progress_parameter(rest_api_id)
    provisioner_function = SecureFunction(
        scope,
        "KeyProvisionerFunction",
        code_name="key_provisioner",
        with_keys=True,
        description="secure_api: creates, updates and deletes consumers' API keys at deploy time",
        environment={
            "WORK_SECONDS": str(defaults.KEY_PROVISIONER_WORK_SECONDS),
            "PROGRESS_PARAMETER": parameter,
            **creator_env,
        },
        key=logs_key,
        retention=retention,
        timeout=defaults.KEY_PROVISIONER_TIMEOUT,
        acknowledgements=("provisioner-no-dlq",),
        concurrency_acknowledgement="key-functions-no-reserved-concurrency",
    )
    provisioner_function.add_to_policy(
        *key_statements(
            stack,
            rest_api_id,
            secrets_arn,
            keys_key,
            plans,
            key_creator_arn=creator_arn,
            provisioner=True,
        ),
        iam.PolicyStatement(
            # Secrets Manager checks that whoever configures rotation may invoke the rotation function.
            actions=["lambda:InvokeFunction"],
            resources=[rotation_function.function.function_arn],
        ),
        iam.PolicyStatement(
            # Where one slice of the work tells the next where to resume (a cursor and counts).
            actions=["ssm:GetParameter", "ssm:PutParameter", "ssm:DeleteParameter"],
            resources=[
                stack.format_arn(service="ssm", resource="parameter", resource_name=parameter.lstrip("/"))
            ],
        ),
    )
    compliance.acknowledge(
        provisioner_function.policy,
        *KEY_POLICY_ACKNOWLEDGEMENTS,
        plan=list(plans.values()),
        api=api,
    )
    provisioner_alarm = errors_alarm(
        "KeyProvisionerErrorsAlarm",
        provisioner_function.function.metric_errors(
            statistic="Sum", period=defaults.KEY_PROVISIONER_ALARM_PERIOD
        ),
        "the API key provisioner failed during a deployment (the provider framework retries it "
        "until CloudFormation's one-hour limit)",
    )
    provider = key_provider(
        scope,
        provisioner_function.function,
        key=logs_key,
        retention=retention,
        errors_alarm=errors_alarm,
    )
    provisioner = CustomResource(
        scope,
        "KeyProvisioner",
        service_token=provider.service_token,
        resource_type="Custom::SecureApiKeys",
        properties={
            "RestApiId": rest_api_id,
            "StageName": stage_name,
            "UsagePlans": {name: plan.usage_plan_id for name, plan in plans.items()},
            **consumers_property(consumers),
            "KmsKeyId": keys_key.key_arn,
            "RotationLambdaArn": rotation_function.function.function_arn,
            "RotationDays": str(rotation.every_days),
            "GraceHours": str(int(rotation.grace_period.to_hours())),
        },
    )
    return provisioner_function, provisioner_alarm, provisioner


def consumers_property(consumers: Sequence[Consumer]) -> dict[str, object]:
    """The provisioner's ``Consumers`` property, or ``ConsumersGzip`` once the list is long.

    The custom resource event is the input of the provider framework's waiter state machine, which
    Step Functions limits to 256 KB; 10,000 consumers as JSON objects would exceed it.
    """
    items = [{"name": c.name, "tier": c.tier, "enabled": "true" if c.enabled else "false"} for c in consumers]
    if len(json.dumps(items)) <= defaults.KEY_CONSUMERS_INLINE_MAX_BYTES:
        return {"Consumers": items}
    return {"ConsumersGzip": encode_consumers([[i["name"], i["tier"], i["enabled"]] for i in items])}
