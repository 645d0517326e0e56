"""The authorizer's base64url decoder gives exactly the standard library's strict verdicts.

``authorizer_encoding.b64url_decode`` decodes with ``pybase64``, which, given the URL-safe alphabet,
still accepts ``+``, ``/`` and padding; the decoder refuses those itself. These tests hold it to a
straightforward reference built on ``binascii``'s strict mode: unpadded, URL-safe alphabet only,
non-empty, and canonical (the unused bits of the last character zero, so no two texts give the same
bytes). Token segments and JWK members both go through it. Every test runs under each of the decoder's
code paths this CPU has (plain C and each SIMD level): a Lambda host may pick another than this machine.
"""

from __future__ import annotations

import base64
import binascii
import itertools
from collections.abc import Iterator

import pybase64
import pybase64._pybase64 as decoder
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.lambdas.conftest import lambda_root

lambda_root("authorizer")

import authorizer_encoding  # noqa: E402

# pybase64's own switch between its code paths (private, as in its own tests): 0 is plain C.
_RUNTIME_FLAGS = decoder._get_simd_flags_runtime()
CODE_PATHS = [0, *(1 << bit for bit in range(32) if _RUNTIME_FLAGS & (1 << bit))]


@pytest.fixture(autouse=True, scope="module", params=CODE_PATHS, ids=decoder._get_simd_name)
def code_path(request: pytest.FixtureRequest) -> Iterator[None]:
    chosen = decoder._get_simd_path()
    decoder._set_simd_path(request.param)
    yield
    decoder._set_simd_path(chosen)


URL_SAFE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# Characters a lax decoder might skip, map or accept: the standard alphabet's, padding, whitespace, NUL,
# a dot (the JWS separator), Latin-1 and non-Latin letters, the Kelvin sign, a lone surrogate.
TRICKY = "+/= \t\n\r\x00.%é\xff\u212a\ud800"


def reference(segment: str) -> bytes | None:
    """The strict verdict: the bytes, or None for a refusal."""
    if not segment or any(c not in URL_SAFE for c in segment) or len(segment) % 4 == 1:
        return None
    standard = segment.replace("-", "+").replace("_", "/")
    try:
        data = binascii.a2b_base64(standard + "=" * (-len(segment) % 4), strict_mode=True)
    except binascii.Error:
        return None
    # Canonical: encoding the bytes again gives back the very text.
    return data if base64.urlsafe_b64encode(data).rstrip(b"=").decode() == segment else None


def verdict(segment: str) -> bytes | None:
    try:
        return authorizer_encoding.b64url_decode(segment)
    except ValueError:
        return None


def test_the_c_extension_decodes() -> None:
    """The speed this module exists for: pybase64's compiled decoder, not its Python fallback."""
    assert "C extension active" in pybase64.get_version()
    assert len(CODE_PATHS) > 1


@pytest.mark.parametrize("length", range(4))
def test_every_short_text_over_a_hostile_alphabet(length: int) -> None:
    alphabet = "AQgw_-+/=BZaz09 \x00é"
    for chars in itertools.product(alphabet, repeat=length):
        segment = "".join(chars)
        assert verdict(segment) == reference(segment), repr(segment)


@pytest.mark.parametrize(
    "segment",
    [
        "QQ==",  # padded
        "QUJD=",  # padding where none is due
        "QQ=A",  # padding inside
        "Q+/A",  # the standard alphabet
        "Q-_A",  # the URL-safe one: accepted
        "QR",  # non-zero unused bits
        "QQ",  # canonical
        "QUJD\n",  # a line break
        " QUJD",
        "QUJDQ",  # a length of 1 mod 4
        "QUJ\u212a",  # lower-cases to ASCII
        "QUJ\ud800",  # not encodable
    ],
)
def test_adversarial_segments(segment: str) -> None:
    assert verdict(segment) == reference(segment)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.binary(max_size=300),
    edits=st.lists(st.tuples(st.integers(min_value=0), st.sampled_from(URL_SAFE + TRICKY)), max_size=3),
    cut=st.integers(min_value=0, max_value=3),
)
@example(data=b"\xff" * 256, edits=[], cut=0)
@example(data=b"\xfb\xff", edits=[], cut=0)
def test_edited_encodings(data: bytes, edits: list[tuple[int, str]], cut: int) -> None:
    """Real encodings (any length, so every padding case), with characters replaced and the end cut."""
    segment = list(base64.urlsafe_b64encode(data).rstrip(b"=").decode())
    for position, char in edits:
        if segment:
            segment[position % len(segment)] = char
    text = "".join(segment)[: max(0, len(segment) - cut)] if cut else "".join(segment)
    assert verdict(text) == reference(text)


def test_bytes_round_trip() -> None:
    for size in range(1, 70):
        data = bytes(range(size))
        assert authorizer_encoding.b64url_decode(base64.urlsafe_b64encode(data).rstrip(b"=").decode()) == data
    with pytest.raises(ValueError, match="non-canonical"):
        authorizer_encoding.b64url_decode("")
