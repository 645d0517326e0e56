"""The authorizer tests' shared harness (``lambdas/authorizer``): signing keys and tokens, the local JWKS
server's state, and the handler wrappers for TOKEN (``Authz``) and WebSocket REQUEST (``Connect``) events.
The fixtures that build them (``keys``, ``server``, ``make_authz``, ``authz``, ``make_connect``) are in
``conftest.py``.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.hashes import SHA256

from tests.lambdas.code_roots import load_event

NOW = 1_700_000_000.0
ISSUER = "https://issuer.example.com/"
AUDIENCE = "orders-api"
API = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5"
ARN = f"{API}/prod/GET/orders/42"
ENV_VARS = (
    "JWKS_URI",
    "ISSUER",
    "AUDIENCE",
    "ALGORITHMS",
    "LEEWAY_SECONDS",
    "ROUTE_SCOPES",
    "ROUTE_SCOPES_FILE",
    "API_KEY_CLAIM",
    "JWKS_CACHE_SECONDS",
    "AUDIENCE_CLAIM",
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64json(value: Any) -> str:
    return b64(json.dumps(value).encode())


# --- keys ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Keys:
    rsa: rsa.RSAPrivateKey
    rsa2: rsa.RSAPrivateKey
    ec: ec.EllipticCurvePrivateKey
    ed: ed25519.Ed25519PrivateKey
    attacker: rsa.RSAPrivateKey


def int_b64(value: int) -> str:
    return b64(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def jwk_of(key: Any, kid: str, **extra: Any) -> dict[str, Any]:
    public = key.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        numbers = public.public_numbers()
        jwk: dict[str, Any] = {"kty": "RSA", "n": int_b64(numbers.n), "e": int_b64(numbers.e)}
    elif isinstance(public, ec.EllipticCurvePublicKey):
        numbers_ec = public.public_numbers()
        jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": b64(numbers_ec.x.to_bytes(32, "big")),
            "y": b64(numbers_ec.y.to_bytes(32, "big")),
        }
    else:
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": b64(raw)}
    return {**jwk, "kid": kid, "use": "sig", **extra}


def default_jwks(keys: Keys) -> dict[str, Any]:
    return {
        "keys": [
            jwk_of(keys.rsa, "rsa-1", alg="RS256"),
            jwk_of(keys.rsa2, "rsa-ps", alg="PS256"),
            jwk_of(keys.ec, "ec-1", alg="ES256"),
            jwk_of(keys.ed, "ed-1", alg="EdDSA"),
        ]
    }


def sign_raw(alg: str, key: Any, signing_input: bytes) -> bytes:
    if alg == "RS256":
        return bytes(key.sign(signing_input, padding.PKCS1v15(), SHA256()))
    if alg == "PS256":
        return bytes(key.sign(signing_input, padding.PSS(padding.MGF1(SHA256()), 32), SHA256()))
    if alg == "ES256":
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    if alg == "EdDSA":
        return bytes(key.sign(signing_input))
    if alg == "HS256":
        return hmac.new(key, signing_input, hashlib.sha256).digest()
    return b""


def make_token(
    key: Any,
    *,
    alg: str = "RS256",
    kid: str | None = "rsa-1",
    claims: dict[str, Any] | None = None,
    header: dict[str, Any] | None = None,
    drop: tuple[str, ...] = (),
    **overrides: Any,
) -> str:
    body: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "user-123",
        "exp": int(NOW) + 300,
        "iat": int(NOW) - 10,
        "scope": "orders:read profile",
        "client_id": "app-1",
    }
    body.update(claims or {})
    body.update(overrides)
    for name in drop:
        body.pop(name, None)
    head: dict[str, Any] = {"alg": alg, "typ": "JWT"}
    if kid is not None:
        head["kid"] = kid
    head.update(header or {})
    signing_input = f"{b64json(head)}.{b64json(body)}"
    return f"{signing_input}.{b64(sign_raw(alg, key, signing_input.encode()))}"


# --- the local JWKS server ----------------------------------------------------------------------


@dataclass
class JwksServer:
    """Serves ``body`` with ``status`` at any path and counts requests per path."""

    body: bytes = b"{}"
    status: int = 200
    location: str | None = None
    delay: float = 0.0
    fetches: dict[str, int] = field(default_factory=dict)
    port: int = 0

    @property
    def count(self) -> int:
        return self.fetches.get("/jwks.json", 0)

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}/jwks.json"

    def serve(self, document: Any) -> None:
        self.body = json.dumps(document).encode()


# --- the authorizer under test ------------------------------------------------------------------


@dataclass
class Authz:
    """A freshly loaded handler module plus helpers to call it and read its denial log."""

    module: ModuleType
    caplog: pytest.LogCaptureFixture
    server: JwksServer
    now: list[float]

    def call(self, authorization: Any, arn: str = ARN) -> dict[str, Any]:
        event = load_event("authorizer_token.json")
        event["authorizationToken"] = authorization
        event["methodArn"] = arn
        result: dict[str, Any] = self.module.handler(event, None)
        return result

    def allow(self, token: str, arn: str = ARN) -> dict[str, Any]:
        return self.call(f"Bearer {token}", arn)

    def deny(self, authorization: Any, reason: str | None = None, arn: str = ARN) -> None:
        self.caplog.clear()
        with pytest.raises(Exception) as info:
            self.call(authorization, arn)
        assert type(info.value) is Exception
        assert info.value.args == ("Unauthorized",)
        assert info.value.__context__ is None and info.value.__cause__ is None
        if reason is not None:
            assert self.reasons()[-1] == reason

    def deny_token(self, token: str, reason: str | None = None) -> None:
        self.deny(f"Bearer {token}", reason)

    def reasons(self) -> list[str]:
        return [
            json.loads(r.getMessage())["reason"]
            for r in self.caplog.records
            if r.name == "secure_api.authorizer" and "authorizer_denied" in r.getMessage()
        ]


# --- WebSocket $connect REQUEST events ---------------------------------------------------------

CONNECT_VARS = (
    "CONNECT_SCOPES",
    "ALLOWED_ORIGINS",
    "ALLOW_IP_RANGES",
    "DENY_IP_RANGES",
    "TOKEN_QUERY_PARAMETER",
)
CONNECT_ARN = "arn:aws:execute-api:eu-west-1:123456789012:w5s6t7u8v9/prod/$connect"


def request_event(fixture: str, token: str) -> dict[str, Any]:
    """A fixture with its ``<jwt>`` placeholders replaced by ``token``."""
    text = json.dumps(load_event(fixture)).replace("<jwt>", token)
    event: dict[str, Any] = json.loads(text)
    return event


@dataclass
class Connect:
    """A freshly loaded handler plus helpers for REQUEST events."""

    module: ModuleType
    caplog: pytest.LogCaptureFixture

    def call(self, event: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.module.handler(copy.deepcopy(event), None)
        return result

    def allow(self, event: dict[str, Any]) -> dict[str, Any]:
        result = self.call(event)
        assert result["policyDocument"] == policy("Allow", event["methodArn"]), result
        return result

    def forbid(self, event: dict[str, Any], reason: str) -> dict[str, Any]:
        """A verified token that may not connect: a Deny on exactly the methodArn (403), and why."""
        self.caplog.clear()
        result = self.call(event)
        assert result["policyDocument"] == policy("Deny", event["methodArn"]), result
        assert "usageIdentifierKey" not in result
        assert self.reasons() == [reason]
        return result

    def unauthorized(self, event: Any, reason: str | None = None) -> None:
        """A missing, malformed or invalid token: exactly ``Exception("Unauthorized")`` (401)."""
        self.caplog.clear()
        with pytest.raises(Exception) as info:
            self.module.handler(copy.deepcopy(event), None)
        assert type(info.value) is Exception
        assert info.value.args == ("Unauthorized",)
        assert info.value.__context__ is None and info.value.__cause__ is None
        if reason is not None:
            assert self.reasons()[-1] == reason

    def reasons(self) -> list[str]:
        return [
            json.loads(r.getMessage())["reason"]
            for r in self.caplog.records
            if r.name == "secure_api.authorizer" and "authorizer_denied" in r.getMessage()
        ]


def policy(effect: str, arn: str = CONNECT_ARN) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": [arn]}],
    }
