"""The same protections whatever feature flags the user's app sets: none at all, this repository's
``cdk.json``, or what ``cdk init`` writes. Reuses the compliance gate's syntheses."""

from __future__ import annotations

import json
import tempfile

import aws_cdk as cdk
import pytest

from tests.cdk_context import CDK_INIT_FLAGS_FILE, ROOT, flag_set_context, is_feature_flag
from tests.compliance.apps import GATE
from tests.compliance.gate import run_app
from tests.compliance.protections import differences, protections

CLI_FLAGS_FILE = (
    ROOT / "node_modules" / "aws-cdk" / "lib" / "init-templates" / ".recommended-feature-flags.json"
)


def test_cdk_init_fixture_is_what_the_pinned_cli_writes() -> None:
    if not CLI_FLAGS_FILE.exists():
        pytest.skip("node_modules not installed (make setup)")
    assert json.loads(CDK_INIT_FLAGS_FILE.read_text()) == json.loads(CLI_FLAGS_FILE.read_text())


def test_flag_sets_differ_only_in_flags() -> None:
    none, repo, init = (flag_set_context(flags) for flags in ("none", "cdk.json", "cdk-init"))
    assert not any(is_feature_flag(key) for key in none)
    assert {k: v for k, v in repo.items() if not is_feature_flag(k)} == none
    assert {k: v for k, v in init.items() if not is_feature_flag(k)} == none
    assert sum(is_feature_flag(key) for key in init) > 50


@pytest.mark.parametrize("flags", ["none", "cdk-init"])
@pytest.mark.parametrize("stack_id", ["GateExample", "GateVariants"])
def test_same_protections_as_with_cdk_json(flags: str, stack_id: str) -> None:
    reference = run_app("cdk.json", GATE["cdk.json"])[stack_id]
    other = run_app(flags, GATE[flags])[stack_id]
    assert reference.stack is not None and other.stack is not None
    assert (
        differences(
            protections(other.stack, other.template), protections(reference.stack, reference.template)
        )
        == []
    )


def test_example_synthesizes_in_a_bare_app() -> None:
    """What a user's pytest does: ``cdk.App()`` with no context at all (bundling skipped)."""
    from example.stack import ExampleStack

    app = cdk.App(context={"aws:cdk:bundling-stacks": []}, outdir=tempfile.mkdtemp(prefix="bare-app-"))
    stack = ExampleStack(app, "BareApp")
    template = app.synth().get_stack_by_name(stack.stack_name).template
    buckets = [r for r in template["Resources"].values() if r["Type"] == "AWS::S3::Bucket"]
    assert buckets and all("AccessControl" not in b["Properties"] for b in buckets)
    assert all(b["Properties"]["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
               for b in buckets)  # fmt: skip
