"""The authorizer's RS256 check gives exactly the verdicts of ``cryptography``'s ``verify``.

``authorizer_jwt.verify_signature`` checks RS256 itself (the RSA public operation with the strict
PKCS #1 v1.5 type-1 padding check, then an exact comparison with the expected SHA-256 DigestInfo), so
these tests hold it to the reference on valid signatures, random mutations of them, and encodings forged
with the private key (other digests, bytes after the digest, short or broken padding, another block type,
the DigestInfo without its NULL parameter, a dropped leading zero byte).
"""

from __future__ import annotations

import functools
import hashlib
import math
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.hashes import SHA256
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.lambdas.authorizer_harness import sign_raw
from tests.lambdas.conftest import lambda_root

lambda_root("authorizer")

import authorizer_jwks  # noqa: E402
import authorizer_jwt  # noqa: E402

SHA256_INFO = bytes.fromhex("3031300d060960864801650304020105000420")
SHA256_INFO_WITHOUT_NULL = bytes.fromhex("302f300b06096086480165030402010420")
SHA1_INFO = bytes.fromhex("3021300906052b0e03021a05000414")


@functools.cache
def private_key(bits: int) -> rsa.RSAPrivateKey:
    """A key whose modulus has ``bits`` bits: 2048, or 2052 (not a whole number of bytes: OpenSSL only
    generates those, so it is built from the primes of a 2048-bit and a 2056-bit key)."""
    if bits == 2048:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    p = private_key(2048).private_numbers().p
    q = rsa.generate_private_key(public_exponent=65537, key_size=2056).private_numbers().q
    n, e = p * q, 65537
    d = pow(e, -1, (p - 1) * (q - 1) // math.gcd(p - 1, q - 1))
    numbers = rsa.RSAPrivateNumbers(
        p,
        q,
        d,
        rsa.rsa_crt_dmp1(d, p),
        rsa.rsa_crt_dmq1(d, q),
        rsa.rsa_crt_iqmp(p, q),
        rsa.RSAPublicNumbers(e, n),
    )
    key = numbers.private_key()
    assert key.key_size == bits, key.key_size
    return key


def reference(key: rsa.RSAPrivateKey, signature: bytes, message: bytes) -> bool:
    try:
        key.public_key().verify(signature, message, padding.PKCS1v15(), SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def authorizer_verdict(key: rsa.RSAPrivateKey, signature: bytes, message: bytes) -> bool:
    token: Any = authorizer_jwt.UnverifiedToken("RS256", "k", {}, message, signature)
    public = authorizer_jwks.PublicKey("k", frozenset({"RS256"}), key.public_key())
    verdict: bool = authorizer_jwt.verify_signature(token, public)
    return verdict


def raw_signature(key: rsa.RSAPrivateKey, encoded: bytes) -> bytes:
    """The RSA private operation on an encoded message of our choosing (a forger's signature)."""
    numbers = key.private_numbers()
    size = (key.key_size + 7) // 8
    assert len(encoded) == size
    return pow(int.from_bytes(encoded, "big"), numbers.d, numbers.public_numbers.n).to_bytes(size, "big")


def encoded_message(
    size: int, digest_info: bytes, *, block_type: bytes = b"\x01", fill: bytes = b"\xff"
) -> bytes:
    return b"\x00" + block_type + fill * (size - 3 - len(digest_info)) + b"\x00" + digest_info


@pytest.mark.parametrize("bits", [2048, 2052])
def test_valid_rs256_signatures_are_accepted(bits: int) -> None:
    key = private_key(bits)
    message = b"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0"
    signature = sign_raw("RS256", key, message)
    assert len(signature) == (bits + 7) // 8
    assert authorizer_verdict(key, signature, message) is True
    assert authorizer_verdict(key, signature, message + b"x") is False


FORGED = {
    "sha1_digest_info": lambda m: SHA1_INFO + hashlib.sha1(m).digest(),
    "digest_info_without_null": lambda m: SHA256_INFO_WITHOUT_NULL + hashlib.sha256(m).digest(),
    "bytes_after_the_digest": lambda m: SHA256_INFO + hashlib.sha256(m).digest() + b"\x00\x00",
    "digest_of_another_message": lambda m: SHA256_INFO + hashlib.sha256(m + b".").digest(),
    "bare_digest": lambda m: hashlib.sha256(m).digest(),
}


@pytest.mark.parametrize("bits", [2048, 2052])
@pytest.mark.parametrize("name", sorted(FORGED))
def test_fails_rs256_forged_digest_info(bits: int, name: str) -> None:
    key = private_key(bits)
    message = b"header.payload"
    size = (bits + 7) // 8
    signature = raw_signature(key, encoded_message(size, FORGED[name](message)))
    assert reference(key, signature, message) is False
    assert authorizer_verdict(key, signature, message) is False


@pytest.mark.parametrize(
    ("name", "block_type", "fill"),
    [
        ("block_type_2", b"\x02", b"\xff"),
        ("block_type_0", b"\x00", b"\x00"),
        ("padding_not_ff", b"\x01", b"\xfe"),
    ],
)
def test_fails_rs256_broken_padding(name: str, block_type: bytes, fill: bytes) -> None:
    key = private_key(2048)
    message = b"header.payload"
    digest_info = SHA256_INFO + hashlib.sha256(message).digest()
    signature = raw_signature(key, encoded_message(256, digest_info, block_type=block_type, fill=fill))
    assert reference(key, signature, message) is False, name
    assert authorizer_verdict(key, signature, message) is False, name


def test_fails_rs256_short_padding() -> None:
    """Fewer than eight 0xff bytes, the digest info moved left and zeros after it."""
    key = private_key(2048)
    message = b"header.payload"
    digest_info = SHA256_INFO + hashlib.sha256(message).digest()
    encoded = b"\x00\x01" + b"\xff" * 7 + b"\x00" + digest_info
    signature = raw_signature(key, encoded + b"\x00" * (256 - len(encoded)))
    assert reference(key, signature, message) is False
    assert authorizer_verdict(key, signature, message) is False


def test_the_forgery_harness_makes_valid_signatures() -> None:
    """The forged cases above differ from a valid signature only in the named defect."""
    key = private_key(2052)
    message = b"header.payload"
    signature = raw_signature(key, encoded_message(257, SHA256_INFO + hashlib.sha256(message).digest()))
    assert reference(key, signature, message) is True
    assert authorizer_verdict(key, signature, message) is True


def test_fails_rs256_signature_without_its_leading_zero_byte() -> None:
    key = private_key(2048)
    for counter in range(20_000):
        message = b"header.payload-%d" % counter
        signature = sign_raw("RS256", key, message)
        if signature[0] == 0:
            break
    else:  # pragma: no cover -- one signature in 256 starts with a zero byte
        pytest.fail("no signature with a leading zero byte")
    assert authorizer_verdict(key, signature, message) is True
    for altered in (signature[1:], b"\x00" + signature, signature + b"\x00"):
        assert reference(key, altered, message) is False
        assert authorizer_verdict(key, altered, message) is False


@pytest.mark.parametrize("signature", [b"", b"\xff" * 256, b"\x00" * 256, b"\x00" * 255 + b"\x01"])
def test_fails_rs256_degenerate_signatures(signature: bytes) -> None:
    key = private_key(2048)
    assert reference(key, signature, b"m") is False
    assert authorizer_verdict(key, signature, b"m") is False


@settings(max_examples=300, deadline=None)
@given(
    message=st.binary(max_size=64),
    mutation=st.sampled_from(["none", "flip", "truncate", "extend", "random", "message"]),
    position=st.integers(min_value=0, max_value=255),
    bit=st.integers(min_value=0, max_value=7),
    noise=st.binary(min_size=256, max_size=256),
)
def test_rs256_verdicts_match_cryptography(
    message: bytes, mutation: str, position: int, bit: int, noise: bytes
) -> None:
    key = private_key(2048)
    signature = sign_raw("RS256", key, message)
    signed = message
    if mutation == "flip":
        signature = (
            signature[:position] + bytes([signature[position] ^ (1 << bit)]) + signature[position + 1 :]
        )
    elif mutation == "truncate":
        signature = signature[:position]
    elif mutation == "extend":
        signature = signature + noise[:position]
    elif mutation == "random":
        signature = noise
    elif mutation == "message":
        signed = message + bytes([bit])
    assert authorizer_verdict(key, signature, signed) is reference(key, signature, signed)
