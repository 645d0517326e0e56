from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_

from secure_api import bundling, defaults
from tests.cdk_context import app_context


@pytest.mark.slow
def test_real_bundle_contains_the_crypto_library_for_arm64(tmp_path: Path) -> None:
    app = cdk.App(context=app_context(bundle=True), outdir=str(tmp_path))
    stack = cdk.Stack(app, "Bundle")
    lambda_.Function(
        stack,
        "Fn",
        runtime=bundling.runtime(),
        architecture=lambda_.Architecture.ARM_64,
        handler="handler.handler",
        code=bundling.lambda_code("authorizer", architecture=lambda_.Architecture.ARM_64),
    )
    app.synth()
    assets = json.loads((tmp_path / "Bundle.assets.json").read_text())["files"]
    asset_dir = tmp_path / next(
        a["source"]["path"] for a in assets.values() if a["source"]["path"].startswith("asset.")
    )
    assert (asset_dir / "handler.py").exists()
    assert (asset_dir / "cryptography").is_dir()
    binaries = list((asset_dir / "cryptography" / "hazmat" / "bindings").glob("_rust.abi3.so"))
    assert binaries, "cryptography's compiled module is missing"
    # ELF e_machine 0xB7 is AArch64: the wheel was chosen for the function's platform, not this machine's.
    assert binaries[0].read_bytes()[18:20] == b"\xb7\x00"
    # pybase64's compiled decoder, built for the runtime's Python and AArch64 (not its Python fallback).
    python_tag = defaults.LAMBDA_PYTHON_VERSION.replace(".", "")
    decoders = list((asset_dir / "pybase64").glob(f"_pybase64.cpython-{python_tag}-aarch64-*.so"))
    assert decoders, "pybase64's compiled module for the runtime is missing"
    assert decoders[0].read_bytes()[18:20] == b"\xb7\x00"


def test_asset_hash_covers_shared_key_code() -> None:
    arm = lambda_.Architecture.ARM_64
    with_keys = {rel for _, rel in bundling._sources("authorizer", True)}
    without = {rel for _, rel in bundling._sources("authorizer", False)}
    assert "secure_api/keys/ops.py" in with_keys - without
    # Every function gets the grammar it shares with the construct.
    assert {"secure_api/__init__.py", "secure_api/grammar.py"} <= without
    assert bundling.lambda_code("authorizer", architecture=arm) is not None


def test_asset_hash_covers_generated_files() -> None:
    arm = lambda_.Architecture.ARM_64
    plain = bundling.asset_hash("authorizer", architecture=arm)
    one = bundling.asset_hash(
        "authorizer", architecture=arm, extra_files={"route_scopes.json": b'{"GET /a":["x"]}'}
    )
    two = bundling.asset_hash(
        "authorizer", architecture=arm, extra_files={"route_scopes.json": b'{"GET /a":["y"]}'}
    )
    assert len({plain, one, two}) == 3


def test_local_bundling_writes_generated_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The key guard has no requirements: no pip run, only the copy and the generated file.
    bundler = bundling.PipLocalBundling(
        "key_guard",
        architecture=lambda_.Architecture.ARM_64,
        with_keys=False,
        extra_files={"data/extra.json": b"{}"},
    )
    assert bundler.try_bundle(str(tmp_path)) is True
    assert (tmp_path / "data" / "extra.json").read_bytes() == b"{}"
    assert (tmp_path / "handler.py").exists()
    assert (tmp_path / "secure_api" / "grammar.py").exists()


def test_runtime_is_latest_python() -> None:
    assert bundling.runtime().name == "python3.14"


def test_fails_with_a_message_naming_package_platform_and_ways_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An index nothing listens on (loopback, discard port), no other configuration: pip fails at once.
    for name in ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_CONSTRAINT"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    monkeypatch.setenv("PIP_RETRIES", "0")
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    local = bundling.PipLocalBundling("authorizer", architecture=lambda_.Architecture.ARM_64, with_keys=False)
    with pytest.raises(bundling.BundlingError) as caught:
        local.try_bundle(str(tmp_path))
    message = str(caught.value)
    assert "'authorizer'" in message
    assert "cryptography==" in message
    assert "manylinux2014_aarch64" in message and "CPython 3.14" in message
    assert "PIP_INDEX_URL" in message and "secure-api:skipBundling=true" in message
    assert "pip said:" in message


