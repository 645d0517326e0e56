"""The record a consumer's secret holds, the tags and the names shared by every key operation."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from secure_api.keys.errors import KeyOpsError
from secure_api.keys.quarantine import QUARANTINED_AT_TAG, QUARANTINED_TAG

TAG_CONSUMER = "secure-api:consumer"
TAG_API = "secure-api:api"
TAG_TIER = "secure-api:tier"

NAME_ROOT = "secure-api"

STATUS_ACTIVE = "active"
STATUS_DISABLED = "disabled"
STATUS_REVOKED = "revoked"

# Consumer names become API key names, secret name segments and tag values.
_CONSUMER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+=-]{0,127}")
_TIER_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def secret_name(rest_api_id: str, consumer: str) -> str:
    """Return the Secrets Manager name of a consumer's key: ``secure-api/<restApiId>/<consumer>``."""
    return f"{NAME_ROOT}/{rest_api_id}/{consumer}"


def secret_prefix(rest_api_id: str) -> str:
    """Return the name prefix shared by every key secret of one API."""
    return f"{NAME_ROOT}/{rest_api_id}/"


def parse_secret_name(name: str) -> tuple[str, str]:
    """Split ``secure-api/<restApiId>/<consumer>`` into ``(restApiId, consumer)``."""
    parts = name.split("/")
    if len(parts) != 3 or parts[0] != NAME_ROOT or not parts[1] or not parts[2]:
        raise KeyOpsError(f"secret {name!r} is not a secure-api key secret")
    return parts[1], parts[2]


def validate_consumer(name: str) -> str:
    """Return ``name`` if it is a valid consumer name, else raise :class:`KeyOpsError`."""
    if not isinstance(name, str) or not _CONSUMER_RE.fullmatch(name):
        raise KeyOpsError(
            f"invalid consumer name {name!r}: expected 1-128 letters, digits or ._@+=- "
            "starting with a letter or digit"
        )
    return name


def validate_tier(tier: str) -> str:
    """Return ``tier`` if it is a valid tier name, else raise :class:`KeyOpsError`."""
    if not isinstance(tier, str) or not _TIER_RE.fullmatch(tier):
        raise KeyOpsError(f"invalid tier {tier!r}: expected 1-64 letters, digits or ._-")
    return tier


def key_tags(rest_api_id: str, consumer: str) -> dict[str, str]:
    """Return the tags of a consumer's API key."""
    return {TAG_CONSUMER: consumer, TAG_API: rest_api_id}


def secret_tags(rest_api_id: str, consumer: str, tier: str) -> list[dict[str, str]]:
    """Return the tags of a consumer's secret, in the Secrets Manager shape."""
    tags = {TAG_CONSUMER: consumer, TAG_API: rest_api_id, TAG_TIER: tier}
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def format_time(value: datetime | None) -> str | None:
    """Format a time as ISO 8601 UTC with a ``Z`` suffix (``None`` stays ``None``)."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: Any) -> datetime | None:
    """Parse an ISO 8601 time (``Z`` or offset); empty values give ``None``."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True, kw_only=True)
