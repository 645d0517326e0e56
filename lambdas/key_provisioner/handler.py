"""Custom resource (``aws_cdk.custom_resources.Provider`` with async completion) that provisions consumers' keys.

ResourceProperties: ``RestApiId``, ``StageName``, ``UsagePlans`` (tier -> usage plan id), the declared
consumers as ``Consumers`` (list of ``{"name", "tier", "enabled": "true"|"false"}``) or, for long lists,
``ConsumersGzip`` (gzip+base64 of ``[[name, tier, enabled], ...]``), ``KmsKeyId``, ``RotationLambdaArn``
(may be empty), ``RotationDays`` (``"0"`` turns rotation off) and ``GraceHours``. Create and Update
converge the API's keys and secrets on the list (consumers dropped by an Update are removed); Delete
removes them all.

The provider framework calls ``handler`` twice over: first as ``onEvent`` (checks the request, returns
the physical id, and hands the waiter a small event: the consumers dropped by an Update instead of the
old list), then as ``isComplete`` every query interval until it answers ``IsComplete``. Each
``isComplete`` call works for at most ``WORK_SECONDS`` (default 300, well under the function timeout)
and resumes from the progress saved in the SSM parameter ``PROGRESS_PARAMETER`` by the previous call.
Key values never leave Secrets Manager: the response carries counts only.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from typing import Any

import boto3

from secure_api.keys import ops, provision
from secure_api.keys.creator import environment_creator
from secure_api.keys.errors import KeyOpsError

log = logging.getLogger()
log.setLevel(logging.INFO)

PHASE = "SecureApiKeysPhase"
"""Field of onEvent's result (merged into every isComplete event by the provider framework)."""
REMOVED = "SecureApiKeysRemoved"
REMOVED_INLINE_MAX = 500
DEFAULT_WORK_SECONDS = 300.0
SAFETY_SECONDS = 60.0
CLOCK: Callable[[], float] = time.monotonic
"""The clock a slice's budget runs on (tests replace it)."""


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
    """Read ``Consumers`` (or ``ConsumersGzip``) from the resource properties."""
    items: list[Any] = list(props.get("Consumers") or [])
    packed = props.get("ConsumersGzip")
    if packed:
        items += [{"name": n, "tier": t, "enabled": e} for n, t, e in provision.decode_consumers(str(packed))]
    return [
        ops.ConsumerSpec(name=str(i["name"]), tier=str(i["tier"]), enabled=_bool(i.get("enabled", "true")))
        for i in items
    ]


def parse_tier_plans(props: dict[str, Any]) -> dict[str, list[str]]:
    """Read ``UsagePlans`` (tier -> plan id, or a list of ids) from the resource properties."""
    plans: dict[str, list[str]] = {}
    for tier, value in (props.get("UsagePlans") or {}).items():
        plans[str(tier)] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
    return plans


def _rest_api_id(props: dict[str, Any]) -> str:
    rest_api_id = str(props.get("RestApiId") or "")
    if not rest_api_id:
        raise KeyOpsError("RestApiId is required")
    return rest_api_id


def _check(props: dict[str, Any], consumers: list[ops.ConsumerSpec]) -> None:
    plans = parse_tier_plans(props)
    for spec in consumers:
        if spec.tier not in plans:
            known = ", ".join(sorted(plans)) or "none"
            raise KeyOpsError(f"unknown tier {spec.tier!r} of consumer {spec.name!r} (tiers: {known})")


def removed_names(event: dict[str, Any]) -> list[str]:
    """Consumers an Update dropped (same API only: a new API's Delete of the old resource removes them)."""
    if event.get("RequestType") != "Update":
        return []
    props: dict[str, Any] = event.get("ResourceProperties") or {}
    old: dict[str, Any] = event.get("OldResourceProperties") or {}
    if str(old.get("RestApiId") or "") != str(props.get("RestApiId") or ""):
        return []
    keep = {spec.name for spec in parse_consumers(props)}
    return sorted({spec.name for spec in parse_consumers(old)} - keep)


