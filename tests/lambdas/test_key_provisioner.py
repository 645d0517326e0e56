"""The provisioner custom resource: create, update (add, remove, move tier, disable) and delete."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import pytest
from botocore.exceptions import ClientError

from secure_api.keys import ops, provision
from tests.unit import test_keys_support as support
from tests.unit.test_keys_support import World, assert_converged

from .conftest import load_event, load_handler

aws = support.aws
world = support.world


class RecordingSecrets:
    """Secrets Manager client whose rotation calls are recorded (moto would need the Lambda to exist)."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.rotations: list[dict[str, Any]] = []
        self.cancelled: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def rotate_secret(self, **kwargs: Any) -> dict[str, Any]:
        self.rotations.append(kwargs)
        return {}

    def cancel_rotate_secret(self, **kwargs: Any) -> dict[str, Any]:
        self.cancelled.append(kwargs["SecretId"])
        return {}


@pytest.fixture
def secrets(world: World, monkeypatch: pytest.MonkeyPatch) -> RecordingSecrets:
    recording = RecordingSecrets(world.sm)
    monkeypatch.setattr(ops, "make_clients", lambda **_kw: ops.Clients(world.ag, recording))
    return recording


class StepClock:
    """A clock that advances one second each time it is read: a slice's budget counts reads."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def drive(handler: Any, request_event: dict[str, Any], *, max_calls: int = 500) -> tuple[dict[str, Any], int]:
    """Run the provider framework's protocol: onEvent, then isComplete until it says so.

    Returns the final response (physical id and Data, as the framework sends it) and the number of
    isComplete invocations.
    """
    result = handler.handler(request_event, None)
    waiter_event = {**request_event, **result}
    for calls in range(1, max_calls + 1):
        answer = handler.handler(waiter_event, None)
        if answer["IsComplete"]:
            assert "Data" in answer
            return {**result, "Data": answer["Data"]}, calls
        assert "Data" not in answer
    raise AssertionError("isComplete never completed")


@pytest.fixture
def handler(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("WORK_SECONDS", "100000")
    module = load_handler("key_provisioner")
    return module


def event(world: World, request: str, consumers: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    base = copy.deepcopy(load_event("key_provisioner_create.json"))
    props = base["ResourceProperties"]
    props.update(RestApiId=world.api_id, UsagePlans=world.plans, Consumers=consumers, **extra)
    base["RequestType"] = request
    return base


def test_create_update_delete(
    world: World, secrets: RecordingSecrets, handler: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    consumers = [
        {"name": "mobile-app", "tier": "gold", "enabled": "true"},
        {"name": "partner", "tier": "silver", "enabled": "true"},
        {"name": "legacy", "tier": "silver", "enabled": "true"},
    ]
    create = event(world, "Create", consumers)
    result, _ = drive(handler, create)
    assert result["PhysicalResourceId"] == f"secure-api-keys-{world.api_id}"
    assert result["Data"]["Created"] == 3
    for c in consumers:
        assert_converged(world, c["name"], c["tier"], allow_previous=False)
    assert {r["RotationRules"]["AutomaticallyAfterDays"] for r in secrets.rotations} == {30}
    assert all(r["RotateImmediately"] is False for r in secrets.rotations)
    keys_before = {c["name"]: world.record(c["name"])["apiKeyId"] for c in consumers}

    # Same properties again: nothing changes.
    again, _ = drive(handler, create | {"RequestId": "again"})
    assert again["Data"]["Unchanged"] == 3 and again["Data"]["Created"] == 0

    updated = [
        {"name": "mobile-app", "tier": "silver", "enabled": "true"},  # moves tier
        {"name": "partner", "tier": "silver", "enabled": "false"},  # disabled
        {"name": "new-app", "tier": "gold", "enabled": "true"},  # added; legacy removed
    ]
    update = event(world, "Update", updated, RotationDays="0")
    update["PhysicalResourceId"] = result["PhysicalResourceId"]
    update["OldResourceProperties"] = create["ResourceProperties"]
    result, _ = drive(handler, update)
    assert result["PhysicalResourceId"] == f"secure-api-keys-{world.api_id}"
    assert (
        result["Data"]["Created"] == 1 and result["Data"]["Updated"] == 2 and result["Data"]["Removed"] == 1
    )
    record = assert_converged(world, "mobile-app", "silver", allow_previous=False)
    assert record["apiKeyId"] == keys_before["mobile-app"] and record["tier"] == "silver"
    partner = world.record("partner")
    assert partner["status"] == "disabled"
    assert world.keys("partner")[partner["apiKeyId"]]["enabled"] is False
    assert world.keys("legacy") == {}
    with pytest.raises(ClientError):
        world.sm.get_secret_value(SecretId=f"secure-api/{world.api_id}/legacy")
    deleted = world.sm.list_secrets(IncludePlannedDeletion=True)["SecretList"]
    assert any(s["Name"].endswith("/legacy") and "DeletedDate" in s for s in deleted)

    delete = event(world, "Delete", updated)
    delete["PhysicalResourceId"] = result["PhysicalResourceId"]
    assert drive(handler, delete)[0]["PhysicalResourceId"] == result["PhysicalResourceId"]
    for c in updated:
        assert world.keys(c["name"]) == {}
    assert world.sm.list_secrets()["SecretList"] == []

    values = [k["value"] for k in world.ag.get_api_keys(includeValues=True)["items"]]
    logged = caplog.text + repr(result) + repr(again)
    assert not any(v in logged for v in values)


def test_recreating_a_removed_consumer_restores_its_secret(
    world: World, secrets: RecordingSecrets, handler: Any
) -> None:
    consumers = [{"name": "a", "tier": "gold", "enabled": "true"}]
    drive(handler, event(world, "Create", consumers))
    drive(handler, event(world, "Delete", consumers) | {"RequestId": "delete", "PhysicalResourceId": "x"})
    result, _ = drive(handler, event(world, "Create", consumers) | {"RequestId": "create-again"})
    assert result["Data"]["Created"] == 1
    assert_converged(world, "a", "gold", allow_previous=False)


def test_fails_on_an_unknown_tier(world: World, secrets: RecordingSecrets, handler: Any) -> None:
    with pytest.raises(Exception, match="unknown tier"):
        handler.handler(event(world, "Create", [{"name": "a", "tier": "bronze", "enabled": "true"}]), None)


def _consumers(n: int) -> list[dict[str, str]]:
    return [
        {
            "name": f"app-{i:03d}",
            "tier": "gold" if i % 3 else "silver",
            "enabled": "false" if i == 4 else "true",
        }
        for i in range(n)
    ]


def test_work_is_split_across_invocations_and_resumes(
    world: World, secrets: RecordingSecrets, handler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Each slice may read its clock only a few times: the 24 consumers take several isComplete calls.
    monkeypatch.setenv("WORK_SECONDS", "6")
    monkeypatch.setattr(handler, "CLOCK", StepClock())
    consumers = _consumers(24)
    result, calls = drive(handler, event(world, "Create", consumers))
    assert calls > 2
    assert result["Data"]["Created"] == 24 and result["Data"]["Consumers"] == 24
    for c in consumers:
        if c["enabled"] == "true":
            assert_converged(world, c["name"], c["tier"], allow_previous=False)
    assert len(secrets.rotations) == 24
    progress = json.loads(
        world_ssm(world).get_parameter(Name=f"/secure-api/{world.api_id}/key-provisioner")["Parameter"][
            "Value"
        ]
    )
    assert progress["next"] == progress["total"] == 24 and progress["slices"] == calls
    assert "app-" not in json.dumps(progress), "the progress record holds a cursor and counts, no names"

    delete = event(world, "Delete", consumers) | {
        "RequestId": "delete-1",
        "PhysicalResourceId": result["PhysicalResourceId"],
    }
    _, delete_calls = drive(handler, delete)
    assert delete_calls > 2
    assert all(world.keys(c["name"]) == {} for c in consumers)
    with pytest.raises(ClientError):
        world_ssm(world).get_parameter(Name=f"/secure-api/{world.api_id}/key-provisioner")


def world_ssm(world: World) -> Any:
    import boto3

    return boto3.client("ssm", region_name="us-east-1")


@pytest.mark.parametrize("crash_after", [2, 3, 11, 29, 37])
def test_a_slice_killed_at_any_call_resumes_and_converges(world: World, crash_after: int) -> None:
    """The process dies mid-slice (no checkpoint written after the crash); the next slice resumes."""
    specs = [ops.ConsumerSpec(c["name"], c["tier"], c["enabled"] == "true") for c in _consumers(12)]
    tasks = provision.plan_tasks("Create", specs)
    store = provision.MemoryProgressStore()
    progress = provision.resume(store, "req-1", tasks, "Create")
    clients, _budget = support.crashing(world, crash_after)
    key_ops = world.ops(clients, tier_plans={t: [p] for t, p in world.plans.items()})
    with pytest.raises(support.Crash):
        provision.run_slice(
            key_ops,
            tasks,
            progress,
            store=store,
            budget=provision.Budget(1e9),
            workers=1,
            checkpoint_seconds=0,
        )
    saved = store.load()
    assert saved is not None and saved.next < len(tasks)
    # A fresh invocation: new clients, the saved cursor.
    resumed = provision.resume(store, "req-1", tasks, "Create")
    assert resumed.next == saved.next
    key_ops = world.ops(tier_plans={t: [p] for t, p in world.plans.items()})
    done = provision.run_slice(key_ops, tasks, resumed, store=store, budget=provision.Budget(1e9), workers=3)
    assert done.done and done.slices == 2
    for spec in specs:
        if spec.enabled:
            assert_converged(world, spec.name, spec.tier, allow_previous=False)
        else:
            assert world.record(spec.name)["status"] == "disabled"
            assert len(world.keys(spec.name)) == 1


def test_a_killed_process_loses_at_most_the_work_since_the_last_checkpoint(world: World) -> None:
    specs = [ops.ConsumerSpec(c["name"], c["tier"]) for c in _consumers(9)]
    tasks = provision.plan_tasks("Create", specs)
    store = provision.MemoryProgressStore()
    clock = StepClock()
    key_ops = world.ops(tier_plans={t: [p] for t, p in world.plans.items()})
    first = provision.run_slice(
        key_ops,
        tasks,
        provision.resume(store, "r", tasks),
        store=store,
        budget=provision.Budget(8, clock=clock),
        workers=2,
        checkpoint_seconds=1,
    )
    assert 0 < first.next < len(tasks) and store.load() == first
    # Another request (or other work) never reuses this cursor.
    assert provision.resume(store, "other", tasks).next == 0
    assert provision.resume(store, "r", tasks[:-1]).next == 0


def test_the_waiter_event_stays_small(world: World, handler: Any) -> None:
    many = [
        {"name": f"consumer-{i:05d}-{i * 7919 % 100003:05d}", "tier": "gold", "enabled": "true"}
        for i in range(10_000)
    ]
    packed = provision.encode_consumers([[c["name"], c["tier"], c["enabled"]] for c in many])
    old = event(world, "Create", [])["ResourceProperties"] | {"ConsumersGzip": packed, "Consumers": []}
    update = event(world, "Update", many[:9_990]) | {"OldResourceProperties": old, "PhysicalResourceId": "p"}
    update["ResourceProperties"].pop("Consumers")
    update["ResourceProperties"]["ConsumersGzip"] = provision.encode_consumers(
        [[c["name"], c["tier"], c["enabled"]] for c in many[:9_990]]
    )
    result = handler.on_event(update, None)
    waiter_input = json.dumps({**update, **result})
    # Step Functions limits a state machine's input to 256 KB.
    assert len(waiter_input.encode()) < 256 * 1024
    assert result[handler.REMOVED] == sorted(c["name"] for c in many[9_990:])
    assert len(handler.parse_consumers(update["ResourceProperties"])) == 9_990

    # Dropping almost every consumer: the removed names travel packed too.
    shrink = event(world, "Update", many[:10]) | {"OldResourceProperties": old, "PhysicalResourceId": "p"}
    result = handler.on_event(shrink, None)
    assert len(json.dumps({**shrink, **result}).encode()) < 256 * 1024
    assert isinstance(result[handler.REMOVED], str)


def test_fails_on_a_corrupt_consumers_gzip(handler: Any) -> None:
    with pytest.raises(Exception, match="ConsumersGzip"):
        handler.parse_consumers({"ConsumersGzip": "not base64!"})


def test_a_slice_stops_well_before_the_function_times_out(
    handler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Context:
        def __init__(self, remaining_ms: int) -> None:
            self.remaining_ms = remaining_ms

        def get_remaining_time_in_millis(self) -> int:
            return self.remaining_ms

    monkeypatch.setenv("WORK_SECONDS", "300")
    assert handler._work_seconds(Context(600_000)) == 300
    # Less time left than the budget: stop a safety margin before the timeout.
    assert handler._work_seconds(Context(200_000)) == 200 - handler.SAFETY_SECONDS


def test_packed_removed_names_are_removed(
    world: World, secrets: RecordingSecrets, handler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(handler, "REMOVED_INLINE_MAX", 0)
    consumers = _consumers(3)
    create = event(world, "Create", consumers)
    result, _ = drive(handler, create)
    update = event(world, "Update", consumers[:1]) | {
        "RequestId": "shrink",
        "PhysicalResourceId": result["PhysicalResourceId"],
        "OldResourceProperties": create["ResourceProperties"],
    }
    assert isinstance(handler.on_event(update, None)[handler.REMOVED], str)
    result, _ = drive(handler, update)
    assert result["Data"]["Removed"] == 2
    assert world.keys(consumers[1]["name"]) == {} and world.keys(consumers[2]["name"]) == {}
