"""The stack outputs of an API (REST, WebSocket or HTTP) and the tag that lets ``--api-id`` alone find the keys' KMS key.

Output keys follow ``secure_api.keys.stack_outputs`` (``<prefix>RestApiId``, ``<prefix>Url``,
``<prefix>StageName`` (``WebSocketApiId`` or ``HttpApiId`` in place of ``RestApiId`` for the v2 kinds) and, with usage tiers, ``<prefix>KeySecretsPrefix`` and ``<prefix>KeysKmsKeyArn``),
where ``<prefix>`` is the API construct's path inside its stack with only letters and digits kept.
Their logical ids are exactly those keys, so they are stable and readable without CDK's hashes.
"""

from __future__ import annotations

from aws_cdk import CfnOutput, Stack
from aws_cdk import aws_kms as kms
from constructs import Construct

from secure_api import defaults
from secure_api.api_target import ApiTarget
from secure_api.keys import stack_outputs

_DEFAULT_ENDPOINT_OUTPUT = "Endpoint"


def api_output_prefix(api: Construct) -> str:
    """The output-key prefix of ``api``: its path inside its stack, letters and digits only."""
    stack_path = Stack.of(api).node.path
    path = api.node.path
    relative = path[len(stack_path) + 1 :] if stack_path and path.startswith(stack_path + "/") else path
    return stack_outputs.output_prefix(relative)


def add_api_outputs(
    api: Construct,
    target: ApiTarget,
    *,
    url: str,
    execute_api_disabled: bool = False,
    keys_key: kms.IKey | None = None,
) -> dict[str, CfnOutput]:
    """Add the outputs of ``target``'s API under ``api`` (the root construct); return them by output name:
    the API id (``target.output_id_name``: ``RestApiId``, ``WebSocketApiId`` or ``HttpApiId``), ``Url``
    (``url``, the custom domain's when set), ``StageName`` and, with ``keys_key`` (usage tiers),
    ``KeySecretsPrefix`` and ``KeysKmsKeyArn``; the API is then tagged with the key's ARN
    (``stack_outputs.KEYS_KMS_KEY_TAG``) so ``--api-id`` alone finds it.

    With the execute-api endpoint disabled (a custom domain), CDK's default ``Endpoint`` output of a
    REST API would advertise a URL that answers nothing, so it is removed.
    """
    prefix = api_output_prefix(api)
    values: dict[str, tuple[str, str]] = {
        target.output_id_name: (target.api_id, target.output_id_description),
        stack_outputs.URL: (url, target.url_description),
        stack_outputs.STAGE_NAME: (target.stage_name, "The deployed stage"),
    }
    if keys_key is not None:
        values[stack_outputs.KEY_SECRETS_PREFIX] = (
            f"{defaults.KEY_SECRET_PREFIX}/{target.api_id}/",
            "Secrets Manager name prefix of the consumers' API key secrets",
        )
        values[stack_outputs.KEYS_KMS_KEY_ARN] = (
            keys_key.key_arn,
            "KMS key that encrypts the API key secrets",
        )
        target.cfn_api.tags.set_tag(stack_outputs.KEYS_KMS_KEY_TAG, keys_key.key_arn)
    if execute_api_disabled:
        target.api.node.try_remove_child(_DEFAULT_ENDPOINT_OUTPUT)
    return _write(api, prefix, values)


def _write(api: Construct, prefix: str, values: dict[str, tuple[str, str]]) -> dict[str, CfnOutput]:
    outputs: dict[str, CfnOutput] = {}
    for name, (value, description) in values.items():
        output = CfnOutput(api, f"{name}Output", value=value, description=description)
        output.override_logical_id(stack_outputs.output_key(prefix, name))
        outputs[name] = output
    return outputs
