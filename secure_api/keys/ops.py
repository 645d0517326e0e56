"""The API key operations shared by the ``secure-api`` command and the key Lambdas.

State lives in two places: the API Gateway API keys (tagged ``secure-api:consumer`` and ``secure-api:api``)
and one secret per consumer (``secure-api/<restApiId>/<consumer>``) whose JSON record says which key is
current and which one is the previous key still inside its grace period. The secret is the only way a
key value is handed out, so a key no record tracks was never handed out and can be deleted safely.
Every operation is written in an order that keeps that true after a crash at any point:

- create: delete untracked keys -> create key -> attach it to the tier's plans -> write the secret;
- rotate: create the new key -> attach it -> stage the record as ``AWSPENDING`` -> move ``AWSCURRENT``
  to it -> retire keys the new record no longer tracks;
- revoke: disable every key -> detach every key -> mark the record revoked;
- expire: disable -> detach -> delete the previous key -> clear it from the record.

Re-running an interrupted operation therefore converges, and the current key of a consumer is never
touched before its successor is live.

The operations live in one module per step of the lifecycle, each a part of :class:`KeyOps`:

- ``store.py``: boto3 clients, record states and the consumers' secrets (``KeyStore``);
- ``plans.py``: usage plans and API keys shared by every operation (``KeyPlans``);
- ``create.py``: create, import and the provisioner's converge/remove (``CreateOps``);
- ``rotate.py``: the rotation protocol, ``keys rotate`` and ``keys expire`` (``RotateOps``);
- ``revoke.py``: ``keys revoke`` and ``keys reinstate`` (``RevokeOps``);
- ``listing.py``: ``keys list`` and ``keys usage`` (``ListingOps``).
"""

from __future__ import annotations

from secure_api.keys.create import ConsumerSpec, CreateOps, ImportResult, new_counts
from secure_api.keys.creator import KeyCreator
from secure_api.keys.errors import RotationError
from secure_api.keys.listing import ListingOps
from secure_api.keys.model import parse_secret_name
from secure_api.keys.plans import KeyPlans
from secure_api.keys.retry import AwsCaller
from secure_api.keys.revoke import RevokeOps
from secure_api.keys.rotate import RotateOps
from secure_api.keys.store import (
    ACCESS_DENIED,
    CREATED,
    CURRENT,
    DEFAULT_GRACE_HOURS,
    PENDING,
    RECOVERY_WINDOW_DAYS,
    REVOKED,
    UNCHANGED,
    UPDATED,
    Clients,
    Inventory,
    KeyStore,
    SecretInfo,
    make_clients,
    utcnow,
)

__all__ = [
    "ACCESS_DENIED",
    "CREATED",
    "CURRENT",
    "DEFAULT_GRACE_HOURS",
    "PENDING",
    "RECOVERY_WINDOW_DAYS",
    "REVOKED",
    "UNCHANGED",
    "UPDATED",
    "AwsCaller",
    "Clients",
    "ConsumerSpec",
    "ImportResult",
    "Inventory",
    "KeyOps",
    "KeyPlans",
    "KeyStore",
    "SecretInfo",
    "make_clients",
    "new_counts",
    "rotation_step",
    "utcnow",
]


class KeyOps(CreateOps, RotateOps, RevokeOps, ListingOps):
    """The key operations of one REST API.

    ``tier_plans`` (tier -> usage plan ids) skips discovering plans by their ``secure-api:tier`` tag, as
    the provisioner knows them; ``caller`` carries the rate limits and retries; ``now`` is injectable.
    """


def rotation_step(
    clients: Clients,
    *,
    secret_id: str,
    token: str,
    step: str,
    grace_hours: float = DEFAULT_GRACE_HOURS,
    caller: AwsCaller | None = None,
    key_creator: KeyCreator | None = None,
) -> None:
    """Run one step of the Secrets Manager rotation protocol for the secret ``secret_id`` (name or ARN).

    ``key_creator`` creates and attaches the new key (the deployed function's role may not tag keys)."""
    caller = caller or AwsCaller()
    described = caller.call(clients.secretsmanager, "describe_secret", SecretId=secret_id)
    rest_api_id, consumer = parse_secret_name(str(described["Name"]))
    ops = KeyOps(clients, rest_api_id, caller=caller)
    ops.key_creator = key_creator
    if step == "createSecret":
        ops.rotation_create(consumer, token, grace_hours)
    elif step == "setSecret":
        ops.rotation_set(consumer, token)
    elif step == "testSecret":
        ops.rotation_test(consumer, token)
    elif step == "finishSecret":
        ops.rotation_finish(consumer, token)
    else:
        raise RotationError(f"unknown rotation step {step!r}")
