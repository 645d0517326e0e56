"""Configuration of the bearer-token authorizer, read once per container from environment variables.

What the construct also checks (scope tokens, claim names, URLs, route keys) comes from
``secure_api.grammar``, bundled beside this module, so that synth and run time accept the same values.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from secure_api import grammar

SUPPORTED_ALGORITHMS = frozenset(grammar.SUPPORTED_ALGORITHMS)
DEFAULT_ALGORITHMS = ("RS256",)
DEFAULT_LEEWAY_SECONDS = 30
MAX_LEEWAY_SECONDS = grammar.MAX_LEEWAY_SECONDS
DEFAULT_JWKS_CACHE_SECONDS = 600
MAX_JWKS_CACHE_SECONDS = grammar.MAX_JWKS_CACHE_SECONDS
DEFAULT_AUDIENCE_CLAIM = "aud"
AUDIENCE_CLAIMS = frozenset(grammar.AUDIENCE_CLAIMS)
HTTP_METHODS = frozenset(grammar.HTTP_METHODS)
CODE_ROOT = Path(__file__).resolve().parent
"""The function's code package: a relative ``ROUTE_SCOPES_FILE`` is read from here."""
MAX_ROUTE_SCOPES_FILE_BYTES = 16 * 1024 * 1024


class ConfigError(ValueError):
    """The authorizer's environment is invalid; every request is then denied."""


class Route(NamedTuple):
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


IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class ConnectConfig(NamedTuple):
    """What a WebSocket ``$connect`` request must also satisfy (all empty for a REST API)."""

    scopes: frozenset[str] = frozenset()
    allowed_origins: frozenset[str] | None = None
    allow_ip_ranges: tuple[IpNetwork, ...] | None = None
    deny_ip_ranges: tuple[IpNetwork, ...] = ()
    token_query_parameter: str | None = None


class AuthorizerConfig(NamedTuple):
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
    connect: ConnectConfig = ConnectConfig()


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


def parse_jwks_uri(value: str) -> str:
    """Accept an ``https`` URL, or ``http`` for a loopback host only (local testing)."""
    problem = grammar.url_problem(value)
    if problem is not None:
        raise ConfigError(f"JWKS_URI must be {problem}, got {value!r}")
    return value


def parse_route_key(key: str) -> tuple[str, str]:
    """Split ``"GET /orders/{id}"`` into method and path, rejecting anything that would widen a policy."""
    problem = grammar.route_key_problem(key)
    if problem is not None:
        raise ConfigError(f"ROUTE_SCOPES key must be {problem}, got {key!r}")
    method, _, path = key.partition(" ")
    return method, path


def parse_route_scopes(value: str, *, source: str = "ROUTE_SCOPES") -> tuple[Route, ...]:
    """Parse ``ROUTE_SCOPES`` (or the content of ``ROUTE_SCOPES_FILE``): route key -> list of scopes."""
    try:
        data = json.loads(value)
    except ValueError as error:
        raise ConfigError(f"{source} must be a JSON object") from error
    if not isinstance(data, dict) or not data:
        raise ConfigError(f"{source} must be a non-empty JSON object")
    routes: list[Route] = []
    for key, scopes in data.items():
        method, path = parse_route_key(key)
        if not isinstance(scopes, list) or not all(grammar.scope_problem(s) is None for s in scopes):
            raise ConfigError(f"{source}[{key!r}] must be a list of scope strings")
        routes.append(Route(method, path, frozenset(scopes)))
    return tuple(routes)


