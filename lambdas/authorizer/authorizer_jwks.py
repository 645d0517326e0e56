"""The issuer's JSON Web Key Set: fetched with a size limit, parsed into key objects, and cached.

Public keys are built once per fetch and kept per ``kid`` together with the algorithms their JWK allows,
so a warm request makes no network call and does no key parsing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from authorizer_encoding import b64url_decode
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

FETCH_TIMEOUT_SECONDS = 3.0
MAX_JWKS_BYTES = 256 * 1024
MAX_KEYS = 100
UNKNOWN_KID_REFETCH_SECONDS = 30.0
FAILED_FETCH_RETRY_SECONDS = 5.0
MIN_RSA_BITS = 2048
MAX_RSA_BITS = 8192

_PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
_RSA_ALGORITHMS = frozenset({"RS256", "PS256"})
_ALGORITHM_ALIASES = {"Ed25519": "EdDSA"}

VerifyingKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey | ed25519.Ed25519PublicKey


class JwksError(Exception):
    """The key set could not be fetched or is not a JWKS."""


@dataclass(frozen=True, slots=True)
class PublicKey:
    """A verification key from the JWKS and the JWS algorithms its JWK permits."""

    kid: str
    algorithms: frozenset[str]
    public_key: VerifyingKey


def _member(jwk: dict[str, Any], name: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise ValueError(f"missing {name}")
    return b64url_decode(value)


def _rsa(jwk: dict[str, Any]) -> VerifyingKey:
    n = int.from_bytes(_member(jwk, "n"), "big")
    e = int.from_bytes(_member(jwk, "e"), "big")
    if not MIN_RSA_BITS <= n.bit_length() <= MAX_RSA_BITS:
        raise ValueError("RSA key size out of range")
    return rsa.RSAPublicNumbers(e, n).public_key()


def _ec_p256(jwk: dict[str, Any]) -> VerifyingKey:
    x, y = _member(jwk, "x"), _member(jwk, "y")
    if len(x) != 32 or len(y) != 32:
        raise ValueError("bad P-256 coordinates")
    # from_encoded_point checks that the point is on the curve (invalid-curve attacks).
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + x + y)


def _ed25519(jwk: dict[str, Any]) -> VerifyingKey:
    return ed25519.Ed25519PublicKey.from_public_bytes(_member(jwk, "x"))


def parse_jwk(jwk: object) -> PublicKey | None:
    """Build a verification key from one JWK, or ``None`` when it is unusable for JWS verification."""
    if not isinstance(jwk, dict):
        return None
    kid, kty, alg = jwk.get("kid"), jwk.get("kty"), jwk.get("alg")
    if not isinstance(kid, str) or not kid or not _PRIVATE_MEMBERS.isdisjoint(jwk):
        return None
    if jwk.get("use", "sig") != "sig":
        return None
    key_ops = jwk.get("key_ops")
    if key_ops is not None and (not isinstance(key_ops, list) or "verify" not in key_ops):
        return None
    if alg is not None and not isinstance(alg, str):
        return None
    alg = _ALGORITHM_ALIASES.get(alg, alg) if alg is not None else None
    crv = jwk.get("crv")
    try:
        if kty == "RSA":
            allowed, key = _RSA_ALGORITHMS, _rsa(jwk)
        elif kty == "EC" and crv == "P-256":
            allowed, key = frozenset({"ES256"}), _ec_p256(jwk)
        elif kty == "OKP" and crv == "Ed25519":
            allowed, key = frozenset({"EdDSA"}), _ed25519(jwk)
        else:
            return None
    except (ValueError, TypeError):
        return None
    if alg is not None:
        if alg not in allowed:
            return None
        allowed = frozenset({alg})
    return PublicKey(kid=kid, algorithms=allowed, public_key=key)


def parse_jwks(document: bytes) -> dict[str, tuple[PublicKey, ...]]:
    """Parse a JWKS document into usable keys grouped by ``kid``; raise :class:`JwksError` if malformed."""
    try:
        data = json.loads(document.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise JwksError("JWKS is not JSON") from error
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list):
        raise JwksError("JWKS has no keys array")
    keys: dict[str, tuple[PublicKey, ...]] = {}
    for jwk in data["keys"][:MAX_KEYS]:
        key = parse_jwk(jwk)
        if key is not None:
            keys[key.kid] = (*keys.get(key.kid, ()), key)
    return keys


def fetch_jwks(uri: str, *, timeout: float = FETCH_TIMEOUT_SECONDS, max_bytes: int = MAX_JWKS_BYTES) -> bytes:
    """GET the JWKS document: no redirects, bounded time and size; raise :class:`JwksError` on failure."""
    # urllib.request costs ~30 ms to import; only the first request of a container needs it.
    import ssl
    import urllib.error
    import urllib.request

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    handlers: list[urllib.request.BaseHandler] = [
        _NoRedirect(),
        urllib.request.HTTPSHandler(context=ssl.create_default_context()),
    ]
    if urlsplit(uri).scheme == "http":
        handlers.append(urllib.request.ProxyHandler({}))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(uri, headers={"Accept": "application/json"})  # noqa: S310
    try:
        with opener.open(request, timeout=timeout) as response:
            if response.status != 200:
                raise JwksError(f"JWKS endpoint answered {response.status}")
            body: bytes = response.read(max_bytes + 1)
    except (OSError, ValueError, urllib.error.URLError) as error:
        raise JwksError(f"JWKS fetch failed: {type(error).__name__}") from error
    if len(body) > max_bytes:
        raise JwksError("JWKS document too large")
    return body


class JwksCache:
    """Keys by ``kid`` with a TTL; an unknown ``kid`` refetches at most once per 30 seconds."""

    def __init__(
        self,
        fetch: Callable[[], bytes],
        *,
        ttl_seconds: float,
        refetch_seconds: float = UNKNOWN_KID_REFETCH_SECONDS,
        retry_seconds: float = FAILED_FETCH_RETRY_SECONDS,
    ) -> None:
        """``fetch`` returns the raw JWKS document; times are in seconds of the clock passed to calls."""
        self._fetch = fetch
        self._ttl = ttl_seconds
        self._refetch = refetch_seconds
        self._retry = retry_seconds
        self._keys: dict[str, tuple[PublicKey, ...]] | None = None
        self._expires_at = -math.inf
        self._last_attempt = -math.inf
        self.fetch_count = 0

    def _refresh(self, now: float) -> bool:
        self._last_attempt = now
        self.fetch_count += 1
        try:
            keys = parse_jwks(self._fetch())
        except JwksError:
            if now >= self._expires_at:
                self._keys = None
            return False
        self._keys = keys
        self._expires_at = now + self._ttl
        return True

    def keys_for(self, kid: str, now: float) -> tuple[PublicKey, ...]:
        """Return the keys with this ``kid`` (possibly empty); raise :class:`JwksError` if none are known."""
        stale = self._keys is None or now >= self._expires_at
        if stale and (now - self._last_attempt < self._retry or not self._refresh(now)):
            self._keys = None
            raise JwksError("JWKS unavailable")
        assert self._keys is not None
        keys = self._keys.get(kid, ())
        if not keys and now - self._last_attempt >= self._refetch and self._refresh(now):
            keys = self._keys.get(kid, ())
        return keys
