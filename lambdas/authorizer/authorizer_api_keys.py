"""Resolve the API Gateway key a caller's requests are metered against (key source AUTHORIZER).

The claim named by ``API_KEY_CLAIM`` names a consumer; that consumer's current key value lives in the
Secrets Manager secret ``secure-api/<restApiId>/<consumer>`` (JSON field ``apiKey``). Lookups are cached
briefly per container; boto3 is imported only when the feature is used.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

CACHE_SECONDS = 300.0
MISSING_CACHE_SECONDS = 60.0
MAX_CACHE_ENTRIES = 1024
_CONSUMER = re.compile(r"[A-Za-z0-9._+=@-]{1,128}")


class ApiKeyNotFound(Exception):
    """The consumer has no usable key; the request is denied."""


def secret_id(api_id: str, consumer: str) -> str:
    """The Secrets Manager name holding ``consumer``'s key for the REST API ``api_id``."""
    return f"secure-api/{api_id}/{consumer}"


def _secrets_manager_reader() -> Callable[[str], str | None]:
    # boto3 costs hundreds of milliseconds to import; only APIs with API_KEY_CLAIM pay for it.
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "secretsmanager",
        config=Config(connect_timeout=2, read_timeout=2, retries={"max_attempts": 2, "mode": "standard"}),
    )

    def read(name: str) -> str | None:
        try:
            response: dict[str, Any] = client.get_secret_value(SecretId=name)
        except client.exceptions.ResourceNotFoundException:
            return None
        value = response.get("SecretString")
        return value if isinstance(value, str) else None

    return read


class ApiKeyResolver:
    """Consumer name -> current API key value, cached per container."""

    def __init__(self, read_secret: Callable[[str], str | None] | None = None) -> None:
        """``read_secret`` returns a secret's string value or ``None``; defaults to Secrets Manager."""
        self._read_secret = read_secret
        self._cache: dict[str, tuple[str | None, float]] = {}

    def _lookup(self, name: str) -> str | None:
        if self._read_secret is None:
            self._read_secret = _secrets_manager_reader()
        raw = self._read_secret(name)
        if raw is None:
            return None
        try:
            document = json.loads(raw)
        except ValueError:
            return None
        if not isinstance(document, dict) or document.get("revoked"):
            return None
        key = document.get("apiKey")
        return key if isinstance(key, str) and key else None

    def api_key(self, api_id: str, consumer: object, now: float) -> str:
        """Return the key value for ``consumer``; raise :class:`ApiKeyNotFound` when there is none."""
        if not isinstance(consumer, str) or not _CONSUMER.fullmatch(consumer):
            raise ApiKeyNotFound("invalid consumer")
        name = secret_id(api_id, consumer)
        cached = self._cache.get(name)
        if cached is None or now >= cached[1]:
            key = self._lookup(name)
            if len(self._cache) >= MAX_CACHE_ENTRIES:
                self._cache.clear()
            self._cache[name] = (key, now + (CACHE_SECONDS if key else MISSING_CACHE_SECONDS))
        else:
            key = cached[0]
        if key is None:
            raise ApiKeyNotFound("no key for consumer")
        return key
