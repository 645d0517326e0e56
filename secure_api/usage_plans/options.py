"""The options of usage plans: ``Quota``, ``UsageTier`` (with ``tier_throttles``), ``Consumer`` and
``KeyRotation``, and the checks across tiers and consumers."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING, Any

from aws_cdk import Duration
from aws_cdk import aws_apigateway as apigw

from secure_api import defaults
from secure_api.errors import SecureApiConfigError, is_token, require_int, sequence_of
from secure_api.rest.routes import RouteKey
from secure_api.throttling import Throttle

if TYPE_CHECKING:
    from secure_api.monitoring.options import Monitoring

_TIER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CONSUMER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_OFFSET_MAX = {"DAY": 0, "WEEK": 6, "MONTH": 27}


@dataclass(frozen=True, kw_only=True)
class Quota:
    """At most ``limit`` requests per ``period`` (DAY, WEEK or MONTH; default MONTH).

    ``offset`` shifts the period's start: 0 for DAY, 0-6 for WEEK, 0-27 for MONTH.
    """

    limit: int
    period: apigw.Period = apigw.Period.MONTH
    offset: int = 0

    def __post_init__(self) -> None:
        require_int("Quota.limit", self.limit, minimum=1, maximum=2_147_483_647)
        if not isinstance(self.period, apigw.Period):
            raise SecureApiConfigError("Quota.period", self.period, "apigw.Period.DAY, WEEK or MONTH")
        require_int("Quota.offset", self.offset, minimum=0, maximum=_OFFSET_MAX[self.period.name])


@dataclass(frozen=True)
class UsageTier:
    """A usage plan: ``UsageTier("gold", throttle=..., quota=..., method_throttles={...})``.

    ``throttle`` and ``quota`` apply to each key of the tier; ``method_throttles`` maps a route
    (``"GET /orders/{id}"``) to its own limits, and every route named must be added to the API.
    The plan is tagged ``secure-api:tier=<name>``.
    """

    name: str
    _: KW_ONLY
    throttle: Throttle | None = None
    quota: Quota | None = None
    method_throttles: Mapping[str, Throttle] = field(default_factory=dict)
    description: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _TIER.fullmatch(self.name):
            raise SecureApiConfigError("UsageTier.name", self.name, "1-64 letters, digits, '-' or '_'")
        prefix = f"UsageTier({self.name!r})"
        for name, type_ in (("throttle", Throttle), ("quota", Quota)):
            value = getattr(self, name)
            if value is not None and not isinstance(value, type_):
                raise SecureApiConfigError(f"{prefix}.{name}", value, f"a {type_.__name__} or None")
        if self.description is not None and not isinstance(self.description, str):
            raise SecureApiConfigError(f"{prefix}.description", self.description, "a string or None")
        field_ = f"{prefix}.method_throttles"
        if not isinstance(self.method_throttles, Mapping):
            raise SecureApiConfigError(field_, self.method_throttles, "a mapping of route key to Throttle")
        routes: dict[RouteKey, Throttle] = {}
        for key, throttle in dict(self.method_throttles).items():
            route = RouteKey.parse_key(key, field=field_)
            if not isinstance(throttle, Throttle):
                raise SecureApiConfigError(f"{field_}[{key!r}]", throttle, "a Throttle")
            routes[route] = throttle
        object.__setattr__(self, "method_throttles", {r.key: t for r, t in routes.items()})


def tier_throttles(tiers: Sequence[UsageTier]) -> Iterator[tuple[str, Throttle]]:
    """Each throttle of ``tiers`` with the field that holds it (``UsageTier('gold').throttle``, ...)."""
    for tier in tiers:
        prefix = f"UsageTier({tier.name!r})"
        if tier.throttle is not None:
            yield f"{prefix}.throttle", tier.throttle
        for key, throttle in tier.method_throttles.items():
            yield f"{prefix}.method_throttles[{key!r}]", throttle


@dataclass(frozen=True)
class Consumer:
    """An application that gets its own API key: ``Consumer("mobile-app", tier="gold")``.

    Names are 1-128 characters (letters, digits, '.', '_', '-'; starting with a letter or digit).
    ``enabled=False`` disables the key without deleting it.
    """

    name: str
    _: KW_ONLY
    tier: str
    enabled: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _CONSUMER.fullmatch(self.name):
            raise SecureApiConfigError(
                "Consumer.name",
                self.name,
                "1-128 letters, digits, '.', '_' or '-', starting with a letter or digit",
            )
        if not isinstance(self.tier, str) or not self.tier:
            raise SecureApiConfigError(f"Consumer({self.name!r}).tier", self.tier, "the name of a UsageTier")
        if not isinstance(self.enabled, bool):
            raise SecureApiConfigError(f"Consumer({self.name!r}).enabled", self.enabled, "True or False")


def tiers_and_consumers(
    usage_tiers: Any, consumers: Any
) -> tuple[tuple[UsageTier, ...], tuple[Consumer, ...]]:
    """``usage_tiers`` and ``consumers`` as tuples, each a list of ``UsageTier``/``Consumer``, with no
    more consumers than API Gateway holds keys per account and region."""
    tiers = sequence_of("usage_tiers", usage_tiers, UsageTier)
    consumer_list = sequence_of("consumers", consumers, Consumer)
    if len(consumer_list) > defaults.API_KEYS_PER_REGION:
        raise SecureApiConfigError(
            "consumers",
            f"{len(consumer_list):,} consumers",
            f"at most {defaults.API_KEYS_PER_REGION:,}: API Gateway holds {defaults.API_KEYS_PER_REGION:,} API "
            "keys per account and region (a fixed quota, shared with every other API there)",
        )
    return tiers, consumer_list


def check_key_rotation(key_rotation: Any, tiers: Sequence[UsageTier]) -> None:
    """``key_rotation`` is None unless there are ``tiers`` (whose consumers' keys it rotates)."""
    if key_rotation is not None and not tiers:
        raise SecureApiConfigError(
            "key_rotation", key_rotation, "None without usage_tiers (there are no consumers' keys to rotate)"
        )


def check_tiers_and_consumers(tiers: Sequence[UsageTier], consumers: Sequence[Consumer]) -> None:
    """Cross-option checks, run before any resource exists: consumers need tiers to belong to, tier and
    consumer names are distinct, and each consumer's tier is one of the tiers."""
    if consumers and not tiers:
        raise SecureApiConfigError(
            "consumers", [c.name for c in consumers], "usage_tiers for them to belong to"
        )
    names = [t.name for t in tiers]
    for name in set(names):
        if names.count(name) > 1:
            raise SecureApiConfigError("usage_tiers", names, f"distinct tier names ({name!r} appears twice)")
    # Each plan's construct id is the tier's name in PascalCase: 'gold-plus' and 'gold_plus' would collide.
    ids: dict[str, str] = {}
    for name in names:
        other = ids.setdefault(pascal(name), name)
        if other != name:
            raise SecureApiConfigError(
                "usage_tiers", names, f"tier names that differ in more than '-'/'_' ({other!r} and {name!r})"
            )
    seen: set[str] = set()
    for consumer in consumers:
        if consumer.name in seen:
            raise SecureApiConfigError(
                "consumers", consumer.name, "distinct consumer names (it appears twice)"
            )
        seen.add(consumer.name)
        if consumer.tier not in names:
            raise SecureApiConfigError(
                f"Consumer({consumer.name!r}).tier", consumer.tier, f"one of the usage_tiers {sorted(names)}"
            )


@dataclass(frozen=True, kw_only=True)
class KeyRotation:
    """How consumers' keys are rotated: every ``every_days`` (default 90, at most 1000; 0 turns
    scheduled rotation off), keeping the previous key valid for ``grace_period`` (default 24 h; whole
    hours, at most 720 and at most the rotation interval)."""

    every_days: int = defaults.KEY_ROTATION_DAYS
    grace_period: Duration = defaults.KEY_GRACE_PERIOD

    def __post_init__(self) -> None:
        # Secrets Manager rotates every 1-1000 days (AutomaticallyAfterDays); 0 turns rotation off.
        require_int("KeyRotation.every_days", self.every_days, minimum=0, maximum=1000)
        expected = "a Duration of whole hours between 0 and 720 (the rotation functions count in hours)"
        if not isinstance(self.grace_period, Duration):
            raise SecureApiConfigError("KeyRotation.grace_period", self.grace_period, expected)
        if is_token(self.grace_period.to_string()):
            return
        hours = self.grace_period.to_hours(integral=False)
        if hours != int(hours) or not 0 <= hours <= 24 * 30:
            raise SecureApiConfigError(
                "KeyRotation.grace_period", self.grace_period.to_human_string(), expected
            )
        if not is_token(self.every_days) and self.every_days and hours > 24 * self.every_days:
            # A rotation retires the previous key at once: a grace period longer than the interval
            # between rotations would silently end early.
            raise SecureApiConfigError(
                "KeyRotation.grace_period",
                self.grace_period.to_human_string(),
                f"at most every_days ({self.every_days} days): the next rotation retires the previous key",
            )


def pascal(name: str) -> str:
    """A tier's name in PascalCase, as its usage plan's construct id (``Tier<Pascal>``) spells it."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", name) if part)


def check_monitored_consumers(monitoring: Monitoring, consumers: Sequence[Consumer]) -> None:
    """The consumers ``monitoring`` names (``quarantine_exempt``, ``active_hours``) must be declared."""
    declared = {c.name for c in consumers}
    hint = (
        f"names of declared consumers ({sorted(declared)})"
        if declared
        else "names of consumers declared with consumers=[Consumer(...)] (none are declared)"
    )
    for i, name in enumerate(monitoring.quarantine_exempt):
        if name not in declared:
            raise SecureApiConfigError(f"Monitoring.quarantine_exempt[{i}]", name, hint)
    for name in monitoring.active_hours or {}:
        if name not in declared:
            raise SecureApiConfigError("Monitoring.active_hours", name, hint)
