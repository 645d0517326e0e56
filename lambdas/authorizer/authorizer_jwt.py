"""A small, strict JWS (compact serialization) verifier for bearer tokens.

Only what an API authorizer needs: ``RS256``, ``PS256``, ``ES256`` and ``EdDSA`` signatures over
``cryptography``'s primitives, with the algorithm pinned by configuration and the key's own JWK
parameters. Everything taken from the token is parsed strictly: canonical base64url, UTF-8 JSON objects
without duplicate members or non-finite numbers, and typed claims.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable
from hashlib import sha256
from typing import Any, NamedTuple

from authorizer_encoding import b64url_decode
from authorizer_jwks import PublicKey
from authorizer_memo import remember
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.hashes import SHA256

MAX_AUTHORIZATION_LENGTH = 8192
MAX_REMEMBERED_HEADERS = 64
_TYPES = frozenset({"jwt", "at+jwt", "application/jwt", "application/at+jwt"})
_ECDSA_P256 = ec.ECDSA(SHA256())
_PKCS1V15 = padding.PKCS1v15()
_PSS = padding.PSS(mgf=padding.MGF1(SHA256()), salt_length=32)
_SHA256 = SHA256()
# RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 8017 section 8.2.2) as OpenSSL's RSA_verify checks it: the
# signature exactly as long as the modulus, the RSA public operation with the strict type-1 padding
# check, then the recovered DigestInfo compared byte for byte with the one expected (no ASN.1 parsing,
# nothing accepted after the digest). Done by hand because cryptography's verify() adds four ABC
# isinstance checks (Python calls) and an EVP setup: about 1 us a token, the same verdict.
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


new_record = tuple.__new__
"""``new_record(Record, (field, ...))`` builds a NamedTuple without its Python-level ``__new__`` (about a
tenth of a microsecond per record, on the path this module exists to keep cheap), read as a global rather
than as ``tuple.__new__`` (an attribute lookup more)."""


class Denied(Exception):
    """The request is not authorized; ``reason`` is a short, fixed, loggable code (never token data)."""

    def __init__(self, reason: str, *, kid: str | None = None, iss: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kid = kid
        self.iss = iss


class UnverifiedToken(NamedTuple):
    """A syntactically valid JWS whose signature has not been checked yet."""

    alg: str
    kid: str
    claims: dict[str, Any]
    signing_input: bytes
    signature: bytes


def bearer_token(authorization: object) -> str:
    """Extract the JWT from ``Bearer <jwt>``: one space, one token, ASCII, at most 8 KiB in total."""
    if not isinstance(authorization, str):
        raise Denied("missing_token")
    if len(authorization) > MAX_AUTHORIZATION_LENGTH:
        raise Denied("oversized_token")
    if not authorization.isascii():
        raise Denied("non_ascii_token")
    scheme, sep, token = authorization.partition(" ")
    if not sep or scheme.lower() != "bearer":
        raise Denied("not_bearer")
    if not token or " " in token:
        raise Denied("malformed_bearer")
    return token


def _decode(segment: str) -> bytes:
    try:
        return b64url_decode(segment)
    except ValueError as error:
        raise Denied("bad_base64") from error


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member")
    return result


def _reject_constant(name: str) -> None:
    raise ValueError(f"non-finite number {name}")


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_members, parse_constant=_reject_constant)
_PLAIN_DECODER = json.JSONDecoder(parse_constant=_reject_constant)
# What the decoders' decode runs, without its Python wrapper (typeshed does not list the attribute).
_SCAN: Callable[[str, int], tuple[Any, int]] = _DECODER.scan_once  # type: ignore[attr-defined]
_SCAN_PLAIN: Callable[[str, int], tuple[Any, int]] = _PLAIN_DECODER.scan_once  # type: ignore[attr-defined]
_JSON_WHITESPACE = " \t\n\r"


def _separators(value: object) -> int:
    """How many value separators (commas) a parsed JSON value was written with, at least: an object or
    array of n members has n - 1 (duplicate members, dropped by the parse, had more)."""
    count = 0
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is dict:
            count += len(item) - 1 if item else 0  # type: ignore[arg-type]
            pending.extend(item.values())  # type: ignore[attr-defined]
        elif kind is list:
            count += len(item) - 1 if item else 0  # type: ignore[arg-type]
            pending.extend(item)  # type: ignore[arg-type]
    return count


def _parse(scan: Callable[[str, int], tuple[Any, int]], text: str) -> Any:
    """What ``json.JSONDecoder.decode`` does, without its Python-level wrapper: JSON whitespace around
    one value, nothing else."""
    start = len(text) - len(text.lstrip(_JSON_WHITESPACE))
    value, end = scan(text, start)
    if end != len(text) and text[end:].strip(_JSON_WHITESPACE):
        raise ValueError("extra data after the JSON value")
    return value


def json_object(data: bytes) -> dict[str, Any]:
    """Parse a strict UTF-8 JSON object (no duplicate members, no NaN/Infinity).

    Parsed by the C scanner without a Python-level hook first. Every comma outside a string separates
    two members or elements, so the text holds at least as many commas as the parsed tree's objects and
    arrays need, and more when a duplicate member was dropped (commas inside strings only add): when the
    text's commas are exactly what the tree needs, nothing was dropped. Otherwise the text is parsed
    again by the strict decoder, which rejects duplicates: the same verdict, only slower.
    """
    try:
        text = data.decode("utf-8")
        # _parse(_SCAN_PLAIN, text), inline: this runs for every token seen for the first time.
        value, end = _SCAN_PLAIN(text, len(text) - len(text.lstrip(_JSON_WHITESPACE)))
        if end != len(text) and text[end:].strip(_JSON_WHITESPACE):
            raise ValueError("extra data after the JSON value")
        if type(value) is dict:
            commas = text.count(",")
            if commas != len(value) - 1 and commas != _separators(value):
                value = _parse(_SCAN, text)
    except (UnicodeDecodeError, ValueError, RecursionError, StopIteration) as error:
        raise Denied("bad_json") from error
    if type(value) is not dict:
        raise Denied("bad_json")
    return value


def parse_header(header_b64: str, algorithms: frozenset[str]) -> tuple[str, str]:
    """Decode a JWS protected header and check it against the pinned algorithms: ``(alg, kid)``."""
    header = json_object(_decode(header_b64))
    kid = header.get("kid")
    if not isinstance(kid, str) or not 0 < len(kid) <= 256:
        raise Denied("bad_kid")
    alg = header.get("alg")
    if not isinstance(alg, str) or alg not in algorithms:
        raise Denied("alg_not_allowed", kid=kid)
    if "crit" in header:
        raise Denied("crit_header", kid=kid)
    typ = header.get("typ")
    if typ is not None and (not isinstance(typ, str) or typ.lower() not in _TYPES):
        raise Denied("bad_typ", kid=kid)
    # jku, x5u, x5c and jwk are deliberately never read: keys come only from the configured JWKS.
    return alg, kid


def parse_token(
    token: str, algorithms: frozenset[str], headers: dict[str, tuple[str, str]] | None = None
) -> UnverifiedToken:
    """Split and decode a compact JWS, checking its protected header against the pinned algorithms.

    ``headers`` memoises :func:`parse_header` for one ``algorithms`` set: an issuer signs all its tokens
    under a handful of identical headers, and the result is a pure function of the header's text, so
    a remembered header is exactly as checked as a freshly parsed one (only accepted headers are kept).
    """
    parts = token.split(".")
    if len(parts) != 3:
        raise Denied("not_jws")
    header_b64, payload_b64, signature_b64 = parts
    parsed = None if headers is None else headers.get(header_b64)
    if parsed is None:
        parsed = parse_header(header_b64, algorithms)
        if headers is not None:
            remember(headers, header_b64, parsed, MAX_REMEMBERED_HEADERS)
    try:
        payload = b64url_decode(payload_b64)
    except ValueError as error:
        raise Denied("bad_base64") from error
    claims = json_object(payload)
    try:
        signature = b64url_decode(signature_b64)
    except ValueError as error:
        raise Denied("bad_base64") from error
    signing_input = token[: len(header_b64) + 1 + len(payload_b64)].encode("ascii")
    return new_record(UnverifiedToken, (parsed[0], parsed[1], claims, signing_input, signature))


def _ecdsa_der(signature: bytes, size: int) -> bytes:
    if len(signature) != 2 * size:
        raise InvalidSignature
    r = int.from_bytes(signature[:size], "big")
    s = int.from_bytes(signature[size:], "big")
    return encode_dss_signature(r, s)


# The key classes each algorithm verifies with (cryptography's key classes are ABCs, whose isinstance
# check costs as much as a token's JSON parse, so each concrete key type is classified once).
_ALGORITHM_KEY_CLASS: dict[str, type] = {
    "RS256": rsa.RSAPublicKey,
    "PS256": rsa.RSAPublicKey,
    "ES256": ec.EllipticCurvePublicKey,
    "EdDSA": ed25519.Ed25519PublicKey,
}
_KEY_CLASSES: dict[type, frozenset[type]] = {}


def _key_classes(public: object) -> frozenset[type]:
    """The key classes of :data:`_ALGORITHM_KEY_CLASS` that ``public`` is an instance of."""
    kind = type(public)
    classes = _KEY_CLASSES.get(kind)
    if classes is None:
        classes = frozenset(c for c in _ALGORITHM_KEY_CLASS.values() if isinstance(public, c))
        _KEY_CLASSES[kind] = classes
    return classes


def verify_signature(token: UnverifiedToken, key: PublicKey) -> bool:
    """Verify ``token`` with ``key`` if, and only if, the key's JWK allows the token's algorithm."""
    alg = token.alg
    public: Any = key.public_key
    classes = _KEY_CLASSES.get(type(public)) or _key_classes(public)
    if alg not in key.algorithms or _ALGORITHM_KEY_CLASS.get(alg) not in classes:
        return False
    try:
        if alg == "RS256":
            signature = token.signature
            if len(signature) != (public.key_size + 7) >> 3:
                return False
            recovered: bytes = public.recover_data_from_signature(signature, _PKCS1V15, None)
            return recovered == _SHA256_DIGEST_INFO + sha256(token.signing_input).digest()
        elif alg == "ES256":
            public.verify(_ecdsa_der(token.signature, 32), token.signing_input, _ECDSA_P256)
        elif alg == "PS256":
            public.verify(token.signature, token.signing_input, _PSS, _SHA256)
        else:  # EdDSA
            public.verify(token.signature, token.signing_input)
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_with_any(token: UnverifiedToken, keys: Iterable[PublicKey]) -> PublicKey:
    """Accept the token when one of the candidate keys verifies it; return that key."""
    for key in keys:
        if verify_signature(token, key):
            return key
    raise Denied("bad_signature", kid=token.kid)


_ABSENT = object()
_MAX_EXACT_INT = 2**53
"""Integer NumericDates below this size compare exactly as floats (larger ones go through float())."""


def _numeric_date(value: object, name: str, kid: str) -> float:
    """The claim ``name``'s ``value`` as a finite NumericDate, else :class:`Denied` (``bad_<name>``)."""
    # Exact types: the JSON parser makes only int and float, and bool (an int) is no date.
    if type(value) is int or type(value) is float:
        try:
            date = float(value)
        except OverflowError:
            pass
        else:
            if math.isfinite(date):
                return date
    raise Denied(f"bad_{name}", kid=kid)


