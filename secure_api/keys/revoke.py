"""``keys revoke`` and ``keys reinstate``.

Revoke disables every key -> detaches every key -> marks the record revoked; reinstate lifts monitoring's
quarantine (``secure_api.keys.quarantine``) of the current key and clears the record's mark. Both write
the record only if it is still the version they read, and retry from a fresh read otherwise.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, Protocol, cast

from secure_api.keys.errors import ConsumerStateError, ForeignKeyError, KeyOpsError, UnknownConsumerError
from secure_api.keys.model import STATUS_REVOKED, ApiKeyInfo, KeyRecord, validate_consumer
from secure_api.keys.plans import KeyPlans
from secure_api.keys.store import log


class _ReinstateFn(Protocol):
    def __call__(self, apigw: Any, *, rest_api_id: str, api_key_id: str) -> Any: ...


class RevokeOps(KeyPlans):
    """``keys revoke`` and ``keys reinstate``."""

    def revoke(self, consumer: str) -> tuple[KeyRecord | None, list[str]]:
        """``keys revoke``: disable every key of the consumer, detach them all, mark the record revoked.

        A key the record names but whose tags are another consumer's is left untouched (and logged):
        revoking the consumer's own keys must not be blocked by a tampered record.
        """
        validate_consumer(consumer)
        return self.retrying(consumer, "revoke", lambda: self._revoke_once(consumer))

    def _revoke_once(self, consumer: str) -> tuple[KeyRecord | None, list[str]]:
        base = self.read_current(consumer)
        rec = base.record
        candidates = {key.id for key in self.list_keys(consumer)} | (rec.key_ids() if rec else set())
        owned: dict[str, ApiKeyInfo] = {}
        for key_id in sorted(candidates):
            try:
                key = self.owned_key(key_id, consumer)
            except ForeignKeyError as exc:
                log.error("revoke of consumer %s: %s", consumer, exc)
                continue
            if key is not None:
                owned[key_id] = key
        if rec is None and not owned:
            raise UnknownConsumerError(f"unknown consumer {consumer!r} for API {self.rest_api_id}")
        # Disabling first makes the revocation effective at once; detaching follows.
        for key_id in owned:
            self._patch_enabled(key_id, False)
        for key_id in owned:
            self._detach_checked(key_id)
        if rec is not None and base.state == "present":
            new = rec
            for key in owned.values():
                new = new.with_quarantine(key)
            new = new.with_changes(status=STATUS_REVOKED, usage_plan_ids=())
            if new != rec:
                self._commit(new, base)
            rec = new
        log.info("revoked consumer %s (keys %s)", consumer, ", ".join(owned))
        return rec, sorted(owned)

    def reinstate(self, consumer: str) -> KeyRecord:
        """``keys reinstate``: lift monitoring's quarantine: re-enable the current key, clear the mark.

        Other quarantined keys (a key rotated away from during the quarantine) lose their quarantine
        tags but stay disabled, and expire or the next rotation deletes them.
        """
        validate_consumer(consumer)
        return self.retrying(consumer, "reinstate", lambda: self._reinstate_once(consumer))

    def _reinstate_once(self, consumer: str) -> KeyRecord:
        base = self.read_current(consumer)
        rec = base.record
        if rec is None:
            raise UnknownConsumerError(f"unknown consumer {consumer!r} for API {self.rest_api_id}")
        if rec.revoked:
            raise ConsumerStateError(
                f"consumer {consumer!r} is revoked; revoked keys are not reinstated "
                "(`secure-api keys create` issues a new key)"
            )
        # Before any change: every key the record names is this consumer's own.
        keys = self.check_record_keys(rec)
        marked = self.sync_quarantine(rec, keys)
        module = _quarantine_module()
        reinstate = cast(_ReinstateFn, module.reinstate)
        try:
            reinstate(self.clients.apigateway, rest_api_id=self.rest_api_id, api_key_id=rec.api_key_id)
        except ValueError as exc:
            raise ConsumerStateError(str(exc)) from None
        current = keys.get(rec.api_key_id)
        if marked.quarantined and current is not None and not current.quarantined and rec.status == "active":
            # Marked in the record but untagged (the tags were removed by hand): enable it here.
            self._patch_enabled(rec.api_key_id, True)
        for key_id in sorted(set(marked.quarantined_key_ids) - {rec.api_key_id}):
            key = keys.get(key_id)
            if key is not None and key.quarantined:
                module.release(self.clients.apigateway, rest_api_id=self.rest_api_id, api_key_id=key_id)
        new = marked.without_quarantine()
        if new != rec:
            self._commit(new, base)
        log.info("reinstated API key %s of consumer %s", rec.api_key_id, consumer)
        return new


def _quarantine_module() -> ModuleType:
    try:
        return importlib.import_module("secure_api.keys.quarantine")
    except ImportError:
        raise KeyOpsError("quarantine support (secure_api.keys.quarantine) is not installed") from None
