"""The authorization decision for one API Gateway event, independent of the Lambda runtime.

One verification core, two event shapes: the REST API's TOKEN event and the WebSocket API's
``$connect`` REQUEST event.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from authorizer_api_keys import ApiKeyNotFound, ApiKeyResolver
from authorizer_config import AuthorizerConfig, load_config
from authorizer_connect import connect_policy, connect_refusal, parse_connect_request
from authorizer_jwks import JwksCache, JwksError, fetch_jwks
from authorizer_jwt import Denied, bearer_token, parse_token, validate_claims, verify_with_any
from authorizer_log import log_denial
from authorizer_policy import BadMethodArn, build_context, build_policy, parse_method_arn, token_scopes

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


def claims_context(claims: dict[str, Any], scopes: tuple[str, ...]) -> dict[str, str | int | float | bool]:
    """The TOKEN answer's ``context``: the scalar claims, never under a name API Gateway reserves."""
    context = build_context(claims, scopes)
    return {name: value for name, value in context.items() if name not in RESERVED_CONTEXT_NAMES}


class Authorizer:
    """Verifies bearer JWTs against one issuer's JWKS and answers with a token-only IAM policy."""

    def __init__(
        self,
        config: AuthorizerConfig,
        *,
        fetch: Callable[[], bytes] | None = None,
        api_keys: ApiKeyResolver | None = None,
    ) -> None:
        """Build from a validated config; ``fetch`` and ``api_keys`` replace the network clients in tests."""
        self.config = config
        self.jwks = JwksCache(
            fetch or (lambda: fetch_jwks(config.jwks_uri)), ttl_seconds=config.jwks_cache_seconds
        )
        self.api_keys = api_keys or ApiKeyResolver()

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Authorizer:
        """Read the configuration from environment variables (raises ``ConfigError``)."""
        return cls(load_config(environ))

    def authorize(self, event: object, now: float) -> dict[str, Any]:
        """Return the authorizer response for ``event`` or raise :class:`Denied`."""
        if isinstance(event, dict) and event.get("type") == "REQUEST":
            return self.authorize_connect(event, now)
        if not isinstance(event, dict) or event.get("type") != "TOKEN":
            raise Denied("bad_event")
        token = bearer_token(event.get("authorizationToken"))
        try:
            stage = parse_method_arn(event.get("methodArn"))
        except BadMethodArn as error:
            raise Denied("bad_method_arn") from error
        claims, sub, kid = self._verify(token, now)
        scopes = token_scopes(claims)
        response: dict[str, Any] = {
            "principalId": sub,
            "policyDocument": build_policy(stage, self.config.routes, scopes),
            "context": claims_context(claims, scopes),
        }
        if self.config.api_key_claim is not None:
            response["usageIdentifierKey"] = self._api_key(stage.api_id, claims, kid, now)
        return response

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
        """Verify signature and claims; return the claims, ``sub`` and the key id, or raise Denied."""
        config = self.config
        unverified = parse_token(token, config.algorithms)
        try:
            keys = self.jwks.keys_for(unverified.kid, now)
        except JwksError as error:
            raise Denied("jwks_unavailable", kid=unverified.kid) from error
        if not keys:
            raise Denied("unknown_kid", kid=unverified.kid)
        verify_with_any(unverified, keys)
        sub = validate_claims(
            unverified.claims,
            kid=unverified.kid,
            issuer=config.issuer,
            audiences=config.audiences,
            audience_claim=config.audience_claim,
            leeway=config.leeway_seconds,
            now=now,
        )
        return unverified.claims, sub, unverified.kid

    def _api_key(self, api_id: str, claims: dict[str, Any], kid: str | None, now: float) -> str:
        assert self.config.api_key_claim is not None
        try:
            return self.api_keys.api_key(api_id, claims.get(self.config.api_key_claim), now)
        except ApiKeyNotFound as error:
            raise Denied("no_api_key", kid=kid, iss=self.config.issuer) from error
