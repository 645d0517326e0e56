"""Strict base64url, shared by the token parser and the JWKS parser."""

from __future__ import annotations

import binascii

# To the standard alphabet; "+", "/" and "=" become "!" so that strict decoding rejects them.
_TO_STANDARD = bytes.maketrans(b"-_+/=", b"+/!!!")
_PADDING = (b"", b"!", b"==", b"=")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# Bits of the last character that carry no data, by length mod 4 (1 is invalid anyway).
_UNUSED_BITS = (0, 0, 0x0F, 0x03)


def b64url_decode(segment: str) -> bytes:
    """Decode unpadded, canonical base64url; raise ``ValueError`` for anything else."""
    if not segment or not segment.isascii():
        raise ValueError("not base64url")
    remainder = len(segment) % 4
    try:
        data = binascii.a2b_base64(
            segment.encode("ascii").translate(_TO_STANDARD) + _PADDING[remainder], strict_mode=True
        )
    except binascii.Error as error:
        raise ValueError("not base64url") from error
    # Non-zero unused bits would let several strings decode to the same bytes (malleable input).
    if _ALPHABET.index(segment[-1]) & _UNUSED_BITS[remainder]:
        raise ValueError("non-canonical base64url")
    return data
