"""Crash safety: a crash before any AWS call of create, rotate or revoke, then a re-run, converges."""

from __future__ import annotations

import pytest

from tests.unit import test_keys_support as support
from tests.unit.test_keys_support import Crash, World, assert_converged, crashing

aws = support.aws
world = support.world


def _total_calls(world: World, action: str, consumer: str) -> int:
    clients, budget = crashing(world, None)
    key_ops = world.ops(clients)
    getattr(key_ops, action)(consumer, *(["gold"] if action == "create" else []))
    return budget.calls


def test_create_converges_after_a_crash_at_every_call(world: World) -> None:
    total = _total_calls(world, "create", "probe")
    assert total >= 4
    for n in range(total):
        consumer = f"c{n}"
        clients, _ = crashing(world, n)
        with pytest.raises(Crash):
            world.ops(clients).create(consumer, "gold")
        outcome, _ = world.ops().create(consumer, "gold")
        assert outcome == "created"
        assert_converged(world, consumer, "gold", allow_previous=False)
        assert world.ops().create(consumer, "gold")[0] == "unchanged"


def test_rotate_converges_after_a_crash_at_every_call(world: World) -> None:
    world.ops().create("probe", "gold")
    total = _total_calls(world, "rotate", "probe")
    assert total >= 8
    for n in range(total):
        consumer = f"r{n}"
        world.ops().create(consumer, "gold")
        original = world.record(consumer)["apiKeyId"]
        clients, _ = crashing(world, n)
        with pytest.raises(Crash):
            world.ops(clients).rotate(consumer)
        # Even right after the crash the consumer holds a valid key (a half-made one may linger).
        assert_converged(world, consumer, "gold", allow_untracked=True)
        rec = world.ops().rotate(consumer)
        record = assert_converged(world, consumer, "gold")
        assert rec.api_key_id == record["apiKeyId"] != original
        assert record["previousApiKeyId"] == original, (n, total)
        assert set(world.keys(consumer)) == {record["apiKeyId"], original}


def test_revoke_converges_after_a_crash_at_every_call(world: World) -> None:
    world.ops().create("probe", "gold")
    world.ops().rotate("probe")
    total = _total_calls(world, "revoke", "probe")
    for n in range(total):
        consumer = f"v{n}"
        world.ops().create(consumer, "gold")
        world.ops().rotate(consumer)
        clients, _ = crashing(world, n)
        with pytest.raises(Crash):
            world.ops(clients).revoke(consumer)
        world.ops().revoke(consumer)
        record = world.record(consumer)
        assert record["status"] == "revoked" and record["revoked"] is True
        keys = world.keys(consumer)
        assert len(keys) == 2
        for key_id, key in keys.items():
            assert key["enabled"] is False
            assert world.plans_of(key_id) == set()