def validate_claims(  # noqa: PLR0917 -- called positionally on every token (see the docstring)
    claims: dict[str, Any],
    kid: str,
    issuer: str,
    audiences: frozenset[str],
    audience_claim: str,
    leeway: int,
    now: float,
) -> str:
    """Check ``iss``, audience, ``exp``/``nbf``/``iat`` and ``sub``; return the subject.

    Positional parameters (the authorizer passes them so: a keyword call costs more on every token).
    """
    iss = claims.get("iss")
    if type(iss) is not str or iss != issuer:
        raise Denied("wrong_issuer", kid=kid, iss=iss if isinstance(iss, str) else None)
    exp = claims.get("exp", _ABSENT)
    if exp is _ABSENT:
        raise Denied("missing_exp", kid=kid, iss=iss)
    if type(exp) is not int or not -_MAX_EXACT_INT < exp < _MAX_EXACT_INT:
        exp = _numeric_date(exp, "exp", kid)
    if now >= exp + leeway:
        raise Denied("expired", kid=kid, iss=iss)
    nbf = claims.get("nbf", _ABSENT)
    if nbf is not _ABSENT:
        if type(nbf) is not int or not -_MAX_EXACT_INT < nbf < _MAX_EXACT_INT:
            nbf = _numeric_date(nbf, "nbf", kid)
        if now + leeway < nbf:
            raise Denied("not_yet_valid", kid=kid, iss=iss)
    iat = claims.get("iat", _ABSENT)
    if iat is not _ABSENT:
        if type(iat) is not int or not -_MAX_EXACT_INT < iat < _MAX_EXACT_INT:
            iat = _numeric_date(iat, "iat", kid)
        if now + leeway < iat:
            raise Denied("issued_in_future", kid=kid, iss=iss)
    aud = claims.get(audience_claim)
    if isinstance(aud, str):
        accepted = aud in audiences
    elif isinstance(aud, list) and aud and all(isinstance(a, str) for a in aud):
        accepted = any(a in audiences for a in aud)
    else:
        accepted = False
    if not accepted:
        raise Denied("wrong_audience", kid=kid, iss=iss)
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 1024:
        raise Denied("bad_sub", kid=kid, iss=iss)
    return sub
