"""The key operations as the deployed functions run them (against moto): keys are created, tagged and
attached by the key creator (``secure_api.keys.creator``, invoked as a Lambda), and the operations
themselves never list the account's keys, never read a value, never tag."""

from __future__ import annotations

import contextlib
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from secure_api.keys import ops
from secure_api.keys.creator import LambdaKeyCreator, handle
from secure_api.keys.errors import KeyOpsError
from secure_api.keys.retry import AwsCaller
from tests.unit import test_keys_support as support
from tests.unit.test_keys_support import Budget, Crash, CrashingClient, World, assert_converged

aws = support.aws
world = support.world


class FakeLambda:
    """``lambda.invoke`` of the key creator function: runs its handler's work on the moto client."""

    def __init__(self, world: World, creator_client: Any = None) -> None:
        self.world = world
        self.client = creator_client or world.ag
        self.calls: list[str] = []

    def invoke(self, *, FunctionName: str, Payload: bytes) -> dict[str, Any]:
        event = json.loads(Payload)
        self.calls.append(str(event["action"]))
        caller = AwsCaller(sleep=lambda _s: None)
        try:
            result = handle(event, lambda m, **kw: caller.call(self.client, m, **kw), self.world.api_id)
        except KeyOpsError as exc:
            body = {"errorMessage": str(exc), "errorType": "KeyOpsError"}
            return {"FunctionError": "Unhandled", "Payload": io.BytesIO(json.dumps(body).encode())}
        return {"Payload": io.BytesIO(json.dumps(result).encode())}


class Recording:
    """Proxy of the functions' own API Gateway client: records each call (and its arguments)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name in {"meta", "exceptions"} or not callable(attr) or name.startswith(("get_paginator", "can_")):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            return attr(*args, **kwargs)

        return call


def _deployed(world: World, *, now: datetime | None = None) -> tuple[ops.KeyOps, Recording, FakeLambda]:
    recording = Recording(world.ag)
    fake = FakeLambda(world)
    key_ops = ops.KeyOps(
        ops.Clients(apigateway=recording, secretsmanager=world.sm),
        world.api_id,
        caller=AwsCaller(sleep=lambda _s: None),
        **({"now": lambda: now} if now else {}),
    )
    key_ops.key_creator = LambdaKeyCreator(fake, "creator")
    return key_ops, recording, fake


def _assert_within_the_roles(recording: Recording) -> None:
    """Only what the rotation/provisioner role may do: no list of every key, no value, no tag."""
    for name, kwargs in recording.calls:
        assert name not in {"get_api_keys", "create_api_key", "tag_resource", "create_usage_plan_key"}, name
        if name == "get_api_key":
            assert kwargs["includeValue"] is False


def test_lifecycle_through_the_creator(world: World) -> None:
    key_ops, recording, fake = _deployed(world)
    outcome, rec = key_ops.create("mobile", "gold")
    assert outcome == "created" and fake.calls == ["create"]
    assert_converged(world, "mobile", "gold", allow_previous=False)
    assert key_ops.create("mobile", "gold")[0] == "unchanged"

    rotated = key_ops.rotate("mobile")
    record = assert_converged(world, "mobile", "gold")
    assert record["previousApiKeyId"] == rec.api_key_id and rotated.api_key_id != rec.api_key_id
    # Rotating again within the grace period retires the key two rotations old (found through the plans).
    key_ops.rotate("mobile")
    assert len(world.keys("mobile")) == 2

    later, _, _ = _deployed(world, now=datetime.now(UTC) + timedelta(days=3))
    expired = later.expire()
    assert [e["consumer"] for e in expired] == ["mobile"]
    assert_converged(world, "mobile", "gold", allow_previous=False)

    revoked, key_ids = key_ops.revoke("mobile")
    assert revoked is not None and revoked.revoked and key_ids
    assert all(not k["enabled"] for k in world.keys("mobile").values())
    # A revoked consumer's keys are out of every plan; re-creating finds them through its record.
    outcome, _ = key_ops.create("mobile", "gold")
    assert outcome == "created"
    assert_converged(world, "mobile", "gold", allow_previous=False)

    assert key_ops.remove("mobile")
    assert world.keys("mobile") == {}
    _assert_within_the_roles(recording)


def test_tier_move_attaches_through_the_creator(world: World) -> None:
    key_ops, recording, fake = _deployed(world)
    key_ops.ensure("app", "gold")
    outcome, _ = key_ops.ensure("app", "silver")
    assert outcome == "updated" and "attach" in fake.calls
    assert_converged(world, "app", "silver", allow_previous=False)
    _assert_within_the_roles(recording)


def test_converge_in_bulk_through_the_plans(world: World) -> None:
    key_ops, recording, _ = _deployed(world)
    specs = [ops.ConsumerSpec(f"c{i}", "gold" if i % 2 else "silver") for i in range(6)]
    counts = key_ops.converge(specs)
    assert counts["created"] == 6
    counts = key_ops.converge(specs[:4], removed=["c4", "c5"])
    assert counts["unchanged"] == 4 and counts["removed"] == 2
    for spec in specs[:4]:
        assert_converged(world, spec.name, spec.tier, allow_previous=False)
    assert world.keys("c5") == {}
    _assert_within_the_roles(recording)


def test_create_through_the_creator_converges_after_a_crash_at_every_call(world: World) -> None:
    """A crash of the calling function at any call leaves no key outside the plans (the creator makes
    and attaches a key in one invocation), so the re-run finds and deletes every half-made key."""
    for n in range(10):
        consumer = f"k{n}"
        budget = Budget(n)
        key_ops, _, _ = _deployed(world)
        key_ops.clients = ops.Clients(CrashingClient(world.ag, budget), CrashingClient(world.sm, budget))
        key_ops.key_creator = LambdaKeyCreator(FakeLambda(world), "creator")
        with contextlib.suppress(Crash):
            key_ops.create(consumer, "gold")
        rerun, _, _ = _deployed(world)
        assert rerun.create(consumer, "gold")[0] in {"created", "unchanged"}
        assert_converged(world, consumer, "gold", allow_previous=False)


def test_creator_refuses_to_attach_another_apis_key(world: World) -> None:
    foreign = world.ag.create_api_key(name="x", enabled=True, tags={"secure-api:api": "otherapi"})["id"]
    key_ops, _, _ = _deployed(world)
    with pytest.raises(KeyOpsError, match="otherapi"):
        key_ops._attach(world.plans["gold"], foreign)
    assert world.plans_of(foreign) == set()


def test_creator_tags_at_creation_only(world: World) -> None:
    events: list[str] = []
    handle(
        {"action": "create", "consumer": "c", "enabled": True, "usagePlanIds": [world.plans["gold"]]},
        lambda m, **kw: (events.append(m), getattr(world.ag, m)(**kw))[1],
        world.api_id,
    )
    assert events == ["create_api_key", "create_usage_plan_key"]
    with pytest.raises(KeyOpsError, match="unsupported"):
        handle({"action": "tag"}, lambda m, **kw: None, world.api_id)
