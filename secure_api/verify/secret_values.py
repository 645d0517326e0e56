"""Whether a stage variable looks like a secret: pure functions over its name and value.

Stage variables are readable by anyone with ``apigateway:GET`` and land in templates, CloudTrail and
exports, so a secret kept in one is a leaked secret (Prowler rates it high). A secret belongs in
Secrets Manager; a variable naming it (an ARN, a secret's name or id) is a reference, not a secret.
The detectors never return the value, only what kind of secret it resembles.
"""

from __future__ import annotations

import math
import re
from collections import Counter

_SECRET_NAME_WORDS = (
    "secret",
    "password",
    "passwd",
    "passphrase",
    "token",
    "apikey",
    "privatekey",
    "credential",
    "accesskey",
    "clientsecret",
)
# A name ending in one of these names a secret (where to find it, how to send it), not the secret.
_REFERENCE_SUFFIXES = ("arn", "name", "id", "ids", "url", "uri", "endpoint", "header", "path", "ttl")
_VALUE_PATTERNS = (
    ("an AWS access key id", re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])")),
    ("a PEM private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----")),
    ("a JWT", re.compile(r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*")),
    ("a GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("a Stripe secret key", re.compile(r"\b[sr]k_live_[A-Za-z0-9]{16,}")),
)
_AWS_SECRET_KEY = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
_TOKEN_CHARS = re.compile(r"[A-Za-z0-9+/=_\-.~]+")
HIGH_ENTROPY_MIN_LENGTH = 32
HIGH_ENTROPY_BITS = 4.3
"""Bits per character above which a long token-like string is taken for random key material (hex,
UUIDs and words stay below: hex has at most 4 bits per character)."""


def _compact(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def secret_like_name(name: str) -> bool:
    """True when ``name`` says it holds a secret (``dbPassword``, ``api_key``, ``CLIENT_SECRET``) and
    is not a reference to one (``dbSecretArn``, ``tokenUrl``, ``apiKeyHeader``)."""
    compact = _compact(name)
    if not any(word in compact for word in _SECRET_NAME_WORDS):
        return False
    return not compact.endswith(_REFERENCE_SUFFIXES)


def shannon_entropy(text: str) -> float:
    """Bits of entropy per character of ``text``'s own character distribution."""
    if not text:
        return 0.0
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _mixed(text: str) -> bool:
    return bool(re.search(r"[a-z]", text) and re.search(r"[A-Z]", text) and re.search(r"[0-9]", text))


def secret_kind_of_value(value: str) -> str | None:
    """What kind of secret ``value`` resembles (``"an AWS access key id"``, ``"a JWT"``, ...), or None.
    ARNs and URLs are references, never secrets themselves (unless they embed a known secret)."""
    for kind, pattern in _VALUE_PATTERNS:
        if pattern.search(value):
            return kind
    if value.startswith("arn:") or "://" in value:
        return None
    for candidate in _AWS_SECRET_KEY.findall(value):
        if _mixed(candidate) and shannon_entropy(candidate) >= HIGH_ENTROPY_BITS:
            return "an AWS secret access key"
    if (
        len(value) >= HIGH_ENTROPY_MIN_LENGTH
        and _TOKEN_CHARS.fullmatch(value)
        and re.search(r"[0-9]", value)
        and re.search(r"[A-Za-z]", value)
        and shannon_entropy(value) >= HIGH_ENTROPY_BITS
    ):
        return "a long high-entropy string"
    return None


def secret_reason(name: str, value: str) -> str | None:
    """Why the stage variable ``name`` looks like a secret (``"its name"`` or ``"its value looks like
    a JWT"``), or None. Never includes the value."""
    kind = secret_kind_of_value(value)
    if kind:
        return f"its value looks like {kind}"
    if secret_like_name(name) and value.strip():
        return "its name"
    return None
