"""Concurrent key operations against moto: a second operation runs in full right after the first one
reads the record, and the record the first one then writes must not undo it (issue 27, item 2)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from secure_api.keys import ops
from secure_api.keys.errors import ConsumerStateError, RecordConflictError
from secure_api.keys.model import secret_name
from secure_api.keys.store import WRITE_STAGE
from tests.unit import test_keys_support as support
from tests.unit.test_keys_support import World

aws = support.aws


class AfterRead:
    """Secrets Manager client proxy: after the ``at``-th read of a record's ``AWSCURRENT`` version, run
    ``concurrent`` (another operation, on its own clients) to completion before answering."""

    def __init__(self, client: Any, at: int, concurrent: Callable[[], Any], *, every: bool = False) -> None:
        self._client = client
        self._at = at
        self._concurrent = concurrent
        self._every = every
        self.reads = 0
        self.ran = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def get_secret_value(self, **kwargs: Any) -> Any:
        response = self._client.get_secret_value(**kwargs)
        if kwargs.get("VersionStage") == "AWSCURRENT":
            self.reads += 1
            if self.reads == self._at or (self._every and self.reads >= self._at):
                self.ran += 1
                self._concurrent()
        return response


def interleaved(world: World, at: int, concurrent: Callable[[], Any], **kwargs: Any) -> ops.KeyOps:
    """The operations of ``world`` whose ``at``-th record read is followed by ``concurrent``'s full run."""
    sm = AfterRead(world.sm, at, concurrent, **kwargs)
    return world.ops(ops.Clients(apigateway=world.ag, secretsmanager=sm))


def run_then(key_ops: ops.KeyOps, operation: Callable[[ops.KeyOps], Any]) -> Any:
    """Run ``operation``; if it read the record fewer than ``at`` times, run the concurrent one after."""
    sm = key_ops.clients.secretsmanager
    try:
        return operation(key_ops)
    finally:
        if not sm.ran:
            sm._concurrent()


def expired_previous(world: World, consumer: str) -> tuple[str, str]:
    """A consumer rotated with no grace: (current key, previous key past its expiry)."""
    world.ops().create(consumer, "gold")
    world.ops().rotate(consumer, grace_hours=0)
    record = world.record(consumer)
    return record["apiKeyId"], record["previousApiKeyId"]


def assert_revoked(world: World, consumer: str) -> None:
    record = world.record(consumer)
    assert record["status"] == "revoked" and record["revoked"] is True
    for key_id, key in world.keys(consumer).items():
        assert key["enabled"] is False, key_id
        assert world.plans_of(key_id) == set(), key_id


def no_write_stage_left(world: World, consumer: str) -> bool:
    stages = world.sm.describe_secret(SecretId=secret_name(world.api_id, consumer))["VersionIdsToStages"]
    return all(WRITE_STAGE not in labels for labels in stages.values())


@pytest.mark.parametrize("at", [1, 2, 3])
def test_expire_racing_revoke_leaves_the_consumer_revoked(aws: None, at: int) -> None:
    world = support.build_world()
    expired_previous(world, "a")
    run_then(interleaved(world, at, lambda: world.ops().revoke("a")), lambda o: o.expire())
    assert_revoked(world, "a")
    assert no_write_stage_left(world, "a")
    # The next scheduled rotation gives a revoked consumer no key.
    world.ops().rotation_create("a", "11111111-1111-4111-8111-111111111111")
    assert_revoked(world, "a")


@pytest.mark.parametrize("at", [1, 2, 3])
def test_expire_racing_rotate_never_makes_the_rotated_away_key_current_again(aws: None, at: int) -> None:
    world = support.build_world()
    leaked, _ = expired_previous(world, "a")
    run_then(interleaved(world, at, lambda: world.ops().rotate("a", grace_hours=24)), lambda o: o.expire())
    record = world.record("a")
    assert record["apiKeyId"] != leaked
    assert record["previousApiKeyId"] == leaked
    expires = datetime.fromisoformat(record["previousKeyExpiresAt"].replace("Z", "+00:00"))
    assert expires > datetime.now(UTC) + timedelta(hours=23)
    support.assert_converged(world, "a", "gold")
    assert no_write_stage_left(world, "a")


@pytest.mark.parametrize("at", [1, 2, 3, 4, 5, 6])
def test_rotate_racing_revoke_leaves_the_consumer_revoked(aws: None, at: int) -> None:
    world = support.build_world()
    world.ops().create("a", "gold")
    key_ops = interleaved(world, at, lambda: world.ops().revoke("a"))
    try:
        run_then(key_ops, lambda o: o.rotate("a"))
    except ConsumerStateError as exc:
        assert "revoked while its key was being rotated" in str(exc)
    assert_revoked(world, "a")
    assert no_write_stage_left(world, "a")


def test_expire_racing_an_expire_expires_once(aws: None) -> None:
    world = support.build_world()
    current, previous = expired_previous(world, "a")
    result = interleaved(world, 1, lambda: world.ops().expire()).expire()
    assert result == []  # the other run expired it; this one re-read and found nothing to do
    record = world.record("a")
    assert record["apiKeyId"] == current and record["previousApiKeyId"] is None
    assert previous not in world.keys("a")


def test_fails_after_bounded_retries_when_the_record_keeps_changing(aws: None) -> None:
    world = support.build_world()
    _, previous = expired_previous(world, "a")

    def touch() -> None:
        # Another writer rewrites the record unchanged (moto keeps a stale default version after a
        # label move, so a plain PutSecretValue here would leave two AWSCURRENT versions).
        writer = world.ops()
        base = writer.read_current("a")
        assert base.record is not None
        writer._commit(base.record, base)

    with pytest.raises(RecordConflictError, match=r"expire of consumer 'a' gave up.*5 times"):
        interleaved(world, 1, touch, every=True).expire()
    assert world.record("a")["previousApiKeyId"] == previous
    assert no_write_stage_left(world, "a")


def test_a_write_moves_awscurrent_from_the_version_read(aws: None) -> None:
    world = support.build_world()
    world.ops().create("a", "gold")
    key_ops = world.ops()
    base = key_ops.read_current("a")
    assert base.record is not None
    key_ops._commit(base.record.with_changes(tier="silver"), base)
    stages = world.sm.describe_secret(SecretId=secret_name(world.api_id, "a"))["VersionIdsToStages"]
    assert stages[str(base.version_id)] == ["AWSPREVIOUS"]
    assert world.record("a")["tier"] == "silver"
    # A second write from the same (now stale) read is refused.
    from secure_api.keys.errors import RecordChangedError

    with pytest.raises(RecordChangedError):
        key_ops._commit(base.record.with_changes(tier="gold"), base)
    assert world.record("a")["tier"] == "silver"
    assert no_write_stage_left(world, "a")
