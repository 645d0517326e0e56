"""``BearerAuth``: a Lambda TOKEN authorizer that verifies JWT bearer tokens against a JWKS."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

from aws_cdk import Duration, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from secure_api import defaults
from secure_api.errors import SecureApiConfigError, is_token, require_int
from secure_api.lambda_function import SecureFunction

ALGORITHMS = ("RS256", "ES256", "PS256", "EdDSA")


@dataclass(frozen=True, kw_only=True)
class BearerAuth:
    """Verify ``Authorization: Bearer <jwt>`` with a Lambda TOKEN authorizer.

    ``issuer`` must match the token's ``iss`` exactly; ``audience`` lists the accepted ``aud``
    values. ``jwks_uri`` defaults to ``<issuer>/.well-known/jwks.json``. ``algorithms`` (default
    ``["RS256"]``; ES256, PS256 and EdDSA selectable) are pinned here, never read from the token.
    Results are cached by API Gateway for ``cache_ttl`` (default 5 minutes, 0-3600 s); the policy
    never depends on the invoked route, so a cached result is right for every route. ``leeway``
    (default 30 s, at most 60 s) absorbs clock skew. ``api_key_claim`` makes the API's key source
    AUTHORIZER: the claim's value names the consumer whose API key meters the call.
    ``audience_claim`` is ``"aud"`` (default) or ``"client_id"`` (Cognito access tokens carry no
    ``aud``). The JWKS is cached for ``jwks_cache_ttl`` (default 10 minutes, 30 s to 1 day).
    The function runs on ARM64 with Python 3.12; ``reserved_concurrency`` is optional.
    """

    issuer: str
    audience: Sequence[str]
    jwks_uri: str | None = None
    algorithms: Sequence[str] = defaults.AUTHORIZER_ALGORITHMS
    cache_ttl: Duration = field(default=defaults.AUTHORIZER_CACHE_TTL, hash=False)
    leeway: Duration = field(default=defaults.AUTHORIZER_LEEWAY, hash=False)
    api_key_claim: str | None = None
    audience_claim: str = "aud"
    jwks_cache_ttl: Duration = field(default=defaults.AUTHORIZER_JWKS_CACHE_TTL, hash=False)
    reserved_concurrency: int | None = None
    memory_size: int = 512

    def __post_init__(self) -> None:
        _require_url("BearerAuth.issuer", self.issuer)
        if isinstance(self.audience, str) or not self.audience:
            raise SecureApiConfigError("BearerAuth.audience", self.audience, "a non-empty list of strings")
        for i, aud in enumerate(self.audience):
            if not is_token(aud) and (not isinstance(aud, str) or not aud or "," in aud):
                raise SecureApiConfigError(f"BearerAuth.audience[{i}]", aud, "a non-empty string without ','")
        object.__setattr__(self, "audience", tuple(self.audience))
        if self.jwks_uri is not None:
            _require_url("BearerAuth.jwks_uri", self.jwks_uri)
        if isinstance(self.algorithms, str) or not self.algorithms:
            raise SecureApiConfigError(
                "BearerAuth.algorithms", self.algorithms, f"a non-empty list among {ALGORITHMS}"
            )
        for alg in self.algorithms:
            if alg not in ALGORITHMS:
                raise SecureApiConfigError(
                    "BearerAuth.algorithms",
                    list(self.algorithms),
                    f"only {', '.join(ALGORITHMS)} ('{alg}' is not)",
                )
        object.__setattr__(self, "algorithms", tuple(self.algorithms))
        _require_seconds("BearerAuth.cache_ttl", self.cache_ttl, 3600)
        _require_seconds("BearerAuth.leeway", self.leeway, 60)
        _require_seconds("BearerAuth.jwks_cache_ttl", self.jwks_cache_ttl, 86400, minimum=30)
        if self.audience_claim not in ("aud", "client_id"):
            raise SecureApiConfigError(
                "BearerAuth.audience_claim", self.audience_claim, "'aud' or 'client_id'"
            )
        if self.api_key_claim is not None and (
            not isinstance(self.api_key_claim, str) or not self.api_key_claim
        ):
            raise SecureApiConfigError("BearerAuth.api_key_claim", self.api_key_claim, "a claim name")
        if self.reserved_concurrency is not None:
            require_int(
                "BearerAuth.reserved_concurrency", self.reserved_concurrency, minimum=1, maximum=10000
            )
        require_int("BearerAuth.memory_size", self.memory_size, minimum=128, maximum=10240)

    @property
    def resolved_jwks_uri(self) -> str:
        """``jwks_uri``, or the issuer's ``/.well-known/jwks.json``."""
        return self.jwks_uri or self.issuer.rstrip("/") + "/.well-known/jwks.json"

    def environment(self) -> dict[str, str]:
        """The function's configuration (DESIGN.md's authorizer contract), without ``ROUTE_SCOPES``."""
        env = {
            "JWKS_URI": self.resolved_jwks_uri,
            "ISSUER": self.issuer,
            "AUDIENCE": ",".join(self.audience),
            "ALGORITHMS": ",".join(self.algorithms),
            "LEEWAY_SECONDS": str(int(self.leeway.to_seconds())),
            "JWKS_CACHE_SECONDS": str(int(self.jwks_cache_ttl.to_seconds())),
        }
        if self.audience_claim != "aud":
            env["AUDIENCE_CLAIM"] = self.audience_claim
        if self.api_key_claim:
            env["API_KEY_CLAIM"] = self.api_key_claim
        return env


