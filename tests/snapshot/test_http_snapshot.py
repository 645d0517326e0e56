"""The example HTTP API stack's template, asset hashes normalised: renaming a construct id shows up here."""

from __future__ import annotations

from typing import Any

from aws_cdk.assertions import Template
from syrupy.assertion import SnapshotAssertion

from tests.snapshot.test_websocket_snapshot import normalise


def test_http_example_template(make_app: Any, snapshot: SnapshotAssertion) -> None:
    """The example app's orders HTTP API."""
    from example.http_stack import HttpExampleStack

    app = make_app()
    stack = HttpExampleStack(app, "SecureApiHttpExample")
    assert normalise(Template.from_stack(stack).to_json()) == snapshot
