"""The authorizer's memory of verified tokens (``Authorizer.verified_tokens``) never weakens a check.

A token verified once is remembered by its exact text, so a later call skips parsing and the signature
check, and only while the key that verified it is still that ``kid``'s key in the current key set. The
claim checks, ``exp``/``nbf``/``iat`` among them, run on every call. These tests show that an expired
token is refused from the memory, that a key rotated out of the JWKS (by its TTL or by an unknown-``kid``
refetch) cannot be bypassed, that any other text is verified afresh, and that the memory is bounded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.lambdas.authorizer_harness import NOW, Authz, Keys, jwk_of, make_token


def count_verifications(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count full signature checks from now on (the memory's hits make none)."""
    import authorizer_core

    calls = [0]
    real = authorizer_core.verify_with_any

    def counting(*args: Any) -> Any:
        calls[0] += 1
        return real(*args)

    monkeypatch.setattr(authorizer_core, "verify_with_any", counting)
    return calls


def remembered(authz: Authz) -> dict[str, Any]:
    verified: dict[str, Any] = authz.module._get_authorizer().verified_tokens
    return verified


def test_a_repeated_token_is_verified_once(
    make_authz: Callable[..., Authz], keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    authz = make_authz()
    calls = count_verifications(monkeypatch)
    token = make_token(keys.rsa)
    first = authz.allow(token)
    assert authz.allow(token) == first
    assert authz.call(f"bEaReR {token}") == first  # the same token text under another scheme spelling
    assert calls == [1]
    assert list(remembered(authz)) == [token]


def test_an_expired_token_is_refused_from_the_memory(
    make_authz: Callable[..., Authz], keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    authz = make_authz(LEEWAY_SECONDS="0")
    calls = count_verifications(monkeypatch)
    token = make_token(keys.rsa, exp=int(NOW) + 60)
    authz.allow(token)
    authz.now[0] = NOW + 59.5
    authz.allow(token)
    assert calls == [1]
    authz.now[0] = NOW + 60
    authz.deny_token(token, "expired")
    assert token not in remembered(authz)
    authz.deny_token(token, "expired")


def test_the_leeway_still_applies_to_a_remembered_token(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz(LEEWAY_SECONDS="30")
    token = make_token(keys.rsa, exp=int(NOW) + 60)
    authz.allow(token)
    authz.now[0] = NOW + 89
    authz.allow(token)
    authz.now[0] = NOW + 90
    authz.deny_token(token, "expired")


def test_a_key_rotated_out_when_the_jwks_expires_is_not_bypassed(
    make_authz: Callable[..., Authz], keys: Keys
) -> None:
    authz = make_authz(JWKS_CACHE_SECONDS="120")
    token = make_token(keys.rsa, exp=int(NOW) + 3600)
    authz.allow(token)
    authz.server.serve({"keys": [jwk_of(keys.rsa2, "rsa-2", alg="RS256")]})  # rsa-1 retired
    authz.now[0] = NOW + 119
    authz.allow(token)  # the key set in force still holds rsa-1
    authz.now[0] = NOW + 121
    authz.deny_token(token, "unknown_kid")
    assert authz.server.count == 2
    assert token not in remembered(authz)


def test_a_key_rotated_out_by_an_unknown_kid_refetch_is_not_bypassed(
    make_authz: Callable[..., Authz], keys: Keys
) -> None:
    authz = make_authz()
    token = make_token(keys.rsa, exp=int(NOW) + 3600)
    authz.allow(token)
    # The issuer rotates: rsa-1 leaves the JWKS, a token under the new kid makes the authorizer refetch.
    authz.server.serve({"keys": [jwk_of(keys.rsa2, "rsa-2", alg="RS256")]})
    authz.now[0] = NOW + 31
    authz.allow(make_token(keys.rsa2, kid="rsa-2", exp=int(NOW) + 3600))
    assert authz.server.count == 2
    authz.deny_token(token, "unknown_kid")


def test_a_kid_given_to_another_key_is_not_bypassed(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz(JWKS_CACHE_SECONDS="120")
    token = make_token(keys.rsa, exp=int(NOW) + 3600)
    authz.allow(token)
    authz.server.serve({"keys": [jwk_of(keys.attacker, "rsa-1", alg="RS256")]})
    authz.now[0] = NOW + 121
    authz.deny_token(token, "bad_signature")


def test_an_unchanged_key_set_after_a_refetch_verifies_the_token_again(
    make_authz: Callable[..., Authz], keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    authz = make_authz(JWKS_CACHE_SECONDS="120")
    calls = count_verifications(monkeypatch)
    token = make_token(keys.rsa, exp=int(NOW) + 3600)
    authz.allow(token)
    authz.now[0] = NOW + 121
    authz.allow(token)
    authz.allow(token)
    assert calls == [2] and authz.server.count == 2


def test_an_unavailable_jwks_fails_closed_for_a_remembered_token(
    make_authz: Callable[..., Authz], keys: Keys
) -> None:
    authz = make_authz(JWKS_CACHE_SECONDS="120")
    token = make_token(keys.rsa, exp=int(NOW) + 3600)
    authz.allow(token)
    authz.server.status = 500
    authz.now[0] = NOW + 121
    authz.deny_token(token, "jwks_unavailable")


def test_only_the_exact_text_is_remembered(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz()
    token = make_token(keys.rsa)
    authz.allow(token)
    header, payload, signature = token.split(".")
    forged = make_token(keys.attacker, sub="admin").split(".")[1]
    authz.deny_token(f"{header}.{forged}.{signature}", "bad_signature")
    authz.deny_token(f"{header}.{payload}.{signature[:-2]}AA", "bad_signature")
    authz.deny_token(f"{token}.", "not_jws")
    assert list(remembered(authz)) == [token]


def test_a_refused_token_is_never_remembered(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz()
    authz.deny_token(make_token(keys.rsa, aud="another-api"), "wrong_audience")
    authz.deny_token(make_token(keys.attacker), "bad_signature")
    assert remembered(authz) == {}


def test_the_memory_is_bounded_oldest_first(make_authz: Callable[..., Authz], keys: Keys) -> None:
    authz = make_authz()
    authorizer = authz.module._get_authorizer()
    authorizer.max_verified_tokens = 3
    tokens = [make_token(keys.rsa, jti=str(i)) for i in range(5)]
    for token in tokens:
        authz.allow(token)
    assert list(authorizer.verified_tokens) == tokens[2:]


def test_the_memory_can_be_turned_off(
    make_authz: Callable[..., Authz], keys: Keys, monkeypatch: pytest.MonkeyPatch
) -> None:
    authz = make_authz()
    authz.module._get_authorizer().max_verified_tokens = 0
    calls = count_verifications(monkeypatch)
    token = make_token(keys.rsa)
    authz.allow(token)
    authz.allow(token)
    assert calls == [2] and remembered(authz) == {}


def test_the_default_bound(make_authz: Callable[..., Authz]) -> None:
    import authorizer_core

    authorizer = make_authz().module._get_authorizer()
    assert authorizer.max_verified_tokens == authorizer_core.MAX_VERIFIED_TOKENS == 512
