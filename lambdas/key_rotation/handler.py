"""Rotation Lambda of consumers' API key secrets, and the scheduled expiry of previous keys.

Invoked by Secrets Manager with ``{"SecretId", "ClientRequestToken", "Step"}`` (``createSecret``,
``setSecret``, ``testSecret``, ``finishSecret``), each step safe to retry; or by an EventBridge schedule
with ``{"action": "expire", "restApiId": ...}`` (``restApiId`` defaults to ``REST_API_ID``).

Environment: ``GRACE_HOURS`` (default 24) keeps a rotated-out key valid that long; ``REST_API_ID`` is the
API the schedule expires keys of; ``KEY_CREATOR_FUNCTION`` names the function that creates and attaches
the new keys (this function's role may not tag keys; unset, it creates them itself).
"""

from __future__ import annotations

import logging
import os
from typing import Any

import boto3

from secure_api.keys import ops
from secure_api.keys.creator import environment_creator
from secure_api.keys.errors import KeyOpsError

log = logging.getLogger()
log.setLevel(logging.INFO)

ROTATION_STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")


def grace_hours() -> float:
    """The grace period of a rotated-out key, from ``GRACE_HOURS`` (default 24)."""
    raw = os.environ.get("GRACE_HOURS", "").strip()
    value = float(raw) if raw else float(ops.DEFAULT_GRACE_HOURS)
    if value < 0:
        raise KeyOpsError(f"GRACE_HOURS must be >= 0, got {raw!r}")
    return value


def _is_expire_event(event: dict[str, Any]) -> bool:
    return event.get("action") == "expire" or event.get("detail-type") == "Scheduled Event"


def handler(event: dict[str, Any], context: Any) -> dict[str, Any] | None:
    """Run one rotation step, or expire the previous keys past their grace period."""
    clients = ops.make_clients()
    if "Step" in event:
        step = str(event["Step"])
        if step not in ROTATION_STEPS:
            raise KeyOpsError(f"unknown rotation step {step!r}")
        log.info("rotation step %s of %s (version %s)", step, event["SecretId"], event["ClientRequestToken"])
        ops.rotation_step(
            clients,
            secret_id=str(event["SecretId"]),
            token=str(event["ClientRequestToken"]),
            step=step,
            grace_hours=grace_hours(),
            key_creator=environment_creator(os.environ, boto3.client),
        )
        return None
    if _is_expire_event(event):
        rest_api_id = str(event.get("restApiId") or os.environ.get("REST_API_ID") or "")
        if not rest_api_id:
            raise KeyOpsError("expire needs restApiId in the event or REST_API_ID in the environment")
        expired = ops.KeyOps(clients, rest_api_id).expire()
        for item in expired:
            log.info("expired key %s of consumer %s", item["apiKeyId"], item["consumer"])
        return {"restApiId": rest_api_id, "expired": len(expired)}
    raise KeyOpsError("unsupported event: expected a rotation step or {'action': 'expire'}")
