"""``keys revoke`` and ``keys reinstate``.

Revoke disables every key -> detaches every key -> marks the record revoked; reinstate lifts monitoring's
quarantine (``secure_api.keys.quarantine``) of the current key.
"""

from __future__ import annotations

import importlib
from typing import Any, Protocol, cast

from secure_api.keys.errors import ConsumerStateError, KeyOpsError, UnknownConsumerError
from secure_api.keys.model import STATUS_REVOKED, KeyRecord, validate_consumer
from secure_api.keys.plans import KeyPlans
from secure_api.keys.store import log


class _ReinstateFn(Protocol):
    def __call__(self, apigw: Any, *, rest_api_id: str, api_key_id: str) -> Any: ...


class RevokeOps(KeyPlans):
    """``keys revoke`` and ``keys reinstate``."""

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