def on_event(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Check the request and name the resource; the work happens in :func:`is_complete`."""
    request = str(event["RequestType"])
    if request not in {"Create", "Update", "Delete"}:
        raise KeyOpsError(f"unknown RequestType {request!r}")
    props: dict[str, Any] = event.get("ResourceProperties") or {}
    rest_api_id = _rest_api_id(props)
    consumers = parse_consumers(props)
    if request != "Delete":
        _check(props, consumers)
    pid = (
        str(event.get("PhysicalResourceId") or physical_id(rest_api_id))
        if request == "Delete"
        else physical_id(rest_api_id)
    )
    # The waiter state machine's input is limited to 256 KB: pass the dropped names (packed when many),
    # not the old list.
    removed = removed_names(event)
    packed: list[str] | str = removed
    if len(removed) > REMOVED_INLINE_MAX:
        packed = provision.encode_consumers([[name, "", ""] for name in removed])
    return {"PhysicalResourceId": pid, PHASE: "isComplete", REMOVED: packed, "OldResourceProperties": {}}


def _work_seconds(context: Any) -> float:
    raw = os.environ.get("WORK_SECONDS", "").strip()
    budget = float(raw) if raw else DEFAULT_WORK_SECONDS
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if callable(remaining):
        budget = min(budget, remaining() / 1000.0 - SAFETY_SECONDS)
    return max(budget, 1.0)


def make_store(rest_api_id: str) -> provision.ProgressStore:
    """The SSM progress store of one API (``PROGRESS_PARAMETER`` names it)."""
    import boto3

    name = os.environ.get("PROGRESS_PARAMETER") or provision.progress_parameter(rest_api_id)
    return provision.SsmProgressStore(boto3.client("ssm"), name)


def is_complete(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Do the next slice of the request's work; ``IsComplete`` once every task is done."""
    request = str(event["RequestType"])
    props: dict[str, Any] = event.get("ResourceProperties") or {}
    rest_api_id = _rest_api_id(props)
    consumers = parse_consumers(props)
    raw = event.get(REMOVED) or []
    removed = (
        [item[0] for item in provision.decode_consumers(raw)]
        if isinstance(raw, str)
        else [str(n) for n in raw]
    )
    tasks = provision.plan_tasks(request, consumers, removed)
    rotation_arn = str(props.get("RotationLambdaArn") or "")
    rotation_days = _int(props, "RotationDays", 0)
    store = make_store(rest_api_id)
    progress = provision.resume(
        store, str(event.get("RequestId") or ""), tasks, request, rotation_arn, str(rotation_days)
    )
    key_ops = ops.KeyOps(
        ops.make_clients(),
        rest_api_id,
        kms_key_id=str(props.get("KmsKeyId") or "") or None,
        tier_plans=parse_tier_plans(props),
    )
    key_ops.key_creator = environment_creator(os.environ, boto3.client)
    progress = provision.run_slice(
        key_ops,
        tasks,
        progress,
        store=store,
        budget=provision.Budget(_work_seconds(context), clock=CLOCK),
        rotation_lambda_arn=rotation_arn,
        rotation_days=rotation_days,
    )
    if not progress.done:
        log.info("API %s: %d of %d tasks done, continuing", rest_api_id, progress.next, progress.total)
        return {"IsComplete": False}
    log.info("API %s: done after %d slices: %s", rest_api_id, progress.slices, progress.counts)
    if request == "Delete":
        store.delete()
    counts = {k: v for k, v in progress.counts.items() if k != "absent"}
    return {"IsComplete": True, "Data": {k[0].upper() + k[1:]: v for k, v in counts.items()}}


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Entry point for both roles: ``isComplete`` when onEvent's marker is in the event, else ``onEvent``."""
    if event.get(PHASE) == "isComplete":
        return is_complete(event, context)
    return on_event(event, context)
