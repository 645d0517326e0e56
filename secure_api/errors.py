"""``SecureApiConfigError`` and the validators every option class shares."""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import aws_cdk as cdk


class SecureApiConfigError(ValueError):
    """A configuration value is invalid: the message names the field, the value and what is expected.

    ``path``, when known, is the construct path of the API the error is about (set for errors raised
    during synthesis, when the traceback no longer points at the user's line).
    """

    def __init__(self, field: str, value: Any, expected: str, *, path: str | None = None) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        self.path = path
        super().__init__(self.message())

    def message(self) -> str:
        """The text of the error (``str(error)``)."""
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.field}: got {self.value!r}; expected {self.expected}"

    def at(self, path: str) -> SecureApiConfigError:
        """The same error, naming the construct path ``path`` of the API it is about."""
        # Not copy.copy: an exception is rebuilt from its args, which are not its constructor's.
        located = type(self).__new__(type(self))
        located.__dict__.update(self.__dict__)
        located.path = path
        located.args = (located.message(),)
        return located


@contextmanager
def located(path: str) -> Iterator[None]:
    """Re-raise a :class:`SecureApiConfigError` that names no construct path with ``path``."""
    try:
        yield
    except SecureApiConfigError as error:
        if error.path is not None:
            raise
        raise error.at(path) from None


def is_token(value: Any) -> bool:
    """True when ``value`` is (or contains) an unresolved CDK token, which is never validated."""
    return value is not None and cdk.Token.is_unresolved(value)


def require_int(field: str, value: Any, *, minimum: int = 0, maximum: int | None = None) -> None:
    """Reject anything that is not an integer within ``[minimum, maximum]`` (bools are not integers)."""
    if is_token(value):
        return
    bounds = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise SecureApiConfigError(field, value, f"an integer {bounds}")
    if value < minimum or (maximum is not None and value > maximum):
        raise SecureApiConfigError(field, value, f"an integer {bounds}")


def require_number(field: str, value: Any, *, minimum: float = 0, maximum: float | None = None) -> None:
    """Reject anything that is not a finite number within ``[minimum, maximum]``."""
    if is_token(value):
        return
    bounds = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise SecureApiConfigError(field, value, f"a number {bounds}")
    if value < minimum or (maximum is not None and value > maximum):
        raise SecureApiConfigError(field, value, f"a number {bounds}")


def require_cidr(field: str, value: Any) -> str:
    """Validate an IPv4 or IPv6 network in CIDR notation with no host bits set; return it normalised."""
    if is_token(value):
        return str(value)
    if not isinstance(value, str):
        raise SecureApiConfigError(field, value, "an IPv4 or IPv6 CIDR string such as '203.0.113.0/24'")
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise SecureApiConfigError(
            field, value, "an IPv4 or IPv6 CIDR such as '203.0.113.0/24' or '2001:db8::/32'"
        ) from None
    if "/" not in value:
        raise SecureApiConfigError(
            field, value, "a CIDR with an explicit prefix length, e.g. '198.51.100.7/32'"
        )
    if str(network.network_address) != str(ipaddress.ip_address(value.split("/")[0])):
        raise SecureApiConfigError(
            field, value, f"a network address with no host bits set (did you mean '{network}'?)"
        )
    return str(network)


def require_cidrs(field: str, values: Iterable[Any]) -> tuple[str, ...]:
    """Validate a list of CIDRs (see ``require_cidr``); duplicates are an error."""
    result = tuple(require_cidr(f"{field}[{i}]", v) for i, v in enumerate(_as_list(field, values)))
    return _unique(field, result)


_ACCOUNT = re.compile(r"[0-9]{12}")
_VPC = re.compile(r"vpc-[0-9a-f]{8}([0-9a-f]{9})?")
_VPCE = re.compile(r"vpce-[0-9a-f]{8}([0-9a-f]{9})?")


def require_pattern(
    field: str, values: Iterable[Any], pattern: re.Pattern[str], expected: str
) -> tuple[str, ...]:
    """Validate every string of ``values`` against the whole of ``pattern``; duplicates are an error."""
    out: list[str] = []
    for i, v in enumerate(_as_list(field, values)):
        if is_token(v):
            out.append(v)
            continue
        if not isinstance(v, str) or not pattern.fullmatch(v):
            raise SecureApiConfigError(f"{field}[{i}]", v, expected)
        out.append(v)
    return _unique(field, tuple(out))


def require_accounts(field: str, values: Iterable[Any]) -> tuple[str, ...]:
    """Validate 12-digit AWS account ids."""
    return require_pattern(field, values, _ACCOUNT, "a 12-digit AWS account id such as '123456789012'")


def require_vpc_ids(field: str, values: Iterable[Any]) -> tuple[str, ...]:
    """Validate VPC ids (``vpc-`` followed by 8 or 17 hex digits)."""
    return require_pattern(field, values, _VPC, "a VPC id such as 'vpc-0123456789abcdef0'")


def require_vpce_ids(field: str, values: Iterable[Any]) -> tuple[str, ...]:
    """Validate VPC endpoint ids (``vpce-`` followed by 8 or 17 hex digits)."""
    return require_pattern(field, values, _VPCE, "a VPC endpoint id such as 'vpce-0123456789abcdef0'")


def sequence_of(field: str, values: Any, type_: type) -> tuple[Any, ...]:
    """``values`` as a tuple when it is a list (not a string) of ``type_`` instances; refused naming the
    field (or the offending item's index) otherwise."""
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise SecureApiConfigError(field, values, f"a list of {type_.__name__}")
    for i, value in enumerate(values):
        if not isinstance(value, type_):
            raise SecureApiConfigError(f"{field}[{i}]", value, f"a {type_.__name__}")
    return tuple(values)


def _as_list(field: str, values: Any) -> list[Any]:
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise SecureApiConfigError(field, values, "a list of strings")
    return list(values)


def _unique(field: str, values: tuple[str, ...]) -> tuple[str, ...]:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            raise SecureApiConfigError(field, list(values), f"distinct values ({v!r} appears twice)")
        seen.add(v)
    return values
