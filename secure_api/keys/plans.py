"""Usage plans and API keys: the tiers' plans, this API's keys, attaching, disabling and deleting them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from botocore.exceptions import ClientError

from secure_api.keys.creator import KeyCreator, create_key
from secure_api.keys.errors import ForeignKeyError, UnknownTierError
from secure_api.keys.model import TAG_API, TAG_CONSUMER, TAG_TIER, ApiKeyInfo, KeyRecord
from secure_api.keys.retry import error_code
from secure_api.keys.store import ACCESS_DENIED, Inventory, KeyStore, ignore, log


class KeyPlans(KeyStore):
    """``KeyStore`` plus the usage plans and API keys every lifecycle operation shares.

    ``key_creator`` (the deployed functions set it) creates and attaches keys in another function, whose
    role alone may tag keys (``secure_api.keys.creator``); None creates and attaches directly.
    """

    key_creator: KeyCreator | None = None

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

    def list_keys(self, consumer: str | None = None, *, also: Iterable[str | None] = ()) -> list[ApiKeyInfo]:
        """Return this API's keys (of one consumer when given), found by their tags; never values.

        Keys are found through this API's own usage plans (``GetUsagePlanKeys``) plus the ids in ``also``
        (a record's keys, which revocation detaches), then read one by one (``GetApiKey``): the key
        functions may read only keys tagged for this API, never the account's whole list.
        """
        if self.key_creator is None:
            return self._list_all_keys(consumer)
        ids: dict[str, None] = {}
        for plan_id in self._own_plan_ids():
            try:
                for item in self._ag_items("get_usage_plan_keys", usagePlanId=plan_id):
                    if consumer is None or item.get("name") == consumer:
                        ids[str(item["id"])] = None
            except ClientError as exc:
                ignore(exc, "NotFoundException")
        ids.update((str(i), None) for i in also if i)
        keys = [key for key in map(self._get_key, ids) if key is not None]
        return [
            key
            for key in keys
            if key.rest_api_id == self.rest_api_id and (consumer is None or key.consumer == consumer)
        ]

    def _list_all_keys(self, consumer: str | None) -> list[ApiKeyInfo]:
        # Creating keys directly (the secure-api command, with the operator's own permissions) also finds
        # keys a crash left outside every plan; the deployed functions may not list the account's keys.
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

    def _own_plan_ids(self) -> list[str]:
        return sorted({p for ids in self.tier_plans().values() for p in ids})

    def _get_key(self, key_id: str) -> ApiKeyInfo | None:
        """The key (never its value), or None when it is gone or not this API's (AccessDenied)."""
        try:
            return ApiKeyInfo.from_response(self._ag("get_api_key", apiKey=key_id, includeValue=False))
        except ClientError as exc:
            ignore(exc, "NotFoundException", *ACCESS_DENIED)
            return None

    def _plan_key_infos(self) -> list[ApiKeyInfo]:
        """This API's plans' keys as the plans list them (id and name; one call per page, not per key)."""
        found: dict[str, ApiKeyInfo] = {}
        for plan_id in self._own_plan_ids():
            try:
                for item in self._ag_items("get_usage_plan_keys", usagePlanId=plan_id):
                    name = str(item.get("name") or "")
                    found[str(item["id"])] = ApiKeyInfo(
                        id=str(item["id"]),
                        name=name,
                        enabled=True,
                        created=None,
                        consumer=name or None,
                        rest_api_id=self.rest_api_id,
                    )
            except ClientError as exc:
                ignore(exc, "NotFoundException")
        return list(found.values())

    def keys_of(
        self, consumer: str, inventory: Inventory | None = None, *, also: Iterable[str | None] = ()
    ) -> list[ApiKeyInfo]:
        """Return the keys tagged for ``consumer`` (from ``inventory`` when given; else through the plans
        and the ids in ``also``)."""
        if inventory is not None:
            return list(inventory.keys.get(consumer, []))
        return self.list_keys(consumer, also=also)

    def plans_of_key(self, key_id: str) -> set[str]:
        """Return the ids of every usage plan the key is attached to."""
        try:
            return {str(plan["id"]) for plan in self._ag_items("get_usage_plans", keyId=key_id)}
        except ClientError as exc:
            ignore(exc, "NotFoundException")
            return set()

    def _attach(self, plan_id: str, key_id: str) -> None:
        if self.key_creator is not None:
            self.key_creator.attach(plan_id, key_id)
            return
        try:
            self._ag("create_usage_plan_key", usagePlanId=plan_id, keyId=key_id, keyType="API_KEY")
        except ClientError as exc:
            ignore(exc, "ConflictException")

    def owned_key(self, key_id: str, consumer: str) -> ApiKeyInfo | None:
        """Read the key's tags; None if it does not exist, :class:`ForeignKeyError` unless it is ours.

        Ours means ``secure-api:api`` is this API and ``secure-api:consumer`` is ``consumer``: write access
        to one consumer's record must not reach another consumer's (or another API's) key.
        """
        try:
            item = self._ag("get_api_key", apiKey=key_id, includeValue=False)
        except ClientError as exc:
            ignore(exc, "NotFoundException")
            return None
        key = ApiKeyInfo.from_response(item)
        if key.rest_api_id != self.rest_api_id or key.consumer != consumer:
            raise ForeignKeyError(
                f"API key {key_id} is tagged {TAG_API}={key.rest_api_id!r}, {TAG_CONSUMER}={key.consumer!r}, "
                f"not {self.rest_api_id!r}, {consumer!r}: the record of consumer {consumer!r} names a key "
                "that is not its own; refusing to change it (nothing changed)"
            )
        return key

    def check_record_keys(self, rec: KeyRecord) -> dict[str, ApiKeyInfo]:
        """Check every existing key the record tracks is the record's own (before any change); return them."""
        keys: dict[str, ApiKeyInfo] = {}
        for key_id in sorted(rec.key_ids()):
            key = self.owned_key(key_id, rec.consumer)
            if key is not None:
                keys[key_id] = key
        return keys

    def sync_quarantine(self, rec: KeyRecord, keys: dict[str, ApiKeyInfo] | None = None) -> KeyRecord:
        """Return ``rec`` marked quarantined for every tracked key the key guard tagged quarantined.

        The key guard tags the key (it holds no access to the secrets); the first key operation that
        reads the record afterwards carries the mark into it. Also checks the keys are the record's own.
        """
        for key in (keys if keys is not None else self.check_record_keys(rec)).values():
            rec = rec.with_quarantine(key)
        return rec

    def _detach_all(self, key_id: str, consumer: str, only: Iterable[str] | None = None) -> None:
        if self.owned_key(key_id, consumer) is None:
            return
        self._detach_checked(key_id, only)

    def _detach_checked(self, key_id: str, only: Iterable[str] | None = None) -> None:
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
                    ignore(exc, "NotFoundException")

    def _is_own_plan(self, plan_id: str) -> bool:
        return any(plan_id in ids for ids in self.tier_plans().values())

    def _key_exists(self, key_id: str) -> bool:
        """Whether the key exists. The key functions may read only this API's keys: a key that is gone
        answers AccessDenied to them too, as does another API's key, which they may not change either."""
        try:
            self._ag("get_api_key", apiKey=key_id, includeValue=False)
            return True
        except ClientError as exc:
            ignore(exc, "NotFoundException", *ACCESS_DENIED)
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
            ignore(exc, "NotFoundException")
            return False

    def _set_enabled(self, key_id: str, enabled: bool, consumer: str) -> bool:
        """Enable or disable the consumer's key; False if it is gone or (enabling) quarantined.

        Only ``keys reinstate`` re-enables a quarantined key.
        """
        key = self.owned_key(key_id, consumer)
        if key is None:
            return False
        if enabled and key.quarantined:
            log.warning("key %s of consumer %s is quarantined: left disabled", key_id, consumer)
            return False
        return self._patch_enabled(key_id, enabled)

    def _patch_enabled(self, key_id: str, enabled: bool) -> bool:
        return self._on_key(
            "update_api_key",
            key_id,
            patchOperations=[{"op": "replace", "path": "/enabled", "value": str(enabled).lower()}],
        )

    def _delete_key(
        self, key_id: str, consumer: str, *, disable_first: bool = False, keep_quarantined: bool = True
    ) -> bool:
        """Take a key out of service: (disable ->) detach from every plan -> delete. Idempotent.

        A quarantined key is evidence: it is only disabled, never deleted (unless ``keep_quarantined``
        is False: the consumer itself is being removed). Returns whether the key was deleted.
        """
        key = self.owned_key(key_id, consumer)
        if key is None:
            return False
        if key.quarantined and keep_quarantined:
            if key.enabled:
                self._patch_enabled(key_id, False)
            log.info("kept quarantined API key %s of consumer %s (disabled)", key_id, consumer)
            return False
        if disable_first and not self._patch_enabled(key_id, False):
            return False
        self._detach_checked(key_id)
        self._on_key("delete_api_key", key_id)
        log.info("deleted API key %s", key_id)
        return True

    def _create_key(
        self, consumer: str, *, enabled: bool, plans: Sequence[str] = ()
    ) -> tuple[ApiKeyInfo, str]:
        """Create the consumer's key, tagged at creation, and attach it to ``plans`` in the same step."""
        if self.key_creator is not None:
            response, value = self.key_creator.create(
                consumer, enabled=enabled, key_length=self.key_length, usage_plan_ids=plans
            )
        else:
            response, value = create_key(
                self._ag,
                self.rest_api_id,
                consumer,
                enabled=enabled,
                key_length=self.key_length,
                usage_plan_ids=plans,
            )
        info = ApiKeyInfo.from_response(response)
        log.info("created API key %s for consumer %s", info.id, consumer)
        return info, value

    def inventory(self) -> Inventory:
        """Snapshot this API's keys and secrets in a few paginated calls."""
        inv = Inventory()
        # The deployed functions go through the plans' own lists (a call per page, not per key), so that
        # provisioning thousands of consumers stays within API Gateway's request rate; a key in a plan
        # that is not this API's is refused by IAM if anything would change it.
        for key in self._plan_key_infos() if self.key_creator is not None else self.list_keys():
            if key.consumer:
                inv.keys.setdefault(key.consumer, []).append(key)
        for info in self.list_secrets(include_deleted=True):
            inv.secrets[info.consumer] = info
        return inv
