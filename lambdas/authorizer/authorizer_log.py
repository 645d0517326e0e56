"""The authorizer's one log record: a denial's fixed reason code, never token data."""

from __future__ import annotations

import json
import logging

LOGGER = logging.getLogger("secure_api.authorizer")


def log_denial(reason: str, kid: str | None = None, iss: str | None = None) -> None:
    """Log why a request was refused (``reason`` is a fixed code; ``kid``/``iss`` are truncated)."""
    record: dict[str, str] = {"event": "authorizer_denied", "reason": reason}
    if kid is not None:
        record["kid"] = kid[:256]
    if iss is not None:
        record["iss"] = iss[:256]
    LOGGER.warning(json.dumps(record, ensure_ascii=True))
