"""Configuration of the bearer-token authorizer, read once per container from environment variables."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

SUPPORTED_ALGORITHMS = frozenset({"RS256", "PS256", "ES256", "EdDSA"})
DEFAULT_ALGORITHMS = ("RS256",)
DEFAULT_LEEWAY_SECONDS = 30
MAX_LEEWAY_SECONDS = 60
DEFAULT_JWKS_CACHE_SECONDS = 600
MAX_JWKS_CACHE_SECONDS = 86_400
DEFAULT_AUDIENCE_CLAIM = "aud"
AUDIENCE_CLAIMS = frozenset({"aud", "client_id"})

HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"})
_LITERAL_SEGMENT = re.compile(r"[A-Za-z0-9._~!$&'()+,;=:@-]+")
_PARAMETER_SEGMENT = re.compile(r"\{[A-Za-z0-9._-]+\+?\}")
_SCOPE = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
_CLAIM_NAME = re.compile(r"[A-Za-z0-9_:./-]{1,128}")


class ConfigError(ValueError):
    """The authorizer's environment is invalid; every request is then denied."""


@dataclass(frozen=True, slots=True)
class Route:
    """One ``ROUTE_SCOPES`` entry: an API route and the scopes a token must hold to call it."""

    method: str
    path: str
    scopes: frozenset[str]

    @property
    def resource_suffix(self) -> str:
        """The ``<METHOD>/<path>`` part of the route's execute-api ARN; path parameters become ``*``."""
        method = "*" if self.method == "ANY" else self.method
        segments = ["*" if s.startswith("{") else s for s in self.path.split("/")[1:]]
        return f"{method}/{'/'.join(segments)}"


@dataclass(frozen=True, slots=True)
class AuthorizerConfig:
    """The validated environment of the authorizer."""

    jwks_uri: str
    issuer: str
    audiences: frozenset[str]
    algorithms: frozenset[str]
    leeway_seconds: int
    jwks_cache_seconds: int
    routes: tuple[Route, ...] | None
    api_key_claim: str | None
    audience_claim: str


def _required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is required")
    return value


def _csv(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _int(environ: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not re.fullmatch(r"[0-9]{1,6}", raw):
        raise ConfigError(f"{name} must be a whole number of seconds, got {raw!r}")
    value = int(raw)
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_jwks_uri(value: str) -> str:
    """Accept an ``https`` URL, or ``http`` for a loopback host only (local testing)."""
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError as error:
        raise ConfigError(f"JWKS_URI is not a valid URL: {value!r}") from error
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        raise ConfigError(f"JWKS_URI must be an absolute URL without credentials, got {value!r}")
    if parts.scheme == "https" or (parts.scheme == "http" and _is_loopback(host)):
        return value
    raise ConfigError(f"JWKS_URI must use https (http only for loopback hosts), got {value!r}")


def parse_route_key(key: str) -> tuple[str, str]:
    """Split ``"GET /orders/{id}"`` into method and path, rejecting anything that would widen a policy."""
    method, sep, path = key.partition(" ")
    if not sep or method not in HTTP_METHODS or not path.startswith("/"):
        raise ConfigError(f"ROUTE_SCOPES key must look like 'GET /orders/{{id}}', got {key!r}")
    if path != "/":
        for segment in path.split("/")[1:]:
            if not (_LITERAL_SEGMENT.fullmatch(segment) or _PARAMETER_SEGMENT.fullmatch(segment)):
                raise ConfigError(f"ROUTE_SCOPES key {key!r} has an invalid path segment {segment!r}")
    return method, path


def parse_route_scopes(value: str) -> tuple[Route, ...]:
    """Parse ``ROUTE_SCOPES``: a JSON object of route key -> list of scope strings."""
    try:
        data = json.loads(value)
    except ValueError as error:
        raise ConfigError("ROUTE_SCOPES must be a JSON object") from error
    if not isinstance(data, dict) or not data:
        raise ConfigError("ROUTE_SCOPES must be a non-empty JSON object")
    routes: list[Route] = []
    for key, scopes in data.items():
        method, path = parse_route_key(key)
        if not isinstance(scopes, list) or not all(
            isinstance(s, str) and _SCOPE.fullmatch(s) for s in scopes
        ):
            raise ConfigError(f"ROUTE_SCOPES[{key!r}] must be a list of scope strings")
        routes.append(Route(method, path, frozenset(scopes)))
    return tuple(routes)


def load_config(environ: Mapping[str, str]) -> AuthorizerConfig:
    """Validate the environment; raise :class:`ConfigError` naming the first bad variable."""
    jwks_uri = parse_jwks_uri(_required(environ, "JWKS_URI"))
    issuer = _required(environ, "ISSUER")
    audiences = _csv(_required(environ, "AUDIENCE"))
    if not audiences:
        raise ConfigError("AUDIENCE must name at least one audience")
    algorithms = _csv(environ.get("ALGORITHMS", "")) or list(DEFAULT_ALGORITHMS)
    unsupported = sorted(set(algorithms) - SUPPORTED_ALGORITHMS)
    if unsupported:
        raise ConfigError(
            f"ALGORITHMS may contain only {sorted(SUPPORTED_ALGORITHMS)}, got unsupported {unsupported}"
        )
    leeway = _int(environ, "LEEWAY_SECONDS", DEFAULT_LEEWAY_SECONDS, 0, MAX_LEEWAY_SECONDS)
    cache_seconds = _int(
        environ, "JWKS_CACHE_SECONDS", DEFAULT_JWKS_CACHE_SECONDS, 30, MAX_JWKS_CACHE_SECONDS
    )
    raw_routes = environ.get("ROUTE_SCOPES", "").strip()
    routes = parse_route_scopes(raw_routes) if raw_routes else None
    api_key_claim = environ.get("API_KEY_CLAIM", "").strip() or None
    if api_key_claim is not None and not _CLAIM_NAME.fullmatch(api_key_claim):
        raise ConfigError(f"API_KEY_CLAIM must be a claim name, got {api_key_claim!r}")
    audience_claim = environ.get("AUDIENCE_CLAIM", "").strip() or DEFAULT_AUDIENCE_CLAIM
    if audience_claim not in AUDIENCE_CLAIMS:
        raise ConfigError(f"AUDIENCE_CLAIM must be one of {sorted(AUDIENCE_CLAIMS)}, got {audience_claim!r}")
    return AuthorizerConfig(
        jwks_uri=jwks_uri,
        issuer=issuer,
        audiences=frozenset(audiences),
        algorithms=frozenset(algorithms),
        leeway_seconds=leeway,
        jwks_cache_seconds=cache_seconds,
        routes=routes,
        api_key_claim=api_key_claim,
        audience_claim=audience_claim,
    )
