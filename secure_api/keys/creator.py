"""Creating a consumer's key and attaching a key to a usage plan: the only key calls that tag.

API Gateway authorizes a key created with tags as ``POST /apikeys`` plus ``PUT`` on the new key's tags,
and ``PUT`` on a key's tags is also what tags an existing key (``TagResource``): IAM cannot tell the two
apart. So in the deployed functions these two calls run in their own function (``lambdas/key_creator``)
whose role may create, tag and attach, but neither read a key's value nor change or delete a key; the
rotation and provisioner functions, which may change and delete this API's keys, may not tag. Attaching
is here too: a role that could attach any key to this API's plans could read that key's value through
the plans (``GetUsagePlanKeys``).

Importable without ``aws_cdk``. ``apigw`` is a boto3 ``apigateway`` client (or anything with its calls).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from secure_api.keys.errors import KeyOpsError
from secure_api.keys.generate import DEFAULT_KEY_LENGTH, generate_key_value
from secure_api.keys.model import TAG_API, key_tags, validate_consumer

Call = Callable[..., Any]
"""``call(method, **kwargs)``: one API Gateway call (with the caller's retries)."""


class KeyCreator(Protocol):
    """Creates this API's keys and attaches them to usage plans."""

    def create(
        self, consumer: str, *, enabled: bool, key_length: int, usage_plan_ids: Sequence[str]
    ) -> tuple[dict[str, Any], str]:
        """Create ``consumer``'s key, tagged for this API, and attach it to ``usage_plan_ids`` in the same
        call (a key is never left outside the plans, where the functions could not find it again);
        return ``(CreateApiKey response without the value, value)``."""
        ...

    def attach(self, usage_plan_id: str, key_id: str) -> None:
        """Attach this API's key ``key_id`` to ``usage_plan_id`` (already attached is fine)."""
        ...


def create_key(
    call: Call,
    rest_api_id: str,
    consumer: str,
    *,
    enabled: bool,
    key_length: int = DEFAULT_KEY_LENGTH,
    usage_plan_ids: Sequence[str] = (),
) -> tuple[dict[str, Any], str]:
    """Create ``consumer``'s key with a new random value and this API's tags (at creation, never after),
    then attach it to ``usage_plan_ids``."""
    validate_consumer(consumer)
    value = generate_key_value(key_length)
    response = dict(
        call(
            "create_api_key",
            name=consumer,
            description=f"secure-api key of consumer {consumer}",
            enabled=enabled,
            value=value,
            tags=key_tags(rest_api_id, consumer),
        )
    )
    response.pop("value", None)
    response.pop("ResponseMetadata", None)
    for plan_id in usage_plan_ids:
        _attach(call, str(plan_id), str(response["id"]))
    return response, value


def attach_key(call: Call, rest_api_id: str, usage_plan_id: str, key_id: str) -> None:
    """Attach ``key_id`` to ``usage_plan_id`` once its tags say it is this API's key."""
    key = call("get_api_key", apiKey=key_id, includeValue=False)
    owner = (key.get("tags") or {}).get(TAG_API)
    if owner != rest_api_id:
        raise KeyOpsError(
            f"API key {key_id} is tagged {TAG_API}={owner!r}, not {rest_api_id!r}; not attaching it"
        )
    _attach(call, usage_plan_id, key_id)


def _attach(call: Call, usage_plan_id: str, key_id: str) -> None:
    try:
        call("create_usage_plan_key", usagePlanId=usage_plan_id, keyId=key_id, keyType="API_KEY")
    except Exception as exc:
        if _code(exc) != "ConflictException":
            raise


def _code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str((response.get("Error") or {}).get("Code") or "")


class LambdaKeyCreator:
    """A :class:`KeyCreator` that invokes the key creator function (``lambdas/key_creator``)."""

    def __init__(self, lambda_client: Any, function_name: str) -> None:
        self._client = lambda_client
        self._function = function_name

    def _invoke(self, payload: dict[str, Any]) -> dict[str, Any]:
        response = self._client.invoke(FunctionName=self._function, Payload=json.dumps(payload).encode())
        body = response["Payload"].read()
        result = json.loads(body or b"null")
        if response.get("FunctionError"):
            # The function's error names the key and plan only; it never carries a value.
            message = result.get("errorMessage") if isinstance(result, dict) else None
            raise KeyOpsError(f"key creator failed: {message or response['FunctionError']}")
        return result if isinstance(result, dict) else {}

    def create(
        self, consumer: str, *, enabled: bool, key_length: int, usage_plan_ids: Sequence[str]
    ) -> tuple[dict[str, Any], str]:
        """Create ``consumer``'s key and attach it through the key creator function."""
        result = self._invoke(
            {
                "action": "create",
                "consumer": consumer,
                "enabled": enabled,
                "keyLength": key_length,
                "usagePlanIds": list(usage_plan_ids),
            }
        )
        return dict(result["key"]), str(result["value"])

    def attach(self, usage_plan_id: str, key_id: str) -> None:
        """Attach ``key_id`` to ``usage_plan_id`` through the key creator function."""
        self._invoke({"action": "attach", "usagePlanId": usage_plan_id, "keyId": key_id})


def handle(event: dict[str, Any], call: Call, rest_api_id: str) -> dict[str, Any]:
    """The key creator function's work for one event (``create`` or ``attach``)."""
    action = event.get("action")
    if action == "create":
        key_length = int(event.get("keyLength") or DEFAULT_KEY_LENGTH)
        key, value = create_key(
            call,
            rest_api_id,
            str(event["consumer"]),
            enabled=bool(event.get("enabled", True)),
            key_length=key_length,
            usage_plan_ids=[str(p) for p in event.get("usagePlanIds") or []],
        )
        return {"key": _jsonable(key), "value": value}
    if action == "attach":
        attach_key(call, rest_api_id, str(event["usagePlanId"]), str(event["keyId"]))
        return {}
    raise KeyOpsError(f"unsupported key creator action {action!r}: expected 'create' or 'attach'")


def _jsonable(item: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in item.items()}


def environment_creator(
    environ: dict[str, str] | Any, make_client: Callable[[str], Any]
) -> KeyCreator | None:
    """The key creator function named by ``KEY_CREATOR_FUNCTION``, or None (create directly)."""
    name = str(environ.get("KEY_CREATOR_FUNCTION") or "")
    return LambdaKeyCreator(make_client("lambda"), name) if name else None
