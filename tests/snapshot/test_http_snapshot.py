"""The example HTTP API stack's template, asset hashes normalised: renaming a construct id shows up here."""

from __future__ import annotations

from aws_cdk.assertions import Template
from syrupy.assertion import SnapshotAssertion

from tests.snapshot.test_websocket_snapshot import normalise


def test_http_example_template(http_example_template: Template, snapshot: SnapshotAssertion) -> None:
    """The example app's orders HTTP API."""
    assert normalise(http_example_template.to_json()) == snapshot
