"""Names of the CloudFormation outputs and tags that ``SecureRestApi`` writes and the command reads back.

Importable without ``aws_cdk``: the construct writes these names, ``secure-api ... --stack NAME`` and
``secure-api verify`` read them. Every output key of one API is ``<prefix><name>``, where ``<prefix>``
is the API construct's path inside its stack with everything but letters and digits removed (the
example's ``SecureApiExample/OrdersApi`` gives ``OrdersApi``), so several APIs in one stack never share
a key and a user can read them without knowing CDK's logical-id hashes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from secure_api.keys.errors import KeyOpsError

REST_API_ID = "RestApiId"
"""Output: the REST API id (``restApiId``)."""
WEB_SOCKET_API_ID = "WebSocketApiId"
"""Output: the WebSocket API id of a ``SecureWebSocketApi`` (in place of ``RestApiId``)."""
HTTP_API_ID = "HttpApiId"
"""Output: the HTTP API id of a ``SecureHttpApi`` (in place of ``RestApiId``)."""
URL = "Url"
"""Output: the URL users call: the custom domain's when one is set, else the stage's execute-api URL."""
STAGE_NAME = "StageName"
"""Output: the deployed stage's name."""
KEY_SECRETS_PREFIX = "KeySecretsPrefix"
"""Output (with usage tiers): the Secrets Manager name prefix of the consumers' key secrets."""
KEYS_KMS_KEY_ARN = "KeysKmsKeyArn"
"""Output (with usage tiers): the ARN of the customer-managed KMS key that encrypts the key secrets."""

_ID_OUTPUTS = ((REST_API_ID, "REST"), (WEB_SOCKET_API_ID, "WEBSOCKET"), (HTTP_API_ID, "HTTP"))
"""Each API id output and the protocol of the API it names."""

KEYS_KMS_KEY_TAG = "secure-api:keys-kms-key"
"""Tag on the REST API (with usage tiers): the key secrets' KMS key ARN, so ``--api-id`` alone finds it."""


def output_prefix(path_in_stack: str) -> str:
    """The output-key prefix of the API construct at ``path_in_stack`` (``"OrdersApi"``)."""
    return re.sub(r"[^A-Za-z0-9]", "", path_in_stack)


def output_key(prefix: str, name: str) -> str:
    """The output key of output ``name`` (one of this module's constants) of the API with ``prefix``."""
    return f"{prefix}{name}"


@dataclass(frozen=True)
class StackApi:
    """One ``SecureRestApi`` as its stack's outputs describe it (``None`` for an output not written)."""

    prefix: str
    rest_api_id: str
    url: str | None = None
    stage_name: str | None = None
    key_secrets_prefix: str | None = None
    keys_kms_key_arn: str | None = None
    protocol: str = "REST"
    """``"REST"`` (a ``<prefix>RestApiId`` output), ``"WEBSOCKET"`` (``<prefix>WebSocketApiId``) or
    ``"HTTP"`` (``<prefix>HttpApiId``)."""


def apis_from_outputs(outputs: Iterable[Mapping[str, Any]]) -> list[StackApi]:
    """The APIs in ``describe_stacks``' ``Outputs`` list, one per ``<prefix>RestApiId``,
    ``<prefix>WebSocketApiId`` or ``<prefix>HttpApiId`` output, by prefix.

    Pure: no AWS call. Outputs that do not belong to an API (the user's own) are ignored.
    """
    values = {
        str(o["OutputKey"]): str(o["OutputValue"])
        for o in outputs
        if o.get("OutputKey") and o.get("OutputValue") is not None
    }
    apis = []
    for key, value in values.items():
        suffix, protocol = next(
            ((s, p) for s, p in _ID_OUTPUTS if key.endswith(s)),
            (None, None),
        )
        if suffix is None or protocol is None:
            continue
        prefix = key[: -len(suffix)]
        apis.append(
            StackApi(
                prefix=prefix,
                rest_api_id=value,
                url=values.get(output_key(prefix, URL)),
                stage_name=values.get(output_key(prefix, STAGE_NAME)),
                key_secrets_prefix=values.get(output_key(prefix, KEY_SECRETS_PREFIX)),
                keys_kms_key_arn=values.get(output_key(prefix, KEYS_KMS_KEY_ARN)),
                protocol=protocol,
            )
        )
    return sorted(apis, key=lambda api: api.prefix)


def select_api(stack_name: str, apis: Sequence[StackApi], api_id: str | None = None) -> StackApi:
    """The API of ``stack_name`` to act on: the only one, or the one whose id is ``api_id``.

    Raises :class:`KeyOpsError` (exit 2) when the stack holds no API, when it holds several and no
    ``api_id`` picks one (the message lists them), or when ``api_id`` is not one of them.
    """
    listing = ", ".join(f"{api.prefix} ({api.rest_api_id})" for api in apis)
    if not apis:
        *first, last = (repr(name) for name, _ in _ID_OUTPUTS)
        raise KeyOpsError(
            f"stack {stack_name!r} has no secure-api API: none of its outputs ends in "
            f"{', '.join(first)} or {last}"
        )
    if api_id:
        for api in apis:
            if api.rest_api_id == api_id:
                return api
        raise KeyOpsError(f"stack {stack_name!r} holds no API {api_id!r}; its APIs: {listing}")
    if len(apis) > 1:
        raise KeyOpsError(
            f"stack {stack_name!r} holds {len(apis)} APIs: {listing}; pick one with --api-id ID "
            f"along with --stack {stack_name}"
        )
    return apis[0]


def read_stack_outputs(cloudformation: Any, stack_name: str) -> list[dict[str, Any]]:
    """``describe_stacks``' ``Outputs`` of ``stack_name`` (read-only); :class:`KeyOpsError` when none exists."""
    from botocore.exceptions import ClientError

    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name).get("Stacks") or []
    except ClientError as exc:
        message = exc.response.get("Error", {}).get("Message", "")
        if exc.response.get("Error", {}).get("Code") == "ValidationError" and "does not exist" in message:
            raise KeyOpsError(f"unknown stack {stack_name!r}: no such CloudFormation stack") from None
        raise
    if not stacks:
        raise KeyOpsError(f"unknown stack {stack_name!r}: no such CloudFormation stack")
    return list(stacks[0].get("Outputs") or [])


def stack_api(cloudformation: Any, stack_name: str, api_id: str | None = None) -> StackApi:
    """Read ``stack_name``'s outputs and select its API (see :func:`select_api`)."""
    return select_api(stack_name, apis_from_outputs(read_stack_outputs(cloudformation, stack_name)), api_id)


def cloudformation_client(*, region: str | None = None, profile: str | None = None) -> Any:
    """A CloudFormation client honouring ``AWS_PROFILE``, ``AWS_REGION`` and ``AWS_ENDPOINT_URL``."""

    from secure_api.keys.session import aws_session, client_config

    return aws_session(region=region, profile=profile).client(
        "cloudformation", config=client_config("secure-api-stack")
    )


def resolve_stack_api(
    stack_name: str, api_id: str | None = None, *, region: str | None = None, profile: str | None = None
) -> StackApi:
    """``--stack NAME`` (with ``--api-id`` to pick among several APIs): the API its outputs name."""
    return stack_api(cloudformation_client(region=region, profile=profile), stack_name, api_id)
