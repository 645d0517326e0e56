"""Create, import and converge: issue a consumer's key, in bulk from an import file or for the
provisioner (which also removes consumers no longer declared and configures scheduled rotation).

Create deletes untracked keys -> creates the key -> attaches it to the tier's plans -> writes the secret.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from secure_api.keys.errors import ConsumerStateError, KeyOpsError, RecordChangedError
from secure_api.keys.model import (
    STATUS_ACTIVE,
    STATUS_DISABLED,
    TAG_TIER,
    ApiKeyInfo,
    KeyRecord,
    validate_consumer,
    validate_tier,
)
from secure_api.keys.plans import KeyPlans
from secure_api.keys.retry import error_code
from secure_api.keys.store import (
    CREATED,
    RECOVERY_WINDOW_DAYS,
    REVOKED,
    UNCHANGED,
    UPDATED,
    Inventory,
    SecretInfo,
    Snapshot,
    ignore,
)


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


class CreateOps(KeyPlans):
    """``keys create`` and ``keys import``, and the provisioner's converge."""

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
        return self.retrying(
            consumer,
            "create",
            lambda: self._ensure_once(
                consumer,
                tier,
                plans,
                enabled=enabled,
                reissue_revoked=reissue_revoked,
                strict_tier=strict_tier,
                inventory=inventory,
            ),
        )

    def _ensure_once(
        self,
        consumer: str,
        tier: str,
        plans: list[str],
        *,
        enabled: bool,
        reissue_revoked: bool,
        strict_tier: bool,
        inventory: Inventory | None,
    ) -> tuple[str, KeyRecord | None]:
        info = inventory.secrets.get(consumer) if inventory is not None else None
        if inventory is not None and info is None:
            base = Snapshot(None, "absent")
        elif info is not None and info.deleted:
            base = Snapshot(None, "deleted")
        else:
            base = self.read_current(consumer)
        rec = base.record
        keys = {key.id: key for key in self.keys_of(consumer, inventory, also=rec.key_ids() if rec else ())}
        live = rec is not None and not rec.revoked
        if rec is not None and rec.revoked and not reissue_revoked:
            return REVOKED, rec
        if rec is not None and live and rec.api_key_id in keys:
            return self._reconcile(
                rec, base, tier=tier, plans=plans, enabled=enabled, strict_tier=strict_tier, keys=keys
            )

        # A new key is needed. Keys no live record tracks were never handed out (or are revoked);
        # quarantined ones are kept as evidence.
        keep: set[str] = set()
        if rec is not None and live:
            keep = rec.key_ids() - {rec.api_key_id}
            for key_id in keep & set(keys):
                rec = rec.with_quarantine(keys[key_id])
        for key_id in keys:
            if key_id not in keep:
                self._delete_key(key_id, consumer)
        quarantined = rec is not None and live and rec.quarantined
        info_new, value = self._create_key(consumer, enabled=enabled and not quarantined, plans=plans)
        new = KeyRecord(
            consumer=consumer,
            rest_api_id=self.rest_api_id,
            api_key_id=info_new.id,
            api_key=value,
            usage_plan_ids=tuple(plans),
            previous_api_key_id=rec.previous_api_key_id if rec is not None and live else None,
            previous_key_expires_at=rec.previous_key_expires_at if rec is not None and live else None,
            tier=tier,
            status=STATUS_ACTIVE if enabled else STATUS_DISABLED,
        )
        if rec is not None and live and rec.quarantined:
            new = new.with_changes(
                quarantined=True,
                quarantined_at=rec.quarantined_at,
                quarantine_reason=rec.quarantine_reason,
                quarantined_key_ids=rec.quarantined_key_ids,
            )
        try:
            self._commit(new, base)
        except RecordChangedError:
            # Never handed out: the retry starts from the record the other writer left.
            self._delete_key(info_new.id, consumer, disable_first=True)
            if inventory is not None:
                inventory.secrets.pop(consumer, None)
                inventory.keys.pop(consumer, None)
            raise
        if inventory is not None:
            inventory.keys[consumer] = [k for k in keys.values() if k.id in keep] + [info_new]
            inventory.secrets[consumer] = SecretInfo(
                consumer, self._secret(consumer), tier, False, False, None, None
            )
        return CREATED, new

    def _reconcile(
        self,
        rec: KeyRecord,
        base: Snapshot,
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
                    self._detach_all(key_id, rec.consumer, only=stale)
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
            # A quarantined key stays disabled (only `keys reinstate` re-enables it).
            self._set_enabled(rec.api_key_id, enabled and not rec.quarantined, rec.consumer)
            if not enabled and len(live_ids) > 1:
                self._set_enabled(live_ids[1], False, rec.consumer)
            changes["status"] = desired
        if not changes:
            return UNCHANGED, rec
        new = rec.with_changes(**changes)
        self._commit(new, base)
        return UPDATED, new

    def create(self, consumer: str, tier: str) -> tuple[str, KeyRecord]:
        """``keys create``: issue a key for a new (or revoked) consumer; ``unchanged`` if it has one."""
        outcome, rec = self.ensure(consumer, tier, strict_tier=True, reissue_revoked=True)
        assert rec is not None
        return outcome, rec

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

    def remove(self, consumer: str, inventory: Inventory | None = None) -> bool:
        """Delete every key of ``consumer`` and schedule its secret's deletion (7-day recovery window)."""
        validate_consumer(consumer)
        keys = self.keys_of(consumer, inventory)
        rec = None if inventory is not None and consumer not in inventory.secrets else self.read(consumer)[0]
        if rec is not None:
            # A revoked consumer's keys are detached from the plans: the record still names them.
            found = {key.id for key in keys}
            keys += [k for k in self.list_keys(consumer, also=rec.key_ids()) if k.id not in found]
        for key in keys:
            # Removing the consumer removes its quarantined keys too.
            self._delete_key(key.id, consumer, keep_quarantined=False)
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
                ignore(exc, "ResourceNotFoundException", "InvalidRequestException")
        if inventory is not None:
            inventory.keys.pop(consumer, None)
            if info is not None:
                info.deleted = True
        return removed


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
