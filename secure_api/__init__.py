"""secure_api: Amazon API Gateway REST, WebSocket and HTTP APIs that are secure from their first line.

The public names are loaded lazily so that ``secure_api.keys`` (the API key operations shared by the
``secure-api`` command and the Lambdas) can be imported where ``aws_cdk`` is not installed.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
"""The library's version, defined here only (``pyproject.toml`` reads it; ``secure-api --version`` prints it)."""

if TYPE_CHECKING:
    from secure_api.access import AccessPolicy
    from secure_api.audit import AuditTrail
    from secure_api.authorizer import BearerAuth
    from secure_api.domain import CustomDomain, MutualTls
    from secure_api.errors import SecureApiConfigError
    from secure_api.http.api import SecureHttpApi
    from secure_api.monitoring import Monitoring
    from secure_api.rest.api import SecureRestApi
    from secure_api.rest.cors import CorsPolicy
    from secure_api.rest.firewall import Firewall
    from secure_api.rest.route_record import Route
    from secure_api.throttling import Throttle
    from secure_api.usage_plans import Consumer, KeyRotation, Quota, UsageTier
    from secure_api.websocket.api import SecureWebSocketApi

_EXPORTS = {
    "SecureRestApi": "secure_api.rest.api",
    "SecureWebSocketApi": "secure_api.websocket.api",
    "SecureHttpApi": "secure_api.http.api",
    "AccessPolicy": "secure_api.access",
    "CorsPolicy": "secure_api.rest.cors",
    "CustomDomain": "secure_api.domain",
    "MutualTls": "secure_api.domain",
    "Firewall": "secure_api.rest.firewall",
    "AuditTrail": "secure_api.audit",
    "BearerAuth": "secure_api.authorizer",
    "Throttle": "secure_api.throttling",
    "Quota": "secure_api.usage_plans",
    "UsageTier": "secure_api.usage_plans",
    "Consumer": "secure_api.usage_plans",
    "KeyRotation": "secure_api.usage_plans",
    "Monitoring": "secure_api.monitoring",
    "Route": "secure_api.rest.route_record",
    "SecureApiConfigError": "secure_api.errors",
}

__all__ = [
    "AccessPolicy",
    "AuditTrail",
    "BearerAuth",
    "Consumer",
    "CorsPolicy",
    "CustomDomain",
    "Firewall",
    "KeyRotation",
    "Monitoring",
    "MutualTls",
    "Quota",
    "Route",
    "SecureApiConfigError",
    "SecureHttpApi",
    "SecureRestApi",
    "SecureWebSocketApi",
    "Throttle",
    "UsageTier",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'secure_api' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
