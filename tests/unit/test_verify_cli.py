"""``secure-api verify`` and ``--stack NAME`` end to end through the command, against moto (and, for
``--url``, an HTTPS server on 127.0.0.1)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from secure_api.keys import cli
from secure_api.verify import facts as facts_module
from secure_api.verify import model as m
from tests.unit import test_keys_support as support
from tests.unit.tls_servers import Behaviour, Pki, https_server, make_pki
from tests.unit.verify_world import REGION, Setup, deploy

aws = support.aws


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_could_not_run(code: int, out: str, err: str, *fragments: str) -> None:
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith("secure-api: error: ")
    for fragment in fragments:
        assert fragment in err, err


def test_json_report_and_exit_0(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    api_id = deploy().api_id
    code, out, err = run(capsys, "verify", "--api-id", api_id, "--json")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert set(data) == {"apiId", "stage", "checks", "summary"}
    assert data["apiId"] == api_id and data["stage"] == "prod"
    assert [c["id"] for c in data["checks"]] == list(m.CHECK_IDS)
    assert all(set(c) == {"id", "status", "detail"} and c["detail"] for c in data["checks"])
    assert data["summary"] == {"pass": 16, "fail": 0, "warn": 0, "skip": 6}


def test_table_report(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    api_id = deploy(Setup(tracing=False)).api_id
    code, out, _ = run(capsys, "verify", "--api-id", api_id)
    lines = out.splitlines()
    assert code == 0
    assert lines[0] == f"API {api_id}, stage prod"
    assert lines[2].split() == ["CHECK", "STATUS", "DETAIL"]
    rows = {line.split()[0]: line.split()[1] for line in lines[3:-2]}
    unused = {m.DOMAIN_MTLS, m.STAGE_CACHE_ENCRYPTION}  # the defaults use no mutual TLS and no cache
    assert rows == {
        cid: m.WARN
        if cid == m.STAGE_TRACING
        else (m.SKIP if cid.startswith("http.") or cid in unused else m.PASS)
        for cid in m.CHECK_IDS
    }
    assert lines[-1] == "15 pass, 0 fail, 1 warn, 6 skip"


def test_help_lists_every_check_id(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "verify", "--help")
    assert code == 0
    for cid in (*m.CHECK_IDS, *m.WS_CHECK_IDS):
        assert f"  {cid}\n" in out, cid


def test_fails_exit_1_when_the_execute_api_endpoint_keeps_awss_tls_1_0(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # No custom domain, and moto (like an API created without SecurityPolicy) names no policy.
    api_id = deploy(Setup(domain=False, disable_execute_api=False)).api_id
    code, out, _ = run(capsys, "verify", "--api-id", api_id, "--json")
    data = json.loads(out)
    assert code == 1
    failed = [c for c in data["checks"] if c["status"] == "fail"]
    assert [c["id"] for c in failed] == [m.ENDPOINT_TLS_POLICY]
    assert "TLS_1_0" in failed[0]["detail"]


def test_fails_exit_1_when_a_check_fails(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    api_id = deploy(Setup(waf=False)).api_id
    code, out, _ = run(capsys, "--json", "verify", "--api-id", api_id)
    data = json.loads(out)
    assert code == 1
    assert [c["id"] for c in data["checks"] if c["status"] == "fail"] == [m.WAF_ASSOCIATED]


def test_public_is_repeated_once_per_route(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    setup = Setup(extra_methods=(("GET", "/health", "NONE", False), ("GET", "/status/{id}", "NONE", False)))
    api_id = deploy(setup).api_id
    code, _, _ = run(capsys, "verify", "--api-id", api_id, "--public", "GET /health")
    assert code == 1
    code, _, _ = run(
        capsys, "verify", "--api-id", api_id, "--public", "GET /health", "--public", "GET /status/{id}"
    )
    assert code == 0


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--api-id", "nope000000"], "unknown API 'nope000000'"),
        (["--stage", "staging"], "unknown stage 'staging'"),
        (["--public", "GET"], "--public 'GET'"),
        (["--public", "get /health"], "upper-case method"),
        (["--url", "api.example.com"], "expected an absolute https URL"),
        (["--ca-bundle", "/nonexistent/ca.pem"], "--ca-bundle '/nonexistent/ca.pem': no such file"),
        (["--stack", "NoSuchStack"], "unknown stack 'NoSuchStack'"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_fails_exit_2_when_the_command_cannot_run(
    aws: None, capsys: pytest.CaptureFixture[str], argv: list[str], fragment: str
) -> None:
    api_id = deploy().api_id
    args = (
        ["verify", *argv]
        if "--api-id" in argv or "--stack" in argv
        else ["verify", "--api-id", api_id, *argv]
    )
    assert_could_not_run(*run(capsys, *args), fragment)


def test_fails_exit_2_without_an_api(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert_could_not_run(*run(capsys, "verify", "--json"), "--api-id ID or --stack NAME")


def test_fails_exit_2_without_credentials(
    aws: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert_could_not_run(*run(capsys, "verify", "--api-id", "a1b2c3d4e5"), "no AWS credentials")


# -- read-only ----------------------------------------------------------------------------------------


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every AWS API call any boto3 client makes (operation name and parameters)."""
    from botocore.client import BaseClient

    calls: list[tuple[str, dict[str, Any]]] = []
    original = BaseClient._make_api_call

    def record(self: Any, operation_name: str, api_params: dict[str, Any]) -> Any:
        calls.append((operation_name, dict(api_params)))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", record)
    yield calls


