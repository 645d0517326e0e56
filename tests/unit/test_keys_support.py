"""Shared helpers of the API key tests: a moto world (REST API, stage, tiered usage plans), a client proxy
that crashes after N calls, and the convergence invariant. Holds no tests itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from secure_api.keys import ops
from secure_api.keys.model import TAG_API, TAG_CONSUMER, TAG_TIER, secret_name
from secure_api.keys.retry import AwsCaller
from tests.moto_api_keys import tag_api_keys

REGION = "us-east-1"


@dataclass
class World:
    api_id: str
    stage: str
    plans: dict[str, str]
    ag: Any
    sm: Any

    def clients(self) -> ops.Clients:
        return ops.Clients(apigateway=self.ag, secretsmanager=self.sm)

    def ops(self, clients: ops.Clients | None = None, **kwargs: Any) -> ops.KeyOps:
        caller = AwsCaller(sleep=lambda _s: None)
        return ops.KeyOps(clients or self.clients(), self.api_id, caller=caller, **kwargs)

    def record(self, consumer: str) -> dict[str, Any]:
        response = self.sm.get_secret_value(
            SecretId=secret_name(self.api_id, consumer), VersionStage="AWSCURRENT"
        )
        data: dict[str, Any] = json.loads(response["SecretString"])
        return data

    def keys(self, consumer: str) -> dict[str, dict[str, Any]]:
        items = self.ag.get_api_keys(includeValues=True, limit=500)["items"]
        return {
            k["id"]: k
            for k in items
            if (k.get("tags") or {}).get(TAG_API) == self.api_id
            and (k.get("tags") or {}).get(TAG_CONSUMER) == consumer
        }

    def plans_of(self, key_id: str) -> set[str]:
        return {p["id"] for p in self.ag.get_usage_plans(keyId=key_id)["items"]}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in (
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "SECURE_API_KMS_KEY_ID",
        "SECURE_API_REST_API_ID",
        "SECURE_API_API_ID",
    ):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        yield


@pytest.fixture
def key_tagging(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let moto tag and untag API keys (what quarantine and reinstate do)."""
    tag_api_keys(monkeypatch)


def build_world() -> World:
    ag = boto3.client("apigateway", region_name=REGION)
    sm = boto3.client("secretsmanager", region_name=REGION)
    api_id = ag.create_rest_api(name="orders")["id"]
    root = ag.get_resources(restApiId=api_id)["items"][0]["id"]
    ag.put_method(restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE")
    ag.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    ag.create_deployment(restApiId=api_id, stageName="prod")
    plans = {
        tier: ag.create_usage_plan(
            name=f"orders-{tier}",
            apiStages=[{"apiId": api_id, "stage": "prod"}],
            tags={TAG_TIER: tier},
        )["id"]
        for tier in ("gold", "silver")
    }
    # A plan of another API with the same tier tag must never be used.
    ag.create_usage_plan(
        name="other-gold", apiStages=[{"apiId": "otherapi", "stage": "prod"}], tags={TAG_TIER: "gold"}
    )
    return World(api_id=api_id, stage="prod", plans=plans, ag=ag, sm=sm)


@pytest.fixture
def world(aws: None) -> World:
    return build_world()


class Crash(Exception):
    """Injected failure: the process 'died' before this AWS call."""


class Budget:
    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.calls = 0


class CrashingClient:
    """Proxy of a boto3 client whose operations raise :class:`Crash` once ``budget.limit`` calls ran."""

    def __init__(self, client: Any, budget: Budget) -> None:
        self._client = client
        self._budget = budget

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._client, name)
        if name in {"meta", "exceptions"} or not callable(attr) or name.startswith(("get_paginator", "can_")):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            if self._budget.limit is not None and self._budget.calls >= self._budget.limit:
                raise Crash(name)
            self._budget.calls += 1
            return attr(*args, **kwargs)

        return call


def crashing(world: World, limit: int | None) -> tuple[ops.Clients, Budget]:
    budget = Budget(limit)
    return ops.Clients(CrashingClient(world.ag, budget), CrashingClient(world.sm, budget)), budget


def assert_converged(
    world: World, consumer: str, tier: str, *, allow_previous: bool = True, allow_untracked: bool = False
) -> dict[str, Any]:
    """One current enabled key with the recorded value, in the tier's plan; no untracked key."""
    record = world.record(consumer)
    keys = world.keys(consumer)
    assert record["status"] == "active"
    current = keys[record["apiKeyId"]]
    assert current["enabled"] is True
    assert current["value"] == record["apiKey"]
    assert len(record["apiKey"]) >= 40
    assert world.plans_of(current["id"]) == {world.plans[tier]}
    tracked = {record["apiKeyId"]} | ({record["previousApiKeyId"]} if record["previousApiKeyId"] else set())
    if not allow_untracked:
        assert set(keys) <= tracked, f"untracked keys {set(keys) - tracked}"
    if not allow_previous:
        assert set(keys) == {record["apiKeyId"]}
    return record
