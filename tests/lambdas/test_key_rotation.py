"""The rotation Lambda: every Secrets Manager rotation step twice (retry safety), and scheduled expiry."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from secure_api.keys import ops
from secure_api.keys.model import secret_name
from tests.moto_api_keys import tag_api_keys
from tests.unit import test_keys_support as support
from tests.unit.test_keys_support import World, assert_converged

from .conftest import load_event, load_handler

aws = support.aws
world = support.world


@pytest.fixture
def handler(world: World, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(ops, "make_clients", lambda **_kw: world.clients())
    monkeypatch.setenv("GRACE_HOURS", "6")
    return load_handler("key_rotation")


def test_rotation_protocol_each_step_twice(world: World, handler: Any) -> None:
    world.ops().create("mobile-app", "gold")
    old = world.record("mobile-app")
    name = secret_name(world.api_id, "mobile-app")
    arn = world.sm.describe_secret(SecretId=name)["ARN"]
    token = str(uuid.uuid4())
    event = load_event("key_rotation_create_secret.json") | {"SecretId": arn, "ClientRequestToken": token}
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        for _ in range(2):
            assert handler.handler(event | {"Step": step}, None) is None
        if step == "createSecret":
            pending = json.loads(
                world.sm.get_secret_value(SecretId=name, VersionId=token, VersionStage="AWSPENDING")[
                    "SecretString"
                ]
            )
            assert pending["apiKeyId"] != old["apiKeyId"]
            assert world.plans_of(pending["apiKeyId"]) == {world.plans["gold"]}
            assert len(world.keys("mobile-app")) == 2  # the retry created no second key
    stages = world.sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert "AWSCURRENT" in stages[token]
    record = assert_converged(world, "mobile-app", "gold")
    assert record["previousApiKeyId"] == old["apiKeyId"]
    expires = datetime.fromisoformat(record["previousKeyExpiresAt"].replace("Z", "+00:00"))
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=6))) < timedelta(minutes=1)
    assert world.keys("mobile-app")[old["apiKeyId"]]["enabled"] is True


def test_test_secret_fails_when_the_new_key_is_missing_from_a_plan(world: World, handler: Any) -> None:
    world.ops().create("a", "gold")
    token = str(uuid.uuid4())
    event = {"SecretId": secret_name(world.api_id, "a"), "ClientRequestToken": token}
    handler.handler(event | {"Step": "createSecret"}, None)
    pending = json.loads(
        world.sm.get_secret_value(SecretId=event["SecretId"], VersionId=token)["SecretString"]
    )
    world.ag.delete_usage_plan_key(usagePlanId=world.plans["gold"], keyId=pending["apiKeyId"])
    with pytest.raises(Exception, match="not in usage plans"):
        handler.handler(event | {"Step": "testSecret"}, None)
    handler.handler(event | {"Step": "setSecret"}, None)  # setSecret repairs it
    handler.handler(event | {"Step": "testSecret"}, None)


def test_scheduled_expire(world: World, handler: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    world.ops().create("a", "gold")
    world.ops().rotate("a", grace_hours=0)
    previous = world.record("a")["previousApiKeyId"]
    result = handler.handler(load_event("key_rotation_expire.json") | {"restApiId": world.api_id}, None)
    assert result == {"restApiId": world.api_id, "expired": 1}
    assert previous not in world.keys("a")
    monkeypatch.setenv("REST_API_ID", world.api_id)
    assert handler.handler({"action": "expire"}, None)["expired"] == 0


class TagScopedApiGateway:
    """API Gateway as IAM scopes the key functions: PATCH/DELETE of a key not tagged with this API, or of
    a key that no longer exists, answers AccessDenied (IAM evaluates aws:ResourceTag before the lookup)."""

    def __init__(self, client: Any, rest_api_id: str) -> None:
        self._client = client
        self._api = rest_api_id

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def _guard(self, key_id: str) -> None:
        from botocore.exceptions import ClientError

        try:
            tags = self._client.get_api_key(apiKey=key_id).get("tags") or {}
        except ClientError:
            tags = {}
        if tags.get("secure-api:api") != self._api:
            raise ClientError(
                {"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, "UpdateApiKey"
            )

    def update_api_key(self, **kwargs: Any) -> Any:
        self._guard(kwargs["apiKey"])
        return self._client.update_api_key(**kwargs)

    def delete_api_key(self, **kwargs: Any) -> Any:
        self._guard(kwargs["apiKey"])
        return self._client.delete_api_key(**kwargs)


def test_expiry_converges_when_the_previous_key_is_already_gone(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run that deleted the previous key and died before clearing the record: the next run meets
    AccessDenied (not NotFound) for the gone key under the tag-scoped policy, and still converges."""
    world.ops().create("a", "gold")
    world.ops().rotate("a", grace_hours=0)
    previous = world.record("a")["previousApiKeyId"]
    world.ag.delete_usage_plan_key(usagePlanId=world.plans["gold"], keyId=previous)
    world.ag.delete_api_key(apiKey=previous)
    scoped = ops.Clients(TagScopedApiGateway(world.ag, world.api_id), world.sm)
    monkeypatch.setattr(ops, "make_clients", lambda **_kw: scoped)
    handler = load_handler("key_rotation")
    result = handler.handler({"action": "expire", "restApiId": world.api_id}, None)
    assert result["expired"] == 1
    assert world.record("a")["previousApiKeyId"] is None
    assert_converged(world, "a", "gold", allow_previous=False)


def test_fails_to_touch_a_key_of_another_api(world: World) -> None:
    other = world.ag.create_api_key(name="x", enabled=True, tags={"secure-api:api": "otherapi"})["id"]
    key_ops = world.ops(ops.Clients(TagScopedApiGateway(world.ag, world.api_id), world.sm))
    with pytest.raises(Exception, match="AccessDenied"):
        key_ops._patch_enabled(other, False)
    assert world.ag.get_api_key(apiKey=other)["enabled"] is True


def test_scheduled_rotation_of_a_quarantined_consumer_completes_with_a_disabled_successor(
    world: World, handler: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secure_api.keys import quarantine

    tag_api_keys(monkeypatch)
    world.ops().create("q", "gold")
    leaked = world.record("q")["apiKeyId"]
    quarantine.quarantine(world.ag, rest_api_id=world.api_id, api_key_id=leaked, reason="spike")
    arn = world.sm.describe_secret(SecretId=secret_name(world.api_id, "q"))["ARN"]
    event = load_event("key_rotation_create_secret.json") | {"SecretId": arn}
    for _ in range(2):  # two scheduled rotations: neither fails, neither deletes the evidence
        token = str(uuid.uuid4())
        for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
            assert handler.handler(event | {"Step": step, "ClientRequestToken": token}, None) is None
        record = world.record("q")
        assert world.keys("q")[record["apiKeyId"]]["enabled"] is False
    assert record["quarantined"] is True and record["quarantinedApiKeyIds"] == [leaked]
    assert world.keys("q")[leaked]["enabled"] is False
