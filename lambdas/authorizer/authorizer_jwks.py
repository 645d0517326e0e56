"""The issuer's JSON Web Key Set: fetched within one deadline and a size limit, parsed into key objects, and cached.

Public keys are built once per fetch and kept per ``kid`` together with the algorithms their JWK allows,
so a warm request makes no network call and does no key parsing.
"""

from __future__ import annotations

import contextlib
import json
import math
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from authorizer_encoding import b64url_decode
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

FETCH_TIMEOUT_SECONDS = 3.0
MAX_JWKS_BYTES = 256 * 1024
_READ_CHUNK_BYTES = 16 * 1024
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


class PublicKey(NamedTuple):
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


class _Deadline:
    """One deadline for a whole fetch: at expiry it shuts down every socket of the fetch's connections.

    A socket timeout bounds each read separately, so a server that sends a byte just often enough could
    hold the fetch far past the authorizer's own timeout; shutting the socket down wakes whatever read,
    TLS handshake or write is blocked on it. (Name resolution is not bounded by it.)
    """

    def __init__(self, at: float) -> None:
        """``at`` is the deadline on the :func:`time.monotonic` clock."""
        self.at = at
        self.expired = False
        self._connections: list[Any] = []
        self._sockets: list[Any] = []
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def passed(self) -> bool:
        """True once the deadline has passed (whether or not the timer has fired yet)."""
        return self.expired or time.monotonic() >= self.at

    def track(self, connection_class: Any) -> Callable[..., Any]:
        """A factory for ``connection_class`` whose connections this deadline can cut."""

        def factory(*args: Any, **kwargs: Any) -> Any:
            connection = connection_class(*args, **kwargs)
            connect = connection.connect

            def connect_within_deadline() -> None:
                # The deadline may pass while the socket does not exist yet, before it can be cut.
                self._check()
                connect()
                with self._lock:
                    # urllib drops ``connection.sock`` once the headers are read; the body still
                    # arrives on this socket.
                    self._sockets.append(connection.sock)
                self._check()

            connection.connect = connect_within_deadline
            with self._lock:
                self._connections.append(connection)
            return connection

        return factory

    def _check(self) -> None:
        if self.expired:
            raise TimeoutError("JWKS fetch deadline passed")

    def expire(self) -> None:
        """Mark the fetch as late and wake anything blocked on its sockets."""
        import socket

        with self._lock:
            self.expired = True
            sockets = [getattr(c, "sock", None) for c in self._connections] + self._sockets
            for sock in sockets:
                if sock is not None:
                    with contextlib.suppress(OSError):
                        # The plain socket's shutdown, also under TLS: it wakes a read in progress
                        # without touching the TLS object another thread is using.
                        socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def __enter__(self) -> _Deadline:
        self._timer = threading.Timer(max(0.0, self.at - time.monotonic()), self.expire)
        self._timer.daemon = True
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._timer is not None:
            self._timer.cancel()


def fetch_jwks(uri: str, *, timeout: float | None = None, max_bytes: int = MAX_JWKS_BYTES) -> bytes:
    """GET the JWKS document: no redirects, at most ``max_bytes``, and ONE deadline of ``timeout``
    seconds (default :data:`FETCH_TIMEOUT_SECONDS`) for connecting, the TLS handshake and every read
    together; raise :class:`JwksError` on failure."""
    seconds = FETCH_TIMEOUT_SECONDS if timeout is None else timeout
    deadline = _Deadline(time.monotonic() + seconds)
    # urllib.request costs ~30 ms to import; only the first request of a container needs it.
    import http.client
    import ssl
    import urllib.error
    import urllib.request

    context = ssl.create_default_context()

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    class _Http(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(deadline.track(http.client.HTTPConnection), req)

    class _Https(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(deadline.track(http.client.HTTPSConnection), req, context=context)

    handlers: list[urllib.request.BaseHandler] = [_NoRedirect(), _Http(), _Https()]
    if urlsplit(uri).scheme == "http":
        handlers.append(urllib.request.ProxyHandler({}))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(uri, headers={"Accept": "application/json"})  # noqa: S310
    body = bytearray()
    try:
        with deadline, opener.open(request, timeout=max(0.001, deadline.at - time.monotonic())) as response:
            if response.status != 200:
                raise JwksError(f"JWKS endpoint answered {response.status}")
            while len(body) <= max_bytes:
                if deadline.passed():
                    break
                chunk = response.read(min(_READ_CHUNK_BYTES, max_bytes + 1 - len(body)))
                if not chunk:
                    break
                body += chunk
    except (OSError, ValueError, http.client.HTTPException, urllib.error.URLError) as error:
        if deadline.passed():
            raise JwksError("JWKS fetch exceeded its deadline") from error
        raise JwksError(f"JWKS fetch failed: {type(error).__name__}") from error
    # A read cut short by the deadline may look like a clean end of a close-delimited body.
    if deadline.passed():
        raise JwksError("JWKS fetch exceeded its deadline")
    if len(body) > max_bytes:
        raise JwksError("JWKS document too large")
    return bytes(body)


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