READ_ONLY_PREFIXES = ("Get", "Describe", "List")


def test_verify_is_read_only(
    aws: None, capsys: pytest.CaptureFixture[str], recorded: list[tuple[str, dict[str, Any]]]
) -> None:
    stack = stack_with_apis(deploy().api_id)
    # A second API with an open, keyless method so every code path runs, including get_method lookups.
    deploy(Setup(extra_methods=(("GET", "/health", "NONE", False),)))
    recorded.clear()
    code, out, _ = run(capsys, "verify", "--stack", stack, "--json")
    assert code == 0, out
    operations = {name for name, _ in recorded}
    assert operations >= {
        "DescribeStacks",
        "GetRestApi",
        "GetStage",
        "GetResources",
        "GetDomainNames",
        "GetBasePathMappings",
        "GetUsagePlans",
        "GetWebACLForResource",
        "DescribeTrails",
        "GetTrailStatus",
        "GetEventSelectors",
        "GetAccount",
        "GetRequestValidators",
        "DescribeCertificate",
    }
    mutating = sorted(name for name in operations if not name.startswith(READ_ONLY_PREFIXES))
    assert mutating == []
    for name, params in recorded:
        assert not params.get("includeValue") and not params.get("includeValues"), (name, params)


# -- --stack ------------------------------------------------------------------------------------------


def stack_with_apis(
    *api_ids: str, name: str = "SecureApiExample", stage: str = "prod", kms: str | None = None
) -> str:
    """A CloudFormation stack whose outputs are what ``SecureRestApi`` writes, one prefix per API."""
    outputs: dict[str, Any] = {"ApiUrl": {"Value": "https://api.example.com/"}}
    for index, api_id in enumerate(api_ids):
        prefix = "OrdersApi" if index == 0 else f"AdminApi{index}"
        outputs |= {
            f"{prefix}RestApiId": {"Value": api_id},
            f"{prefix}Url": {"Value": "https://api.example.com/"},
            f"{prefix}StageName": {"Value": stage},
        }
        if kms:
            outputs |= {
                f"{prefix}KeySecretsPrefix": {"Value": f"secure-api/{api_id}/"},
                f"{prefix}KeysKmsKeyArn": {"Value": kms},
            }
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
        "Outputs": outputs,
    }
    boto3.client("cloudformation", region_name=REGION).create_stack(
        StackName=name, TemplateBody=json.dumps(template)
    )
    return name


