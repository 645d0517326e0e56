"""The key creator: the only function whose role may tag API keys. It creates this API's keys, tagged at
creation, and attaches them to its plans; the rotation and provisioner functions, which change and delete
keys, have it do so (``secure_api.keys.creator``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from secure_api import compliance, defaults
from secure_api.key_permissions import KEY_CREATOR_ACKNOWLEDGEMENTS, creator_statements
from secure_api.lambda_function import SecureFunction


def key_creator(
    scope: Construct,
    *,
    api: Construct,
    rest_api_id: str,
    plans: Mapping[str, apigw.UsagePlan],
    logs_key: kms.IKey,
    retention: logs.RetentionDays,
    errors_alarm: Callable[[str, cloudwatch.IMetric, str], cloudwatch.Alarm],
) -> tuple[SecureFunction, cloudwatch.Alarm]:
    """The function ``KeyCreator`` (under ``scope``) that creates the keys of ``api`` (id ``rest_api_id``)
    and attaches them to its ``plans``, and the alarm ``KeyCreatorErrorsAlarm`` on its errors."""
    stack = Stack.of(scope)
    # The only role that may tag keys (it creates them tagged and attaches them); the rotation and
    # provisioner functions, which change and delete keys, have it do so (secure_api.keys.creator).
    key_creator_function = SecureFunction(
        scope,
        "KeyCreator",
        code_name="key_creator",
        with_keys=True,
        description="secure_api: creates this API's keys (tagged at creation) and attaches them to its plans",
        environment={"REST_API_ID": rest_api_id},
        key=logs_key,
        retention=retention,
        timeout=defaults.KEY_CREATOR_TIMEOUT,
        acknowledgements=("key-creator-no-dlq",),
        concurrency_acknowledgement="key-functions-no-reserved-concurrency",
    )
    key_creator_function.add_to_policy(*creator_statements(stack, rest_api_id, plans))
    compliance.acknowledge(key_creator_function.policy, *KEY_CREATOR_ACKNOWLEDGEMENTS, api=api)
    key_creator_alarm = errors_alarm(
        "KeyCreatorErrorsAlarm",
        key_creator_function.function.metric_errors(
            statistic="Sum", period=defaults.KEY_PROVISIONER_ALARM_PERIOD
        ),
        "the API key creator failed to create or attach a key (the rotation or provisioner that asked "
        "for it fails too, and retries)",
    )
    return key_creator_function, key_creator_alarm
