"""Quarantine and reinstatement of an API key: disable it at once, tag why and when; undo both.

Shared by the key guard Lambda (automatic quarantine) and ``secure-api keys reinstate``. Importable
without ``aws_cdk``; ``apigw`` is a boto3 ``apigateway`` client.

Tags on a quarantined key: ``secure-api:quarantined`` = the reason (tag-safe, at most 128 characters) and
``secure-api:quarantined-at`` = the UTC time (``2024-05-01T12:00:00Z``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

QUARANTINED_TAG = "secure-api:quarantined"
QUARANTINED_AT_TAG = "secure-api:quarantined-at"
API_TAG = "secure-api:api"
MAX_REASON_LENGTH = 128
_UNSAFE = re.compile(r"[^\w .:/=+\-@]", re.ASCII)


class QuarantineError(ValueError):
    """The key cannot be quarantined or reinstated for this API (it belongs to another one)."""


def tag_safe(reason: str) -> str:
    """``reason`` reduced to characters API Gateway accepts in a tag value, truncated, never empty."""
    cleaned = _UNSAFE.sub("_", reason).strip()[:MAX_REASON_LENGTH].strip()
    return cleaned or "unspecified"


def _key_arn(apigw: Any, api_key_id: str) -> str:
    partition = getattr(apigw.meta, "partition", None) or "aws"
    return f"arn:{partition}:apigateway:{apigw.meta.region_name}::/apikeys/{api_key_id}"


def _get_key(apigw: Any, rest_api_id: str, api_key_id: str) -> dict[str, Any]:
    key: dict[str, Any] = apigw.get_api_key(apiKey=api_key_id, includeValue=False)
    owner = (key.get("tags") or {}).get(API_TAG)
    if owner != rest_api_id:
        raise QuarantineError(
            f"API key {api_key_id} is tagged {API_TAG}={owner!r}, not {rest_api_id!r}; refusing to change it"
        )
    return key


def _set_enabled(apigw: Any, api_key_id: str, enabled: bool) -> None:
    apigw.update_api_key(
        apiKey=api_key_id,
        patchOperations=[{"op": "replace", "path": "/enabled", "value": "true" if enabled else "false"}],
    )


def quarantine(apigw: Any, *, rest_api_id: str, api_key_id: str, reason: str) -> bool:
    """Disable the key at once and tag it quarantined. Returns False if it already was quarantined.

    The key is disabled before it is tagged, so a crash in between leaves it disabled; a re-run converges.
    """
    key = _get_key(apigw, rest_api_id, api_key_id)
    if QUARANTINED_TAG in (key.get("tags") or {}):
        if key.get("enabled", False):
            _set_enabled(apigw, api_key_id, False)
        return False
    _set_enabled(apigw, api_key_id, False)
    now = datetime.now(tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    apigw.tag_resource(
        resourceArn=_key_arn(apigw, api_key_id),
        tags={QUARANTINED_TAG: tag_safe(reason), QUARANTINED_AT_TAG: now},
    )
    return True


def reinstate(apigw: Any, *, rest_api_id: str, api_key_id: str) -> bool:
    """Re-enable a quarantined key and remove the quarantine tags. Returns False if it was not quarantined.

    Only quarantined keys are touched: a key disabled for another reason (revoked, expired) stays as is.
    """
    key = _get_key(apigw, rest_api_id, api_key_id)
    tags = key.get("tags") or {}
    if QUARANTINED_TAG not in tags and QUARANTINED_AT_TAG not in tags:
        return False
    _set_enabled(apigw, api_key_id, True)
    apigw.untag_resource(
        resourceArn=_key_arn(apigw, api_key_id), tagKeys=[QUARANTINED_TAG, QUARANTINED_AT_TAG]
    )
    return True


def release(apigw: Any, *, rest_api_id: str, api_key_id: str) -> bool:
    """Remove the quarantine tags but leave the key disabled (a key rotated away from while quarantined).

    Returns False if it was not quarantined.
    """
    key = _get_key(apigw, rest_api_id, api_key_id)
    tags = key.get("tags") or {}
    if QUARANTINED_TAG not in tags and QUARANTINED_AT_TAG not in tags:
        return False
    if key.get("enabled", False):
        _set_enabled(apigw, api_key_id, False)
    apigw.untag_resource(
        resourceArn=_key_arn(apigw, api_key_id), tagKeys=[QUARANTINED_TAG, QUARANTINED_AT_TAG]
    )
    return True
