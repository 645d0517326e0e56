"""``BearerAuth``: a Lambda TOKEN authorizer that verifies JWT bearer tokens against a JWKS."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import Duration
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from secure_api import bundling, defaults, grammar
from secure_api.errors import SecureApiConfigError, is_token, require_int
from secure_api.lambda_function import SecureFunction

ALGORITHMS = grammar.SUPPORTED_ALGORITHMS
# What the construct adds to the function's environment besides BearerAuth's own variables.
_ROUTE_SCOPES_FILE_ENV = {"ROUTE_SCOPES_FILE": grammar.ROUTE_SCOPES_FILE_NAME}


@dataclass(frozen=True, kw_only=True)
class BearerAuth:
    """Verify ``Authorization: Bearer <jwt>`` with a Lambda TOKEN authorizer.

    ``issuer`` must match the token's ``iss`` exactly; ``audience`` lists the accepted ``aud``
    values. ``jwks_uri`` defaults to ``<issuer>/.well-known/jwks.json``. ``algorithms`` (default
    ``["RS256"]``; ES256, PS256 and EdDSA selectable) are pinned here, never read from the token.
    Results are cached by API Gateway for ``cache_ttl`` (default 5 minutes, 0-3600 s); the policy
    never depends on the invoked route, so a cached result is right for every route. ``leeway``
    (default 30 s, at most 60 s) absorbs clock skew. ``api_key_claim`` makes the API's key source
    AUTHORIZER: the claim's value names the consumer whose API key meters the call (it needs
    ``usage_tiers``). ``audience_claim`` is ``"aud"`` (default) or ``"client_id"`` (Cognito access
    tokens carry no ``aud``). The JWKS is cached for ``jwks_cache_ttl`` (default 10 minutes, 30 s to
    1 day). Durations are whole seconds. The function runs on ARM64 with Python 3.14;
    ``reserved_concurrency`` is optional. URLs, audiences and claim names are checked with the same
    grammar (``secure_api.grammar``) the function applies to its environment.
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
        if (
            isinstance(self.audience, str | bytes)
            or not isinstance(self.audience, Sequence)
            or not self.audience
        ):
            raise SecureApiConfigError(
                "BearerAuth.audience", self.audience, "a non-empty list of strings such as ['orders-api']"
            )
        for i, aud in enumerate(self.audience):
            problem = None if is_token(aud) else grammar.audience_problem(aud)
            if problem is not None:
                raise SecureApiConfigError(f"BearerAuth.audience[{i}]", aud, problem)
        object.__setattr__(self, "audience", tuple(self.audience))
        if self.jwks_uri is not None:
            _require_url("BearerAuth.jwks_uri", self.jwks_uri)
        elif not is_token(self.issuer):
            # The default JWKS URL is derived from the issuer: it must pass the same check.
            _require_url("BearerAuth.issuer", self.resolved_jwks_uri)
        if (
            isinstance(self.algorithms, str | bytes)
            or not isinstance(self.algorithms, Sequence)
            or not self.algorithms
        ):
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
        object.__setattr__(self, "algorithms", tuple(dict.fromkeys(self.algorithms)))
        _require_seconds("BearerAuth.cache_ttl", self.cache_ttl, 3600)
        _require_seconds("BearerAuth.leeway", self.leeway, grammar.MAX_LEEWAY_SECONDS)
        _require_seconds(
            "BearerAuth.jwks_cache_ttl",
            self.jwks_cache_ttl,
            grammar.MAX_JWKS_CACHE_SECONDS,
            minimum=grammar.MIN_JWKS_CACHE_SECONDS,
        )
        if self.audience_claim not in grammar.AUDIENCE_CLAIMS:
            raise SecureApiConfigError(
                "BearerAuth.audience_claim", self.audience_claim, "'aud' or 'client_id'"
            )
        if self.api_key_claim is not None and not is_token(self.api_key_claim):
            problem = grammar.claim_name_problem(self.api_key_claim)
            if problem is not None:
                raise SecureApiConfigError("BearerAuth.api_key_claim", self.api_key_claim, problem)
        if self.reserved_concurrency is not None:
            require_int(
                "BearerAuth.reserved_concurrency", self.reserved_concurrency, minimum=1, maximum=10000
            )
        require_int("BearerAuth.memory_size", self.memory_size, minimum=128, maximum=10240)
        self._check_environment_size()

    def _check_environment_size(self) -> None:
        env = {**self.environment(), **_ROUTE_SCOPES_FILE_ENV}
        if any(is_token(v) for v in env.values()):
            return
        size = grammar.environment_size(env)
        if size > grammar.LAMBDA_ENVIRONMENT_MAX_BYTES:
            largest = max(
                (("BearerAuth.audience", env["AUDIENCE"]), ("BearerAuth.issuer", env["ISSUER"]),
                 ("BearerAuth.jwks_uri", env["JWKS_URI"])),
                key=lambda item: len(item[1]),
            )  # fmt: skip
            raise SecureApiConfigError(
                largest[0],
                f"{len(largest[1])} characters",
                f"a value that keeps the authorizer's environment within Lambda's "
                f"{grammar.LAMBDA_ENVIRONMENT_MAX_BYTES} bytes (it would take {size})",
            )

    @property
    def resolved_jwks_uri(self) -> str:
        """``jwks_uri``, or the issuer's ``/.well-known/jwks.json``."""
        return self.jwks_uri or self.issuer.rstrip("/") + "/.well-known/jwks.json"

    def environment(self) -> dict[str, str]:
        """The function's configuration (DESIGN.md's authorizer contract), without the route scopes."""
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
    problem = grammar.url_problem(value)
    if problem is not None:
        raise SecureApiConfigError(field_name, value, problem)


