"""API keys on the deployed REST example, driven by the ``secure-api`` command (``python -m
secure_api`` with AWS_ENDPOINT_URL pointing at the emulator and dummy credentials), then the stack's
life: an update that adds and removes a consumer converges, and deleting it removes keys and secrets.
The tests run in file order on the session's one deployment (the update and the deletion last)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from typing import Any

from tests.e2e import harness, synth
from tests.e2e.conftest import RestApi, World
from tests.e2e.tokens import Issuer

STACK = synth.STACKS["rest"]
CONSUMERS = {"mobile-app": "gold", "partner-portal": "silver", "reporting": "silver"}


def secure_api(world: World, *args: str) -> Any:
    """Run ``python -m secure_api <args> --json`` against the emulator; its JSON answer."""
    proc = subprocess.run(
        [sys.executable, "-m", "secure_api", *args, "--json"],
        cwd=harness.ROOT,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")}, **world.emulator.env()},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, (args, proc.returncode, proc.stdout, proc.stderr)
    return json.loads(proc.stdout)


def rows(world: World) -> dict[str, dict[str, Any]]:
    """``secure-api keys list`` on the stack, by consumer."""
    answer = secure_api(world, "keys", "--stack", STACK, "list")
    listed = answer["consumers"] if isinstance(answer, dict) else answer
    return {row["consumer"]: row for row in listed}


def status(rest: RestApi, issuer: Issuer, key: str) -> int:
    """The status of an authenticated GET /orders with ``key``."""
    return rest.gateway.call("GET", "/orders", token=issuer.token(), api_key=key).status


def test_keys_list_shows_the_consumers_the_provisioner_created(rest: RestApi) -> None:
    listed = rows(rest.world)
    assert {c: r["tier"] for c, r in listed.items()} == CONSUMERS
    assert all(r["enabled"] and r["apiKeyId"] for r in listed.values())


def test_rotate_makes_a_new_key_current_and_the_old_one_keeps_working(rest: RestApi, issuer: Issuer) -> None:
    old = rest.consumer_key("reporting")
    secure_api(rest.world, "keys", "--stack", STACK, "rotate", "reporting", "--grace-hours", "1")
    new = rest.consumer_key("reporting")
    assert new != old
    assert (status(rest, issuer, new), status(rest, issuer, old)) == (200, 200)
    row = rows(rest.world)["reporting"]
    assert row["previousApiKeyId"] and row["previousKeyExpiresAt"]


def test_the_old_key_is_refused_once_its_grace_period_has_ended(rest: RestApi, issuer: Issuer) -> None:
    old = rest.consumer_key("partner-portal")
    secure_api(rest.world, "keys", "--stack", STACK, "rotate", "partner-portal", "--grace-hours", "0")
    new = rest.consumer_key("partner-portal")
    secure_api(rest.world, "keys", "--stack", STACK, "expire")
    assert (status(rest, issuer, new), status(rest, issuer, old)) == (200, 403)
    assert not rows(rest.world)["partner-portal"]["previousApiKeyId"]


def test_revoke_refuses_every_key_of_the_consumer(rest: RestApi, issuer: Issuer) -> None:
    current = rest.consumer_key("reporting")
    previous_id = rows(rest.world)["reporting"]["previousApiKeyId"]
    previous = rest.world.emulator.client("apigateway").get_api_key(apiKey=previous_id, includeValue=True)[
        "value"
    ]
    secure_api(rest.world, "keys", "--stack", STACK, "revoke", "reporting")
    assert (status(rest, issuer, current), status(rest, issuer, previous)) == (403, 403)
    assert status(rest, issuer, rest.consumer_key("partner-portal")) == 200


def _updated_template(world: World) -> dict[str, Any]:
    """The example's template with ``e2e-trial`` (silver) added and ``reporting`` removed from the
    key provisioner's Consumers (what the library synthesizes for that consumer list), and silver's
    quota lowered to 5 requests a day (the template of ``Quota(limit=5, period=DAY)``: the example's
    10,000 cannot be spent in a test)."""
    template = copy.deepcopy(world.templates["rest"])
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "Custom::SecureApiKeys":
            props["Consumers"] = [c for c in props["Consumers"] if c["name"] != "reporting"] + [
                {"name": "e2e-trial", "tier": "silver", "enabled": "true"}
            ]
        if resource["Type"] == "AWS::ApiGateway::UsagePlan" and props["UsagePlanName"].endswith("-silver"):
            props["Quota"] = {"Limit": 5, "Offset": 0, "Period": "DAY"}
    return template


def test_stack_update_adding_and_removing_a_consumer_converges(rest: RestApi, issuer: Issuer) -> None:
    rest.world.deploy_template(STACK, _updated_template(rest.world))
    listed = rows(rest.world)
    assert set(listed) == {"mobile-app", "partner-portal", "e2e-trial"}
    assert listed["e2e-trial"]["tier"] == "silver"
    apigw = rest.world.emulator.client("apigateway")
    names = {k["name"] for k in apigw.get_api_keys(limit=500)["items"]}
    assert "e2e-trial" in names
    assert "reporting" not in names
    secrets = rest.world.emulator.client("secretsmanager").list_secrets(MaxResults=100)["SecretList"]
    prefix = rest.outputs["OrdersApiKeySecretsPrefix"]
    assert {s["Name"][len(prefix) :] for s in secrets if s["Name"].startswith(prefix)} == set(listed)
    assert status(rest, issuer, rest.consumer_key("e2e-trial")) == 200


def test_small_quota_answers_429_once_spent(rest: RestApi, issuer: Issuer) -> None:
    # e2e-trial's silver plan now allows 5 requests a day; it has spent 1 above.
    key = rest.consumer_key("e2e-trial")
    statuses = [status(rest, issuer, key) for _ in range(6)]
    assert statuses[:4] == [200] * 4
    assert 429 in statuses[4:], statuses


def test_deleting_the_stack_removes_keys_and_secrets(rest: RestApi) -> None:
    world = rest.world
    prefix = rest.outputs["OrdersApiKeySecretsPrefix"]
    cfn = world.emulator.client("cloudformation")
    cfn.delete_stack(StackName=STACK)
    final = harness.wait(world.emulator, STACK, timeout=120)
    assert final in ("DELETE_COMPLETE", ""), f"{final}\n{harness.failure_events(world.emulator, STACK)}"
    world.deployed.pop("rest", None)
    apigw = world.emulator.client("apigateway")
    assert [k["name"] for k in apigw.get_api_keys(limit=500)["items"] if k["name"] in CONSUMERS] == []
    secrets = world.emulator.client("secretsmanager").list_secrets(MaxResults=100)["SecretList"]
    assert [s["Name"] for s in secrets if s["Name"].startswith(prefix)] == []
