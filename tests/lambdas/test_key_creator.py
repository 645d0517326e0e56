"""The key creator Lambda (against moto), and the rotation Lambda creating its keys through it."""

from __future__ import annotations

import io
import json
import logging
import uuid
from typing import Any

import boto3
import pytest

from secure_api.keys import ops
from secure_api.keys.errors import KeyOpsError
from secure_api.keys.model import TAG_API, TAG_CONSUMER, secret_name
from tests.unit import test_keys_support as support
from tests.unit.test_keys_support import REGION, World, assert_converged

from .conftest import load_event, load_handler

aws = support.aws
world = support.world


@pytest.fixture
def creator(world: World, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("REST_API_ID", world.api_id)
    return load_handler("key_creator")


def test_creates_a_tagged_key_in_the_plans(
    world: World, creator: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    plan = world.plans["gold"]
    result = creator.handler(
        {"action": "create", "consumer": "app", "enabled": True, "usagePlanIds": [plan]}, None
    )
    key = world.ag.get_api_key(apiKey=result["key"]["id"], includeValue=True)
    assert key["tags"] == {TAG_API: world.api_id, TAG_CONSUMER: "app"}
    assert key["value"] == result["value"] and "value" not in result["key"]
    assert world.plans_of(key["id"]) == {plan}
    json.dumps(result)  # the answer travels as JSON
    assert result["value"] not in caplog.text


def test_attaches_only_this_apis_keys(world: World, creator: Any) -> None:
    foreign = world.ag.create_api_key(name="x", enabled=True, tags={TAG_API: "otherapi"})["id"]
    with pytest.raises(KeyOpsError, match="not attaching"):
        creator.handler({"action": "attach", "usagePlanId": world.plans["gold"], "keyId": foreign}, None)
    assert world.plans_of(foreign) == set()


class _CreatorAsLambda:
    """boto3's ``lambda`` client for the rotation Lambda: ``invoke`` runs the key creator's handler."""

    def __init__(self, creator: Any) -> None:
        self.creator = creator
        self.invoked: list[str] = []

    def invoke(self, *, FunctionName: str, Payload: bytes) -> dict[str, Any]:
        self.invoked.append(FunctionName)
        result = self.creator.handler(json.loads(Payload), None)
        return {"Payload": io.BytesIO(json.dumps(result).encode())}


def test_rotation_creates_its_key_through_the_creator(
    world: World, creator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _CreatorAsLambda(creator)
    real_client = boto3.client

    def client(name: str, *args: Any, **kwargs: Any) -> Any:
        return fake if name == "lambda" else real_client(name, *args, region_name=REGION, **kwargs)

    monkeypatch.setattr(ops, "make_clients", lambda **_kw: world.clients())
    monkeypatch.setenv("KEY_CREATOR_FUNCTION", "arn:aws:lambda:us-east-1:123456789012:function:creator")
    rotation = load_handler("key_rotation")
    monkeypatch.setattr(rotation.boto3, "client", client)
    world.ops().create("mobile-app", "gold")
    old = world.record("mobile-app")["apiKeyId"]
    arn = world.sm.describe_secret(SecretId=secret_name(world.api_id, "mobile-app"))["ARN"]
    event = load_event("key_rotation_create_secret.json") | {
        "SecretId": arn,
        "ClientRequestToken": str(uuid.uuid4()),
    }
    for step in ("createSecret", "setSecret", "testSecret", "finishSecret"):
        rotation.handler(event | {"Step": step}, None)
    record = assert_converged(world, "mobile-app", "gold")
    assert record["previousApiKeyId"] == old != record["apiKeyId"]
    assert fake.invoked and set(fake.invoked) == {"arn:aws:lambda:us-east-1:123456789012:function:creator"}
