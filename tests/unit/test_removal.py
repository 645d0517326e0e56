"""What ``cdk destroy`` leaves: ``removal_policy`` on SecureRestApi, SecureWebSocketApi and AuditTrail
(secure_api/removal.py), on the example stacks, and the README's table of what is kept."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import RemovalPolicy
from aws_cdk.assertions import Annotations, Match, Template

from secure_api import AuditTrail, SecureRestApi, SecureWebSocketApi
from secure_api.errors import SecureApiConfigError
from secure_api.removal import AUDIT_EVIDENCE_IDS, removal_policy_for

README = Path(__file__).resolve().parents[2] / "README.md"
DESTROY, RETAIN = RemovalPolicy.DESTROY, RemovalPolicy.RETAIN
_KEPT = ("Retain", "RetainExceptOnCreate", "Snapshot")
_DEV_AUDIT = AuditTrail(removal_policy=DESTROY, object_lock_days=None)


def _build(make_app: Callable[..., cdk.App], kind: str, **overrides: Any) -> dict[str, Any]:
    """The example stack of ``kind`` ("rest" or "websocket"), its API given ``overrides``."""
    import example.stack
    import example.websocket_stack

    module: Any = example.stack if kind == "rest" else example.websocket_stack
    name = "SecureRestApi" if kind == "rest" else "SecureWebSocketApi"
    real = getattr(module, name)

    def api(*args: Any, **kwargs: Any) -> Any:
        return real(*args, **{**kwargs, **overrides})

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(module, name, api)
        app = make_app()
        stack_class = module.ExampleStack if kind == "rest" else module.WebSocketExampleStack
        stack = stack_class(app, "RemovalExample")
        template = Template.from_stack(stack).to_json()
    return {"template": template, "stack": stack, "api": stack.api}


@pytest.fixture(scope="session")
def examples(make_app: Callable[..., cdk.App]) -> dict[tuple[str, str], dict[str, Any]]:
    """Each example under each policy: default, API DESTROY, API and AuditTrail DESTROY."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for kind in ("rest", "websocket"):
        out[kind, "default"] = _build(make_app, kind)
        out[kind, "api"] = _build(make_app, kind, removal_policy=DESTROY)
        out[kind, "all"] = _build(make_app, kind, removal_policy=DESTROY, audit=_DEV_AUDIT)
    return out


