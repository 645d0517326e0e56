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
"""

from __future__ import annotations

import importlib
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol, cast

from botocore.exceptions import ClientError

from secure_api.keys.errors import (
    ConsumerStateError,
    KeyOpsError,
    RotationError,
    UnknownApiError,
    UnknownConsumerError,
    UnknownTierError,
)
from secure_api.keys.generate import DEFAULT_KEY_LENGTH, generate_key_value
from secure_api.keys.model import (
    STATUS_ACTIVE,
    STATUS_DISABLED,
    STATUS_REVOKED,
    TAG_TIER,
    ApiKeyInfo,
    KeyRecord,
    key_tags,
    parse_secret_name,
    secret_name,
    secret_prefix,
    secret_tags,
    validate_consumer,
    validate_tier,
)
from secure_api.keys.retry import AwsCaller, error_code
from secure_api.keys.stack_outputs import KEYS_KMS_KEY_TAG

log = logging.getLogger(__name__)

DEFAULT_GRACE_HOURS = 24
RECOVERY_WINDOW_DAYS = 7
CURRENT = "AWSCURRENT"
PENDING = "AWSPENDING"

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
REVOKED = "revoked"

ACCESS_DENIED = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedException"})


@dataclass(frozen=True)
class Clients:
    """The boto3 clients the key operations use."""

    apigateway: Any
    secretsmanager: Any


def make_clients(*, region: str | None = None, profile: str | None = None) -> Clients:
    """Create boto3 clients honouring ``AWS_PROFILE``, ``AWS_REGION`` and ``AWS_ENDPOINT_URL``."""
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        profile_name=profile or None,
        region_name=region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None,
    )
    config = Config(retries={"mode": "standard", "max_attempts": 3}, user_agent_extra="secure-api-keys")
    return Clients(
        apigateway=session.client("apigateway", config=config),
        secretsmanager=session.client("secretsmanager", config=config),
    )


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass
class SecretInfo:
    """What ``ListSecrets`` says about a consumer's secret (no value)."""

    consumer: str
    name: str
    tier: str | None
    deleted: bool
    rotation_enabled: bool
    rotation_lambda_arn: str | None
    rotation_days: int | None


@dataclass
class Inventory:
    """A snapshot of an API's keys and secrets, so bulk operations do not look each consumer up."""

    keys: dict[str, list[ApiKeyInfo]] = field(default_factory=dict)
    secrets: dict[str, SecretInfo] = field(default_factory=dict)


@dataclass(frozen=True)
class ConsumerSpec:
    """A consumer as the provisioner (or an import file) declares it."""

    name: str
    tier: str
    enabled: bool = True


@dataclass
class ImportResult:
    """The outcome of one line of an import file."""

    line: int
    consumer: str
    tier: str
    result: str
    error: str | None = None


class _ReinstateFn(Protocol):
    def __call__(self, apigw: Any, *, rest_api_id: str, api_key_id: str) -> Any: ...


_FINAL_VERSION_NS = uuid.UUID("6f1b3c1e-5d0a-4c55-9a43-0b8d2f1f7e21")


def _final_version(token: str) -> str:
    return str(uuid.uuid5(_FINAL_VERSION_NS, token))


def _ignore(exc: ClientError, *codes: str) -> None:
    if error_code(exc) not in codes:
        raise exc


