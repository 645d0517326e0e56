"""``Throttle``: rate and burst limits for a stage, a route or a usage tier."""

from __future__ import annotations

from dataclasses import dataclass

from secure_api import defaults
from secure_api.errors import require_int


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
