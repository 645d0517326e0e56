"""API key values: random letters and digits from :mod:`secrets`."""

from __future__ import annotations

import secrets
import string

MIN_KEY_LENGTH = 40
DEFAULT_KEY_LENGTH = 48
_ALPHABET = string.ascii_letters + string.digits


def generate_key_value(length: int = DEFAULT_KEY_LENGTH) -> str:
    """Return a new API key value of ``length`` (at least 40) random letters and digits."""
    if length < MIN_KEY_LENGTH:
        raise ValueError(f"API key length must be at least {MIN_KEY_LENGTH}, got {length}")
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))
