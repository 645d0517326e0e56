"""The grammar the construct and the library's functions both check: scopes, claim names, URLs, route keys.

One module, so that what the construct accepts at synth is exactly what the deployed functions accept at
run time. Importable without ``aws_cdk`` (standard library only): it is bundled into the authorizer,
which imports it as ``secure_api.grammar``. Each check returns ``None`` for a valid value, or a short
reason the caller turns into its own error (``SecureApiConfigError`` in the construct, ``ConfigError``
in a function).
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping
from urllib.parse import urlsplit

# RFC 6749 section 3.3: scope-token = 1*NQCHAR, NQCHAR = %x21 / %x23-5B / %x5D-7E (printable ASCII
# except space, '"' and '\'); a token's scopes are separated by single spaces.
SCOPE_TOKEN = re.compile(r"[\x21\x23-\x5b\x5d-\x7e]+")
# Claim names the authorizer reads a value from (``API_KEY_CLAIM``).
CLAIM_NAME = re.compile(r"[A-Za-z0-9_:./-]{1,128}")

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
# A route key's path segments, as the authorizer's policy builder accepts them (a superset of what the
# construct's ``RouteKey`` accepts).
LITERAL_SEGMENT = re.compile(r"[A-Za-z0-9._~!$&'()+,;=:@-]+")
PARAMETER_SEGMENT = re.compile(r"\{[A-Za-z0-9._-]+\+?\}")

SUPPORTED_ALGORITHMS = ("RS256", "ES256", "PS256", "EdDSA")
AUDIENCE_CLAIMS = ("aud", "client_id")
MAX_LEEWAY_SECONDS = 60
MIN_JWKS_CACHE_SECONDS = 30
MAX_JWKS_CACHE_SECONDS = 86_400

ROUTE_SCOPES_FILE_NAME = "route_scopes.json"
"""Where the construct writes the route scopes inside the authorizer's code package (``ROUTE_SCOPES_FILE``)."""

LAMBDA_ENVIRONMENT_MAX_BYTES = 4096
"""Lambda's limit on the total size of a function's environment variables."""

_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")


def scope_problem(value: object) -> str | None:
    """``None`` for an OAuth scope token (RFC 6749: printable ASCII, no space, '"' or '\\')."""
    if not isinstance(value, str) or not SCOPE_TOKEN.fullmatch(value):
        return "a scope of printable ASCII characters without spaces, '\"' or '\\' (RFC 6749)"
    return None


def claim_name_problem(value: object) -> str | None:
    """``None`` for a claim name: 1-128 letters, digits, '_', ':', '.', '/' or '-'."""
    if not isinstance(value, str) or not CLAIM_NAME.fullmatch(value):
        return "a claim name of 1-128 letters, digits, '_', ':', '.', '/' or '-'"
    return None


def audience_problem(value: object) -> str | None:
    """``None`` for one accepted audience: non-empty, no ',' (the list separator), no surrounding spaces."""
    if not isinstance(value, str) or not value or "," in value or value != value.strip():
        return "a non-empty audience without ',' or leading/trailing whitespace"
    return None


def issuer_problem(value: object) -> str | None:
    """``None`` for an issuer the authorizer compares ``iss`` with: non-empty, no whitespace or controls."""
    if not isinstance(value, str) or not value or _CONTROL_OR_SPACE.search(value):
        return "a non-empty issuer without whitespace or control characters"
    return None


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def url_problem(value: object) -> str | None:
    """``None`` for an absolute ``https`` URL (``http`` only for a loopback host) without credentials,
    fragment, whitespace or control characters, whose port (if any) is valid."""
    expected = "an https:// URL without credentials or fragment (plain http only for loopback hosts)"
    if not isinstance(value, str) or not value or _CONTROL_OR_SPACE.search(value) or not value.isascii():
        return expected
    try:
        parts = urlsplit(value)
        host = parts.hostname or ""
        _ = parts.port
    except ValueError:
        return expected
    if not host or parts.username is not None or parts.password is not None or parts.fragment:
        return expected
    if "@" in parts.netloc:
        return expected
    if parts.scheme == "https" or (parts.scheme == "http" and is_loopback(host)):
        return None
    return expected


def route_key_problem(key: object) -> str | None:
    """``None`` for a route key ``"GET /orders/{id}"`` that the authorizer can turn into a policy resource."""
    expected = "a route key such as 'GET /orders/{id}'"
    if not isinstance(key, str):
        return expected
    method, sep, path = key.partition(" ")
    if not sep or method not in HTTP_METHODS or not path.startswith("/"):
        return expected
    if path != "/":
        for segment in path.split("/")[1:]:
            if not (LITERAL_SEGMENT.fullmatch(segment) or PARAMETER_SEGMENT.fullmatch(segment)):
                return f"{expected} (invalid path segment {segment!r})"
    return None


# What a browser sends as Origin: scheme, lower-case host, a port only when it is not the default.
ORIGIN = re.compile(r"(?P<scheme>https?)://[a-z0-9-]+(\.[a-z0-9-]+)*(:(?P<port>[0-9]{1,5}))?")
_DEFAULT_PORTS = {"http": 80, "https": 443}
QUERY_PARAMETER = re.compile(r"[A-Za-z0-9._-]{1,128}")
"""A query string parameter name that may carry a WebSocket client's token."""


def origin_problem(value: object) -> str | None:
    """``None`` for an exact browser origin ``scheme://host[:port]`` as browsers serialise it."""
    expected = "an exact origin 'scheme://host[:port]' in lower case, with no path, trailing slash or '*'"
    match = ORIGIN.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        return expected
    port = match["port"]
    if port is not None and (int(port) == _DEFAULT_PORTS[match["scheme"]] or not 1 <= int(port) <= 65535):
        return f"{expected}; browsers omit the default port"
    return None


def query_parameter_problem(value: object) -> str | None:
    """``None`` for a query string parameter name of 1-128 letters, digits, '.', '_' or '-'."""
    if not isinstance(value, str) or not QUERY_PARAMETER.fullmatch(value):
        return "a query string parameter name of 1-128 letters, digits, '.', '_' or '-'"
    return None


def environment_size(environment: Mapping[str, str]) -> int:
    """Bytes Lambda counts for an environment (measured generously, as its JSON encoding)."""
    return len(json.dumps(dict(environment), separators=(",", ":"), ensure_ascii=False).encode())