def _api_resources(built: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(logical id, resource, the construct id under the API) of every resource the API created."""
    api = built["api"]
    stack = cdk.Stack.of(api)
    depth = len(api.node.scopes)
    by_id = {}
    for construct in api.node.find_all():
        if isinstance(construct, cdk.CfnResource):
            by_id[stack.resolve(stack.get_logical_id(construct))] = construct.node.scopes[depth].node.id
    for logical_id, resource in built["template"]["Resources"].items():
        if logical_id in by_id:
            yield logical_id, resource, by_id[logical_id]


def kept_by_type(template: dict[str, Any]) -> Counter[str]:
    """How many resources of each type ``cdk destroy`` keeps."""
    return Counter(r["Type"] for r in template["Resources"].values() if r.get("DeletionPolicy") in _KEPT)


@pytest.mark.parametrize("kind", ["rest", "websocket"])
def test_by_default_every_key_log_group_bucket_and_the_table_are_kept(kind: str, examples: Any) -> None:
    kept = {
        construct_id: resource["Type"]
        for _, resource, construct_id in _api_resources(examples[kind, "default"])
        if resource.get("DeletionPolicy") == "Retain"
    }
    assert set(kept.values()) == {
        "AWS::KMS::Key",
        "AWS::Logs::LogGroup",
        "AWS::S3::Bucket",
        "AWS::DynamoDB::Table",
    }
    assert set(kept) >= AUDIT_EVIDENCE_IDS
    resources = examples[kind, "default"]["template"]["Resources"].values()
    assert not any("PendingWindowInDays" in r["Properties"] for r in resources)
    table = next(r for r in resources if r["Type"] == "AWS::DynamoDB::Table")
    assert table["Properties"]["DeletionProtectionEnabled"] is True
    assert not any(r["Type"] == "Custom::SecureApiEmptyBuckets" for r in resources)
    Annotations.from_stack(examples[kind, "default"]["stack"]).has_no_warning(
        "*", Match.string_like_regexp("removal_policy")
    )


@pytest.mark.parametrize("kind", ["rest", "websocket"])
def test_destroy_deletes_everything_but_the_audit_evidence(kind: str, examples: Any) -> None:
    built = examples[kind, "api"]
    default = examples[kind, "default"]["template"]["Resources"]
    kept = set()
    for logical_id, resource, construct_id in _api_resources(built):
        policy = resource.get("DeletionPolicy", "Delete")
        if construct_id in AUDIT_EVIDENCE_IDS and default[logical_id].get("DeletionPolicy") == "Retain":
            assert policy == "Retain", construct_id
            kept.add(construct_id)
            continue
        assert policy == "Delete", construct_id
        if resource["Type"] == "AWS::KMS::Key":
            assert resource["Properties"]["PendingWindowInDays"] == 7
        if resource["Type"] == "AWS::DynamoDB::Table":
            assert resource["Properties"]["DeletionProtectionEnabled"] is False
    assert kept == AUDIT_EVIDENCE_IDS
    trail_key = next(r for _, r, c in _api_resources(built) if c == "TrailKey")
    assert "PendingWindowInDays" not in trail_key["Properties"]
    Annotations.from_stack(built["stack"]).has_warning(
        "*", Match.string_like_regexp("removal_policy=RemovalPolicy.DESTROY.*KMS keys.*7-day")
    )


@pytest.mark.parametrize("kind", ["rest", "websocket"])
def test_audit_trail_destroy_deletes_the_evidence_after_emptying_the_buckets(
    kind: str, examples: Any
) -> None:
    built = examples[kind, "all"]
    resources = dict((c, r) for _, r, c in _api_resources(built))
    for _, resource, construct_id in _api_resources(built):
        assert resource.get("DeletionPolicy", "Delete") == "Delete", construct_id
    assert resources["TrailKey"]["Properties"]["PendingWindowInDays"] == 7
    template = built["template"]["Resources"]
    (emptying_id,) = [k for k, r in template.items() if r["Type"] == "Custom::SecureApiEmptyBuckets"]
    emptying = template[emptying_id]
    buckets = {k for k, r in template.items() if r["Type"] == "AWS::S3::Bucket"}
    assert {b["Ref"] for b in emptying["Properties"]["BucketNames"]} == buckets
    # Deleted after the trail and before the bucket policies: no log file arrives once it has run.
    (trail,) = [r for r in template.values() if r["Type"] == "AWS::CloudTrail::Trail"]
    assert emptying_id in trail["DependsOn"]
    policies = {k for k, r in template.items() if r["Type"] == "AWS::S3::BucketPolicy"}
    assert policies <= set(emptying["DependsOn"])
    function_id = emptying["Properties"]["ServiceToken"]["Fn::GetAtt"][0]
    function = template[function_id]["Properties"]
    assert function["TracingConfig"] == {"Mode": "Active"} and "KmsKeyArn" in function
    Annotations.from_stack(built["stack"]).has_warning(
        "*", Match.string_like_regexp("AuditTrail\\(removal_policy=RemovalPolicy.DESTROY\\).*buckets")
    )


def test_only_the_audit_trail_destroy_keeps_the_apis_own_resources(make_app: Callable[..., cdk.App]) -> None:
    stack = cdk.Stack(make_app(), "AuditOnly")
    api = SecureRestApi(stack, "Api", audit=_DEV_AUDIT)  # no routes: an IAM-authorized placeholder
    template = Template.from_stack(stack).to_json()["Resources"]
    logical = {
        c.node.id: stack.resolve(stack.get_logical_id(c.node.default_child))
        for c in api.node.children
        if isinstance(c.node.default_child, cdk.CfnResource)
    }
    assert template[logical["TrailBucket"]]["DeletionPolicy"] == "Delete"
    assert template[logical["TrailKey"]]["DeletionPolicy"] == "Delete"
    assert template[logical["LogsKey"]]["DeletionPolicy"] == "Retain"
    assert template[logical["AccessLogs"]]["DeletionPolicy"] == "Retain"


def test_the_account_wide_cloudwatch_role_is_always_kept() -> None:
    for kind in ("AWS::IAM::Role", "AWS::IAM::ManagedPolicy", "AWS::ApiGateway::Account"):
        assert removal_policy_for(kind, ["RestApi", "CloudWatchRole"], api=DESTROY, audit=DESTROY) == RETAIN
    assert removal_policy_for("AWS::KMS::Key", ["TrailKey"], api=DESTROY, audit=RETAIN) == RETAIN
    assert removal_policy_for("AWS::KMS::Key", ["LogsKey"], api=DESTROY, audit=RETAIN) == DESTROY
    assert (
        removal_policy_for("AWS::Logs::LogGroup", ["UsageTiers", "Logs"], api=RETAIN, audit=DESTROY) == RETAIN
    )


@pytest.mark.parametrize(
    "value", ["DESTROY", RemovalPolicy.SNAPSHOT, RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE, None]
)
def test_fails_removal_policy_other_than_retain_or_destroy(value: Any) -> None:
    stack = cdk.Stack()
    with pytest.raises(SecureApiConfigError, match=r"^removal_policy: got .*RemovalPolicy.RETAIN.*DESTROY"):
        SecureRestApi(stack, "Api", removal_policy=value)
    with pytest.raises(SecureApiConfigError, match=r"^removal_policy: got "):
        SecureWebSocketApi(stack, "Ws", auth="iam", removal_policy=value)
    with pytest.raises(SecureApiConfigError, match=r"^AuditTrail.removal_policy: got "):
        AuditTrail(removal_policy=value)
    assert not stack.node.children  # refused before any resource exists


def test_fails_audit_trail_destroy_with_object_lock_retention() -> None:
    with pytest.raises(
        SecureApiConfigError, match=r"^AuditTrail.object_lock_days: got 365; expected None with"
    ):
        AuditTrail(removal_policy=DESTROY)


def _readme_table() -> dict[str, str]:
    """The README's "What stays after cdk destroy" table: resource type -> its row."""
    text = README.read_text()
    section = text[text.index("### What stays after `cdk destroy`") :]
    section = section[: section.index("\n#", 1)]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\| `(AWS::[A-Za-z0-9]+::[A-Za-z0-9]+)` \|", line)
        if match:
            rows[match.group(1)] = line
    return rows


@pytest.mark.parametrize("kind", ["rest", "websocket"])
def test_the_readme_lists_each_kept_type_with_its_counts(kind: str, examples: Any) -> None:
    """Every type the example template keeps has a row; the counts are the API's own resources (the
    example's backend function keeps one key and one log group of its own, which the README names)."""
    rows = _readme_table()
    built = examples[kind, "default"]
    assert set(kept_by_type(built["template"])) <= set(rows), "the README table misses a kept type"
    api_kept = Counter(r["Type"] for _, r, _ in _api_resources(built) if r.get("DeletionPolicy") in _KEPT)
    assert sum(kept_by_type(built["template"]).values()) - sum(api_kept.values()) == 2
    column = 2 if kind == "rest" else 3
    for resource_type, row in rows.items():
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[column] == str(api_kept[resource_type]), (resource_type, cells[column])