def test_skip_bundling_context_key_stages_sources_without_pip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from secure_api import BearerAuth, SecureRestApi

    # pip would fail at once if it ran: the context key must keep it from running.
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    app = cdk.App(
        context=app_context(bundle=True, **{"secure-api:skipBundling": "true"}), outdir=str(tmp_path)
    )
    stack = cdk.Stack(app, "Skip")
    SecureRestApi(
        stack, "Api", auth=BearerAuth(issuer="https://login.example.com/", audience=["a"]), **_BARE
    ).add_route("GET", "/x", lambda_.Function(
        stack, "Fn", runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler",
        code=lambda_.Code.from_inline("def handler(e, c):\n    return {}\n"),
    ))  # fmt: skip
    app.synth()
    staged = [p for p in tmp_path.glob("asset.*") if (p / "handler.py").exists()]
    assert staged and not any((p / "cryptography").exists() for p in staged)


_BARE = {"firewall": None, "audit": None, "monitoring": None}


def _example_template(tmp_path: Path, **context: Any) -> dict[str, Any]:
    from secure_api import BearerAuth, Consumer, SecureRestApi, UsageTier

    app = cdk.App(context=app_context(bundle=True, **context), outdir=str(tmp_path))
    stack = cdk.Stack(app, "Same")
    api = SecureRestApi(
        stack, "Api", auth=BearerAuth(issuer="https://login.example.com/", audience=["a"]),
        usage_tiers=[UsageTier("gold")], consumers=[Consumer("app", tier="gold")],
    )  # fmt: skip
    api.add_route("GET", "/x", lambda_.Function(
        stack, "Fn", runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler",
        code=lambda_.Code.from_inline("def handler(e, c):\n    return {}\n"),
    ), scopes=["x:read"])  # fmt: skip
    template: dict[str, Any] = app.synth().get_stack_by_name("Same").template
    return template


def test_skip_bundling_writes_the_template_a_bundled_synth_writes(tmp_path: Path) -> None:
    """The README's promise: a snapshot taken with secure-api:skipBundling=true is the deployed stack's
    template. CDK's own skip (aws:cdk:bundling-stacks=[]) hashes exactly as a real bundle does (the
    custom hash plus the bundling options), so it stands for the bundled synth without running pip."""
    bundled = _example_template(tmp_path / "bundled", **{"aws:cdk:bundling-stacks": []})
    skipped = _example_template(tmp_path / "skipped", **{"secure-api:skipBundling": "true"})
    functions = [k for k, v in bundled["Resources"].items() if v["Type"] == "AWS::Lambda::Function"]
    assert len(functions) >= 4
    assert json.dumps(skipped, sort_keys=True) == json.dumps(bundled, sort_keys=True)


def test_host_bundling_runs_no_pip_and_has_its_own_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # secure-api:bundleForHost: the emulator's Python already holds the requirements (cryptography).
    def no_pip(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("pip must not run for a host package")

    monkeypatch.setattr(bundling.subprocess, "run", no_pip)
    arm = lambda_.Architecture.ARM_64
    bundler = bundling.PipLocalBundling("authorizer", architecture=arm, with_keys=True, host=True)
    assert bundler.try_bundle(str(tmp_path)) is True
    assert (tmp_path / "handler.py").exists()
    assert (tmp_path / "secure_api" / "keys" / "ops.py").exists()
    assert not (tmp_path / "cryptography").exists()
    assert bundling.asset_hash("authorizer", architecture=arm, host=True) != bundling.asset_hash(
        "authorizer", architecture=arm
    )


def test_host_bundling_context_reaches_every_function() -> None:
    app = cdk.App(context=app_context(bundle=True, **{"secure-api:bundleForHost": "true"}))
    stack = cdk.Stack(app, "Host")
    assert bundling.bundle_for_host(stack)
    assert not bundling.bundle_for_host(cdk.Stack(cdk.App(context=app_context()), "Lambda"))
