"""``CorsPolicy``: CORS preflight on the resources that carry methods, and on API Gateway's own errors."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw

from secure_api import defaults
from secure_api.errors import SecureApiConfigError, is_token

_ORIGIN = re.compile(r"^https?://(\*\.)?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*(:\d{1,5})?$")


@dataclass(frozen=True)
class CorsPolicy:
    """Which browser origins may call the API.

    ``allow_origins`` may be positional (``CorsPolicy(["https://app.example.com"])``) or a keyword;
    every other option is keyword-only. Origins are exact ``scheme://host[:port]`` values (no path, no
    trailing slash), or the wildcard alone: ``CorsPolicy("*")`` or ``CorsPolicy(["*"])``. ``"*"`` together
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
        if isinstance(origins, str) or not origins:
            raise SecureApiConfigError(
                "CorsPolicy.allow_origins", origins, "a non-empty list such as ['https://app.example.com']"
            )
        object.__setattr__(self, "allow_origins", tuple(origins))
        for i, origin in enumerate(origins):
            if is_token(origin) or origin == "*":
                continue
            if not isinstance(origin, str) or not _ORIGIN.match(origin):
                raise SecureApiConfigError(
                    f"CorsPolicy.allow_origins[{i}]",
                    origin,
                    "'*' or an origin 'scheme://host[:port]' with no path or trailing slash",
                )
        if "*" in origins and len(origins) > 1:
            raise SecureApiConfigError(
                "CorsPolicy.allow_origins", list(origins), "'*' alone, not mixed with origins"
            )
        if "*" in origins and self.allow_credentials:
            raise SecureApiConfigError(
                "CorsPolicy.allow_credentials",
                True,
                "False when allow_origins is '*' (a wildcard origin with credentials is rejected)",
            )
        bad = [m for m in self.allow_methods if not isinstance(m, str) or m.upper() not in _METHODS]
        if bad or not self.allow_methods:
            raise SecureApiConfigError(
                "CorsPolicy.allow_methods", list(self.allow_methods), f"methods among {_METHODS}"
            )
        object.__setattr__(self, "allow_methods", tuple(m.upper() for m in self.allow_methods))
        object.__setattr__(self, "allow_headers", tuple(self.allow_headers))
        object.__setattr__(self, "expose_headers", tuple(self.expose_headers))
        seconds = self.max_age.to_seconds()
        if not is_token(seconds) and not 0 <= seconds <= 86400:
            raise SecureApiConfigError("CorsPolicy.max_age", f"{seconds}s", "between 0 and 86400 seconds")

    def add_preflight(self, resource: apigw.IResource) -> apigw.Method:
        """Add the unauthenticated ``OPTIONS`` method (a MOCK integration) to one resource."""
        return resource.add_cors_preflight(
            allow_origins=list(self.allow_origins),
            allow_methods=list(self.allow_methods),
            allow_headers=list(self.allow_headers),
            expose_headers=list(self.expose_headers) or None,
            allow_credentials=self.allow_credentials,
            max_age=self.max_age,
        )

    def gateway_response_headers(self) -> dict[str, str]:
        """Headers for API Gateway's own error responses (401, 403, 429, WAF blocks, ...).

        A single origin (or ``*``) is sent as is. With several origins a static header cannot name
        the right one, so the caller's ``Origin`` is reflected with ``Vary: Origin``; those bodies are
        only API Gateway's error messages, and credentials are then not allowed on them.
        """
        headers = {"Access-Control-Allow-Headers": _quote(",".join(self.allow_headers))}
        if len(self.allow_origins) == 1:
            headers["Access-Control-Allow-Origin"] = _quote(self.allow_origins[0])
            if self.allow_credentials:
                headers["Access-Control-Allow-Credentials"] = "'true'"
        else:
            headers["Access-Control-Allow-Origin"] = "method.request.header.Origin"
        headers["Vary"] = "'Origin'"
        if self.expose_headers:
            headers["Access-Control-Expose-Headers"] = _quote(",".join(self.expose_headers))
        return headers

    def add_gateway_responses(self, api: apigw.RestApi) -> None:
        """CORS headers on every gateway response a browser needs to read."""
        headers = self.gateway_response_headers()
        for name in defaults.CORS_GATEWAY_RESPONSES:
            api.add_gateway_response(
                f"Cors{name.title().replace('_', '')}",
                type=apigw.ResponseType.of(name),
                response_headers=headers,
            )


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "ANY")


def _quote(value: str) -> str:
    return "'" + value + "'"