def _require_seconds(field_name: str, value: Any, maximum: int, *, minimum: int = 0) -> None:
    expected = f"a Duration of whole seconds between {minimum} and {maximum}"
    if not isinstance(value, Duration):
        raise SecureApiConfigError(field_name, value, expected)
    if is_token(value.to_string()):
        return
    seconds = value.to_seconds(integral=False)
    if seconds != int(seconds) or not minimum <= seconds <= maximum:
        raise SecureApiConfigError(field_name, value.to_human_string(), expected)


def check_scopes(field: str, scopes: Any) -> tuple[str, ...]:
    """A list of OAuth scope tokens (the grammar the authorizer checks); a bare string is an error."""
    if isinstance(scopes, str | bytes) or not isinstance(scopes, Sequence | set | frozenset):
        raise SecureApiConfigError(field, scopes, "a list of scopes such as ['orders:read'], not a string")
    out: list[str] = []
    for i, scope in enumerate(scopes):
        problem = grammar.scope_problem(scope)
        if problem is not None:
            raise SecureApiConfigError(f"{field}[{i}]", scope, problem)
        if scope not in out:
            out.append(scope)
    return tuple(out)


class BearerAuthorizer:
    """One API's authorizer function (the authorizer itself is declared in the API's OpenAPI body).

    Each API has its own function, so no API's route scopes change another API's decisions. The
    scopes of the API's bearer routes are written, once every route is known (``finalize``, at
    synthesis), into the function's code package as ``route_scopes.json`` (``ROUTE_SCOPES_FILE``):
    they never meet Lambda's 4 KB environment limit, and the file is part of the asset hash.
    """

    def __init__(
        self,
        scope: Construct,
        auth: BearerAuth,
        *,
        key: kms.IKey,
        retention: logs.RetentionDays,
        extra_environment: Mapping[str, str] | None = None,
    ) -> None:
        self._code = bundling.DeferredCode("authorizer", architecture=lambda_.Architecture.ARM_64)
        self._route_scopes: dict[str, tuple[str, ...]] = {}
        self._finalized = False
        self.secure_function = SecureFunction(
            scope,
            "AuthorizerFunction",
            code_name="authorizer",
            code=self._code,
            description="secure_api: verifies JWT bearer tokens for API Gateway",
            environment={**auth.environment(), **(extra_environment or {})},
            key=key,
            retention=retention,
            timeout=defaults.AUTHORIZER_TIMEOUT,
            memory_size=auth.memory_size,
            reserved_concurrency=auth.reserved_concurrency,
            # Its only resource-policy statement is the invoke permission of the authorizer in the API's body.
            acknowledgements=("sync-lambda-no-dlq", "permission-source-arn-join"),
        )
        self.function = self.secure_function.function

    @property
    def route_count(self) -> int:
        """How many bearer routes use this authorizer."""
        return len(self._route_scopes)

    def add_route_scopes(self, route_key: str, scopes: Sequence[str]) -> None:
        """Record a bearer route and the scopes it requires (``()`` for none)."""
        problem = grammar.route_key_problem(route_key)
        if problem is not None:
            raise SecureApiConfigError("route", route_key, problem)
        checked = check_scopes(f"scopes of {route_key!r}", scopes)
        known = self._route_scopes.get(route_key)
        if known is not None and known != checked:
            raise SecureApiConfigError(
                f"scopes of {route_key!r}", list(checked), f"the scopes {list(known)} already given for it"
            )
        if self._finalized:
            raise SecureApiConfigError("route", route_key, "routes added before the app is synthesized")
        self._route_scopes[route_key] = checked

    def route_scopes(self) -> dict[str, list[str]] | None:
        """The ``ROUTE_SCOPES`` document: every bearer route and its scopes, or None when no route has
        scopes (then every valid token is allowed on the whole stage)."""
        if not any(self._route_scopes.values()):
            return None
        return {key: list(scopes) for key, scopes in sorted(self._route_scopes.items())}

    def finalize(self) -> None:
        """Write the route scopes into the code package and point ``ROUTE_SCOPES_FILE`` at them."""
        self._finalized = True
        document = self.route_scopes()
        extra: dict[str, bytes] = {}
        if document is not None:
            extra[grammar.ROUTE_SCOPES_FILE_NAME] = json.dumps(document, separators=(",", ":")).encode()
            self.function.add_environment("ROUTE_SCOPES_FILE", grammar.ROUTE_SCOPES_FILE_NAME)
        self._code.finalize(extra)


