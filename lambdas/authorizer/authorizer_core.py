"""The authorization decision for one API Gateway event, independent of the Lambda runtime.

One verification core, three event shapes: the REST API's TOKEN event, the WebSocket API's
``$connect`` REQUEST event and the HTTP API's payload format 2.0 REQUEST event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from authorizer_address import address_refusal
from authorizer_api_keys import ApiKeyNotFound, ApiKeyResolver
from authorizer_config import AuthorizerConfig, load_config
from authorizer_connect import connect_policy, connect_refusal, parse_connect_request
from authorizer_http import PAYLOAD_VERSION, parse_http_request
from authorizer_jwks import JwksCache, JwksError, PublicKey, fetch_jwks
from authorizer_jwt import Denied, bearer_token, parse_token, validate_claims, verify_with_any
from authorizer_log import log_denial
from authorizer_policy import (
    REST_STAGE_ARN,
    SCOPE_CLAIMS,
    StageArn,
    build_context,
    build_policy,
    stage_of,
    token_scopes,
)

MAX_VERIFIED_TOKENS = 512

# Names API Gateway itself gives a meaning under ``$context.authorizer`` (the answer's ``principalId``
# and ``usageIdentifierKey``, Cognito's ``claims``, and the authorizer's own ``error``, ``status``,
# ``latency``, ``integrationLatency`` and ``integrationStatus``): a claim by one of these names would
# pass for API Gateway's value in mapping templates, access logs and the backend.
RESERVED_CONTEXT_NAMES = frozenset(
    {
        "principalId",
        "usageIdentifierKey",
        "claims",
        "error",
        "status",
        "latency",
        "integrationLatency",
        "integrationStatus",
    }
)


_CONTEXT_OMITS = RESERVED_CONTEXT_NAMES | SCOPE_CLAIMS


VerifiedToken = tuple[dict[str, Any], str, PublicKey]
"""A token whose signature was verified: ``(claims, kid, the key that verified it)`` (a plain tuple: one
is built for every token seen for the first time)."""


class Authorizer:
    """Verifies bearer JWTs against one issuer's JWKS and answers with a token-only IAM policy."""

    def __init__(
        self,
        config: AuthorizerConfig,
        *,
        fetch: Callable[[], bytes] | None = None,
        api_keys: ApiKeyResolver | None = None,
        max_verified_tokens: int = MAX_VERIFIED_TOKENS,
    ) -> None:
        """Build from a validated config; ``fetch`` and ``api_keys`` replace the network clients in tests;
        ``max_verified_tokens`` bounds the verified-token memory (0 turns it off)."""
        self.config = config
        self.jwks = JwksCache(
            fetch or (lambda: fetch_jwks(config.jwks_uri)), ttl_seconds=config.jwks_cache_seconds
        )
        self.api_keys = api_keys or ApiKeyResolver()
        # Pure functions of their key, remembered (bounded): accepted token headers -> (alg, kid), and
        # accepted methodArn stage prefixes and whole methodArns -> their stage.
        self._headers: dict[str, tuple[str, str]] = {}
        self._stages: dict[str, StageArn] = {}
        self._method_arns: dict[str, StageArn] = {}
        self.max_verified_tokens = max_verified_tokens
        self.verified_tokens: dict[str, VerifiedToken] = {}
        """Tokens verified before, by their exact text, oldest first (see :meth:`_verify`)."""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Authorizer:
        """Read the configuration from environment variables (raises ``ConfigError``)."""
        return cls(load_config(environ))

    def authorize(self, event: object, now: float) -> dict[str, Any]:
        """Return the authorizer response for ``event`` or raise :class:`Denied`."""
        if not isinstance(event, dict):
            raise Denied("bad_event")
        kind = event.get("type")
        if kind == "TOKEN":
            return self.authorize_token(event, now)
        if kind == "REQUEST":
            if event.get("version") == PAYLOAD_VERSION:
                return self.authorize_http(event, now)
            return self.authorize_connect(event, now)
        raise Denied("bad_event")

    def authorize_token(self, event: dict[str, Any], now: float) -> dict[str, Any]:
        """A REST API TOKEN event: the token-only policy for the stage of ``methodArn``."""
        token = bearer_token(event.get("authorizationToken"))
        stage = stage_of(
            event.get("methodArn"), "bad_method_arn", REST_STAGE_ARN, None, self._stages, self._method_arns
        )
        claims, sub, kid = self._verify(token, now)
        scopes = token_scopes(claims)
        response: dict[str, Any] = {
            "principalId": sub,
            "policyDocument": build_policy(stage, self.config.routes, scopes),
            "context": build_context(claims, scopes, _CONTEXT_OMITS),
        }
        if self.config.api_key_claim is not None:
            response["usageIdentifierKey"] = self._api_key(stage.api_id, claims, kid, now)
        return response

    def authorize_http(self, event: object, now: float) -> dict[str, Any]:
        """An HTTP API payload 2.0 REQUEST event (IAM policy response format): 401 (:class:`Denied`) for
        a bad token, a ``Deny`` on every route of the stage for a verified token from a refused address,
        else the same token-only policy as for a REST API, for the stage of ``routeArn``."""
        request = parse_http_request(event)
        claims, sub, kid = self._verify(request.token, now)
        refusal = address_refusal(self.config.connect, request.source_ip)
        if refusal is not None:
            log_denial(refusal, kid, self.config.issuer)
            # The answer is cached per token and address for every route: deny them all.
            return {"principalId": sub, "policyDocument": connect_policy(f"{request.stage.prefix}/*", "Deny")}
        scopes = token_scopes(claims)
        return {
            "principalId": sub,
            "policyDocument": build_policy(request.stage, self.config.routes, scopes),
            "context": build_context(claims, scopes, _CONTEXT_OMITS),
        }

    def authorize_connect(self, event: object, now: float) -> dict[str, Any]:
        """A WebSocket ``$connect`` REQUEST event: 401 (:class:`Denied`) for a bad token, a ``Deny``
        on ``methodArn`` for a verified token from a refused origin or address or without the connect
        scopes, else an ``Allow`` on ``methodArn``."""
        connect = self.config.connect
        request = parse_connect_request(event, connect.token_query_parameter)
        claims, sub, kid = self._verify(request.token, now)
        scopes = token_scopes(claims)
        context: dict[str, str | int | float | bool] = {"sub": sub, "scope": " ".join(scopes)}
        refusal = connect_refusal(connect, request, scopes)
        if refusal is not None:
            log_denial(refusal, kid, self.config.issuer)
            return {
                "principalId": sub,
                "policyDocument": connect_policy(request.method_arn, "Deny"),
                "context": context,
            }
        response: dict[str, Any] = {
            "principalId": sub,
            "policyDocument": connect_policy(request.method_arn, "Allow"),
            "context": context,
        }
        if self.config.api_key_claim is not None:
            key = self._api_key(request.api_id, claims, kid, now)
            # WebSocket APIs select the key with $context.authorizer.usageIdentifierKey.
            context["usageIdentifierKey"] = key
            response["usageIdentifierKey"] = key
        return response

    def _verify(self, token: str, now: float) -> tuple[dict[str, Any], str, str | None]:
        """Verify signature and claims; return the claims, ``sub`` and the key id, or raise Denied.

        A token verified before is found by its exact text in :attr:`verified_tokens`. Its signature
        is a pure function of that text and the key that verified it, so it is not checked again while
        that very key object is still the token's ``kid`` key in the current key set (asked of the JWKS
        cache as on every call, so its expiry and refetches apply; a refetched set holds new key objects
        and sends every remembered token through the full check once more). Every claim check runs on
        each call, so ``exp``, ``nbf`` and ``iat`` are judged at ``now``.
        """
        config = self.config
        known = self.verified_tokens.get(token)
        if known is None:
            unverified = parse_token(token, config.algorithms, self._headers)
            kid = unverified.kid
        else:
            claims, kid, key = known
        try:
            keys = self.jwks.keys_for(kid, now)
        except JwksError as error:
            raise Denied("jwks_unavailable", kid=kid) from error
        if known is None:
            if not keys:
                raise Denied("unknown_kid", kid=kid)
            key = verify_with_any(unverified, keys)
            claims = unverified.claims
        elif not any(current is key for current in keys):
            del self.verified_tokens[token]  # verified by a key no longer in the set: check it afresh
            return self._verify(token, now)
        try:
            sub = validate_claims(
                claims,
                kid,
                config.issuer,
                config.audiences,
                config.audience_claim,
                config.leeway_seconds,
                now,
            )
        except Denied:
            if known is not None:
                del self.verified_tokens[token]  # expired: never served again
            raise
        if known is None and self.max_verified_tokens > 0:
            if len(self.verified_tokens) >= self.max_verified_tokens:
                del self.verified_tokens[next(iter(self.verified_tokens))]  # the oldest
            self.verified_tokens[token] = (claims, kid, key)
        return claims, sub, kid

    def _api_key(self, api_id: str, claims: dict[str, Any], kid: str | None, now: float) -> str:
        assert self.config.api_key_claim is not None
        try:
            return self.api_keys.api_key(api_id, claims.get(self.config.api_key_claim), now)
        except ApiKeyNotFound as error:
            raise Denied("no_api_key", kid=kid, iss=self.config.issuer) from error
