"""Rotate and expire: the Secrets Manager rotation protocol (also driven by ``keys rotate``) and
``keys expire``.

Rotate creates the new key -> attaches it -> stages the record as ``AWSPENDING`` -> moves ``AWSCURRENT``
to it -> retires keys the new record no longer tracks; expire disables -> detaches -> deletes the
previous key -> clears it from the record.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from secure_api.keys.errors import ConsumerStateError, KeyOpsError, RotationError
from secure_api.keys.model import KeyRecord
from secure_api.keys.plans import KeyPlans
from secure_api.keys.store import CURRENT, DEFAULT_GRACE_HOURS, PENDING, ignore, log

_FINAL_VERSION_NS = uuid.UUID("6f1b3c1e-5d0a-4c55-9a43-0b8d2f1f7e21")


def _final_version(token: str) -> str:
    return str(uuid.uuid5(_FINAL_VERSION_NS, token))


class RotateOps(KeyPlans):
    """The rotation protocol's four steps, ``keys rotate`` and ``keys expire``."""

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
            ignore(exc, "NotFoundException")
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
