"""The authorization decision for one API Gateway TOKEN event, independent of the Lambda runtime."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from authorizer_api_keys import ApiKeyNotFound, ApiKeyResolver
from authorizer_config import AuthorizerConfig, load_config
from authorizer_jwks import JwksCache, JwksError, fetch_jwks
from authorizer_jwt import Denied, bearer_token, parse_token, validate_claims, verify_with_any
from authorizer_policy import BadMethodArn, build_context, build_policy, parse_method_arn, token_scopes


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
        if not isinstance(event, dict) or event.get("type") != "TOKEN":
            raise Denied("bad_event")
        token = bearer_token(event.get("authorizationToken"))
        try:
            stage = parse_method_arn(event.get("methodArn"))
        except BadMethodArn as error:
            raise Denied("bad_method_arn") from error
        config = self.config
        unverified = parse_token(token, config.algorithms)
        try:
            keys = self.jwks.keys_for(unverified.kid, now)
        except JwksError as error:
            raise Denied("jwks_unavailable", kid=unverified.kid) from error
        if not keys:
            raise Denied("unknown_kid", kid=unverified.kid)
        verify_with_any(unverified, keys)
        claims = unverified.claims
        sub = validate_claims(
            claims,
            kid=unverified.kid,
            issuer=config.issuer,
            audiences=config.audiences,
            audience_claim=config.audience_claim,
            leeway=config.leeway_seconds,
            now=now,
        )
        scopes = token_scopes(claims)
        response: dict[str, Any] = {
            "principalId": sub,
            "policyDocument": build_policy(stage, config.routes, scopes),
            "context": build_context(claims, scopes),
        }
        if config.api_key_claim is not None:
            try:
                response["usageIdentifierKey"] = self.api_keys.api_key(
                    stage.api_id, claims.get(config.api_key_claim), now
                )
            except ApiKeyNotFound as error:
                raise Denied("no_api_key", kid=unverified.kid, iss=config.issuer) from error
        return response