class KeyRecord:
    """The JSON document of ``secure-api/<restApiId>/<consumer>``: the consumer's current key and more.

    ``api_key`` is excluded from ``repr`` so that logging a record never leaks the value.
    """

    consumer: str
    rest_api_id: str
    api_key_id: str
    api_key: str = field(repr=False)
    usage_plan_ids: tuple[str, ...] = ()
    previous_api_key_id: str | None = None
    previous_key_expires_at: datetime | None = None
    tier: str | None = None
    status: str = STATUS_ACTIVE
    # Monitoring's quarantine (``quarantined``, ``quarantinedAt``, ``quarantineReason``,
    # ``quarantinedApiKeyIds``): only ``keys reinstate`` clears it. Older records without the fields read
    # as not quarantined.
    quarantined: bool = False
    quarantined_at: datetime | None = None
    quarantine_reason: str | None = None
    quarantined_key_ids: tuple[str, ...] = ()

    @property
    def revoked(self) -> bool:
        """Whether the consumer's keys were revoked."""
        return self.status == STATUS_REVOKED

    @property
    def enabled(self) -> bool:
        """Whether the current key should be enabled: active and not quarantined."""
        return self.status == STATUS_ACTIVE and not self.quarantined

    def key_ids(self) -> set[str]:
        """The ids of the keys this record tracks (current, previous and quarantined ones kept as evidence)."""
        ids = {self.api_key_id, *self.quarantined_key_ids}
        if self.previous_api_key_id:
            ids.add(self.previous_api_key_id)
        return ids

    def with_quarantine(self, key: ApiKeyInfo) -> KeyRecord:
        """Return the record marked quarantined by ``key``'s quarantine tags (unchanged if it has none)."""
        if not key.quarantined or key.id in self.quarantined_key_ids:
            return self
        return replace(
            self,
            quarantined=True,
            quarantined_at=self.quarantined_at or key.quarantined_at,
            quarantine_reason=self.quarantine_reason or key.quarantine_reason,
            quarantined_key_ids=(*self.quarantined_key_ids, key.id),
        )

    def without_quarantine(self) -> KeyRecord:
        """Return the record with the quarantine mark cleared (what ``keys reinstate`` writes)."""
        return replace(
            self, quarantined=False, quarantined_at=None, quarantine_reason=None, quarantined_key_ids=()
        )

    def with_changes(self, **changes: Any) -> KeyRecord:
        """Return a copy with ``changes`` applied."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON layout of the secret (camelCase, times as ISO 8601 UTC)."""
        return {
            "consumer": self.consumer,
            "restApiId": self.rest_api_id,
            "apiKeyId": self.api_key_id,
            "apiKey": self.api_key,
            "usagePlanIds": list(self.usage_plan_ids),
            "previousApiKeyId": self.previous_api_key_id,
            "previousKeyExpiresAt": format_time(self.previous_key_expires_at),
            "tier": self.tier,
            "status": self.status,
            "revoked": self.revoked,
            "quarantined": self.quarantined,
            "quarantinedAt": format_time(self.quarantined_at),
            "quarantineReason": self.quarantine_reason,
            "quarantinedApiKeyIds": list(self.quarantined_key_ids),
        }

    def to_json(self) -> str:
        """Serialise to the secret string."""
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> KeyRecord:
        """Parse a secret string written by :meth:`to_json` (or by hand, with the contract's fields)."""
        try:
            data = json.loads(text)
            status = data.get("status") or (STATUS_REVOKED if data.get("revoked") else STATUS_ACTIVE)
            return cls(
                consumer=str(data["consumer"]),
                rest_api_id=str(data["restApiId"]),
                api_key_id=str(data["apiKeyId"]),
                api_key=str(data.get("apiKey") or ""),
                usage_plan_ids=tuple(str(p) for p in data.get("usagePlanIds") or ()),
                previous_api_key_id=data.get("previousApiKeyId") or None,
                previous_key_expires_at=parse_time(data.get("previousKeyExpiresAt")),
                tier=data.get("tier") or None,
                status=str(status),
                quarantined=data.get("quarantined") is True,
                quarantined_at=parse_time(data.get("quarantinedAt")),
                quarantine_reason=data.get("quarantineReason") or None,
                quarantined_key_ids=tuple(str(k) for k in data.get("quarantinedApiKeyIds") or ()),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise KeyOpsError(f"secret is not a secure-api key record ({type(exc).__name__})") from None


@dataclass(frozen=True)
class ApiKeyInfo:
    """What the key operations need to know about one API Gateway API key (never its value)."""

    id: str
    name: str
    enabled: bool
    created: datetime | None
    consumer: str | None
    rest_api_id: str | None
    quarantined: bool = False
    quarantine_reason: str | None = None
    quarantined_at: datetime | None = None

    @classmethod
    def from_response(cls, item: dict[str, Any]) -> ApiKeyInfo:
        """Build from an item of ``GetApiKeys`` / ``CreateApiKey`` (its ``value`` is ignored)."""
        tags = item.get("tags") or {}
        created = item.get("createdDate")
        if isinstance(created, int | float):
            created = datetime.fromtimestamp(created, UTC)
        return cls(
            id=str(item["id"]),
            name=str(item.get("name") or ""),
            enabled=bool(item.get("enabled")),
            created=parse_time(created),
            consumer=tags.get(TAG_CONSUMER),
            rest_api_id=tags.get(TAG_API),
            quarantined=QUARANTINED_TAG in tags or QUARANTINED_AT_TAG in tags,
            quarantine_reason=tags.get(QUARANTINED_TAG),
            quarantined_at=_quiet_time(tags.get(QUARANTINED_AT_TAG)),
        )


def _quiet_time(value: Any) -> datetime | None:
    try:
        return parse_time(value)
    except ValueError:
        return None
