"""``CorsPolicy``: which origins may call the API (its body renders the preflights and the CORS headers
of API Gateway's own errors)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass
from typing import Any

from aws_cdk import Duration

from secure_api import defaults
from secure_api.errors import SecureApiConfigError, is_token

# What a browser sends as Origin: scheme, lower-case host, and a port only when it is not the default.
_ORIGIN = re.compile(r"(?P<scheme>https?)://[a-z0-9-]+(\.[a-z0-9-]+)*(:(?P<port>[0-9]{1,5}))?")
# RFC 9110 header field names (tokens), without "'", which would end API Gateway's static value.
_HEADER = re.compile(r"[!#$%&*+.^_`|~0-9A-Za-z-]+")
_DEFAULT_PORTS = {"https": 443, "http": 80}


@dataclass(frozen=True)
class CorsPolicy:
    """Which browser origins may call the API.

    ``allow_origins`` may be positional (``CorsPolicy(["https://app.example.com"])``) or a keyword;
    every other option is keyword-only. Origins are exact ``scheme://host[:port]`` values as browsers
    send them (lower-case host, no default port, no path, no trailing slash, no wildcard subdomain), or
    the wildcard alone: ``CorsPolicy("*")`` or ``CorsPolicy(["*"])``. Every list is a list, never a string;
    headers are header names; ``max_age`` is a ``Duration`` of whole seconds, at most 24 hours. ``"*"`` together
    with ``allow_credentials=True`` is rejected (browsers refuse it, and it would expose every
    caller's credentials to any site). Preflight ``OPTIONS`` methods never require auth or a key.
    Defaults: methods GET, POST, PUT, PATCH, DELETE, HEAD; headers Content-Type, Authorization,
    X-Api-Key, X-Amz-Date, X-Amz-Security-Token; no credentials; preflight cached 1 hour.
    """

    allow_origins: Sequence[str]
    _: KW_ONLY
    allow_methods: Sequence[str] = defaults.CORS_ALLOW_METHODS
    allow_headers: Sequence[str] = defaults.CORS_ALLOW_HEADERS
    expose_headers: Sequence[str] = ()
    allow_credentials: bool = False
    max_age: Duration = defaults.CORS_MAX_AGE

    def __post_init__(self) -> None:
        origins = self.allow_origins
        if origins == "*":
            origins = ("*",)
        if isinstance(origins, str | bytes) or not isinstance(origins, Sequence) or not origins:
            raise SecureApiConfigError(
                "CorsPolicy.allow_origins", origins, "a non-empty list such as ['https://app.example.com']"
            )
        object.__setattr__(self, "allow_origins", tuple(origins))
        for i, origin in enumerate(origins):
            if is_token(origin) or origin == "*":
                continue
            problem = _origin_problem(origin)
            if problem is not None:
                raise SecureApiConfigError(f"CorsPolicy.allow_origins[{i}]", origin, problem)
        if "*" in origins and len(origins) > 1:
            raise SecureApiConfigError(
                "CorsPolicy.allow_origins", list(origins), "'*' alone, not mixed with origins"
            )
        if not isinstance(self.allow_credentials, bool):
            raise SecureApiConfigError(
                "CorsPolicy.allow_credentials", self.allow_credentials, "True or False"
            )
        if "*" in origins and self.allow_credentials:
            raise SecureApiConfigError(
                "CorsPolicy.allow_credentials",
                True,
                "False when allow_origins is '*' (a wildcard origin with credentials is rejected)",
            )
        methods = _strings("CorsPolicy.allow_methods", self.allow_methods)
        bad = [m for m in methods if m.upper() not in _METHODS]
        if bad or not methods:
            raise SecureApiConfigError("CorsPolicy.allow_methods", list(methods), f"methods among {_METHODS}")
        if "ANY" in (m.upper() for m in methods) and len(methods) > 1:
            raise SecureApiConfigError(
                "CorsPolicy.allow_methods", list(methods), "'ANY' alone (it stands for every method)"
            )
        object.__setattr__(self, "allow_methods", tuple(dict.fromkeys(m.upper() for m in methods)))
        for name in ("allow_headers", "expose_headers"):
            headers = _strings(f"CorsPolicy.{name}", getattr(self, name))
            for i, header in enumerate(headers):
                if not is_token(header) and not _HEADER.fullmatch(header):
                    raise SecureApiConfigError(
                        f"CorsPolicy.{name}[{i}]", header, "a header name such as 'Content-Type'"
                    )
                if header == "*" and self.allow_credentials:
                    raise SecureApiConfigError(
                        f"CorsPolicy.{name}[{i}]",
                        header,
                        "header names: with allow_credentials browsers take '*' as a header called '*'",
                    )
            object.__setattr__(self, name, headers)
        if not isinstance(self.max_age, Duration):
            raise SecureApiConfigError(
                "CorsPolicy.max_age", self.max_age, "a Duration such as Duration.hours(1) (0 to 24 hours)"
            )
        if not is_token(self.max_age.to_string()):
            seconds = self.max_age.to_seconds(integral=False)
            if seconds != int(seconds) or not 0 <= seconds <= 86400:
                raise SecureApiConfigError(
                    "CorsPolicy.max_age",
                    self.max_age.to_human_string(),
                    "a Duration of whole seconds between 0 and 86400",
                )

    def gateway_response_headers(self) -> dict[str, str]:
        """Headers for API Gateway's own error responses (401, 403, 429, WAF blocks, ...).

        A single origin (or ``*``) is sent as is. A gateway response can map only static values or
        request and context values, so with several origins it cannot pick the caller's origin from
        the list: echoing ``method.request.header.Origin`` would let any site read them, and naming
        one origin would serve one site and not the others. With several origins no
        ``Access-Control-Allow-Origin`` (nor credentials) is sent: browsers then report those errors
        as CORS failures, the same way for every origin.
        """
        headers = {"Access-Control-Allow-Headers": _quote(",".join(self.allow_headers))}
        if len(self.allow_origins) == 1:
            headers["Access-Control-Allow-Origin"] = _quote(self.allow_origins[0])
            if self.allow_credentials:
                headers["Access-Control-Allow-Credentials"] = "'true'"
        headers["Vary"] = "'Origin'"
        if self.expose_headers:
            headers["Access-Control-Expose-Headers"] = _quote(",".join(self.expose_headers))
        return headers


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "ANY")


def _quote(value: str) -> str:
    return "'" + value + "'"


def _strings(field: str, values: Any) -> tuple[str, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise SecureApiConfigError(field, values, "a list of strings, not a string")
    for i, value in enumerate(values):
        if not isinstance(value, str):
            raise SecureApiConfigError(f"{field}[{i}]", value, "a string")
    return tuple(values)


def _origin_problem(origin: Any) -> str | None:
    expected = "'*' or an origin 'scheme://host[:port]' with no path or trailing slash"
    match = _ORIGIN.fullmatch(origin) if isinstance(origin, str) else None
    if match is None:
        if isinstance(origin, str) and "*" in origin:
            return f"{expected}: browsers never match a wildcard such as 'https://*.example.com', list each origin"
        if isinstance(origin, str) and origin != origin.lower():
            return f"{expected}, in lower case (browsers send the host in lower case)"
        return expected
    port = match["port"]
    if port is not None and (int(port) == _DEFAULT_PORTS[match["scheme"]] or not 1 <= int(port) <= 65535):
        return f"{expected}; browsers omit the default port, so {origin!r} would never match"
    return None
