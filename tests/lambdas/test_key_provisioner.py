"""The provisioner custom resource: create, update (add, remove, move tier, disable) and delete."""

from __future__ import annotations

import copy
import logging
from typing import Any

import pytest
from botocore.exceptions import ClientError

from secure_api.keys import ops
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


def event(world: World, request: str, consumers: list[dict[str, str]], **extra: Any) -> dict[str, Any]:
    base = copy.deepcopy(load_event("key_provisioner_create.json"))
    props = base["ResourceProperties"]
    props.update(RestApiId=world.api_id, UsagePlans=world.plans, Consumers=consumers, **extra)
    base["RequestType"] = request
    return base


def test_create_update_delete(
    world: World, secrets: RecordingSecrets, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    handler = load_handler("key_provisioner")
    consumers = [
        {"name": "mobile-app", "tier": "gold", "enabled": "true"},
        {"name": "partner", "tier": "silver", "enabled": "true"},
        {"name": "legacy", "tier": "silver", "enabled": "true"},
    ]
    create = event(world, "Create", consumers)
    result = handler.on_event(create, None)
    assert result["PhysicalResourceId"] == f"secure-api-keys-{world.api_id}"
    assert result["Data"]["Created"] == 3
    for c in consumers:
        assert_converged(world, c["name"], c["tier"], allow_previous=False)
    assert {r["RotationRules"]["AutomaticallyAfterDays"] for r in secrets.rotations} == {30}
    assert all(r["RotateImmediately"] is False for r in secrets.rotations)
    keys_before = {c["name"]: world.record(c["name"])["apiKeyId"] for c in consumers}

    # Same properties again: nothing changes.
    again = handler.on_event(create, None)
    assert again["Data"]["Unchanged"] == 3 and again["Data"]["Created"] == 0

    updated = [
        {"name": "mobile-app", "tier": "silver", "enabled": "true"},  # moves tier
        {"name": "partner", "tier": "silver", "enabled": "false"},  # disabled
        {"name": "new-app", "tier": "gold", "enabled": "true"},  # added; legacy removed
    ]
    update = event(world, "Update", updated, RotationDays="0")
    update["PhysicalResourceId"] = result["PhysicalResourceId"]
    update["OldResourceProperties"] = create["ResourceProperties"]
    result = handler.on_event(update, None)
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
    assert handler.on_event(delete, None)["PhysicalResourceId"] == result["PhysicalResourceId"]
    for c in updated:
        assert world.keys(c["name"]) == {}
    assert world.sm.list_secrets()["SecretList"] == []

    values = [k["value"] for k in world.ag.get_api_keys(includeValues=True)["items"]]
    logged = caplog.text + repr(result) + repr(again)
    assert not any(v in logged for v in values)


def test_recreating_a_removed_consumer_restores_its_secret(world: World, secrets: RecordingSecrets) -> None:
    handler = load_handler("key_provisioner")
    consumers = [{"name": "a", "tier": "gold", "enabled": "true"}]
    handler.on_event(event(world, "Create", consumers), None)
    handler.on_event(event(world, "Delete", consumers), None)
    result = handler.on_event(event(world, "Create", consumers), None)
    assert result["Data"]["Created"] == 1
    assert_converged(world, "a", "gold", allow_previous=False)


def test_fails_on_an_unknown_tier(world: World, secrets: RecordingSecrets) -> None:
    handler = load_handler("key_provisioner")
    with pytest.raises(Exception, match="unknown tier"):
        handler.on_event(event(world, "Create", [{"name": "a", "tier": "bronze", "enabled": "true"}]), None)
