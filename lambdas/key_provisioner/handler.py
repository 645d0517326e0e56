"""Custom resource (``aws_cdk.custom_resources.Provider`` ``on_event``) that provisions consumers' keys.

ResourceProperties: ``RestApiId``, ``StageName``, ``UsagePlans`` (tier -> usage plan id), ``Consumers``
(list of ``{"name", "tier", "enabled": "true"|"false"}``), ``KmsKeyId``, ``RotationLambdaArn`` (may be
empty), ``RotationDays`` (``"0"`` turns rotation off) and ``GraceHours``. Create and Update converge the
API's keys and secrets on the list (consumers dropped by an Update are removed); Delete removes them all.
Key values never leave Secrets Manager: the response carries counts only.
"""

from __future__ import annotations

import logging
from typing import Any

from secure_api.keys import ops
from secure_api.keys.errors import KeyOpsError

log = logging.getLogger()
log.setLevel(logging.INFO)


def physical_id(rest_api_id: str) -> str:
    """The stable physical id of the custom resource for one API."""
    return f"secure-api-keys-{rest_api_id}"


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() not in {"false", "0", "no", "off"}


def _int(props: dict[str, Any], name: str, default: int) -> int:
    raw = props.get(name)
    if raw in (None, ""):
        return default
    try:
        return int(str(raw))
    except ValueError:
        raise KeyOpsError(f"{name} must be an integer, got {raw!r}") from None


def parse_consumers(props: dict[str, Any]) -> list[ops.ConsumerSpec]:
    """Read ``Consumers`` from the resource properties."""
    specs: list[ops.ConsumerSpec] = []
    for item in props.get("Consumers") or []:
        specs.append(
            ops.ConsumerSpec(
                name=str(item["name"]), tier=str(item["tier"]), enabled=_bool(item.get("enabled", "true"))
            )
        )
    return specs


def parse_tier_plans(props: dict[str, Any]) -> dict[str, list[str]]:
    """Read ``UsagePlans`` (tier -> plan id, or a list of ids) from the resource properties."""
    plans: dict[str, list[str]] = {}
    for tier, value in (props.get("UsagePlans") or {}).items():
        plans[str(tier)] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return plans


def _key_ops(props: dict[str, Any]) -> ops.KeyOps:
    rest_api_id = str(props.get("RestApiId") or "")
    if not rest_api_id:
        raise KeyOpsError("RestApiId is required")
    return ops.KeyOps(
        ops.make_clients(),
        rest_api_id,
        kms_key_id=str(props.get("KmsKeyId") or "") or None,
        tier_plans=parse_tier_plans(props),
    )


def on_event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Handle Create, Update and Delete of the consumers' keys."""
    request = str(event["RequestType"])
    props: dict[str, Any] = event.get("ResourceProperties") or {}
    rest_api_id = str(props.get("RestApiId") or "")
    key_ops = _key_ops(props)
    consumers = parse_consumers(props)

    if request == "Delete":
        inventory = key_ops.inventory()
        removed = sum(key_ops.remove(spec.name, inventory) for spec in consumers)
        log.info("removed %d consumers of API %s", removed, rest_api_id)
        return {"PhysicalResourceId": event.get("PhysicalResourceId") or physical_id(rest_api_id)}

    if request not in {"Create", "Update"}:
        raise KeyOpsError(f"unknown RequestType {request!r}")
    removed_names: list[str] = []
    old = event.get("OldResourceProperties") or {}
    # When the API itself changes, the physical id changes and CloudFormation deletes the old resource
    # (with the old properties) after this update, which removes the old API's consumers.
    if request == "Update" and str(old.get("RestApiId") or "") == rest_api_id:
        keep = {spec.name for spec in consumers}
        removed_names = [spec.name for spec in parse_consumers(old) if spec.name not in keep]
    counts = key_ops.converge(
        consumers,
        removed=removed_names,
        rotation_lambda_arn=str(props.get("RotationLambdaArn") or ""),
        rotation_days=_int(props, "RotationDays", 0),
    )
    log.info("converged consumers of API %s: %s", rest_api_id, counts)
    return {
        "PhysicalResourceId": physical_id(rest_api_id),
        "Data": {k[0].upper() + k[1:]: v for k, v in counts.items()},
    }