def connect_environment(
    auth: BearerAuth,
    *,
    connect_scopes: Sequence[str] = (),
    allowed_origins: Sequence[str] = (),
    allow_ip_ranges: Sequence[str] = (),
    deny_ip_ranges: Sequence[str] = (),
    token_query_parameter: str | None = None,
) -> dict[str, str]:
    """What a WebSocket ``$connect`` REQUEST authorizer reads besides ``auth.environment()``
    (DESIGN.md): ``CONNECT_SCOPES``, ``ALLOWED_ORIGINS``, ``ALLOW_IP_RANGES``, ``DENY_IP_RANGES`` (JSON
    arrays) and ``TOKEN_QUERY_PARAMETER``, each only when set. No ``ROUTE_SCOPES``: AWS authorizes only
    ``$connect``. Raises ``SecureApiConfigError`` when the whole environment would exceed Lambda's 4 KB."""
    env: dict[str, str] = {}
    for name, values in (
        ("CONNECT_SCOPES", connect_scopes),
        ("ALLOWED_ORIGINS", allowed_origins),
        ("ALLOW_IP_RANGES", allow_ip_ranges),
        ("DENY_IP_RANGES", deny_ip_ranges),
    ):
        if values:
            env[name] = json.dumps(list(values), separators=(",", ":"))
    if token_query_parameter:
        env["TOKEN_QUERY_PARAMETER"] = token_query_parameter
    whole = {**auth.environment(), **env}
    if not any(is_token(v) for v in whole.values()):
        size = grammar.environment_size(whole)
        if size > grammar.LAMBDA_ENVIRONMENT_MAX_BYTES:
            fields = {
                "CONNECT_SCOPES": "connect_scopes",
                "ALLOWED_ORIGINS": "allowed_origins",
                "ALLOW_IP_RANGES": "AccessPolicy.allow_ip_ranges",
                "DENY_IP_RANGES": "AccessPolicy.deny_ip_ranges",
            }
            largest = max(fields, key=lambda name: len(env.get(name, "")))
            raise SecureApiConfigError(
                fields[largest],
                f"{len(env.get(largest, ''))} characters",
                f"fewer entries, so that the $connect authorizer's environment stays within Lambda's "
                f"{grammar.LAMBDA_ENVIRONMENT_MAX_BYTES} bytes (it would take {size})",
            )
    return env