class KeyOps:
    """The key operations of one REST API.

    ``tier_plans`` (tier -> usage plan ids) skips discovering plans by their ``secure-api:tier`` tag, as
    the provisioner knows them; ``caller`` carries the rate limits and retries; ``now`` is injectable.
    """

    def __init__(
        self,
        clients: Clients,
        rest_api_id: str,
        *,
        kms_key_id: str | None = None,
        caller: AwsCaller | None = None,
        now: Callable[[], datetime] = utcnow,
        tier_plans: Mapping[str, Sequence[str]] | None = None,
        key_length: int = DEFAULT_KEY_LENGTH,
    ) -> None:
        if not rest_api_id:
            raise KeyOpsError("no REST API id given (--api-id)")
        self.clients = clients
        self.rest_api_id = rest_api_id
        self.kms_key_id = kms_key_id or None
        self.caller = caller or AwsCaller()
        self.now = now
        self.key_length = key_length
        self._tier_plans: dict[str, list[str]] | None = (
            {tier: list(ids) for tier, ids in tier_plans.items()} if tier_plans is not None else None
        )

    # ----------------------------------------------------------------------------------------------
    # AWS plumbing
    # ----------------------------------------------------------------------------------------------

    def _ag(self, method: str, **kwargs: Any) -> Any:
        return self.caller.call(self.clients.apigateway, method, **kwargs)

    def _sm(self, method: str, **kwargs: Any) -> Any:
        return self.caller.call(self.clients.secretsmanager, method, **kwargs)

    def _ag_items(self, method: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        position: str | None = None
        while True:
            args = dict(kwargs, limit=500)
            if position:
                args["position"] = position
            response = self._ag(method, **args)
            yield from response.get("items") or []
            position = response.get("position")
            if not position:
                return

    def _secret(self, consumer: str) -> str:
        return secret_name(self.rest_api_id, consumer)

    def check_api(self) -> None:
        """Raise :class:`UnknownApiError` unless the REST API exists.

        Without an explicit ``kms_key_id``, new secrets then use the KMS key the API's
        ``secure-api:keys-kms-key`` tag names (the key ``SecureRestApi`` created for its key secrets).
        """
        try:
            api = self._ag("get_rest_api", restApiId=self.rest_api_id)
        except ClientError as exc:
            if error_code(exc) in {"NotFoundException", "BadRequestException"}:
                raise UnknownApiError(f"unknown API {self.rest_api_id!r}: no such REST API") from None
            raise
        if self.kms_key_id is None:
            self.kms_key_id = (api.get("tags") or {}).get(KEYS_KMS_KEY_TAG) or None

    # ----------------------------------------------------------------------------------------------
    # usage plans and keys
    # ----------------------------------------------------------------------------------------------

    def tier_plans(self) -> dict[str, list[str]]:
        """Return tier -> usage plan ids of this API (plans tagged ``secure-api:tier`` serving it)."""
        if self._tier_plans is None:
            plans: dict[str, list[str]] = {}
            for plan in self._ag_items("get_usage_plans"):
                tier = (plan.get("tags") or {}).get(TAG_TIER)
                stages = plan.get("apiStages") or []
                if tier and any(stage.get("apiId") == self.rest_api_id for stage in stages):
                    plans.setdefault(tier, []).append(str(plan["id"]))
            self._tier_plans = plans
        return self._tier_plans

    def plans_for_tier(self, tier: str) -> list[str]:
        """Return the usage plan ids of ``tier``, or raise :class:`UnknownTierError`."""
        plans = self.tier_plans().get(tier)
        if not plans:
            known = ", ".join(sorted(self.tier_plans())) or "none"
            raise UnknownTierError(
                f"unknown tier {tier!r} for API {self.rest_api_id} (tiers: {known}); a tier is a usage plan "
                f"tagged {TAG_TIER}=<tier> with this API's stage"
            )
        return plans

    def list_keys(self, consumer: str | None = None) -> list[ApiKeyInfo]:
        """Return this API's keys (of one consumer when given), found by their tags; never values."""
        query = {"nameQuery": consumer} if consumer else {}
        keys = [
            ApiKeyInfo.from_response(item)
            for item in self._ag_items("get_api_keys", includeValues=False, **query)
        ]
        return [
            key
            for key in keys
            if key.rest_api_id == self.rest_api_id and (consumer is None or key.consumer == consumer)
        ]

    def keys_of(self, consumer: str, inventory: Inventory | None = None) -> list[ApiKeyInfo]:
        """Return the keys tagged for ``consumer`` (from ``inventory`` when given)."""
        if inventory is not None:
            return list(inventory.keys.get(consumer, []))
        return self.list_keys(consumer)

    def plans_of_key(self, key_id: str) -> set[str]:
        """Return the ids of every usage plan the key is attached to."""
        try:
            return {str(plan["id"]) for plan in self._ag_items("get_usage_plans", keyId=key_id)}
        except ClientError as exc:
            _ignore(exc, "NotFoundException")
            return set()

    def _attach(self, plan_id: str, key_id: str) -> None:
        try:
            self._ag("create_usage_plan_key", usagePlanId=plan_id, keyId=key_id, keyType="API_KEY")
        except ClientError as exc:
            _ignore(exc, "ConflictException")

    def _detach_all(self, key_id: str, only: Iterable[str] | None = None) -> None:
        allowed = set(only) if only is not None else None
        for plan_id in sorted(self.plans_of_key(key_id)):
            if allowed is None or plan_id in allowed:
                try:
                    self._ag("delete_usage_plan_key", usagePlanId=plan_id, keyId=key_id)
                except ClientError as exc:
                    if error_code(exc) in ACCESS_DENIED and not self._is_own_plan(plan_id):
                        # The key functions may only edit this API's plans; deleting the key below
                        # takes it out of a plan someone else attached it to.
                        log.warning("key %s stays in usage plan %s of another API", key_id, plan_id)
                        continue
                    _ignore(exc, "NotFoundException")

    def _is_own_plan(self, plan_id: str) -> bool:
        return any(plan_id in ids for ids in self.tier_plans().values())

    def _key_exists(self, key_id: str) -> bool:
        """Whether the key exists: the key functions may read any key (a read names no tags)."""
        try:
            self._ag("get_api_key", apiKey=key_id, includeValue=False)
            return True
        except ClientError as exc:
            _ignore(exc, "NotFoundException")
            return False

    def _on_key(self, method: str, key_id: str, **kwargs: Any) -> bool:
        """Update or delete one key; False when the key does not exist (any more).

        The key functions may change only keys tagged with this API (``aws:ResourceTag``), and IAM
        evaluates that condition before API Gateway looks the key up: a key that no longer exists
        answers AccessDenied, not NotFound. A re-run after a crash meets such keys, so AccessDenied on a
        key that is gone counts as NotFound; on a key that exists it is raised.
        """
        try:
            self._ag(method, apiKey=key_id, **kwargs)
            return True
        except ClientError as exc:
            if error_code(exc) in ACCESS_DENIED and not self._key_exists(key_id):
                return False
            _ignore(exc, "NotFoundException")
            return False

    def _set_enabled(self, key_id: str, enabled: bool) -> bool:
        return self._on_key(
            "update_api_key",
            key_id,
            patchOperations=[{"op": "replace", "path": "/enabled", "value": str(enabled).lower()}],
        )

    def _delete_key(self, key_id: str, *, disable_first: bool = False) -> None:
        """Take a key out of service: (disable ->) detach from every plan -> delete. Idempotent."""
        if disable_first and not self._set_enabled(key_id, False):
            return
        self._detach_all(key_id)
        self._on_key("delete_api_key", key_id)
        log.info("deleted API key %s", key_id)

    def _create_key(self, consumer: str, *, enabled: bool) -> tuple[ApiKeyInfo, str]:
        value = generate_key_value(self.key_length)
        response = self._ag(
            "create_api_key",
            name=consumer,
            description=f"secure-api key of consumer {consumer}",
            enabled=enabled,
            value=value,
            tags=key_tags(self.rest_api_id, consumer),
        )
        info = ApiKeyInfo.from_response(response)
        log.info("created API key %s for consumer %s", info.id, consumer)
        return info, value

    # ----------------------------------------------------------------------------------------------
    # secrets
    # ----------------------------------------------------------------------------------------------

    def read(self, consumer: str) -> tuple[KeyRecord | None, str]:
        """Return ``(record, state)``; state is ``"present"``, ``"absent"`` or ``"deleted"``."""
        name = self._secret(consumer)
        try:
            response = self._sm("get_secret_value", SecretId=name, VersionStage=CURRENT)
        except ClientError as exc:
            code = error_code(exc)
            if code == "ResourceNotFoundException":
                return None, "absent"
            if code == "InvalidRequestException" and self._is_deleted(name):
                return None, "deleted"
            raise
        return KeyRecord.from_json(str(response.get("SecretString") or "")), "present"

    def record(self, consumer: str) -> KeyRecord:
        """Return the consumer's current record or raise :class:`UnknownConsumerError`."""
        validate_consumer(consumer)
        rec, _ = self.read(consumer)
        if rec is None:
            raise UnknownConsumerError(f"unknown consumer {consumer!r} for API {self.rest_api_id}")
        return rec

    def _is_deleted(self, name: str) -> bool:
        try:
            return self._sm("describe_secret", SecretId=name).get("DeletedDate") is not None
        except ClientError as exc:
            _ignore(exc, "ResourceNotFoundException")
            return False

    def _read_version(self, consumer: str, version_id: str) -> KeyRecord | None:
        try:
            response = self._sm("get_secret_value", SecretId=self._secret(consumer), VersionId=version_id)
        except ClientError as exc:
            _ignore(exc, "ResourceNotFoundException")
            return None
        text = response.get("SecretString")
        return KeyRecord.from_json(str(text)) if text else None

    def _stages(self, consumer: str) -> dict[str, list[str]]:
        response = self._sm("describe_secret", SecretId=self._secret(consumer))
        return {str(k): list(v) for k, v in (response.get("VersionIdsToStages") or {}).items()}

    def _write(self, rec: KeyRecord, state: str) -> None:
        name = self._secret(rec.consumer)
        if state == "absent":
            args: dict[str, Any] = {
                "Name": name,
                "Description": f"secure-api API key of consumer {rec.consumer} on API {rec.rest_api_id}",
                "SecretString": rec.to_json(),
                "Tags": secret_tags(rec.rest_api_id, rec.consumer, rec.tier or ""),
            }
            if self.kms_key_id:
                args["KmsKeyId"] = self.kms_key_id
            try:
                self._sm("create_secret", **args)
                return
            except ClientError as exc:
                if error_code(exc) not in {"ResourceExistsException", "InvalidRequestException"}:
                    raise
                state = "deleted" if self._is_deleted(name) else "present"
        if state == "deleted":
            self._sm("restore_secret", SecretId=name)
            self._sm(
                "tag_resource", SecretId=name, Tags=secret_tags(rec.rest_api_id, rec.consumer, rec.tier or "")
            )
        self._sm("put_secret_value", SecretId=name, SecretString=rec.to_json())

    def list_secrets(self, *, include_deleted: bool = False) -> list[SecretInfo]:
        """Return this API's key secrets (names, tags and rotation settings; no values)."""
        infos: list[SecretInfo] = []
        token: str | None = None
        while True:
            args: dict[str, Any] = {
                "Filters": [{"Key": "name", "Values": [secret_prefix(self.rest_api_id)]}],
                "MaxResults": 100,
                "IncludePlannedDeletion": include_deleted,
            }
            if token:
                args["NextToken"] = token
            response = self._sm("list_secrets", **args)
            for item in response.get("SecretList") or []:
                try:
                    api, consumer = parse_secret_name(str(item.get("Name", "")))
                except KeyOpsError:
                    continue
                if api != self.rest_api_id:
                    continue
                tags = {t.get("Key"): t.get("Value") for t in item.get("Tags") or []}
                rules = item.get("RotationRules") or {}
                days = rules.get("AutomaticallyAfterDays")
                infos.append(
                    SecretInfo(
                        consumer=consumer,
                        name=str(item["Name"]),
                        tier=tags.get(TAG_TIER),
                        deleted=item.get("DeletedDate") is not None,
                        rotation_enabled=bool(item.get("RotationEnabled")),
                        rotation_lambda_arn=item.get("RotationLambdaARN"),
                        rotation_days=int(days) if days is not None else None,
                    )
                )
            token = response.get("NextToken")
            if not token:
                return sorted(infos, key=lambda info: info.consumer)

    def inventory(self) -> Inventory:
        """Snapshot this API's keys and secrets in a few paginated calls."""
        inv = Inventory()
        for key in self.list_keys():
            if key.consumer:
                inv.keys.setdefault(key.consumer, []).append(key)
        for info in self.list_secrets(include_deleted=True):
            inv.secrets[info.consumer] = info
        return inv

    # ----------------------------------------------------------------------------------------------
    # create / converge one consumer
    # ----------------------------------------------------------------------------------------------

    def ensure(
        self,
        consumer: str,
        tier: str,
        *,
        enabled: bool = True,
        reissue_revoked: bool = True,
        strict_tier: bool = False,
        inventory: Inventory | None = None,
    ) -> tuple[str, KeyRecord | None]:
        """Make ``consumer`` hold one current key in ``tier``'s plans with its secret written.

        Returns ``(outcome, record)`` with outcome ``created``, ``updated``, ``unchanged`` or ``revoked``
        (a revoked consumer is left alone unless ``reissue_revoked``). ``strict_tier`` refuses to move
        an existing consumer to another tier.
        """
        validate_consumer(consumer)
        validate_tier(tier)
        plans = self.plans_for_tier(tier)
        info = inventory.secrets.get(consumer) if inventory is not None else None
        if inventory is not None and info is None:
            rec, state = None, "absent"
        elif info is not None and info.deleted:
            rec, state = None, "deleted"
        else:
            rec, state = self.read(consumer)
        keys = {key.id: key for key in self.keys_of(consumer, inventory)}
        live = rec is not None and not rec.revoked
        if rec is not None and rec.revoked and not reissue_revoked:
            return REVOKED, rec
        if rec is not None and live and rec.api_key_id in keys:
            return self._reconcile(
                rec, tier=tier, plans=plans, enabled=enabled, strict_tier=strict_tier, keys=keys
            )

        # A new key is needed. Keys no live record tracks were never handed out (or are revoked).
        keep = {rec.previous_api_key_id} if rec is not None and live and rec.previous_api_key_id else set()
        for key_id in keys:
            if key_id not in keep:
                self._delete_key(key_id)
        info_new, value = self._create_key(consumer, enabled=enabled)
        for plan_id in plans:
            self._attach(plan_id, info_new.id)
        new = KeyRecord(
            consumer=consumer,
            rest_api_id=self.rest_api_id,
            api_key_id=info_new.id,
            api_key=value,
            usage_plan_ids=tuple(plans),
            previous_api_key_id=rec.previous_api_key_id if rec is not None and keep else None,
            previous_key_expires_at=rec.previous_key_expires_at if rec is not None and keep else None,
            tier=tier,
            status=STATUS_ACTIVE if enabled else STATUS_DISABLED,
        )
        self._write(new, state)
        if inventory is not None:
            inventory.keys[consumer] = [k for k in keys.values() if k.id in keep] + [info_new]
            inventory.secrets[consumer] = SecretInfo(
                consumer, self._secret(consumer), tier, False, False, None, None
            )
        return CREATED, new

    def _reconcile(
        self,
        rec: KeyRecord,
        *,
        tier: str,
        plans: list[str],
        enabled: bool,
        strict_tier: bool,
        keys: Mapping[str, ApiKeyInfo],
    ) -> tuple[str, KeyRecord]:
        if strict_tier and rec.tier is not None and rec.tier != tier:
            raise ConsumerStateError(
                f"consumer {rec.consumer!r} already exists in tier {rec.tier!r} (asked for {tier!r})"
            )
        changes: dict[str, Any] = {}
        live_ids = [rec.api_key_id]
        if rec.previous_api_key_id in keys:
            live_ids.append(str(rec.previous_api_key_id))
        if rec.tier != tier or set(rec.usage_plan_ids) != set(plans):
            managed = {p for ids in self.tier_plans().values() for p in ids} | set(rec.usage_plan_ids)
            for key_id in live_ids:
                member = self.plans_of_key(key_id)
                for plan_id in plans:
                    if plan_id not in member:
                        self._attach(plan_id, key_id)
                stale = (member & managed) - set(plans)
                if stale:
                    self._detach_all(key_id, only=stale)
            # The tag first: the record is written last, so a re-run redoes the whole move.
            self._sm(
                "tag_resource",
                SecretId=self._secret(rec.consumer),
                Tags=[{"Key": TAG_TIER, "Value": tier}],
            )
            changes.update(tier=tier, usage_plan_ids=tuple(plans))
        desired = STATUS_ACTIVE if enabled else STATUS_DISABLED
        if rec.status != desired:
            # Only a change of the declared state touches the key, so that a key quarantined by
            # monitoring is not re-enabled by the next deployment.
            self._set_enabled(rec.api_key_id, enabled)
            if not enabled and len(live_ids) > 1:
                self._set_enabled(live_ids[1], False)
            changes["status"] = desired
        if not changes:
            return UNCHANGED, rec
        new = rec.with_changes(**changes)
        self._write(new, "present")
        return UPDATED, new

    def create(self, consumer: str, tier: str) -> tuple[str, KeyRecord]:
        """``keys create``: issue a key for a new (or revoked) consumer; ``unchanged`` if it has one."""
        outcome, rec = self.ensure(consumer, tier, strict_tier=True, reissue_revoked=True)
        assert rec is not None
        return outcome, rec

    # ----------------------------------------------------------------------------------------------
    # list / usage / reinstate
    # ----------------------------------------------------------------------------------------------

    def list_consumers(self) -> list[dict[str, Any]]:
        """``keys list``: one row per consumer (no key values)."""
        keys = {key.id: key for key in self.list_keys()}
        rows: list[dict[str, Any]] = []
        for info in self.list_secrets():
            rec, _ = self.read(info.consumer)
            if rec is None:
                continue
            current = keys.get(rec.api_key_id)
            rows.append(
                {
                    "consumer": rec.consumer,
                    "tier": rec.tier,
                    "apiKeyId": rec.api_key_id,
                    "enabled": bool(current and current.enabled),
                    "created": current.created if current else None,
                    "status": rec.status if current or rec.revoked else "missing-key",
                    "usagePlanIds": list(rec.usage_plan_ids),
                    "previousApiKeyId": rec.previous_api_key_id,
                    "previousKeyExpiresAt": rec.previous_key_expires_at,
                    "secretName": info.name,
                    "_record": rec,
                }
            )
        return rows

    def usage(self, consumer: str, days: int) -> dict[str, Any]:
        """``keys usage``: requests per day (UTC) of the consumer's keys over the last ``days`` days."""
        if days < 1 or days > 90:
            raise KeyOpsError(f"--days must be between 1 and 90, got {days}")
        rec = self.record(consumer)
        end = self.now().astimezone(UTC).date()
        start = end - timedelta(days=days - 1)
        per_day: dict[date, int] = {start + timedelta(days=i): 0 for i in range(days)}
        plans: Sequence[str] = rec.usage_plan_ids
        if not plans and rec.tier:
            plans = self.tier_plans().get(rec.tier, [])
        key_ids = [rec.api_key_id] + ([rec.previous_api_key_id] if rec.previous_api_key_id else [])
        for plan_id in plans:
            for key_id in key_ids:
                position: str | None = None
                while True:
                    args: dict[str, Any] = {
                        "usagePlanId": plan_id,
                        "keyId": key_id,
                        "startDate": start.isoformat(),
                        "endDate": end.isoformat(),
                    }
                    if position:
                        args["position"] = position
                    try:
                        response = self._ag("get_usage", **args)
                    except ClientError as exc:
                        _ignore(exc, "NotFoundException")
                        break
                    for item_key, series in (response.get("items") or {}).items():
                        if item_key not in key_ids:
                            continue
                        for offset, entry in enumerate(series or []):
                            day = start + timedelta(days=offset)
                            if day in per_day and entry:
                                per_day[day] += int(entry[0])
                    position = response.get("position")
                    if not position:
                        break
        rows = [{"date": day.isoformat(), "requests": count} for day, count in sorted(per_day.items())]
        return {
            "consumer": consumer,
            "apiKeyIds": key_ids,
            "usagePlanIds": list(plans),
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
            "days": rows,
            "total": sum(per_day.values()),
        }

    def reinstate(self, consumer: str) -> KeyRecord:
        """``keys reinstate``: lift monitoring's quarantine of the consumer's current key."""
        rec = self.record(consumer)
        if rec.revoked:
            raise ConsumerStateError(
                f"consumer {consumer!r} is revoked; revoked keys are not reinstated "
                "(`secure-api keys create` issues a new key)"
            )
        try:
            module = importlib.import_module("secure_api.keys.quarantine")
        except ImportError:
            raise KeyOpsError("quarantine support (secure_api.keys.quarantine) is not installed") from None
        reinstate = cast(_ReinstateFn, module.reinstate)
        try:
            reinstate(self.clients.apigateway, rest_api_id=self.rest_api_id, api_key_id=rec.api_key_id)
        except ValueError as exc:
            raise ConsumerStateError(str(exc)) from None
        log.info("reinstated API key %s of consumer %s", rec.api_key_id, consumer)
        return rec

    # ----------------------------------------------------------------------------------------------
    # revoke / expire / remove
    # ----------------------------------------------------------------------------------------------

    def revoke(self, consumer: str) -> tuple[KeyRecord | None, list[str]]:
        """``keys revoke``: disable every key of the consumer, detach them all, mark the record revoked."""
        validate_consumer(consumer)
        rec, state = self.read(consumer)
        key_ids = sorted({key.id for key in self.list_keys(consumer)})
        if rec is None and not key_ids:
            raise UnknownConsumerError(f"unknown consumer {consumer!r} for API {self.rest_api_id}")
        # Disabling first makes the revocation effective at once; detaching follows.
        for key_id in key_ids:
            self._set_enabled(key_id, False)
        for key_id in key_ids:
            self._detach_all(key_id)
        if rec is not None and state == "present":
            new = rec.with_changes(status=STATUS_REVOKED, usage_plan_ids=())
            if new != rec:
                self._write(new, "present")
            rec = new
        log.info("revoked consumer %s (keys %s)", consumer, ", ".join(key_ids))
        return rec, key_ids

    def expire(self) -> list[dict[str, Any]]:
        """``keys expire``: disable, detach and delete previous keys whose grace period has passed."""
        now = self.now()
        expired: list[dict[str, Any]] = []
        for info in self.list_secrets():
            rec, state = self.read(info.consumer)
            if rec is None or not rec.previous_api_key_id or rec.previous_key_expires_at is None:
                continue
            if rec.previous_key_expires_at > now:
                continue
            self._delete_key(rec.previous_api_key_id, disable_first=True)
            self._write(rec.with_changes(previous_api_key_id=None, previous_key_expires_at=None), state)
            expired.append(
                {
                    "consumer": rec.consumer,
                    "apiKeyId": rec.previous_api_key_id,
                    "expiredAt": rec.previous_key_expires_at,
                }
            )
        return expired

    def remove(self, consumer: str, inventory: Inventory | None = None) -> bool:
        """Delete every key of ``consumer`` and schedule its secret's deletion (7-day recovery window)."""
        validate_consumer(consumer)
        keys = self.keys_of(consumer, inventory)
        for key in keys:
            self._delete_key(key.id)
        info = inventory.secrets.get(consumer) if inventory is not None else None
        removed = bool(keys)
        if inventory is None or (info is not None and not info.deleted):
            try:
                self._sm(
                    "delete_secret",
                    SecretId=self._secret(consumer),
                    RecoveryWindowInDays=RECOVERY_WINDOW_DAYS,
                )
                removed = True
            except ClientError as exc:
                _ignore(exc, "ResourceNotFoundException", "InvalidRequestException")
        if inventory is not None:
            inventory.keys.pop(consumer, None)
            if info is not None:
                info.deleted = True
        return removed

    # ----------------------------------------------------------------------------------------------
    # rotation (the Secrets Manager protocol, also driven by ``keys rotate``)
    # ----------------------------------------------------------------------------------------------

    def rotation_create(self, consumer: str, token: str, grace_hours: float = DEFAULT_GRACE_HOURS) -> bool:
        """``createSecret``: new key attached to the consumer's plans, record staged ``AWSPENDING``.

        Returns False when the token's version already holds a record (nothing to do).
        """
        if self._read_version(consumer, token) is not None:
            return False
        cur = self.record(consumer)
        name = self._secret(consumer)
        if cur.revoked:
            # A revoked consumer is not given a new key by a schedule; the rotation completes unchanged.
            new = cur
        else:
            for key in self.list_keys(consumer):
                if key.id not in cur.key_ids():
                    self._delete_key(key.id)
            plans: Sequence[str] = cur.usage_plan_ids or (self.plans_for_tier(cur.tier) if cur.tier else ())
            info, value = self._create_key(consumer, enabled=cur.enabled)
            for plan_id in plans:
                self._attach(plan_id, info.id)
            new = cur.with_changes(
                api_key_id=info.id,
                api_key=value,
                usage_plan_ids=tuple(plans),
                previous_api_key_id=cur.api_key_id,
                previous_key_expires_at=self.now() + timedelta(hours=grace_hours),
            )
        self._sm(
            "put_secret_value",
            SecretId=name,
            ClientRequestToken=token,
            SecretString=new.to_json(),
            VersionStages=[PENDING],
        )
        return True

    def _pending(self, consumer: str, token: str) -> KeyRecord:
        rec = self._read_version(consumer, token)
        if rec is None:
            raise RotationError(f"no record staged for version {token} of consumer {consumer!r}")
        return rec

    def rotation_set(self, consumer: str, token: str) -> None:
        """``setSecret``: make sure the staged key is attached to every plan of its record."""
        pending = self._pending(consumer, token)
        if pending.revoked:
            return
        member = self.plans_of_key(pending.api_key_id)
        for plan_id in pending.usage_plan_ids:
            if plan_id not in member:
                self._attach(plan_id, pending.api_key_id)

    def rotation_test(self, consumer: str, token: str) -> None:
        """``testSecret``: the staged key exists, is enabled (unless disabled on purpose), in every plan."""
        pending = self._pending(consumer, token)
        if pending.revoked:
            return
        try:
            key = self._ag("get_api_key", apiKey=pending.api_key_id, includeValue=False)
        except ClientError as exc:
            _ignore(exc, "NotFoundException")
            raise RotationError(f"staged key {pending.api_key_id} of {consumer!r} does not exist") from None
        # Secrets Manager also runs testSecret on a copy of the current record to check the set-up; a
        # quarantined current key must not fail that check.
        is_new = (
            pending.previous_api_key_id is not None and pending.api_key_id != self.record(consumer).api_key_id
        )
        if pending.enabled and is_new and not key.get("enabled"):
            raise RotationError(f"staged key {pending.api_key_id} of {consumer!r} is disabled")
        missing = set(pending.usage_plan_ids) - self.plans_of_key(pending.api_key_id)
        if missing:
            raise RotationError(
                f"staged key {pending.api_key_id} of {consumer!r} is not in usage plans {sorted(missing)}"
            )

    def rotation_finish(self, consumer: str, token: str) -> KeyRecord:
        """``finishSecret``: retire keys the staged record no longer tracks, move ``AWSCURRENT`` to it."""
        name = self._secret(consumer)
        stages = self._stages(consumer)
        if token not in stages:
            raise RotationError(f"version {token} of consumer {consumer!r} does not exist")
        pending = self._pending(consumer, token)
        current_version = next((v for v, s in stages.items() if CURRENT in s), None)
        if current_version != token:
            cur = self.record(consumer)
            if cur.revoked and not pending.revoked:
                # Revoked while the rotation ran: abandon the staged key instead of reviving the consumer.
                self._delete_key(pending.api_key_id, disable_first=True)
                self._sm(
                    "update_secret_version_stage",
                    SecretId=name,
                    VersionStage=PENDING,
                    RemoveFromVersionId=token,
                )
                return cur
            # Retiring first (a key two rotations old) means nothing is left to do once the label moved.
            self._retire_untracked(pending)
            self._sm(
                "update_secret_version_stage",
                SecretId=name,
                VersionStage=CURRENT,
                MoveToVersionId=token,
                RemoveFromVersionId=current_version,
            )
        else:
            self._retire_untracked(pending)
        if PENDING in stages.get(token, []):
            self._sm(
                "update_secret_version_stage", SecretId=name, VersionStage=PENDING, RemoveFromVersionId=token
            )
        log.info(
            "consumer %s now uses key %s (previous %s)",
            consumer,
            pending.api_key_id,
            pending.previous_api_key_id,
        )
        return pending

    def _finish_direct(self, consumer: str, token: str) -> KeyRecord:
        # ``keys rotate`` writes the staged record as a new AWSCURRENT version whose id derives from the
        # token (so a re-run recognises it) instead of moving the label, then drops the AWSPENDING label.
        name = self._secret(consumer)
        stages = self._stages(consumer)
        final = _final_version(token)
        if CURRENT in stages.get(final, []):
            result = self.record(consumer)
        else:
            result = self._pending(consumer, token)
            cur = self.record(consumer)
            if cur.revoked and not result.revoked:
                raise ConsumerStateError(f"consumer {consumer!r} was revoked while its key was being rotated")
            self._retire_untracked(result)
            self._sm(
                "put_secret_value",
                SecretId=name,
                ClientRequestToken=final,
                SecretString=result.to_json(),
                VersionStages=[CURRENT],
            )
        # The label goes last: once it is gone, a re-run starts a new rotation.
        if PENDING in stages.get(token, []):
            self._sm(
                "update_secret_version_stage", SecretId=name, VersionStage=PENDING, RemoveFromVersionId=token
            )
        return result

    def _retire_untracked(self, rec: KeyRecord) -> None:
        if rec.revoked:
            return
        # A key two rotations old (rotated again within the grace period) is no longer tracked.
        for key in self.list_keys(rec.consumer):
            if key.id not in rec.key_ids():
                self._delete_key(key.id, disable_first=True)

    def rotate(self, consumer: str, grace_hours: float = DEFAULT_GRACE_HOURS) -> KeyRecord:
        """``keys rotate``: rotate now, on the steps of the rotation protocol; resumes an interrupted run."""
        if grace_hours < 0:
            raise KeyOpsError(f"--grace-hours must be >= 0, got {grace_hours}")
        cur = self.record(consumer)
        if cur.revoked:
            raise ConsumerStateError(
                f"consumer {consumer!r} is revoked; `secure-api keys create` issues it a new key"
            )
        stages = self._stages(consumer)
        current_version = next((v for v, s in stages.items() if CURRENT in s), None)
        token: str | None = None
        for version, labels in stages.items():
            if PENDING not in labels or CURRENT in labels:
                continue
            if current_version == _final_version(version):
                return self._finish_direct(consumer, version)
            pending = self._read_version(consumer, version)
            if (
                pending is not None
                and pending.api_key_id != cur.api_key_id
                and pending.previous_api_key_id == cur.api_key_id
                and any(key.id == pending.api_key_id for key in self.list_keys(consumer))
            ):
                token = version
        token = token or str(uuid.uuid4())
        self.rotation_create(consumer, token, grace_hours)
        self.rotation_set(consumer, token)
        self.rotation_test(consumer, token)
        return self._finish_direct(consumer, token)

    # ----------------------------------------------------------------------------------------------
    # bulk: import and the provisioner
    # ----------------------------------------------------------------------------------------------

    def import_consumers(
        self,
        rows: Sequence[tuple[int, str, str]],
        progress: Callable[[int, int], None] | None = None,
    ) -> list[ImportResult]:
        """Create each ``(line, consumer, tier)``; existing consumers are skipped, failures reported."""
        inventory = self.inventory()
        results: list[ImportResult] = []
        for done, (line, consumer, tier) in enumerate(rows, start=1):
            try:
                outcome, _ = self.ensure(
                    consumer, tier, strict_tier=True, reissue_revoked=False, inventory=inventory
                )
                result = "created" if outcome == CREATED else "skipped"
                results.append(ImportResult(line, consumer, tier, result))
            except (KeyOpsError, ClientError) as exc:
                message = str(exc) if isinstance(exc, KeyOpsError) else f"{error_code(exc)}: {exc}"
                results.append(ImportResult(line, consumer, tier, "failed", message))
            if progress is not None:
                progress(done, len(rows))
        return results

    def configure_rotation(self, consumer: str, info: SecretInfo | None, lambda_arn: str, days: int) -> bool:
        """Turn scheduled rotation of the consumer's secret on (``days`` > 0 and an ARN) or off."""
        name = self._secret(consumer)
        if days > 0 and lambda_arn:
            if (
                info is not None
                and info.rotation_enabled
                and info.rotation_lambda_arn == lambda_arn
                and info.rotation_days == days
            ):
                return False
            self._sm(
                "rotate_secret",
                SecretId=name,
                RotationLambdaARN=lambda_arn,
                RotationRules={"AutomaticallyAfterDays": days},
                RotateImmediately=False,
            )
            return True
        if info is not None and info.rotation_enabled:
            self._sm("cancel_rotate_secret", SecretId=name)
            return True
        return False

    def converge_consumer(
        self, spec: ConsumerSpec, inventory: Inventory, *, rotation_lambda_arn: str, rotation_days: int
    ) -> tuple[str, bool]:
        """Converge one declared consumer (key, plans, secret, rotation); return (outcome, rotation set)."""
        previous_info = inventory.secrets.get(spec.name)
        outcome, _ = self.ensure(
            spec.name, spec.tier, enabled=spec.enabled, reissue_revoked=False, inventory=inventory
        )
        if outcome == REVOKED:
            return outcome, False
        info = None if previous_info is None or previous_info.deleted else previous_info
        return outcome, self.configure_rotation(spec.name, info, rotation_lambda_arn, rotation_days)

    def converge(
        self,
        consumers: Sequence[ConsumerSpec],
        *,
        removed: Iterable[str] = (),
        rotation_lambda_arn: str = "",
        rotation_days: int = 0,
    ) -> dict[str, int]:
        """The provisioner: make the API's consumers exactly ``consumers``; return counts only."""
        inventory = self.inventory()
        counts = new_counts(len(consumers))
        for spec in consumers:
            outcome, configured = self.converge_consumer(
                spec, inventory, rotation_lambda_arn=rotation_lambda_arn, rotation_days=rotation_days
            )
            counts[outcome] += 1
            counts["rotationConfigured"] += int(configured)
        keep = {spec.name for spec in consumers}
        for name in sorted(set(removed) - keep):
            if self.remove(name, inventory):
                counts["removed"] += 1
        return counts


def new_counts(consumers: int) -> dict[str, int]:
    """The counters the provisioner reports (counts only, never names or values)."""
    return {
        "consumers": consumers,
        CREATED: 0,
        UPDATED: 0,
        UNCHANGED: 0,
        REVOKED: 0,
        "removed": 0,
        "rotationConfigured": 0,
    }


def rotation_step(
    clients: Clients,
    *,
    secret_id: str,
    token: str,
    step: str,
    grace_hours: float = DEFAULT_GRACE_HOURS,
    caller: AwsCaller | None = None,
) -> None:
    """Run one step of the Secrets Manager rotation protocol for the secret ``secret_id`` (name or ARN)."""
    caller = caller or AwsCaller()
    described = caller.call(clients.secretsmanager, "describe_secret", SecretId=secret_id)
    rest_api_id, consumer = parse_secret_name(str(described["Name"]))
    ops = KeyOps(clients, rest_api_id, caller=caller)
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