def read_route_scopes_file(value: str, code_root: Path = CODE_ROOT) -> tuple[Route, ...]:
    """Read ``ROUTE_SCOPES_FILE``: a path inside the code package (relative to it) or an absolute path."""
    path = Path(value)
    if not path.is_absolute():
        path = code_root / path
    try:
        with path.open("rb") as file:
            data = file.read(MAX_ROUTE_SCOPES_FILE_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"ROUTE_SCOPES_FILE {value!r} cannot be read") from error
    if len(data) > MAX_ROUTE_SCOPES_FILE_BYTES:
        raise ConfigError(f"ROUTE_SCOPES_FILE {value!r} is larger than {MAX_ROUTE_SCOPES_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"ROUTE_SCOPES_FILE {value!r} is not UTF-8") from error
    return parse_route_scopes(text, source="ROUTE_SCOPES_FILE")


def load_routes(environ: Mapping[str, str], code_root: Path = CODE_ROOT) -> tuple[Route, ...] | None:
    """The route scopes from ``ROUTE_SCOPES`` or ``ROUTE_SCOPES_FILE`` (both set is an error), or None."""
    raw = environ.get("ROUTE_SCOPES", "").strip()
    file_name = environ.get("ROUTE_SCOPES_FILE", "").strip()
    if raw and file_name:
        raise ConfigError("set ROUTE_SCOPES or ROUTE_SCOPES_FILE, not both")
    if file_name:
        return read_route_scopes_file(file_name, code_root)
    return parse_route_scopes(raw) if raw else None


def _json_strings(environ: Mapping[str, str], name: str, *, allow_empty: bool = False) -> list[str] | None:
    """An optional JSON array of distinct strings (non-empty unless ``allow_empty``), or None when the
    variable is unset."""
    raw = environ.get(name, "").strip()
    if not raw:
        return None
    try:
        data = json.loads(raw)
    except ValueError as error:
        raise ConfigError(f"{name} must be a JSON array of strings") from error
    if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
        raise ConfigError(f"{name} must be a JSON array of strings")
    if not data and not allow_empty:
        raise ConfigError(f"{name} must be a non-empty JSON array of strings")
    if len(set(data)) != len(data):
        raise ConfigError(f"{name} must not repeat an entry")
    return data


def _networks(environ: Mapping[str, str], name: str) -> tuple[IpNetwork, ...] | None:
    values = _json_strings(environ, name)
    if values is None:
        return None
    networks: list[IpNetwork] = []
    for value in values:
        try:
            if "/" not in value:
                raise ValueError(value)
            networks.append(ipaddress.ip_network(value, strict=True))
        except ValueError as error:
            raise ConfigError(
                f"{name} entries must be CIDR blocks with no host bits set such as '203.0.113.0/24', "
                f"got {value!r}"
            ) from error
    return tuple(networks)


def load_connect(environ: Mapping[str, str]) -> ConnectConfig:
    """The ``$connect`` variables: ``CONNECT_SCOPES``, ``ALLOWED_ORIGINS``, ``ALLOW_IP_RANGES``,
    ``DENY_IP_RANGES`` (JSON arrays) and ``TOKEN_QUERY_PARAMETER``; raise :class:`ConfigError`."""
    # An empty list is "no scope required" (DESIGN.md), unlike an empty origin or address list, which
    # would refuse every connection.
    scopes = _json_strings(environ, "CONNECT_SCOPES", allow_empty=True) or []
    for scope in scopes:
        if grammar.scope_problem(scope) is not None:
            raise ConfigError(f"CONNECT_SCOPES entries must be {grammar.scope_problem(scope)}, got {scope!r}")
    origins = _json_strings(environ, "ALLOWED_ORIGINS")
    for origin in origins or ():
        if grammar.origin_problem(origin) is not None:
            raise ConfigError(
                f"ALLOWED_ORIGINS entries must be {grammar.origin_problem(origin)}, got {origin!r}"
            )
    query = environ.get("TOKEN_QUERY_PARAMETER", "").strip() or None
    if query is not None and grammar.query_parameter_problem(query) is not None:
        raise ConfigError(
            f"TOKEN_QUERY_PARAMETER must be {grammar.query_parameter_problem(query)}, got {query!r}"
        )
    return ConnectConfig(
        scopes=frozenset(scopes),
        allowed_origins=None if origins is None else frozenset(origins),
        allow_ip_ranges=_networks(environ, "ALLOW_IP_RANGES"),
        deny_ip_ranges=_networks(environ, "DENY_IP_RANGES") or (),
        token_query_parameter=query,
    )


def load_config(environ: Mapping[str, str], code_root: Path = CODE_ROOT) -> AuthorizerConfig:
    """Validate the environment; raise :class:`ConfigError` naming the first bad variable.

    ``code_root`` is the function's code package, where a relative ``ROUTE_SCOPES_FILE`` is found.
    """
    jwks_uri = parse_jwks_uri(_required(environ, "JWKS_URI"))
    issuer = _required(environ, "ISSUER")
    if grammar.issuer_problem(issuer) is not None:
        raise ConfigError(f"ISSUER must be {grammar.issuer_problem(issuer)}, got {issuer!r}")
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
    routes = load_routes(environ, code_root)
    api_key_claim = environ.get("API_KEY_CLAIM", "").strip() or None
    if api_key_claim is not None and grammar.claim_name_problem(api_key_claim) is not None:
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
        connect=load_connect(environ),
    )