def test_stack_gives_the_api_and_its_stage(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    api_id = deploy().api_id
    stack = stack_with_apis(api_id)
    code, out, _ = run(capsys, "verify", "--stack", stack, "--json")
    data = json.loads(out)
    assert code == 0 and data["apiId"] == api_id and data["stage"] == "prod"


def test_stack_stage_output_is_the_default_stage(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    api_id = deploy().api_id
    stack = stack_with_apis(api_id, stage="live")
    assert_could_not_run(*run(capsys, "verify", "--stack", stack), "unknown stage 'live'")
    code, out, _ = run(capsys, "verify", "--stack", stack, "--stage", "prod", "--json")
    assert code == 0 and json.loads(out)["stage"] == "prod"


def test_fails_stack_with_several_apis_without_api_id(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = deploy().api_id, deploy(Setup(waf=False)).api_id
    stack = stack_with_apis(first, second)
    code, out, err = run(capsys, "verify", "--stack", stack)
    assert_could_not_run(
        code, out, err, "holds 2 APIs", f"OrdersApi ({first})", f"AdminApi1 ({second})", "--api-id"
    )
    code, out, _ = run(capsys, "verify", "--stack", stack, "--api-id", second, "--json")
    assert code == 1 and json.loads(out)["apiId"] == second
    assert_could_not_run(
        *run(capsys, "verify", "--stack", stack, "--api-id", "zzzzzzzzzz"), "holds no API 'zzzzzzzzzz'"
    )


def test_fails_stack_without_any_api(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    stack = stack_with_apis()
    assert_could_not_run(*run(capsys, "verify", "--stack", stack), "has no secure-api API")


def test_keys_subcommands_take_the_stack_and_its_kms_key(
    aws: None, capsys: pytest.CaptureFixture[str]
) -> None:
    world = support.build_world()
    kms = boto3.client("kms", region_name=REGION).create_key()["KeyMetadata"]["Arn"]
    stack = stack_with_apis(world.api_id, kms=kms)
    code, out, err = run(capsys, "keys", "create", "mobile", "--tier", "gold", "--stack", stack, "--json")
    assert code == 0, err
    assert json.loads(out)["restApiId"] == world.api_id
    described = world.sm.describe_secret(SecretId=f"secure-api/{world.api_id}/mobile")
    assert described["KmsKeyId"] == kms
    code, out, _ = run(capsys, "--stack", stack, "keys", "list", "--json")
    assert code == 0 and [row["consumer"] for row in json.loads(out)] == ["mobile"]


def test_fails_keys_with_a_stack_of_several_apis(aws: None, capsys: pytest.CaptureFixture[str]) -> None:
    world = support.build_world()
    stack = stack_with_apis(world.api_id, "otherapi00")
    assert_could_not_run(*run(capsys, "keys", "list", "--stack", stack), "holds 2 APIs", "--api-id")
    code, _, _ = run(capsys, "keys", "list", "--stack", stack, "--api-id", world.api_id)
    assert code == 0


# -- --url end to end -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


def test_url_probes_run_through_the_command(
    aws: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    api_id = deploy().api_id
    forbidden = Behaviour(fixed=(403, '{"message":"Forbidden"}'))
    with https_server(pki) as (url, seen), https_server(pki, forbidden) as (execute_api, _):
        monkeypatch.setattr(facts_module, "execute_api_url", lambda *_: execute_api + "prod/")
        code, out, err = run(
            capsys, "verify", "--api-id", api_id, "--url", url, "--ca-bundle", str(pki.ca_file), "--json"
        )
    data = json.loads(out)
    assert code == 0, data
    assert data["summary"] == {"pass": 20, "fail": 0, "warn": 0, "skip": 2}  # no mutual TLS, no cache
    assert {method for method, _, _ in seen.requests} == {"GET", "OPTIONS"}
