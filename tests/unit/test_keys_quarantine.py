"""Quarantine only ``keys reinstate`` lifts, and key operations that change only the record's own keys,
against moto (issue 27, item 3 and the key-operation part of item 5)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from secure_api.keys import quarantine
from secure_api.keys.errors import ForeignKeyError
from secure_api.keys.model import KeyRecord, secret_name
from tests.unit import test_keys_support as support
from tests.unit.test_keys_support import World

aws = support.aws
world = support.world
key_tagging = support.key_tagging
pytestmark = pytest.mark.usefixtures("key_tagging")

LATER = datetime.now(UTC) + timedelta(days=30)


def quarantine_key(world: World, key_id: str) -> None:
    """What the key guard does on a quarantining finding."""
    quarantine.quarantine(world.ag, rest_api_id=world.api_id, api_key_id=key_id, reason="key-guard spike")


def key(world: World, key_id: str) -> dict[str, Any]:
    item: dict[str, Any] = world.ag.get_api_key(apiKey=key_id, includeValue=False)
    return item


def tamper(world: World, consumer: str, **fields: Any) -> None:
    """Rewrite a record as someone with write access to the consumer's secret only could."""
    name = secret_name(world.api_id, consumer)
    data = json.loads(world.sm.get_secret_value(SecretId=name, VersionStage="AWSCURRENT")["SecretString"])
    world.ops()._commit(KeyRecord.from_json(json.dumps(data | fields)), world.ops().read_current(consumer))


def test_rotate_of_a_quarantined_consumer_gives_a_disabled_successor_and_keeps_the_evidence(
    world: World,
) -> None:
    world.ops().create("a", "gold")
    leaked = world.record("a")["apiKeyId"]
    quarantine_key(world, leaked)

    rec = world.ops().rotate("a", grace_hours=0)
    record = world.record("a")
    assert record["apiKeyId"] == rec.api_key_id != leaked
    assert key(world, rec.api_key_id)["enabled"] is False
    assert record["quarantined"] is True and record["quarantinedApiKeyIds"] == [leaked]
    assert record["quarantineReason"] == "key-guard spike" and record["quarantinedAt"]

    # Rotated again and expired: the quarantined key is kept (disabled, tagged), never deleted.
    world.ops().rotate("a", grace_hours=0)
    world.ops(now=lambda: LATER).expire()
    assert leaked in world.keys("a")
    assert key(world, leaked)["enabled"] is False
    assert quarantine.QUARANTINED_TAG in key(world, leaked)["tags"]
    current = world.record("a")["apiKeyId"]
    assert key(world, current)["enabled"] is False

    # Only reinstate enables the current key and clears the mark; the leaked key stays disabled.
    world.ops().reinstate("a")
    record = support.assert_converged(world, "a", "gold", allow_untracked=True)
    assert record["apiKeyId"] == current and record["quarantined"] is False
    assert record["quarantinedApiKeyIds"] == []
    assert key(world, leaked)["enabled"] is False
    assert quarantine.QUARANTINED_TAG not in (key(world, leaked).get("tags") or {})
    # No longer evidence: the next rotation retires it.
    world.ops().rotate("a")
    assert leaked not in world.keys("a")


def test_expire_never_deletes_a_quarantined_previous_key(world: World) -> None:
    world.ops().create("a", "gold")
    world.ops().rotate("a", grace_hours=0)
    previous = world.record("a")["previousApiKeyId"]
    quarantine_key(world, previous)
    assert world.ops().expire() == []
    assert previous in world.keys("a")
    record = world.record("a")
    assert record["previousApiKeyId"] == previous and record["quarantinedApiKeyIds"] == [previous]
    # The current key was not quarantined and stays enabled.
    support.assert_converged(world, "a", "gold")
    world.ops().reinstate("a")
    assert key(world, previous)["enabled"] is False
    assert [e["apiKeyId"] for e in world.ops().expire()] == [previous]
    assert previous not in world.keys("a")


