"""The per-key baseline store: one DynamoDB item per API key id (partition key ``apiKeyId``, S).

Item layout: ``apiKeyId``; ``lastWindow`` (N, epoch seconds of the last evaluated window);
``windowsSeen`` (N); ``hoursMask`` (N, 24-bit mask of usual UTC hours); ``model`` (S, the compact JSON of
the rest of :class:`key_guard_model.Baseline`: hourly EWM means/variances, error-ratio EWM, usual
networks, open incidents); ``notified_<kind>`` (N, start of the last incident notified per finding kind,
the deduplication claim); ``expiresAt`` (N, epoch seconds; enable TTL on it to forget idle keys).
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from key_guard_model import KINDS, Baseline

_BATCH_GET = 100
_BATCH_WRITE = 25
_MAX_ATTEMPTS = 8
RETENTION_SECONDS = 90 * 86400


def to_item(baseline: Baseline, *, now: float) -> dict[str, Any]:
    """The DynamoDB item (low-level attribute-value form) for ``baseline``."""
    data = baseline.to_dict()
    notified = data.pop("notified")
    for name in ("apiKeyId", "lastWindow", "windowsSeen", "hoursMask"):
        data.pop(name)
    item: dict[str, Any] = {
        "apiKeyId": {"S": baseline.api_key_id},
        "windowsSeen": {"N": str(baseline.windows_seen)},
        "hoursMask": {"N": str(baseline.hours_mask)},
        "model": {"S": json.dumps(data, separators=(",", ":"))},
        "expiresAt": {"N": str(int(now) + RETENTION_SECONDS)},
    }
    if baseline.last_window is not None:
        item["lastWindow"] = {"N": str(baseline.last_window)}
    for kind, start in notified.items():
        item[f"notified_{kind}"] = {"N": str(start)}
    return item


def from_item(item: Mapping[str, Any]) -> Baseline:
    """Inverse of :func:`to_item`."""
    data: dict[str, Any] = json.loads(item["model"]["S"]) if "model" in item else {}
    data["apiKeyId"] = item["apiKeyId"]["S"]
    data["windowsSeen"] = int(item.get("windowsSeen", {}).get("N", 0))
    data["hoursMask"] = int(item.get("hoursMask", {}).get("N", 0))
    if "lastWindow" in item:
        data["lastWindow"] = int(item["lastWindow"]["N"])
    data["notified"] = {
        kind: int(item[f"notified_{kind}"]["N"]) for kind in KINDS if f"notified_{kind}" in item
    }
    return Baseline.from_dict(data)


class BaselineStore:
    """Batch reads and writes of baselines, and the conditional claim that deduplicates notifications."""

    def __init__(
        self,
        dynamodb: Any,
        table_name: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._ddb = dynamodb
        self._table = table_name
        self._sleep = sleep
        self._clock = clock

    def load(self, key_ids: Iterable[str]) -> dict[str, Baseline]:
        """Read the baselines of ``key_ids`` (missing ones are absent from the result)."""
        ids = sorted(set(key_ids))
        out: dict[str, Baseline] = {}
        for i in range(0, len(ids), _BATCH_GET):
            request: dict[str, Any] = {
                self._table: {"Keys": [{"apiKeyId": {"S": k}} for k in ids[i : i + _BATCH_GET]]}
            }
            for attempt in range(_MAX_ATTEMPTS):
                response = self._ddb.batch_get_item(RequestItems=request)
                for item in response.get("Responses", {}).get(self._table, []):
                    baseline = from_item(item)
                    out[baseline.api_key_id] = baseline
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                self._backoff(attempt)
            else:
                raise RuntimeError("DynamoDB kept returning unprocessed keys; giving up")
        return out

    def save(self, baselines: Iterable[Baseline]) -> int:
        """Write ``baselines`` (batched, retrying unprocessed items). Returns how many were written."""
        now = self._clock()
        items = [{"PutRequest": {"Item": to_item(b, now=now)}} for b in baselines]
        for i in range(0, len(items), _BATCH_WRITE):
            request: dict[str, Any] = {self._table: items[i : i + _BATCH_WRITE]}
            for attempt in range(_MAX_ATTEMPTS):
                response = self._ddb.batch_write_item(RequestItems=request)
                request = response.get("UnprocessedItems") or {}
                if not request:
                    break
                self._backoff(attempt)
            else:
                raise RuntimeError("DynamoDB kept returning unprocessed items; giving up")
        return len(items)

    def claim(self, api_key_id: str, kind: str, incident_start: int) -> bool:
        """Record that incident ``incident_start`` of ``kind`` is being notified; False if it already was.

        The conditional write makes concurrent or repeated runs notify an incident once.
        """
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key={"apiKeyId": {"S": api_key_id}},
                UpdateExpression="SET #n = :start",
                ConditionExpression="attribute_not_exists(#n) OR #n <> :start",
                ExpressionAttributeNames={"#n": f"notified_{kind}"},
                ExpressionAttributeValues={":start": {"N": str(incident_start)}},
            )
        except self._ddb.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release(self, api_key_id: str, kind: str, incident_start: int, previous: int | None) -> None:
        """Undo :meth:`claim` after a failed notification, so that the next run tries again."""
        names = {"#n": f"notified_{kind}"}
        values: dict[str, Any] = {":start": {"N": str(incident_start)}}
        if previous is None:
            update = "REMOVE #n"
        else:
            update = "SET #n = :previous"
            values[":previous"] = {"N": str(previous)}
        # Someone else moved the claim on meanwhile: theirs stands.
        with contextlib.suppress(self._ddb.exceptions.ConditionalCheckFailedException):
            self._ddb.update_item(
                TableName=self._table,
                Key={"apiKeyId": {"S": api_key_id}},
                UpdateExpression=update,
                ConditionExpression="#n = :start",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )

    def _backoff(self, attempt: int) -> None:
        self._sleep(min(2.0, 0.05 * 2**attempt))
