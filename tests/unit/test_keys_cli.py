"""The ``secure-api keys`` command end to end against moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from secure_api.keys import cli, ops
from secure_api.keys.model import TAG_TIER, secret_name
from tests.unit import test_keys_support as support
from tests.unit.test_keys_support import World, assert_converged

aws = support.aws
world = support.world


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def values_of(world: World) -> list[str]:
    return [k["value"] for k in world.ag.get_api_keys(includeValues=True)["items"]]


def assert_no_value(world: World, *texts: str) -> None:
    for value in values_of(world):
        for text in texts:
            assert value not in text


def test_create_list_json_and_table(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "keys", "create", "mobile", "--tier", "gold", "--api-id", world.api_id)
    assert code == 0 and err == ""
    assert "mobile" in out and "created" in out
    code, out, _ = run(
        capsys, "--api-id", world.api_id, "--json", "keys", "create", "mobile", "--tier", "gold"
    )
    data = json.loads(out)
    assert code == 0 and data["result"] == "unchanged" and "apiKey" not in data
    assert_converged(world, "mobile", "gold", allow_previous=False)
    run(capsys, "keys", "create", "web", "--tier", "silver", "--api-id", world.api_id)

    code, out, _ = run(capsys, "keys", "list", "--json", "--api-id", world.api_id)
    rows = {row["consumer"]: row for row in json.loads(out)}
    assert rows["mobile"]["tier"] == "gold" and rows["mobile"]["enabled"] is True
    assert rows["web"]["apiKeyId"] == world.record("web")["apiKeyId"]
    code, table, _ = run(capsys, "keys", "list", "--api-id", world.api_id)
    header = table.splitlines()[0]
    assert header.startswith("CONSUMER") and "PREVIOUS EXPIRES" in header
    assert len(table.splitlines()) == 3
    assert_no_value(world, out, table)

    code, out, _ = run(capsys, "keys", "list", "--json", "--show-value", "--api-id", world.api_id)
    assert {row["apiKey"] for row in json.loads(out)} == set(values_of(world))


def test_create_uses_the_kms_key_and_tags(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    import boto3

    kms_key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    code, _, _ = run(
        capsys, "keys", "create", "a", "--tier", "gold", "--api-id", world.api_id, "--kms-key-id", kms_key
    )
    assert code == 0
    described = world.sm.describe_secret(SecretId=secret_name(world.api_id, "a"))
    assert described["KmsKeyId"] == kms_key
    tags = {t["Key"]: t["Value"] for t in described["Tags"]}
    assert tags == {"secure-api:consumer": "a", "secure-api:api": world.api_id, "secure-api:tier": "gold"}
    key = next(iter(world.keys("a").values()))
    assert key["name"] == "a"


def test_rotate_then_expire(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "keys", "create", "app", "--tier", "gold", "--api-id", world.api_id)
    old = world.record("app")
    code, out, _ = run(
        capsys, "keys", "rotate", "app", "--api-id", world.api_id, "--json", "--grace-hours", "2"
    )
    data = json.loads(out)
    assert code == 0 and data["previousApiKeyId"] == old["apiKeyId"] and "apiKey" not in data
    expires = datetime.fromisoformat(data["previousKeyExpiresAt"].replace("Z", "+00:00"))
    assert abs(expires - (datetime.now(UTC) + timedelta(hours=2))) < timedelta(minutes=1)
    record = assert_converged(world, "app", "gold")
    assert world.keys("app")[old["apiKeyId"]]["enabled"] is True  # still valid during the grace period
    assert world.plans_of(old["apiKeyId"]) == {world.plans["gold"]}
    assert_no_value(world, out)

    code, out, _ = run(capsys, "keys", "expire", "--api-id", world.api_id, "--json")
    assert code == 0 and json.loads(out)["expired"] == []
    run(capsys, "keys", "rotate", "app", "--api-id", world.api_id, "--grace-hours", "0")
    newest = world.record("app")
    assert newest["previousApiKeyId"] == record["apiKeyId"]
    assert old["apiKeyId"] not in world.keys("app")  # two rotations old: retired
    code, out, _ = run(capsys, "keys", "expire", "--api-id", world.api_id)
    assert code == 0 and record["apiKeyId"] in out
    assert set(world.keys("app")) == {newest["apiKeyId"]}
    assert world.record("app")["previousApiKeyId"] is None


def test_revoke_is_immediate(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "keys", "create", "bad", "--tier", "gold", "--api-id", world.api_id)
    run(capsys, "keys", "rotate", "bad", "--api-id", world.api_id)
    code, out, _ = run(capsys, "keys", "revoke", "bad", "--api-id", world.api_id, "--json")
    assert code == 0 and len(json.loads(out)["revokedApiKeyIds"]) == 2
    for key_id, key in world.keys("bad").items():
        assert key["enabled"] is False and world.plans_of(key_id) == set()
    assert world.record("bad")["revoked"] is True
    code, _, err = run(capsys, "keys", "rotate", "bad", "--api-id", world.api_id)
    assert code == 2 and "revoked" in err
    # import never revives a revoked consumer; create does, with a new key
    code, out, _ = run(capsys, "keys", "create", "bad", "--tier", "silver", "--api-id", world.api_id)
    assert code == 0
    assert_converged(world, "bad", "silver", allow_previous=False)


def test_reinstate_calls_quarantine_reinstate_with_the_current_key(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from secure_api.keys import quarantine

    run(capsys, "keys", "create", "q", "--tier", "gold", "--api-id", world.api_id)
    key_id = world.record("q")["apiKeyId"]
    calls: list[dict[str, Any]] = []

    def reinstate(apigw: Any, *, rest_api_id: str, api_key_id: str) -> bool:
        calls.append({"rest_api_id": rest_api_id, "api_key_id": api_key_id})
        return True

    monkeypatch.setattr(quarantine, "reinstate", reinstate)
    code, out, _ = run(capsys, "keys", "reinstate", "q", "--api-id", world.api_id, "--json")
    assert code == 0 and json.loads(out) == {"consumer": "q", "apiKeyId": key_id, "status": "reinstated"}
    assert calls == [{"rest_api_id": world.api_id, "api_key_id": key_id}]

    def refuse(apigw: Any, *, rest_api_id: str, api_key_id: str) -> bool:
        raise quarantine.QuarantineError("not ours")

    monkeypatch.setattr(quarantine, "reinstate", refuse)
    code, _, err = run(capsys, "keys", "reinstate", "q", "--api-id", world.api_id)
    assert code == 2 and "not ours" in err


def test_usage_sums_requests_per_day(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, "keys", "create", "u", "--tier", "gold", "--api-id", world.api_id)
    key_id = world.record("u")["apiKeyId"]
    calls: list[dict[str, Any]] = []
    real = ops.make_clients

    def fake_get_usage(**kwargs: Any) -> dict[str, Any]:
        calls.append(kwargs)
        return {"items": {kwargs["keyId"]: [[5, 95], [7, 93], [0, 100]]}}

    def make_clients(**kwargs: Any) -> ops.Clients:
        clients = real(**kwargs)
        clients.apigateway.get_usage = fake_get_usage
        return clients

    monkeypatch.setattr(ops, "make_clients", make_clients)
    code, out, _ = run(capsys, "keys", "usage", "u", "--days", "3", "--api-id", world.api_id, "--json")
    data = json.loads(out)
    assert code == 0 and [d["requests"] for d in data["days"]] == [5, 7, 0] and data["total"] == 12
    assert calls == [
        {
            "usagePlanId": world.plans["gold"],
            "keyId": key_id,
            "startDate": data["startDate"],
            "endDate": data["endDate"],
        }
    ]
    code, out, _ = run(capsys, "keys", "usage", "u", "--days", "3", "--api-id", world.api_id)
    assert out.splitlines()[0].split() == ["DATE", "REQUESTS"] and "total 12" in out


def test_import_creates_skips_and_reports_failures(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    csv_file = tmp_path / "consumers.csv"
    csv_file.write_text(
        "consumer,tier\nalpha,gold\nbeta,silver\n\ngamma,platinum\nbad name!,gold\ndelta,gold\n"
    )
    code, out, err = run(capsys, "keys", "import", str(csv_file), "--api-id", world.api_id, "--json")
    data = json.loads(out)
    assert code == 1
    assert (data["created"], data["skipped"], data["failed"]) == (3, 0, 2)
    assert "5/5" in err  # progress bar
    failed = {r["consumer"]: r["error"] for r in data["results"] if r["result"] == "failed"}
    assert "unknown tier" in failed["gamma"] and "invalid consumer" in failed["bad name!"]
    for consumer, tier in (("alpha", "gold"), ("beta", "silver"), ("delta", "gold")):
        assert_converged(world, consumer, tier, allow_previous=False)
    keys_before = {k["id"] for k in world.ag.get_api_keys()["items"]}
    code, out, _ = run(capsys, "keys", "import", str(csv_file), "--api-id", world.api_id)
    assert code == 1 and "skipped" in out
    assert {k["id"] for k in world.ag.get_api_keys()["items"]} == keys_before
    assert_no_value(world, out, err)


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["keys", "create", "x", "--tier", "bronze"], "unknown tier"),
        (["keys", "rotate", "nobody"], "unknown consumer"),
        (["keys", "revoke", "nobody"], "unknown consumer"),
        (["keys", "usage", "nobody"], "unknown consumer"),
        (["keys", "reinstate", "nobody"], "unknown consumer"),
        (["keys", "import", "/nonexistent.csv"], "cannot read"),
        (["keys", "create", "x"], "--tier"),
    ],
)
def test_fails_with_one_line_and_exit_2(
    world: World, capsys: pytest.CaptureFixture[str], argv: list[str], needle: str
) -> None:
    code, out, err = run(capsys, *argv, "--api-id", world.api_id)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and needle in err and "Traceback" not in err


def test_fails_on_unknown_api_and_bad_csv(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, _, err = run(capsys, "keys", "list", "--api-id", "nope123")
    assert code == 2 and "unknown API" in err and err.count("\n") == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("alpha,gold,extra\n")
    code, _, err = run(capsys, "keys", "import", str(bad), "--api-id", world.api_id)
    assert code == 2 and "bad.csv:1" in err and err.count("\n") == 1
    assert world.ag.get_api_keys()["items"] == []


def test_fails_without_credentials(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    code, _, err = run(capsys, "keys", "list", "--api-id", "abc")
    assert code == 2 and "no AWS credentials" in err and err.count("\n") == 1


def test_fails_when_throttled_after_retries(
    world: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    real = ops.make_clients

    def throttled(**_kwargs: Any) -> Any:
        raise ClientError(
            {"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}}, "GetRestApi"
        )

    def make_clients(**kwargs: Any) -> ops.Clients:
        clients = real(**kwargs)
        clients.apigateway.get_rest_api = throttled
        return clients

    monkeypatch.setattr(ops, "make_clients", make_clients)
    monkeypatch.setattr("secure_api.keys.retry.time.sleep", lambda _s: None)
    monkeypatch.setattr(ops.AwsCaller, "__init__", _fast_caller_init(ops.AwsCaller.__init__))
    code, _, err = run(capsys, "keys", "list", "--api-id", world.api_id)
    assert code == 2 and "throttled" in err and err.count("\n") == 1


def _fast_caller_init(init: Any) -> Any:
    def fast(self: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("sleep", lambda _s: None)
        init(self, *args, **kwargs)

    return fast


def test_python_dash_m_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    import runpy

    monkeypatch.setattr("sys.argv", ["secure-api"])
    with pytest.raises(SystemExit) as exc:
        runpy.run_module("secure_api", run_name="__main__", alter_sys=False)
    assert exc.value.code == 2


def test_create_defaults_to_the_apis_tagged_kms_key(world: World, capsys: pytest.CaptureFixture[str]) -> None:
    import boto3

    from secure_api.keys.stack_outputs import KEYS_KMS_KEY_TAG

    kms = boto3.client("kms", region_name="us-east-1")
    api_key = kms.create_key()["KeyMetadata"]["Arn"]
    override = kms.create_key()["KeyMetadata"]["Arn"]
    # moto's TagResource only knows stages: tag the REST API as SecureRestApi's template does.
    from moto.apigateway.models import apigateway_backends
    from moto.core import DEFAULT_ACCOUNT_ID

    apigateway_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].apis[world.api_id].tags = {KEYS_KMS_KEY_TAG: api_key}
    assert world.ag.get_rest_api(restApiId=world.api_id)["tags"] == {KEYS_KMS_KEY_TAG: api_key}
    assert run(capsys, "keys", "create", "a", "--tier", "gold", "--api-id", world.api_id)[0] == 0
    assert world.sm.describe_secret(SecretId=secret_name(world.api_id, "a"))["KmsKeyId"] == api_key
    code, _, _ = run(
        capsys, "keys", "create", "b", "--tier", "gold", "--api-id", world.api_id, "--kms-key-id", override
    )
    assert code == 0
    assert world.sm.describe_secret(SecretId=secret_name(world.api_id, "b"))["KmsKeyId"] == override


def test_create_without_tag_or_flag_leaves_the_key_to_secrets_manager(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "keys", "create", "a", "--tier", "gold", "--api-id", world.api_id)[0] == 0
    assert "KmsKeyId" not in world.sm.describe_secret(SecretId=secret_name(world.api_id, "a"))


def test_version_flag(capsys: pytest.CaptureFixture[str]) -> None:
    import secure_api

    code, out, err = run(capsys, "--version")
    assert code == 0 and out.strip() == f"secure-api {secure_api.__version__}" and err == ""


def websocket_world(tags: dict[str, str] | None = None) -> World:
    """A WebSocket API (API Gateway v2) whose stage two tiers' usage plans serve, as SecureWebSocketApi
    deploys it: the keys and plans are API Gateway's (v1) resources, the API is v2's."""
    import boto3

    v2 = boto3.client("apigatewayv2", region_name="us-east-1")
    api_id = v2.create_api(
        Name="chat",
        ProtocolType="WEBSOCKET",
        RouteSelectionExpression="$request.body.action",
        Tags=tags or {},
    )["ApiId"]
    v2.create_stage(ApiId=api_id, StageName="prod")
    ag = boto3.client("apigateway", region_name="us-east-1")
    plans = {
        tier: ag.create_usage_plan(
            name=f"chat-{tier}", apiStages=[{"apiId": api_id, "stage": "prod"}], tags={TAG_TIER: tier}
        )["id"]
        for tier in ("gold", "silver")
    }
    return World(
        api_id=api_id,
        stage="prod",
        plans=plans,
        ag=ag,
        sm=boto3.client("secretsmanager", region_name="us-east-1"),
    )


def test_keys_work_with_a_websocket_api_id(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    ws = websocket_world()
    code, out, err = run(capsys, "keys", "create", "mobile", "--tier", "gold", "--api-id", ws.api_id)
    assert code == 0, err
    assert "created" in out
    assert_converged(ws, "mobile", "gold", allow_previous=False)
    assert ws.record("mobile")["restApiId"] == ws.api_id
    code, out, _ = run(capsys, "keys", "list", "--json", "--api-id", ws.api_id)
    assert [row["consumer"] for row in json.loads(out)] == ["mobile"]
    assert run(capsys, "keys", "revoke", "mobile", "--api-id", ws.api_id)[0] == 0
    assert all(not k["enabled"] for k in ws.keys("mobile").values())


def test_a_websocket_api_uses_its_tagged_kms_key(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    import boto3

    from secure_api.keys.stack_outputs import KEYS_KMS_KEY_TAG

    kms_key = boto3.client("kms", region_name="us-east-1").create_key()["KeyMetadata"]["Arn"]
    ws = websocket_world({KEYS_KMS_KEY_TAG: kms_key})
    assert run(capsys, "keys", "create", "a", "--tier", "gold", "--api-id", ws.api_id)[0] == 0
    assert ws.sm.describe_secret(SecretId=secret_name(ws.api_id, "a"))["KmsKeyId"] == kms_key


def test_fails_on_an_http_api_id(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    import boto3

    http_id = boto3.client("apigatewayv2", region_name="us-east-1").create_api(Name="h", ProtocolType="HTTP")[
        "ApiId"
    ]
    code, _, err = run(capsys, "keys", "list", "--api-id", http_id)
    assert code == 2 and "unknown API" in err and "HTTP" in err and err.count("\n") == 1
