"""Rotate and expire: the Secrets Manager rotation protocol (also driven by ``keys rotate``) and
``keys expire``.

Rotate creates the new key -> attaches it -> stages the record as ``AWSPENDING`` -> moves ``AWSCURRENT``
to it -> retires keys the new record no longer tracks; expire disables -> detaches -> deletes the
previous key -> clears it from the record. Every record write is conditional on the version read
(``KeyStore.move_current``) and retried from a fresh read, so a concurrent revoke, expire or rotation is
never undone. A quarantined consumer's successor key is created disabled, and a quarantined key is
never deleted.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from secure_api.keys.errors import (
    ConsumerStateError,
    ForeignKeyError,
    KeyOpsError,
    RotationError,
    UnknownConsumerError,
)
from secure_api.keys.model import KeyRecord
from secure_api.keys.plans import KeyPlans
from secure_api.keys.store import CURRENT, DEFAULT_GRACE_HOURS, PENDING, ignore, log


class RotateOps(KeyPlans):
    """The rotation protocol's four steps, ``keys rotate`` and ``keys expire``."""

    def rotation_create(self, consumer: str, token: str, grace_hours: float = DEFAULT_GRACE_HOURS) -> bool:
        """``createSecret``: new key attached to the consumer's plans, record staged ``AWSPENDING``.

        Returns False when the token's version already holds a record (nothing to do). The new key is
        disabled when the consumer is quarantined (or disabled): only ``keys reinstate`` enables it.
        """
        if self._read_version(consumer, token) is not None:
            return False
        cur = self.record(consumer)
        name = self._secret(consumer)
        if cur.revoked:
            # A revoked consumer is not given a new key by a schedule; the rotation completes unchanged.
            new = cur
        else:
            # Before any change: the record's keys are its own; the key guard's tags become the mark.
            cur = self.sync_quarantine(cur)
            for key in self.list_keys(consumer):
                if key.id not in cur.key_ids():
                    self._delete_key(key.id, consumer)
            plans: Sequence[str] = cur.usage_plan_ids or (self.plans_for_tier(cur.tier) if cur.tier else ())
            info, value = self._create_key(consumer, enabled=cur.enabled, plans=plans)
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
        if pending.revoked or self.record(consumer).revoked:
            # Revoked while the rotation ran: finishSecret abandons the staged key; never re-attach it.
            return
        member = self.plans_of_key(pending.api_key_id)
        for plan_id in pending.usage_plan_ids:
            if plan_id not in member:
                self._attach(plan_id, pending.api_key_id)

    def rotation_test(self, consumer: str, token: str) -> None:
        """``testSecret``: the staged key exists, is enabled (unless disabled on purpose), in every plan."""
        pending = self._pending(consumer, token)
        cur = self.record(consumer)
        if pending.revoked or cur.revoked:
            return
        try:
            key = self._ag("get_api_key", apiKey=pending.api_key_id, includeValue=False)
        except ClientError as exc:
            ignore(exc, "NotFoundException")
            raise RotationError(f"staged key {pending.api_key_id} of {consumer!r} does not exist") from None
        # Secrets Manager also runs testSecret on a copy of the current record to check the set-up; a
        # quarantined current key must not fail that check.
        is_new = pending.previous_api_key_id is not None and pending.api_key_id != cur.api_key_id
        problem = ""
        if pending.enabled and is_new and not key.get("enabled"):
            problem = f"staged key {pending.api_key_id} of {consumer!r} is disabled"
        missing = set(pending.usage_plan_ids) - self.plans_of_key(pending.api_key_id)
        if missing and not problem:
            problem = (
                f"staged key {pending.api_key_id} of {consumer!r} is not in usage plans {sorted(missing)}"
            )
        # A revocation meanwhile disables and detaches the staged key too; finishSecret abandons it.
        if problem and not self.record(consumer).revoked:
            raise RotationError(problem)

    def rotation_finish(self, consumer: str, token: str) -> KeyRecord:
        """``finishSecret``: retire keys the staged record no longer tracks, make it current.

        The staged record was derived from the record current at ``createSecret``; if that record
        changed since (revoked, quarantined, expired, rotated by someone else), the rotation is rebased
        on the fresh record or abandoned, never written over it.
        """
        stages = self._stages(consumer)
        if token not in stages:
            raise RotationError(f"version {token} of consumer {consumer!r} does not exist")
        pending = self._pending(consumer, token)
        result = self.retrying(consumer, "rotate", lambda: self._finish_once(consumer, token, pending))
        # The label goes last: once it is gone, a re-run of `keys rotate` starts a new rotation.
        if PENDING in self._stages(consumer).get(token, []):
            self._drop_stage(consumer, PENDING, token)
        log.info(
            "consumer %s now uses key %s (previous %s)",
            consumer,
            result.api_key_id,
            result.previous_api_key_id,
        )
        return result

    def _finish_once(self, consumer: str, token: str, pending: KeyRecord) -> KeyRecord:
        base = self.read_current(consumer)
        cur = base.record
        if cur is None or base.version_id is None:
            raise UnknownConsumerError(f"unknown consumer {consumer!r} for API {self.rest_api_id}")
        if base.version_id == token or cur.api_key_id == pending.api_key_id:
            self._retire_untracked(cur)
            return cur
        if pending.revoked:
            # A revoked consumer's rotation changes nothing; the label moves only onto the same record.
            if cur == pending:
                self.move_current(consumer, None, base.version_id, to_version=token)
            return cur
        if cur.revoked or cur.api_key_id != pending.previous_api_key_id:
            # Revoked, or rotated by someone else, while this rotation ran: abandon the staged key.
            if pending.api_key_id not in cur.key_ids():
                self._delete_key(pending.api_key_id, consumer, disable_first=True)
            return cur
        fresh = self.sync_quarantine(cur)
        merged = fresh.with_changes(
            api_key_id=pending.api_key_id,
            api_key=pending.api_key,
            usage_plan_ids=pending.usage_plan_ids,
            previous_api_key_id=cur.api_key_id,
            previous_key_expires_at=pending.previous_key_expires_at,
        )
        if merged.enabled != pending.enabled:
            # Quarantined (or disabled) since the staged key was made, or reinstated since.
            self._set_enabled(merged.api_key_id, merged.enabled, consumer)
        # Retiring first (a key two rotations old) means nothing is left to do once the label moved.
        self._retire_untracked(merged)
        if merged == pending:
            self.move_current(consumer, None, base.version_id, to_version=token)
        else:
            self.move_current(consumer, merged.to_json(), base.version_id)
        return merged

    def _retire_untracked(self, rec: KeyRecord) -> None:
        if rec.revoked:
            return
        # A key two rotations old (rotated again within the grace period) is no longer tracked.
        for key in self.list_keys(rec.consumer):
            if key.id not in rec.key_ids():
                self._delete_key(key.id, rec.consumer, disable_first=True)

    def rotate(self, consumer: str, grace_hours: float = DEFAULT_GRACE_HOURS) -> KeyRecord:
        """``keys rotate``: rotate now, on the steps of the rotation protocol; resumes an interrupted run.

        A quarantined consumer gets a disabled successor (its quarantined key is kept as evidence);
        ``keys reinstate`` enables the successor.
        """
        if grace_hours < 0:
            raise KeyOpsError(f"--grace-hours must be >= 0, got {grace_hours}")
        cur = self.record(consumer)
        if cur.revoked:
            raise ConsumerStateError(
                f"consumer {consumer!r} is revoked; `secure-api keys create` issues it a new key"
            )
        stages = self._stages(consumer)
        token: str | None = None
        for version, labels in stages.items():
            if PENDING not in labels:
                continue
            pending = self._read_version(consumer, version)
            if pending is None:
                continue
            if CURRENT in labels or pending.api_key_id == cur.api_key_id:
                # Interrupted after the record became current: only the label is left to drop.
                return self._rotated(consumer, self.rotation_finish(consumer, version))
            if (
                pending.api_key_id != cur.api_key_id
                and pending.previous_api_key_id == cur.api_key_id
                and any(key.id == pending.api_key_id for key in self.list_keys(consumer))
            ):
                token = version
        token = token or str(uuid.uuid4())
        self.rotation_create(consumer, token, grace_hours)
        try:
            self.rotation_set(consumer, token)
            self.rotation_test(consumer, token)
        except RotationError:
            # Revoked meanwhile: finishing abandons the staged key, and the revocation is reported.
            if not self.record(consumer).revoked:
                raise
        return self._rotated(consumer, self.rotation_finish(consumer, token))

    @staticmethod
    def _rotated(consumer: str, result: KeyRecord) -> KeyRecord:
        if result.revoked:
            raise ConsumerStateError(f"consumer {consumer!r} was revoked while its key was being rotated")
        return result

    def expire(self) -> list[dict[str, Any]]:
        """``keys expire``: disable, detach and delete previous keys whose grace period has passed.

        A quarantined previous key is kept (disabled) until ``keys reinstate``. A record that names
        another consumer's key is refused (nothing of it changed); the other consumers are still
        expired, then the refusals are raised together.
        """
        now = self.now()
        expired: list[dict[str, Any]] = []
        refused: list[str] = []
        for info in self.list_secrets():
            try:
                item = self.retrying(info.consumer, "expire", partial(self._expire_once, info.consumer, now))
            except ForeignKeyError as exc:
                log.error("expire refused for consumer %s: %s", info.consumer, exc)
                refused.append(str(exc))
                continue
            if item is not None:
                expired.append(item)
        if refused:
            raise ForeignKeyError("; ".join(refused) + f" ({len(expired)} other key(s) expired)", exit_code=2)
        return expired

    def _expire_once(self, consumer: str, now: datetime) -> dict[str, Any] | None:
        base = self.read_current(consumer)
        rec = base.record
        if rec is None or not rec.previous_api_key_id or rec.previous_key_expires_at is None:
            return None
        if rec.previous_key_expires_at > now:
            return None
        marked = self.sync_quarantine(rec)
        previous = rec.previous_api_key_id
        if previous in marked.quarantined_key_ids:
            if marked != rec:
                self._commit(marked, base)
            log.info("kept quarantined previous key %s of consumer %s", previous, consumer)
            return None
        self._delete_key(previous, consumer, disable_first=True)
        self._commit(marked.with_changes(previous_api_key_id=None, previous_key_expires_at=None), base)
        return {"consumer": rec.consumer, "apiKeyId": previous, "expiredAt": rec.previous_key_expires_at}
