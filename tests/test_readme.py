"""Every ```python block of README.md runs, so a snippet that stops working fails ``make test``.

The harness (documented in the README's Development section) gives each block only:

- ``stack``: a fresh ``cdk.Stack`` (its own, in an app carrying ``cdk.json``'s context, bundling skipped);
- ``handler``: a ``aws_lambda.Function`` in that stack;
- the imports ``from aws_cdk import Duration, aws_apigateway as apigw`` and ``from secure_api import *``.

A block that makes its own ``cdk.App()`` (the Install section's first app) gets what ``cdk synth`` would
give it in a user's project whose tests skip bundling: ``cdk.json``'s context with
``aws:cdk:bundling-stacks=[]``, and an output directory that is removed afterwards.

Each block is executed on its own, then every block's stack is synthesized in one app, which runs
CDK's and the library's validations (an API without a route, a method throttle on an unknown route).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_

from tests.cdk_context import app_context

README = Path(__file__).resolve().parent.parent / "README.md"
_FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
PRELUDE = "from aws_cdk import Duration, aws_apigateway as apigw\nfrom secure_api import *\n"


@dataclass(frozen=True)
class Block:
    """One ```python block: its first code line's number in README.md and its code."""

    line: int
    code: str

    @property
    def name(self) -> str:
        return f"README.md:{self.line}"


def python_blocks(text: str) -> list[Block]:
    """Every ```python fenced block of ``text``, with the README line its code starts on."""
    return [Block(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in _FENCE.finditer(text)]


def harness(app: cdk.App, block: Block) -> dict[str, Any]:
    """The names a block may use: ``stack``, ``handler``, and the documented imports."""
    stack = cdk.Stack(app, f"Readme{block.line}")
    handler = lambda_.Function(
        stack,
        "Handler",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return {'statusCode': 200}\n"),
    )
    namespace: dict[str, Any] = {"__name__": f"readme_{block.line}", "stack": stack, "handler": handler}
    exec(PRELUDE, namespace)
    return namespace


BLOCKS = python_blocks(README.read_text())


@pytest.fixture(scope="module")
def readme_app() -> cdk.App:
    """One app for all blocks: each block gets its own stack in it, synthesized once at the end."""
    return cdk.App(context=app_context())


def test_the_readme_has_python_blocks() -> None:
    assert len(BLOCKS) >= 5


def test_fence_parser_finds_blocks_and_their_lines() -> None:
    text = "intro\n```python\nx = 1\n```\n```sh\nls\n```\n```python\ny = 2\nz = 3\n```\n"
    assert python_blocks(text) == [Block(3, "x = 1\n"), Block(9, "y = 2\nz = 3\n")]


@pytest.mark.parametrize("block", BLOCKS, ids=[b.name for b in BLOCKS])
def test_block_runs(
    block: Block, readme_app: cdk.App, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_app = cdk.App

    def app(**kwargs: Any) -> cdk.App:
        context = {**app_context(), **(kwargs.pop("context", None) or {})}
        return real_app(context=context, outdir=str(tmp_path), **kwargs)

    monkeypatch.setattr(cdk, "App", app)
    namespace = harness(readme_app, block)
    exec(compile(block.code, block.name, "exec"), namespace)


def test_fails_a_block_using_a_name_the_harness_does_not_give(readme_app: cdk.App) -> None:
    block = Block(0, "SecureRestApi(stack, 'Api', auth=auth)\n")
    with pytest.raises(NameError, match="auth"):
        exec(compile(block.code, block.name, "exec"), harness(cdk.App(context=app_context()), block))


def test_every_block_synthesizes(readme_app: cdk.App) -> None:
    for block in BLOCKS:
        if readme_app.node.try_find_child(f"Readme{block.line}") is None:
            pytest.skip(f"{block.name} did not run (see its own test)")
    readme_app.synth()


def test_the_table_of_contents_lists_every_section() -> None:
    from tests.readme_toc import README as PATH
    from tests.readme_toc import current, table_of_contents

    text = PATH.read_text(encoding="utf-8")
    assert current(text) == table_of_contents(text), "run: .venv/bin/python -m tests.readme_toc"
