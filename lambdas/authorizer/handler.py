"""API Gateway authorizer for JWT bearer tokens (entry point ``handler.handler``).

Answers REST TOKEN events, WebSocket ``$connect`` REQUEST events and HTTP API REQUEST events in payload
format 2.0 (DESIGN.md). Configured by
environment variables (``JWKS_URI``, ``ISSUER``, ``AUDIENCE``, ``ALGORITHMS``, ``LEEWAY_SECONDS``,
``ROUTE_SCOPES`` or ``ROUTE_SCOPES_FILE`` (a JSON file in the code package; both set is a configuration
error), ``API_KEY_CLAIM``, ``JWKS_CACHE_SECONDS``, ``AUDIENCE_CLAIM``; for ``$connect`` also
``CONNECT_SCOPES``, ``ALLOWED_ORIGINS``, ``ALLOW_IP_RANGES``, ``DENY_IP_RANGES`` and
``TOKEN_QUERY_PARAMETER``; for HTTP APIs ``ALLOW_IP_RANGES`` and ``DENY_IP_RANGES``), read once per
container. Every failure -- bad token, bad configuration,
unreachable JWKS or a bug -- ends in ``Exception("Unauthorized")``, which API Gateway turns into a 401;
nothing else is ever raised. A verified token that may not connect, or call from its address, gets a
``Deny`` policy (403).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from authorizer_config import ConfigError
from authorizer_core import Authorizer
from authorizer_jwt import Denied
from authorizer_log import LOGGER, log_denial

clock = time.time
"""The time source (seconds since the epoch); tests replace it."""

_authorizer: Authorizer | ConfigError | None = None


def _get_authorizer() -> Authorizer:
    global _authorizer  # noqa: PLW0603 -- one configuration and key cache per container
    if _authorizer is None:
        try:
            _authorizer = Authorizer.from_environ(os.environ)
        except ConfigError as error:
            _authorizer = error
            LOGGER.error(json.dumps({"event": "authorizer_config_error", "message": str(error)}))
    if isinstance(_authorizer, ConfigError):
        raise Denied("invalid_config")
    return _authorizer


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Authorize one request: the policy document, or ``Exception("Unauthorized")``."""
    try:
        authorizer = _authorizer
        if type(authorizer) is not Authorizer:  # not configured yet, or a configuration error
            authorizer = _get_authorizer()
        return authorizer.authorize(event, clock())
    except Denied as denied:
        log_denial(denied.reason, denied.kid, denied.iss)
    except Exception as error:  # any bug must deny, never allow or leak details
        log_denial(f"internal_error:{type(error).__name__}")
    # Raised outside the except blocks so no chained exception (which may quote token data) is reported.
    raise Exception("Unauthorized")  # API Gateway maps exactly this message to 401
