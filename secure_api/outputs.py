"""The stack outputs of a ``SecureRestApi`` and the tag that lets ``--api-id`` alone find the keys' KMS key.

Output keys follow ``secure_api.keys.stack_outputs`` (``<prefix>RestApiId``, ``<prefix>Url``,
``<prefix>StageName`` and, with usage tiers, ``<prefix>KeySecretsPrefix`` and ``<prefix>KeysKmsKeyArn``),
where ``<prefix>`` is the API construct's path inside its stack with only letters and digits kept.
Their logical ids are exactly those keys, so they are stable and readable without CDK's hashes.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_kms as kms
from constructs import Construct

from secure_api import defaults
from secure_api.keys import stack_outputs

_DEFAULT_ENDPOINT_OUTPUT = "Endpoint"


def api_output_prefix(api: Construct) -> str:
    """The output-key prefix of ``api``: its path inside its stack, letters and digits only."""
    stack_path = Stack.of(api).node.path
    path = api.node.path
    relative = path[len(stack_path) + 1 :] if stack_path and path.startswith(stack_path + "/") else path
    return stack_outputs.output_prefix(relative)


def add_outputs(
    api: Construct,
    *,
    rest_api: apigw.RestApiBase,
    stage: apigw.Stage,
    url: str,
    execute_api_disabled: bool,
    keys_key: kms.IKey | None,
) -> dict[str, CfnOutput]:
    """Add the API's outputs under ``api``; return them by output name (``"RestApiId"``, ...).

    With the execute-api endpoint disabled (a custom domain), CDK's default ``Endpoint`` output would
    advertise a URL that answers nothing, so it is removed. With ``keys_key`` (usage tiers), the REST
    API is also tagged with the key's ARN (``stack_outputs.KEYS_KMS_KEY_TAG``).
    """
    prefix = api_output_prefix(api)
    values: dict[str, tuple[str, str]] = {
        stack_outputs.REST_API_ID: (rest_api.rest_api_id, "The REST API id (secure-api --api-id)"),
        stack_outputs.URL: (url, "The URL to call"),
        stack_outputs.STAGE_NAME: (stage.stage_name, "The deployed stage"),
    }
    if keys_key is not None:
        values[stack_outputs.KEY_SECRETS_PREFIX] = (
            f"{defaults.KEY_SECRET_PREFIX}/{rest_api.rest_api_id}/",
            "Secrets Manager name prefix of the consumers' API key secrets",
        )
        values[stack_outputs.KEYS_KMS_KEY_ARN] = (
            keys_key.key_arn,
            "KMS key that encrypts the API key secrets",
        )
        cfn_api = rest_api.node.default_child
        assert isinstance(cfn_api, apigw.CfnRestApi)
        cfn_api.tags.set_tag(stack_outputs.KEYS_KMS_KEY_TAG, keys_key.key_arn)
    if execute_api_disabled:
        rest_api.node.try_remove_child(_DEFAULT_ENDPOINT_OUTPUT)
    return _write(api, prefix, values)


def add_websocket_outputs(
    api: Construct,
    *,
    web_socket_api: apigwv2.WebSocketApi,
    stage: apigwv2.WebSocketStage,
    url: str,
    keys_key: kms.IKey | None,
) -> dict[str, CfnOutput]:
    """A ``SecureWebSocketApi``'s outputs under ``api``, by output name: ``WebSocketApiId``, ``Url`` (the
    ``wss://`` URL), ``StageName`` and, with ``keys_key`` (usage tiers), ``KeySecretsPrefix`` and
    ``KeysKmsKeyArn``; the API is then tagged with the key's ARN as a REST API is."""
    prefix = api_output_prefix(api)
    api_id = web_socket_api.api_id
    values: dict[str, tuple[str, str]] = {
        stack_outputs.WEB_SOCKET_API_ID: (api_id, "The WebSocket API id (secure-api --api-id)"),
        stack_outputs.URL: (url, "The wss:// URL to connect to"),
        stack_outputs.STAGE_NAME: (stage.stage_name, "The deployed stage"),
    }
    if keys_key is not None:
        values[stack_outputs.KEY_SECRETS_PREFIX] = (
            f"{defaults.KEY_SECRET_PREFIX}/{api_id}/",
            "Secrets Manager name prefix of the consumers' API key secrets",
        )
        values[stack_outputs.KEYS_KMS_KEY_ARN] = (
            keys_key.key_arn,
            "KMS key that encrypts the API key secrets",
        )
        cfn_api = web_socket_api.node.default_child
        assert isinstance(cfn_api, apigwv2.CfnApi)
        cfn_api.tags.set_tag(stack_outputs.KEYS_KMS_KEY_TAG, keys_key.key_arn)
    return _write(api, prefix, values)


def add_http_outputs(
    api: Construct, *, http_api: apigwv2.IHttpApi, stage: apigwv2.IHttpStage, url: str
) -> dict[str, CfnOutput]:
    """A ``SecureHttpApi``'s outputs under ``api``, by output name: ``HttpApiId``, ``Url`` (the domain's
    when set) and ``StageName``."""
    return _write(
        api,
        api_output_prefix(api),
        {
            stack_outputs.HTTP_API_ID: (http_api.api_id, "The HTTP API id (secure-api verify --api-id)"),
            stack_outputs.URL: (url, "The URL to call"),
            stack_outputs.STAGE_NAME: (stage.stage_name, "The deployed stage"),
        },
    )


def _write(api: Construct, prefix: str, values: dict[str, tuple[str, str]]) -> dict[str, CfnOutput]:
    outputs: dict[str, CfnOutput] = {}
    for name, (value, description) in values.items():
        output = CfnOutput(api, f"{name}Output", value=value, description=description)
        output.override_logical_id(stack_outputs.output_key(prefix, name))
        outputs[name] = output
    return outputs
