from __future__ import annotations

import pytest

from secure_api import Throttle
from secure_api.errors import SecureApiConfigError


def test_defaults_are_1000_and_2000() -> None:
    assert Throttle() == Throttle(rate_limit=1000, burst_limit=2000)


def test_zero_is_a_valid_limit() -> None:
    assert Throttle(rate_limit=0, burst_limit=0).rate_limit == 0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"rate_limit": -1}, "Throttle.rate_limit"),
        ({"burst_limit": -5}, "Throttle.burst_limit"),
        ({"rate_limit": 1.5}, "Throttle.rate_limit"),
        ({"burst_limit": "100"}, "Throttle.burst_limit"),
        ({"rate_limit": 10**9}, "Throttle.rate_limit"),
    ],
)
def test_fails_invalid_throttle(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(SecureApiConfigError, match=field):
        Throttle(**kwargs)  # type: ignore[arg-type]


def test_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        Throttle(100, 200)  # type: ignore[misc]
