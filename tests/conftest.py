"""Shared fixtures: each test configuration's app and template is built once per session."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable
from typing import Any

import pytest

from tests.cdk_context import app_context  # does not import aws_cdk
from tests.e2e.summary import pytest_runtest_logreport, pytest_terminal_summary

__all__ = ["pytest_runtest_logreport", "pytest_terminal_summary"]  # hooks: the end-to-end summary line

# Every temporary file of the run (CDK's default cdk.out directories, the jsii kernel's, pytest's
# tmp_path, subprocesses') goes under one directory, removed at exit: the temp dir is left as found.
# Set before aws_cdk starts its Node process, which reads TMPDIR once.
_TMP_ROOT = tempfile.mkdtemp(prefix="secure-api-tests-")
os.environ["TMPDIR"] = _TMP_ROOT
tempfile.tempdir = None
atexit.register(shutil.rmtree, _TMP_ROOT, True)


@pytest.fixture(scope="session")
def context() -> dict[str, Any]:
    """``cdk.json``'s context with bundling skipped."""
    return app_context()


@pytest.fixture(scope="session")
def make_app(context: dict[str, Any]) -> Callable[..., Any]:
    """Factory for ``cdk.App`` objects carrying ``cdk.json``'s context."""
    import aws_cdk as cdk

    def factory(**extra: Any) -> cdk.App:
        return cdk.App(context={**context, **extra})

    return factory


@pytest.fixture(scope="session")
def example_stack(make_app: Callable[..., Any]) -> Any:
    """The example app's stack, built once per session."""
    from example.stack import ExampleStack

    app = make_app()
    stack = ExampleStack(app, "SecureApiExample")
    app.synth()
    return stack


@pytest.fixture(scope="session")
def example_template(example_stack: Any) -> Any:
    """``assertions.Template`` of the example stack."""
    from aws_cdk.assertions import Template

    return Template.from_stack(example_stack)


@pytest.fixture(scope="session")
def http_example_stack(make_app: Callable[..., Any]) -> Any:
    """The example app's HTTP API stack (``SecureApiHttpExample``), built once per session."""
    from example.http_stack import HttpExampleStack

    app = make_app()
    stack = HttpExampleStack(app, "SecureApiHttpExample")
    app.synth()
    return stack


@pytest.fixture(scope="session")
def http_example_template(http_example_stack: Any) -> Any:
    """``assertions.Template`` of the example HTTP API stack."""
    from aws_cdk.assertions import Template

    return Template.from_stack(http_example_stack)


@pytest.hookimpl(tryfirst=True)  # before xdist turns xdist_group marks into node id suffixes
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under ``pytest -n N --dist loadgroup`` (``make test``), keep together what shares an expensive
    fixture: each module's tests run in one worker (its module and session fixtures built once), the
    end-to-end suite in one worker (one emulator, stacks deployed once, files in order), and each of
    the compliance gate's flag sets apart (those with the same context together: one synthesis)."""
    from tests.cdk_context import flag_set_context

    contexts: dict[str, str] = {}
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        group = "e2e" if path.startswith("tests/e2e/") else path
        params = getattr(getattr(item, "callspec", None), "params", {})
        if path == "tests/compliance/test_compliance.py" and "gate" in params:
            flags = params["gate"]
            context = contexts.setdefault(flags, repr(sorted(flag_set_context(flags).items())))
            group = f"{path}::{next(f for f, c in contexts.items() if c == context)}"
        item.add_marker(pytest.mark.xdist_group(group))
