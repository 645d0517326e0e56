"""Strict base64url, shared by the token parser and the JWKS parser."""

from __future__ import annotations

import binascii

# To the standard alphabet; "+", "/" and "=" become "!" so that strict decoding rejects them.
TO_STANDARD = bytes.maketrans(b"-_+/=", b"+/!!!")
PADDING = (b"", b"!", b"==", b"=")
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
# The last characters whose unused bits are all zero, by length mod 4 (0: no unused bits; 1 is invalid
# anyway): non-zero unused bits would let several strings decode to the same bytes (malleable input).
CANONICAL_LAST = (
    frozenset(_ALPHABET),
    frozenset(_ALPHABET),
    frozenset(c for i, c in enumerate(_ALPHABET) if not i & 0x0F),
    frozenset(c for i, c in enumerate(_ALPHABET) if not i & 0x03),
)


def b64url_decode(segment: str) -> bytes:
    """Decode unpadded, canonical base64url; raise ``ValueError`` for anything else."""
    remainder = len(segment) & 3
    try:
        data = binascii.a2b_base64(
            segment.encode("ascii").translate(TO_STANDARD) + PADDING[remainder], strict_mode=True
        )
    except ValueError as error:  # binascii.Error and UnicodeEncodeError (not ASCII) alike
        raise ValueError("not base64url") from error
    if not data or segment[-1] not in CANONICAL_LAST[remainder]:
        raise ValueError("non-canonical base64url")
    return data
