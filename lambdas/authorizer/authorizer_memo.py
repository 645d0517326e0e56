"""Bounded memories of pure functions of text (token headers, stage ARNs, address decisions): a warm
container answers repeated inputs without re-parsing them, and no input can grow the memory past its
limit (it is emptied when full)."""

from __future__ import annotations

from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def remember(memory: dict[K, V], key: K, value: V, limit: int) -> V:
    """Keep ``value`` under ``key`` in ``memory`` (emptied first when it holds ``limit`` entries)."""
    if len(memory) >= limit:
        memory.clear()
    memory[key] = value
    return value
