"""``Throttle``: rate and burst limits for a stage, a route or a usage tier."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Annotations
from constructs import IConstruct

from secure_api import defaults
from secure_api.errors import is_token, require_int


@dataclass(frozen=True, kw_only=True)
class Throttle:
    """Steady-state requests per second (``rate_limit``) and bucket size (``burst_limit``).

    Both are non-negative integers; ``0`` is kept (it blocks the route or tier) and never treated as unset.
    Stage default: ``Throttle(rate_limit=1000, burst_limit=2000)``.
    """

    rate_limit: int = defaults.THROTTLE_RATE_LIMIT
    burst_limit: int = defaults.THROTTLE_BURST_LIMIT

    def __post_init__(self) -> None:
        require_int("Throttle.rate_limit", self.rate_limit, minimum=0, maximum=defaults.MAX_RATE_LIMIT)
        require_int("Throttle.burst_limit", self.burst_limit, minimum=0, maximum=defaults.MAX_BURST_LIMIT)


def above_account_limits(throttle: Throttle) -> str | None:
    """What of ``throttle`` exceeds API Gateway's default account limits in a Region, or None.

    AWS caps every stage, route and usage-plan limit at the account's Region limits (10,000 requests
    per second, burst 5,000, unless AWS raised them on request): a higher value is accepted but cannot
    take effect.
    """
    over = [
        f"{name} {value} is above the account's default {name} of {limit}"
        for name, value, limit in (
            ("rate_limit", throttle.rate_limit, defaults.ACCOUNT_RATE_LIMIT),
            ("burst_limit", throttle.burst_limit, defaults.ACCOUNT_BURST_LIMIT),
        )
        if not is_token(value) and value > limit
    ]
    return "; ".join(over) or None


def warn_above_account_limits(scope: IConstruct, field: str, throttle: Throttle | None) -> None:
    """A warning on ``scope`` when ``throttle`` (the value of ``field``) exceeds the account's limits."""
    if throttle is None:
        return
    excess = above_account_limits(throttle)
    if excess is not None:
        Annotations.of(scope).add_warning_v2(
            "secure-api:throttle-above-account-limit",
            f"secure_api: {field}: {excess}; AWS applies the account's Region limits unless it raised "
            "them on request (Service Quotas, 'Throttle rate' of Amazon API Gateway)",
        )
