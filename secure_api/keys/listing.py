"""``keys list`` and ``keys usage``: read-only views of this API's consumers (never key values)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, timedelta
from typing import Any

from botocore.exceptions import ClientError

from secure_api.keys.errors import KeyOpsError
from secure_api.keys.plans import KeyPlans
from secure_api.keys.store import ignore


class ListingOps(KeyPlans):
    """``keys list`` and ``keys usage``."""

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
                        ignore(exc, "NotFoundException")
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
