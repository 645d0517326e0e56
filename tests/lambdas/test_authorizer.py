"""Tests of the bearer-token Lambda authorizer (``lambdas/authorizer``).

Keys are generated here; the JWKS is served by a local HTTP server on 127.0.0.1 that counts fetches.
Every denial is checked for the exact ``Exception("Unauthorized")`` and, where it matters, for the
logged denial reason, so that a test fails if the token is rejected for some other reason.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.hashes import SHA256
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.lambdas.authorizer_harness import (
    API,
    ARN,
    AUDIENCE,
    ISSUER,
    NOW,
    Authz,
    Keys,
    b64,
    b64json,
    default_jwks,
    int_b64,
    jwk_of,
    make_token,
    sign_raw,
)
from tests.lambdas.conftest import lambda_root

ROOT = lambda_root("authorizer")


ALL_ALGS = "RS256,PS256,ES256,EdDSA"


# --- valid tokens -------------------------------------------------------------------------------


def test_valid_rs256_allows_whole_stage(authz: Authz, keys: Keys) -> None:
    result = authz.allow(make_token(keys.rsa))
    assert result == {
        "principalId": "user-123",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [f"{API}/prod/*/*"]}
            ],
        },
        "context": {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "user-123",
            "exp": int(NOW) + 300,
            "iat": int(NOW) - 10,
            "client_id": "app-1",
            "scope": "orders:read profile",
        },
    }


@pytest.mark.parametrize(
    ("alg", "kid", "key_name"),
    [("PS256", "rsa-ps", "rsa2"), ("ES256", "ec-1", "ec"), ("EdDSA", "ed-1", "ed")],
)
def test_valid_other_algorithms_when_configured(
    make_authz: Callable[..., Authz], keys: Keys, alg: str, kid: str, key_name: str
) -> None:
    authz = make_authz(ALGORITHMS=ALL_ALGS)
    token = make_token(getattr(keys, key_name), alg=alg, kid=kid)
    assert authz.allow(token)["principalId"] == "user-123"


def test_algorithm_not_configured_is_rejected(authz: Authz, keys: Keys) -> None:
    authz.deny_token(make_token(keys.ec, alg="ES256", kid="ec-1"), "alg_not_allowed")


def test_tokens_minted_by_joserfc_are_accepted(make_authz: Callable[..., Authz], keys: Keys) -> None:
    from joserfc import jwt
    from joserfc.jwk import ECKey, RSAKey

    authz = make_authz(ALGORITHMS="RS256,ES256")
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "s", "exp": int(NOW) + 60}
    pem = serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    rsa_key = RSAKey.import_key(keys.rsa.private_bytes(*pem))
    ec_key = ECKey.import_key(keys.ec.private_bytes(*pem))
    rs = jwt.encode({"alg": "RS256", "kid": "rsa-1"}, claims, rsa_key)
    es = jwt.encode({"alg": "ES256", "kid": "ec-1"}, claims, ec_key)
    assert authz.allow(rs)["principalId"] == "s"
    assert authz.allow(es)["principalId"] == "s"


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "bEaReR"])
def test_scheme_is_case_insensitive(authz: Authz, keys: Keys, scheme: str) -> None:
    assert authz.call(f"{scheme} {make_token(keys.rsa)}")["principalId"] == "user-123"


# --- the Authorization value --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ("Basic {t}", "not_bearer"),
        ("{t}", "not_bearer"),
        ("Bearer  {t}", "malformed_bearer"),
        ("Bearer {t} {t}", "malformed_bearer"),
        ("Bearer {t} ", "malformed_bearer"),
        ("Bearer\t{t}", "not_bearer"),
        ("Bearer ", "malformed_bearer"),
        ("", "not_bearer"),
    ],
)
def test_malformed_authorization_values(authz: Authz, keys: Keys, template: str, reason: str) -> None:
    authz.deny(template.format(t=make_token(keys.rsa)), reason)


@pytest.mark.parametrize("value", [None, 42, ["Bearer x"]])
def test_missing_or_non_string_token(authz: Authz, value: Any) -> None:
    authz.deny(value, "missing_token")


def test_oversized_token_is_rejected_before_parsing(authz: Authz, keys: Keys) -> None:
    token = make_token(keys.rsa, claims={"pad": "x" * 8200})
    authz.deny_token(token, "oversized_token")
    assert authz.server.count == 0


def test_token_just_under_the_limit_is_accepted(authz: Authz, keys: Keys) -> None:
    base = make_token(keys.rsa, claims={"pad": ""})
    token = make_token(keys.rsa, claims={"pad": "x" * ((8192 - 7 - len(base)) * 3 // 4 - 2)})
    assert 8150 < len("Bearer " + token) <= 8192
    assert authz.allow(token)["context"]["pad"].startswith("x")


def test_non_ascii_token(authz: Authz, keys: Keys) -> None:
    authz.deny_token(make_token(keys.rsa) + "é", "non_ascii_token")


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda t: t.replace(".", "+.", 1), "bad_base64"),
        (lambda t: t + "=", "bad_base64"),
        (lambda t: t.rsplit(".", 1)[0] + ".", "bad_base64"),
        (lambda t: "." + t.split(".", 1)[1], "bad_base64"),
        (lambda t: t + ".e30", "not_jws"),
        (lambda t: t + ".e30.e30", "not_jws"),
        (lambda t: t.rsplit(".", 1)[0], "not_jws"),
    ],
)
def test_bad_encoding_and_segment_count(
    authz: Authz, keys: Keys, mutate: Callable[[str], str], reason: str
) -> None:
    authz.deny_token(mutate(make_token(keys.rsa)), reason)


def test_non_canonical_base64_signature_is_rejected(authz: Authz, keys: Keys) -> None:
    token = make_token(keys.rsa)
    head, sig = token.rsplit(".", 1)
    # 256 bytes -> 342 chars whose last char carries 4 unused bits; setting one keeps the same bytes.
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(sig[-1])
    twin = sig[:-1] + alphabet[last | 1]
    assert twin != sig and base64.urlsafe_b64decode(twin + "==") == base64.urlsafe_b64decode(sig + "==")
    authz.deny_token(f"{head}.{twin}", "bad_base64")


def test_header_and_payload_must_be_json_objects(authz: Authz, keys: Keys) -> None:
    token = make_token(keys.rsa)
    _, payload, sig = token.split(".")
    authz.deny_token(f"{b64(b'[1]')}.{payload}.{sig}", "bad_json")
    authz.deny_token(f"{b64(b'not json')}.{payload}.{sig}", "bad_json")


def test_duplicate_claims_are_rejected(authz: Authz, keys: Keys) -> None:
    head = b64json({"alg": "RS256", "kid": "rsa-1"})
    body = json.dumps({"iss": ISSUER, "aud": AUDIENCE, "sub": "a", "exp": NOW + 60})[:-1] + ', "sub": "b"}'
    signing_input = f"{head}.{b64(body.encode())}"
    token = f"{signing_input}.{b64(sign_raw('RS256', keys.rsa, signing_input.encode()))}"
    authz.deny_token(token, "bad_json")


# --- algorithm and key confusion ----------------------------------------------------------------


def test_alg_none_is_rejected(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz(ALGORITHMS=ALL_ALGS)
    authz.deny_token(make_token(None, alg="none"), "alg_not_allowed")
    authz.deny_token(make_token(None, alg="None"), "alg_not_allowed")


def test_hs256_signed_with_the_public_key_is_rejected(authz: Authz, keys: Keys) -> None:
    pem = keys.rsa.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    authz.deny_token(make_token(pem, alg="HS256"), "alg_not_allowed")
    n = jwk_of(keys.rsa, "rsa-1")["n"].encode()
    authz.deny_token(make_token(n, alg="HS256"), "alg_not_allowed")


def test_hs256_cannot_be_configured(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz(ALGORITHMS="RS256,HS256")
    authz.deny_token(make_token(keys.rsa), "invalid_config")


def test_ec_algorithm_with_an_rsa_kid_is_rejected(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz(ALGORITHMS=ALL_ALGS)
    authz.deny_token(make_token(keys.ec, alg="ES256", kid="rsa-1"), "bad_signature")


def test_key_is_used_only_with_its_jwk_alg(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz(ALGORITHMS=ALL_ALGS)
    # rsa-ps is published for PS256 only: a valid RS256 signature by the same key must not pass.
    authz.deny_token(make_token(keys.rsa2, alg="RS256", kid="rsa-ps"), "bad_signature")
    assert authz.allow(make_token(keys.rsa2, alg="PS256", kid="rsa-ps"))


@pytest.mark.parametrize(
    "jwk_extra",
    [
        {"alg": "ES256"},
        {"use": "enc"},
        {"key_ops": ["encrypt"]},
        {"d": "AQAB"},
    ],
)
def test_unusable_jwks_entries_are_ignored(
    make_authz: Callable[..., Authz], keys: Keys, jwk_extra: dict[str, Any]
) -> None:
    authz = make_authz()
    authz.server.serve({"keys": [jwk_of(keys.rsa, "rsa-1") | jwk_extra]})
    authz.deny_token(make_token(keys.rsa), "unknown_kid")


def test_jwk_without_alg_serves_its_key_type(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz(ALGORITHMS="RS256,ES256")
    authz.server.serve({"keys": [jwk_of(keys.rsa, "k"), jwk_of(keys.ec, "e")]})
    assert authz.allow(make_token(keys.rsa, kid="k"))
    assert authz.allow(make_token(keys.ec, alg="ES256", kid="e"))


def test_wrong_curve_and_small_rsa_keys_are_ignored(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz(ALGORITHMS="RS256,ES256")
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key().public_numbers()
    small = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    authz.server.serve(
        {
            "keys": [
                {"kty": "EC", "crv": "P-384", "kid": "p384", "x": int_b64(p384.x), "y": int_b64(p384.y)},
                jwk_of(small, "small"),
            ]
        }
    )
    authz.deny_token(make_token(small, kid="small"), "unknown_kid")


def test_ecdsa_signature_must_be_raw_r_s(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz(ALGORITHMS="ES256")
    token = make_token(keys.ec, alg="ES256", kid="ec-1")
    signing_input = token.rsplit(".", 1)[0]
    der = keys.ec.sign(signing_input.encode(), ec.ECDSA(SHA256()))
    authz.deny_token(f"{signing_input}.{b64(der)}", "bad_signature")


def test_ec_point_off_the_curve_is_ignored(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz(ALGORITHMS="ES256")
    jwk = jwk_of(keys.ec, "ec-1")
    jwk["y"] = b64((int.from_bytes(base64.urlsafe_b64decode(jwk["y"] + "="), "big") ^ 1).to_bytes(32, "big"))
    authz.server.serve({"keys": [jwk]})
    authz.deny_token(make_token(keys.ec, alg="ES256", kid="ec-1"), "unknown_kid")


@pytest.mark.parametrize("name", ["jku", "x5u"])
def test_key_url_headers_are_never_followed(authz: Authz, keys: Keys, name: str) -> None:
    attacker_url = f"http://127.0.0.1:{authz.server.port}/attacker.json"
    authz.server.fetches.clear()
    authz.deny_token(make_token(keys.attacker, header={name: attacker_url}), "bad_signature")
    assert authz.server.fetches.get("/attacker.json", 0) == 0
    # A genuine token carrying the header is still judged on the configured JWKS only.
    assert authz.allow(make_token(keys.rsa, header={name: attacker_url}))


def test_embedded_jwk_and_x5c_are_ignored(authz: Authz, keys: Keys) -> None:
    embedded = jwk_of(keys.attacker, "attacker")
    authz.deny_token(make_token(keys.attacker, kid="attacker", header={"jwk": embedded}), "unknown_kid")
    authz.deny_token(make_token(keys.attacker, header={"jwk": embedded, "x5c": ["AAAA"]}), "bad_signature")


def test_crit_header_is_rejected(authz: Authz, keys: Keys) -> None:
    authz.deny_token(make_token(keys.rsa, header={"crit": ["exp"], "exp": 1}), "crit_header")


def test_missing_kid_and_unexpected_typ_are_rejected(authz: Authz, keys: Keys) -> None:
    authz.deny_token(make_token(keys.rsa, kid=None), "bad_kid")
    authz.deny_token(make_token(keys.rsa, header={"typ": "JWE"}), "bad_typ")
    assert authz.allow(make_token(keys.rsa, header={"typ": "at+jwt"}))


# --- signatures ---------------------------------------------------------------------------------


def test_tampered_payload_is_rejected(authz: Authz, keys: Keys) -> None:
    head, _, sig = make_token(keys.rsa).split(".")
    forged = {"iss": ISSUER, "aud": AUDIENCE, "sub": "admin", "exp": int(NOW) + 300}
    authz.deny_token(f"{head}.{b64json(forged)}.{sig}", "bad_signature")


def test_tampered_signature_is_rejected(authz: Authz, keys: Keys) -> None:
    head, payload, sig = make_token(keys.rsa).split(".")
    raw = bytearray(base64.urlsafe_b64decode(sig + "=="))
    raw[10] ^= 0x01
    authz.deny_token(f"{head}.{payload}.{b64(bytes(raw))}", "bad_signature")


def test_tampered_header_is_rejected(authz: Authz, keys: Keys) -> None:
    _, payload, sig = make_token(keys.rsa).split(".")
    head = b64json({"alg": "RS256", "kid": "rsa-1", "typ": "at+jwt"})
    authz.deny_token(f"{head}.{payload}.{sig}", "bad_signature")


def test_signature_by_another_key_is_rejected(authz: Authz, keys: Keys) -> None:
    authz.deny_token(make_token(keys.attacker), "bad_signature")


# --- claims -------------------------------------------------------------------------------------


def test_expired_token(authz: Authz, keys: Keys) -> None:
    authz.deny_token(make_token(keys.rsa, exp=int(NOW) - 31), "expired")
    assert authz.allow(make_token(keys.rsa, exp=int(NOW) - 29))


def test_expiry_is_judged_on_the_injected_clock(authz: Authz, keys: Keys) -> None:
    token = make_token(keys.rsa, exp=int(NOW) + 10)
    assert authz.allow(token)
    authz.now[0] = NOW + 40
    authz.deny_token(token, "expired")


def test_future_nbf(authz: Authz, keys: Keys) -> None:
    authz.deny_token(make_token(keys.rsa, nbf=int(NOW) + 31), "not_yet_valid")
    assert authz.allow(make_token(keys.rsa, nbf=int(NOW) + 29))


def test_future_iat(authz: Authz, keys: Keys) -> None:
    authz.deny_token(make_token(keys.rsa, iat=int(NOW) + 120), "issued_in_future")


def test_leeway_is_configurable_and_capped(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz(LEEWAY_SECONDS="0")
    authz.deny_token(make_token(keys.rsa, exp=int(NOW)), "expired")
    capped = make_authz(LEEWAY_SECONDS="61")
    capped.deny_token(make_token(keys.rsa), "invalid_config")


@pytest.mark.parametrize(
    ("overrides", "drop", "reason"),
    [
        ({}, ("exp",), "missing_exp"),
        ({"exp": str(int(NOW) + 300)}, (), "bad_exp"),
        ({"exp": True}, (), "bad_exp"),
        ({"exp": None}, (), "bad_exp"),
        ({"nbf": "0"}, (), "bad_nbf"),
        # Beyond a float's range: no date at all (not an internal error), whichever claim carries it.
        ({"exp": 10**400}, (), "bad_exp"),
        ({"nbf": 10**400}, (), "bad_nbf"),
        ({"iat": -(10**400)}, (), "bad_iat"),
        # Past 2**53 an integer date goes through float(), and is still judged.
        ({"exp": -(2**60)}, (), "expired"),
        ({"nbf": 2**60}, (), "not_yet_valid"),
        ({}, ("iss",), "wrong_issuer"),
        ({"iss": "https://evil.example.com/"}, (), "wrong_issuer"),
        ({"iss": ISSUER.rstrip("/")}, (), "wrong_issuer"),
        ({"aud": "other-api"}, (), "wrong_audience"),
        ({"aud": ["other-api", "more"]}, (), "wrong_audience"),
        ({"aud": []}, (), "wrong_audience"),
        ({"aud": [AUDIENCE, 1]}, (), "wrong_audience"),
        ({}, ("aud",), "wrong_audience"),
        ({}, ("sub",), "bad_sub"),
        ({"sub": ""}, (), "bad_sub"),
        ({"sub": 7}, (), "bad_sub"),
    ],
)
def test_invalid_claims(
    authz: Authz, keys: Keys, overrides: dict[str, Any], drop: tuple[str, ...], reason: str
) -> None:
    authz.deny_token(make_token(keys.rsa, claims=overrides, drop=drop), reason)


def test_audience_list_and_several_configured_audiences(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz(AUDIENCE="orders-api, billing-api")
    assert authz.allow(make_token(keys.rsa, aud=["x", "billing-api"]))
    assert authz.allow(make_token(keys.rsa, aud="orders-api"))
    authz.deny_token(make_token(keys.rsa, aud="orders-api, billing-api"), "wrong_audience")


def test_cognito_access_tokens_via_audience_claim(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz(AUDIENCE="app-client-1", AUDIENCE_CLAIM="client_id")
    token = make_token(keys.rsa, drop=("aud",), client_id="app-client-1", token_use="access")
    assert authz.allow(token)["context"]["client_id"] == "app-client-1"
    authz.deny_token(make_token(keys.rsa, client_id="other"), "wrong_audience")


# --- the JWKS -----------------------------------------------------------------------------------


def test_jwks_fetched_once_across_many_calls(authz: Authz, keys: Keys) -> None:
    for _ in range(50):
        authz.allow(make_token(keys.rsa))
    assert authz.server.count == 1


def test_jwks_refetched_after_its_ttl(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz(JWKS_CACHE_SECONDS="120")
    authz.allow(make_token(keys.rsa, exp=int(NOW) + 3600))
    authz.now[0] = NOW + 119
    authz.allow(make_token(keys.rsa, exp=int(NOW) + 3600))
    assert authz.server.count == 1
    authz.now[0] = NOW + 121
    authz.allow(make_token(keys.rsa, exp=int(NOW) + 3600))
    assert authz.server.count == 2


def test_unknown_kid_flood_refetches_at_most_once_per_30_seconds(authz: Authz, keys: Keys) -> None:
    authz.allow(make_token(keys.rsa))
    assert authz.server.count == 1
    for i in range(200):
        authz.now[0] = NOW + 30 + i * 0.1
        authz.deny_token(make_token(keys.attacker, kid=f"random-{i}"), "unknown_kid")
    # t = 30 .. 49.9: one refetch at t = 30, none before t = 60.
    assert authz.server.count == 2
    authz.now[0] = NOW + 60
    authz.deny_token(make_token(keys.attacker, kid="random-x"), "unknown_kid")
    assert authz.server.count == 3


def test_unknown_kid_right_after_a_fetch_does_not_refetch(authz: Authz, keys: Keys) -> None:
    authz.allow(make_token(keys.rsa))
    for i in range(20):
        authz.deny_token(make_token(keys.attacker, kid=f"k{i}"), "unknown_kid")
    assert authz.server.count == 1


def test_rotated_key_is_picked_up_by_the_refetch(authz: Authz, keys: Keys) -> None:
    authz.allow(make_token(keys.rsa))
    authz.server.serve({"keys": [*default_jwks(keys)["keys"], jwk_of(keys.attacker, "rsa-2")]})
    authz.now[0] = NOW + 31
    assert authz.allow(make_token(keys.attacker, kid="rsa-2"))
    assert authz.server.count == 2


@pytest.mark.parametrize("failure", ["status", "garbage", "not_a_jwks", "huge", "redirect"])
def test_jwks_failures_fail_closed(authz: Authz, keys: Keys, failure: str) -> None:
    if failure == "status":
        authz.server.status = 500
    elif failure == "garbage":
        authz.server.body = b"<html>gateway timeout</html>"
    elif failure == "not_a_jwks":
        authz.server.serve({"keys": "none"})
    elif failure == "huge":
        authz.server.serve({**default_jwks(keys), "padding": "x" * (256 * 1024)})
    elif failure == "redirect":
        authz.server.status = 302
        authz.server.location = f"http://127.0.0.1:{authz.server.port}/other.json"
    authz.deny_token(make_token(keys.rsa), "jwks_unavailable")
    assert authz.server.count == 1
    assert authz.server.fetches.get("/other.json", 0) == 0


def test_jwks_connection_refused_fails_closed(make_authz: Callable[..., Authz], keys: Keys) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    authz = make_authz(JWKS_URI=f"http://127.0.0.1:{port}/jwks.json")
    authz.deny_token(make_token(keys.rsa), "jwks_unavailable")


def test_jwks_fetch_is_bounded_in_time(authz: Authz) -> None:
    import authorizer_jwks

    assert authorizer_jwks.FETCH_TIMEOUT_SECONDS <= 3
    authz.server.delay = 0.5
    started = time.perf_counter()
    with pytest.raises(authorizer_jwks.JwksError):
        authorizer_jwks.fetch_jwks(authz.server.uri, timeout=0.1)
    assert time.perf_counter() - started < 0.45


def test_failed_fetch_is_retried_after_backoff_not_per_request(authz: Authz, keys: Keys) -> None:
    authz.server.status = 503
    for _ in range(10):
        authz.deny_token(make_token(keys.rsa), "jwks_unavailable")
    assert authz.server.count == 1
    authz.server.status = 200
    authz.now[0] = NOW + 6
    assert authz.allow(make_token(keys.rsa))
    assert authz.server.count == 2


def test_expired_jwks_with_failing_refresh_fails_closed(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz(JWKS_CACHE_SECONDS="60")
    authz.allow(make_token(keys.rsa, exp=int(NOW) + 3600))
    authz.server.status = 500
    authz.now[0] = NOW + 61
    authz.deny_token(make_token(keys.rsa, exp=int(NOW) + 3600), "jwks_unavailable")


# --- the policy ---------------------------------------------------------------------------------


def test_policy_is_identical_for_every_route_of_the_stage(authz: Authz, keys: Keys) -> None:
    token = make_token(keys.rsa)
    arns = [f"{API}/prod/GET/orders/42", f"{API}/prod/DELETE/users/7/keys", f"{API}/prod/POST/"]
    results = [authz.allow(token, arn) for arn in arns]
    assert results[0] == results[1] == results[2]


def test_policy_with_route_scopes_is_identical_for_every_route(
    make_authz: Callable[..., Authz], keys: Keys
) -> None:
    authz = make_authz(ROUTE_SCOPES=json.dumps({"GET /orders/{id}": ["orders:read"], "DELETE /x": ["a"]}))
    token = make_token(keys.rsa)
    assert authz.allow(token, f"{API}/prod/GET/orders/1") == authz.allow(token, f"{API}/prod/DELETE/x")


def test_route_scopes_allow_and_deny(make_authz: Callable[..., Authz], keys: Keys) -> None:
    routes = {
        "GET /orders/{id}": ["orders:read"],
        "POST /orders": ["orders:write"],
        "GET /files/{proxy+}": ["files:read", "orders:read"],
        "GET /health": [],
        "ANY /admin/{id}/keys": ["admin"],
        "GET /": ["orders:read"],
    }
    authz = make_authz(ROUTE_SCOPES=json.dumps(routes))
    result = authz.allow(make_token(keys.rsa, scope="orders:read files:read"))
    statements = result["policyDocument"]["Statement"]
    assert (
        statements
        == [
            {
                "Action": "execute-api:Invoke",
                "Effect": "Allow",
                "Resource": [
                    f"{API}/prod/GET/orders/*",
                    f"{API}/prod/GET/files/*",
                    f"{API}/prod/GET/health",
                    f"{API}/prod/GET/",
                ],
            },
        ]
    )  # no Allow reaches POST /orders or /admin/{id}/keys: they need no Deny (tests/lambdas/test_authorizer_route_policy.py)


def test_route_scopes_from_scp_and_scopes_lists(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz(ROUTE_SCOPES=json.dumps({"GET /a": ["x"], "GET /b": ["y"], "GET /c": ["z"]}))
    result = authz.allow(make_token(keys.rsa, drop=("scope",), scp=["x"], scopes=["y", 3]))
    (allow,) = result["policyDocument"]["Statement"]  # GET /c: no Allow reaches it, no Deny needed
    assert allow["Resource"] == [f"{API}/prod/GET/a", f"{API}/prod/GET/b"]
    assert result["context"]["scope"] == "x y"


def test_no_allowed_route_still_returns_a_deny_policy(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz(ROUTE_SCOPES=json.dumps({"GET /a": ["admin"]}))
    result = authz.allow(make_token(keys.rsa))
    assert result["policyDocument"]["Statement"] == [
        {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": [f"{API}/prod/GET/a"]}
    ]


# --- ROUTE_SCOPES_FILE -----------------------------------------------------------------------------


def test_route_scopes_file_gives_the_same_policy_as_the_variable(
    make_authz: Callable[..., Authz], keys: Keys, tmp_path: Any
) -> None:
    routes = {"GET /orders/{id}": ["orders:read"], "GET /orders/mine": ["orders:write"], "GET /health": []}
    path = tmp_path / "route_scopes.json"
    path.write_text(json.dumps(routes))
    token = make_token(keys.rsa)
    from_file = make_authz(ROUTE_SCOPES_FILE=str(path)).allow(token)
    from_variable = make_authz(ROUTE_SCOPES=json.dumps(routes)).allow(token)
    assert from_file == from_variable
    allow, deny = from_file["policyDocument"]["Statement"]
    assert allow["Resource"] == [f"{API}/prod/GET/orders/*", f"{API}/prod/GET/health"]
    assert deny["Resource"] == [f"{API}/prod/GET/orders/mine"]  # GET/orders/* would reach it


def test_relative_route_scopes_file_is_read_from_the_code_package(tmp_path: Any) -> None:
    import authorizer_config

    (tmp_path / "route_scopes.json").write_text(json.dumps({"GET /a": ["x"]}))
    env = {"JWKS_URI": "https://idp.example.com/jwks", "ISSUER": ISSUER, "AUDIENCE": AUDIENCE}
    config = authorizer_config.load_config({**env, "ROUTE_SCOPES_FILE": "route_scopes.json"}, tmp_path)
    assert config.routes == (authorizer_config.Route("GET", "/a", frozenset({"x"})),)
    # Without a code root the package's own directory is used: there is no such file there.
    with pytest.raises(authorizer_config.ConfigError):
        authorizer_config.load_config({**env, "ROUTE_SCOPES_FILE": "route_scopes.json"})


@pytest.mark.parametrize(
    "content",
    [None, "{not json", "{}", json.dumps({"GET /x": "x"}), json.dumps({"GET /a": ["tab\tscope"]}), "\xff"],
)
def test_bad_route_scopes_file_fails_closed(
    make_authz: Callable[..., Authz], keys: Keys, tmp_path: Any, content: str | None
) -> None:
    path = tmp_path / "route_scopes.json"
    if content is not None:
        path.write_bytes(content.encode("latin-1"))
    authz = make_authz(ROUTE_SCOPES_FILE=str(path))
    authz.deny_token(make_token(keys.rsa), "invalid_config")
    assert authz.server.count == 0


def test_route_scopes_and_route_scopes_file_together_deny_every_request(
    make_authz: Callable[..., Authz], keys: Keys, tmp_path: Any
) -> None:
    path = tmp_path / "route_scopes.json"
    path.write_text(json.dumps({"GET /a": []}))
    authz = make_authz(ROUTE_SCOPES=json.dumps({"GET /a": []}), ROUTE_SCOPES_FILE=str(path))
    for _ in range(2):
        authz.deny_token(make_token(keys.rsa), "invalid_config")
    assert authz.server.count == 0


@pytest.mark.parametrize("partition", ["aws-cn", "aws-us-gov"])
def test_partitions(authz: Authz, keys: Keys, partition: str) -> None:
    region = "cn-north-1" if partition == "aws-cn" else "us-gov-west-1"
    arn = f"arn:{partition}:execute-api:{region}:123456789012:a1b2c3d4e5/live/GET/x"
    resource = authz.allow(make_token(keys.rsa), arn)["policyDocument"]["Statement"][0]["Resource"]
    assert resource == [f"arn:{partition}:execute-api:{region}:123456789012:a1b2c3d4e5/live/*/*"]


@pytest.mark.parametrize(
    "arn",
    [
        "arn:evil:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/x",
        "arn:aws:execute-api:eu-west-1:123456789012:*/prod/GET/x",
        "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/*/GET/x",
        "arn:aws:lambda:eu-west-1:123456789012:function:x",
        "",
    ],
)
def test_bad_method_arn_is_rejected(authz: Authz, keys: Keys, arn: str) -> None:
    authz.deny(f"Bearer {make_token(keys.rsa)}", "bad_method_arn", arn=arn)


def test_context_holds_scalars_only(authz: Authz, keys: Keys) -> None:
    token = make_token(
        keys.rsa,
        aud=[AUDIENCE],
        groups=["admin"],
        address={"city": "x"},
        nothing=None,
        admin=True,
        ratio=0.5,
        email="a@example.com",
    )
    context = authz.allow(token)["context"]
    assert context["admin"] is True and context["ratio"] == 0.5 and context["email"] == "a@example.com"
    assert {"aud", "groups", "address", "nothing"}.isdisjoint(context)
    assert all(isinstance(v, str | int | float | bool) for v in context.values())
    assert token not in json.dumps(context)


# --- configuration ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "env",
    [
        {"JWKS_URI": "http://issuer.example.com/jwks.json"},
        {"JWKS_URI": "ftp://127.0.0.1/jwks.json"},
        {"JWKS_URI": None},
        {"ISSUER": None},
        {"AUDIENCE": " , "},
        {"ALGORITHMS": "RS256,none"},
        {"LEEWAY_SECONDS": "-1"},
        {"LEEWAY_SECONDS": "thirty"},
        {"JWKS_CACHE_SECONDS": "0"},
        {"ROUTE_SCOPES": "{not json"},
        {"ROUTE_SCOPES": json.dumps({"GET /orders/*": ["x"]})},
        {"ROUTE_SCOPES": json.dumps({"FETCH /x": ["x"]})},
        {"ROUTE_SCOPES": json.dumps({"GET /x": "x"})},
        {"API_KEY_CLAIM": "a b"},
        {"AUDIENCE_CLAIM": "email"},
        {"JWKS_URI": "https://user:secret@issuer.example.com/jwks.json"},
        {"JWKS_URI": "https://issuer.example.com:99999/jwks.json"},
        {"ISSUER": "https://issuer.example.com/ x"},
        {"ROUTE_SCOPES": json.dumps({"GET /x": ["tab\tscope"]})},
        {"ROUTE_SCOPES": json.dumps({"GET /x": ["é"]})},
    ],
)
def test_config_errors_fail_closed(
    make_authz: Callable[..., Authz], keys: Keys, env: dict[str, str | None]
) -> None:
    authz = make_authz(**env)
    for _ in range(3):
        authz.deny_token(make_token(keys.rsa), "invalid_config")
    assert authz.server.count == 0


@pytest.mark.parametrize(
    "uri",
    [
        "http://localhost:1/jwks",
        "http://127.0.0.2/jwks",
        "http://[::1]:8080/jwks",
        "https://idp.example.com/x",
    ],
)
def test_loopback_http_and_https_uris_are_accepted(uri: str) -> None:
    import authorizer_config

    assert authorizer_config.parse_jwks_uri(uri) == uri


# --- errors, logging and imports ----------------------------------------------------------------


def test_internal_error_denies(authz: Authz, keys: Keys, monkeypatch: pytest.MonkeyPatch) -> None:
    import authorizer_core

    def boom(*args: Any) -> Any:
        raise KeyError("eyJ secret")

    monkeypatch.setattr(authorizer_core, "build_policy", boom)
    authz.deny_token(make_token(keys.rsa), "internal_error:KeyError")
    assert "eyJ secret" not in authz.caplog.text


@pytest.mark.parametrize("event", [None, [], {"type": "REQUEST", "authorizationToken": "Bearer x"}])
def test_non_token_events_are_rejected(authz: Authz, event: Any) -> None:
    with pytest.raises(Exception) as info:
        authz.module.handler(event, None)
    assert type(info.value) is Exception and info.value.args == ("Unauthorized",)


def test_no_token_or_claims_are_logged(
    make_authz: Callable[..., Authz], keys: Keys, capsys: pytest.CaptureFixture[str]
) -> None:
    authz = make_authz(ALGORITHMS="RS256")
    authz.caplog.set_level("DEBUG")
    secret_sub = "subject-7f3a9c"
    tokens = [
        make_token(keys.rsa, sub=secret_sub),
        make_token(keys.rsa, sub=secret_sub, exp=int(NOW) - 100),
        make_token(keys.attacker, sub=secret_sub),
        make_token(keys.rsa, sub=secret_sub, aud="nope"),
        make_token(keys.rsa, sub=secret_sub, iss="https://evil/"),
    ]
    authz.allow(tokens[0])
    texts = [authz.caplog.text]
    for authorization in [f"Bearer {t}" for t in tokens[1:]] + [f"Basic {tokens[0]}"]:
        authz.deny(authorization)  # clears the captured log first
        texts.append(authz.caplog.text)
    logged = "".join(texts) + "".join(capsys.readouterr())
    assert "authorizer_denied" in logged
    assert "https://evil/" in logged  # iss is the one claim that is logged
    for token in tokens:
        for part in token.split("."):
            assert part not in logged
    assert secret_sub not in logged and "orders:read" not in logged and "app-1" not in logged


def test_import_is_light(tmp_path: Any) -> None:
    code = (
        "import sys, time; t = time.perf_counter(); import handler; "
        "print(time.perf_counter() - t); "
        "heavy = ('boto3', 'urllib.request', 'aws_cdk', 'joserfc', 'jwt'); "
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    assert out[1] == "[]"
    assert float(out[0]) < 0.5  # generous here; bench/authorizer.py measures the real figure


# --- API keys -----------------------------------------------------------------------------------


def test_api_key_from_the_consumer_secret(make_authz: Callable[..., Authz], keys: Keys) -> None:
    import authorizer_api_keys
    import authorizer_core

    reads: list[str] = []
    secrets = {"secure-api/a1b2c3d4e5/mobile-app": json.dumps({"apiKey": "k" * 40, "consumer": "mobile-app"})}

    def read(name: str) -> str | None:
        reads.append(name)
        return secrets.get(name)

    authz = make_authz(API_KEY_CLAIM="client_id")
    authorizer = authz.module._get_authorizer()
    assert isinstance(authorizer, authorizer_core.Authorizer)
    authorizer.api_keys = authorizer_api_keys.ApiKeyResolver(read)
    for _ in range(3):
        assert authz.allow(make_token(keys.rsa, client_id="mobile-app"))["usageIdentifierKey"] == "k" * 40
    assert reads == ["secure-api/a1b2c3d4e5/mobile-app"]
    authz.deny_token(make_token(keys.rsa, client_id="unknown-app"), "no_api_key")
    authz.deny_token(make_token(keys.rsa, drop=("client_id",)), "no_api_key")
    authz.deny_token(make_token(keys.rsa, client_id="../other/x"), "no_api_key")
    secrets["secure-api/a1b2c3d4e5/revoked"] = json.dumps({"apiKey": "r" * 40, "revoked": True})
    authz.deny_token(make_token(keys.rsa, client_id="revoked"), "no_api_key")
    assert "k" * 40 not in authz.caplog.text


def test_api_key_lookup_with_moto(make_authz: Callable[..., Authz], keys: Keys, monkeypatch: Any) -> None:
    moto = pytest.importorskip("moto")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with moto.mock_aws():
        import boto3

        boto3.client("secretsmanager").create_secret(
            Name="secure-api/a1b2c3d4e5/mobile-app", SecretString=json.dumps({"apiKey": "m" * 40})
        )
        authz = make_authz(API_KEY_CLAIM="client_id")
        assert authz.allow(make_token(keys.rsa, client_id="mobile-app"))["usageIdentifierKey"] == "m" * 40
        authz.deny_token(make_token(keys.rsa, client_id="nobody"), "no_api_key")


# --- properties ---------------------------------------------------------------------------------


def _assert_unauthorized(authz: Authz, authorization: str) -> None:
    try:
        authz.module.handler({"type": "TOKEN", "authorizationToken": authorization, "methodArn": ARN}, None)
    except Exception as error:
        assert type(error) is Exception and error.args == ("Unauthorized",)
    else:
        raise AssertionError("allowed")


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_arbitrary_text_is_never_allowed(authz: Authz, text: str) -> None:
    _assert_unauthorized(authz, text)
    _assert_unauthorized(authz, "Bearer " + text)


_VALID: dict[str, str] = {}


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_mutated_tokens_are_never_allowed(authz: Authz, keys: Keys, data: st.DataObject) -> None:
    if "rs" not in _VALID:
        _VALID["rs"] = make_token(keys.rsa)
    token = _VALID["rs"]
    kind = data.draw(st.sampled_from(["flip", "swap", "insert", "delete", "truncate"]))
    chars = list(token)
    if kind == "flip":
        i = data.draw(st.integers(0, len(chars) - 1))
        chars[i] = data.draw(st.characters(codec="ascii"))
        mutated = "".join(chars)
    elif kind == "swap":
        parts = token.split(".")
        order = data.draw(st.permutations(range(3)))
        mutated = ".".join(parts[i] for i in order)
    elif kind == "insert":
        i = data.draw(st.integers(0, len(chars)))
        mutated = token[:i] + data.draw(st.text(min_size=1, max_size=3)) + token[i:]
    elif kind == "delete":
        i = data.draw(st.integers(0, len(chars) - 1))
        mutated = token[:i] + token[i + 1 :]
    else:
        mutated = token[: data.draw(st.integers(0, len(chars) - 1))]
    if mutated == token:
        assert authz.allow(mutated)["principalId"] == "user-123"
    else:
        _assert_unauthorized(authz, "Bearer " + mutated)


def test_remembered_method_arns_stay_bounded_and_exact(authz: Authz, keys: Keys) -> None:
    # Whole methodArns are remembered with their stage (a pure function of the text): only accepted
    # ones, never more than the limit, and a near-miss of a remembered ARN is judged afresh.
    import authorizer_policy

    token = make_token(keys.rsa)
    stage = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod"
    for n in range(authorizer_policy.MAX_REMEMBERED_STAGES + 5):
        assert authz.allow(token, f"{stage}/GET/orders/{n}")["policyDocument"]["Statement"][0][
            "Resource"
        ] == [f"{stage}/*/*"]
    remembered = authz.module._get_authorizer()._method_arns
    assert len(remembered) <= authorizer_policy.MAX_REMEMBERED_STAGES
    authz.deny(f"Bearer {token}", "bad_method_arn", arn=f"{stage}/get/orders/1")
    assert f"{stage}/get/orders/1" not in remembered