def test_a_declared_state_change_does_not_re_enable_a_quarantined_key(world: World) -> None:
    world.ops().ensure("a", "gold", enabled=False)
    key_id = world.record("a")["apiKeyId"]
    quarantine_key(world, key_id)
    assert world.ops().ensure("a", "gold", enabled=True)[0] == "updated"
    assert key(world, key_id)["enabled"] is False
    world.ops().reinstate("a")
    assert key(world, key_id)["enabled"] is True


def test_a_record_marked_quarantined_keeps_the_key_disabled_without_the_tags(world: World) -> None:
    world.ops().create("a", "gold")
    key_id = world.record("a")["apiKeyId"]
    quarantine_key(world, key_id)
    world.ops().rotate("a")  # carries the mark into the record
    world.ag.untag_resource(
        resourceArn=f"arn:aws:apigateway:{support.REGION}::/apikeys/{key_id}",
        tagKeys=[quarantine.QUARANTINED_TAG, quarantine.QUARANTINED_AT_TAG],
    )
    world.ops(now=lambda: LATER).expire()
    assert key_id in world.keys("a")  # the record's mark alone keeps it
    assert key(world, world.record("a")["apiKeyId"])["enabled"] is False


def test_a_record_without_the_quarantine_fields_still_reads() -> None:
    old = {
        "consumer": "a",
        "restApiId": "api",
        "apiKeyId": "k1",
        "apiKey": "v" * 40,
        "usagePlanIds": ["p"],
        "previousApiKeyId": None,
        "previousKeyExpiresAt": None,
        "tier": "gold",
        "status": "active",
        "revoked": False,
    }
    rec = KeyRecord.from_json(json.dumps(old))
    assert rec.quarantined is False and rec.quarantined_key_ids == () and rec.enabled
    assert json.loads(rec.to_json()) == old | {
        "quarantined": False,
        "quarantinedAt": None,
        "quarantineReason": None,
        "quarantinedApiKeyIds": [],
    }


@pytest.fixture
def victim(world: World) -> str:
    world.ops().create("victim", "gold")
    victim_key: str = world.record("victim")["apiKeyId"]
    world.ops().create("a", "gold")
    return victim_key


def assert_untouched(world: World, victim_key: str) -> None:
    assert key(world, victim_key)["enabled"] is True
    assert world.plans_of(victim_key) == {world.plans["gold"]}
    support.assert_converged(world, "victim", "gold", allow_previous=False)


def test_fails_to_expire_another_consumers_key_named_as_previous(world: World, victim: str) -> None:
    tamper(world, "a", previousApiKeyId=victim, previousKeyExpiresAt="2020-01-01T00:00:00Z")
    before = world.record("a")
    with pytest.raises(ForeignKeyError, match=rf"API key {victim} is tagged .*'victim'.*refusing"):
        world.ops().expire()
    assert_untouched(world, victim)
    assert world.record("a") == before


def test_fails_to_rotate_a_record_naming_another_consumers_key(world: World, victim: str) -> None:
    own = world.record("a")["apiKeyId"]
    tamper(world, "a", apiKeyId=victim)
    with pytest.raises(ForeignKeyError, match="refusing to change it"):
        world.ops().rotate("a")
    assert_untouched(world, victim)
    assert set(world.keys("a")) == {own}  # no successor was created


def test_revoke_leaves_another_consumers_key_named_in_the_record_untouched(world: World, victim: str) -> None:
    own = world.record("a")["apiKeyId"]
    tamper(world, "a", previousApiKeyId=victim)
    _, revoked = world.ops().revoke("a")
    assert revoked == [own]
    assert key(world, own)["enabled"] is False
    assert_untouched(world, victim)


def test_fails_to_reinstate_another_consumers_key(world: World, victim: str) -> None:
    quarantine_key(world, victim)
    tamper(world, "a", apiKeyId=victim)
    with pytest.raises(ForeignKeyError):
        world.ops().reinstate("a")
    assert key(world, victim)["enabled"] is False
