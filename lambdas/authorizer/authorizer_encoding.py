"""Strict base64url, shared by the token parser and the JWKS parser."""

from __future__ import annotations

import base64
import binascii
import re

_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")


def b64url_decode(segment: str) -> bytes:
    """Decode unpadded, canonical base64url; raise ``ValueError`` for anything else."""
    if not _ALPHABET.fullmatch(segment) or len(segment) % 4 == 1:
        raise ValueError("not base64url")
    try:
        data = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except binascii.Error as error:
        raise ValueError("not base64url") from error
    # Non-zero padding bits would let several strings decode to the same bytes (malleable input).
    if base64.urlsafe_b64encode(data).rstrip(b"=") != segment.encode("ascii"):
        raise ValueError("non-canonical base64url")
    return data