def _require_url(field_name: str, value: Any) -> None:
    if is_token(value):
        return
    parsed = urlparse(value) if isinstance(value, str) else None
    if parsed is None or not parsed.hostname or parsed.scheme not in ("https", "http"):
        raise SecureApiConfigError(field_name, value, "an https:// URL")
    if parsed.scheme == "http" and not _loopback(parsed.hostname):
        raise SecureApiConfigError(field_name, value, "an https:// URL (plain http only for loopback hosts)")


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _require_seconds(field_name: str, value: Any, maximum: int, *, minimum: int = 0) -> None:
    expected = f"a Duration between {minimum} and {maximum} seconds"
    if not isinstance(value, Duration):
        raise SecureApiConfigError(field_name, value, expected)
    seconds = value.to_seconds()
    if not is_token(seconds) and not minimum <= seconds <= maximum:
        raise SecureApiConfigError(field_name, f"{seconds:g}s", expected)


class _RouteScopes:
    """``ROUTE_SCOPES`` of a shared function: every bearer route of every API it serves."""

    def __init__(self, function: lambda_.Function) -> None:
        self.function = function
        self.scopes: dict[str, tuple[str, ...]] = {}

    def add(self, route_key: str, scopes: tuple[str, ...]) -> None:
        known = self.scopes.get(route_key)
        if known is not None and known != scopes:
            raise SecureApiConfigError(
                f"add_route(scopes) for '{route_key}'",
                list(scopes),
                f"the scopes {list(known)} already given for this route by another API sharing this BearerAuth",
            )
        self.scopes[route_key] = scopes
        # Unset while no route has scopes: then every valid token is allowed on the whole stage.
        if any(self.scopes.values()):
            value = {k: list(v) for k, v in sorted(self.scopes.items())}
            self.function.add_environment("ROUTE_SCOPES", json.dumps(value, separators=(",", ":")))


@dataclass
class _SharedFunction:
    function: SecureFunction
    route_scopes: _RouteScopes


_FUNCTIONS: dict[tuple[str, BearerAuth], _SharedFunction] = {}


class BearerAuthorizer:
    """The function (shared per stack and ``BearerAuth``) and this API's ``TokenAuthorizer``."""

    def __init__(
        self,
        scope: Construct,
        auth: BearerAuth,
        *,
        key: kms.IKey,
        retention: logs.RetentionDays,
        token_authorizer: bool = True,
    ) -> None:
        registry_key = (Stack.of(scope).node.path, auth)
        shared = _FUNCTIONS.get(registry_key)
        if shared is None or not _same_app(shared.function, scope):
            function = SecureFunction(
                scope,
                "AuthorizerFunction",
                code_name="authorizer",
                description="secure_api: verifies JWT bearer tokens for API Gateway",
                environment=auth.environment(),
                key=key,
                retention=retention,
                timeout=defaults.AUTHORIZER_TIMEOUT,
                memory_size=auth.memory_size,
                reserved_concurrency=auth.reserved_concurrency,
                # Its only resource-policy statements are the TokenAuthorizers' invoke permissions.
                acknowledgements=("sync-lambda-no-dlq", "permission-source-arn-join"),
            )
            shared = _SharedFunction(function, _RouteScopes(function.function))
            _FUNCTIONS[registry_key] = shared
        self.secure_function = shared.function
        self.function = shared.function.function
        self._route_scopes = shared.route_scopes
        # A body-defined API (SecureRestApi.from_openapi) declares its authorizer in the body instead.
        self.authorizer: apigw.TokenAuthorizer | None = None
        if token_authorizer:
            self.authorizer = apigw.TokenAuthorizer(
                scope,
                "Authorizer",
                handler=self.function,
                identity_source=apigw.IdentitySource.header("Authorization"),
                validation_regex=defaults.BEARER_TOKEN_REGEX,
                results_cache_ttl=auth.cache_ttl,
            )

    def add_route_scopes(self, route_key: str, scopes: tuple[str, ...]) -> None:
        """Record the scopes a route requires (rendered into ``ROUTE_SCOPES``)."""
        self._route_scopes.add(route_key, scopes)


def _same_app(construct: Construct, scope: Construct) -> bool:
    return construct.node.root is scope.node.root
