"""Client-side rate limits and exponential backoff for the AWS calls of the key operations.

API Gateway allows 5 ``CreateApiKey`` calls per second per account and about 10 control-plane calls per
second overall, shared by everything in the account; staying under those limits ourselves is cheaper
than being throttled, and throttling that still happens is retried with jittered exponential backoff.
The clock and the sleep are injectable so tests and benchmarks can run the limits in virtual time.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from secure_api.keys.errors import ThrottledError

THROTTLING_CODES = frozenset(
    {
        "TooManyRequestsException",
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "SlowDown",
    }
)

Clock = Callable[[], float]
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Rate:
    """A token-bucket rate: ``per_second`` sustained, ``burst`` at once."""

    per_second: float
    burst: float


DEFAULT_RATES: Mapping[tuple[str, str], Rate] = {
    ("apigateway", "CreateApiKey"): Rate(5.0, 5.0),
    ("apigateway", "*"): Rate(10.0, 40.0),
}
"""Rates per ``(service, operation)``; ``"*"`` covers the service's other operations."""


class RateLimiter:
    """A token bucket; :meth:`acquire` sleeps until a token is available."""

    def __init__(self, rate: Rate, *, clock: Clock, sleep: Sleep) -> None:
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._tokens = rate.burst
        self._last = clock()
        # Workers of one provisioner slice share the bucket; the lock is held while sleeping so that
        # tokens are handed out one at a time, in order.
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping as needed; return the seconds slept. Thread-safe."""
        with self._lock:
            return self._acquire()

    def _acquire(self) -> float:
        now = self._clock()
        self._tokens = min(self.rate.burst, self._tokens + (now - self._last) * self.rate.per_second)
        self._last = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return 0.0
        # Sleep exactly until the missing fraction of a token has accrued, then spend it; looping on
        # the clock instead could spin forever on floating-point remainders.
        wait = (1.0 - self._tokens) / self.rate.per_second
        self._sleep(wait)
        self._tokens = 0.0
        self._last = max(self._clock(), now + wait)
        return wait


def error_code(exc: BaseException) -> str:
    """Return the AWS error code of a :class:`ClientError` (``""`` for anything else)."""
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code", ""))
    return ""


@dataclass
class AwsCaller:
    """Calls AWS operations under the rate limits, retrying throttled calls with backoff.

    Every AWS call of the key operations goes through :meth:`call`, which also makes it the single
    place that counts them (``calls``) and the time spent waiting for the limits (``slept``).
    """

    rates: Mapping[tuple[str, str], Rate] = field(default_factory=lambda: dict(DEFAULT_RATES))
    clock: Clock = time.monotonic
    sleep: Sleep = time.sleep
    max_attempts: int = 6
    base_delay: float = 0.2
    max_delay: float = 5.0
    jitter: Callable[[], float] = random.random
    calls: dict[str, int] = field(default_factory=dict)
    slept: float = 0.0
    _limiters: dict[tuple[str, str], RateLimiter] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def _limiter(self, service: str, operation: str) -> RateLimiter | None:
        key = (service, operation) if (service, operation) in self.rates else (service, "*")
        rate = self.rates.get(key)
        if rate is None:
            return None
        with self._lock:
            limiter = self._limiters.get(key)
            if limiter is None:
                limiter = self._limiters[key] = RateLimiter(rate, clock=self.clock, sleep=self._sleep)
        return limiter

    def _sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept += seconds
        self.sleep(seconds)

    def call(self, client: Any, method: str, **kwargs: Any) -> Any:
        """Call ``client.<method>(**kwargs)`` under the limits; retry throttling; return the response."""
        service = str(client.meta.service_model.service_name)
        operation = str(client.meta.method_to_api_mapping.get(method, method))
        limiter = self._limiter(service, operation)
        for attempt in range(1, self.max_attempts + 1):
            if limiter is not None:
                limiter.acquire()
            with self._lock:
                self.calls[operation] = self.calls.get(operation, 0) + 1
            try:
                return getattr(client, method)(**kwargs)
            except ClientError as exc:
                if error_code(exc) not in THROTTLING_CODES:
                    raise
                if attempt == self.max_attempts:
                    raise ThrottledError(
                        f"AWS throttled {operation} after {self.max_attempts} attempts; try again later"
                    ) from None
                delay = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
                self._sleep(delay * (0.5 + self.jitter() / 2))
        raise AssertionError("unreachable")  # pragma: no cover
