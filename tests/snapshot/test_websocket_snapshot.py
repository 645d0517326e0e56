"""The example WebSocket stack's template, asset hashes normalised: renaming a construct id shows up here."""

from __future__ import annotations

import json
import re
from typing import Any

from aws_cdk.assertions import Template
from syrupy.assertion import SnapshotAssertion

_HASH = re.compile(r"[0-9a-f]{64}")


def normalise(template: dict[str, Any]) -> dict[str, Any]:
    """Replace asset hashes (which change with any source edit) by a placeholder."""
    normalised: dict[str, Any] = json.loads(_HASH.sub("<asset-hash>", json.dumps(template, sort_keys=True)))
    return normalised


def test_websocket_example_template(make_app: Any, snapshot: SnapshotAssertion) -> None:
    """The example app's chat WebSocket API."""
    from example.websocket_stack import WebSocketExampleStack

    app = make_app()
    stack = WebSocketExampleStack(app, "SecureApiWebSocketExample")
    assert normalise(Template.from_stack(stack).to_json()) == snapshot
