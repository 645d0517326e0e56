"""The example WebSocket stack's template, asset hashes normalised: renaming a construct id shows up here."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk.assertions import Template
from syrupy.assertion import SnapshotAssertion

_HASH = re.compile(r"[0-9a-f]{64}")


def _shared_protections_support_websocket() -> bool:
    """Usage tiers, audit and monitoring take a WebSocket API (secure_api/usage_plans.py, audit.py and
    monitoring/, generalised separately): until then the configurations that use them cannot be built."""
    import inspect

    from secure_api import audit, monitoring
    from secure_api.usage_plans import UsageTiers

    return (
        hasattr(monitoring, "apply_websocket_monitoring")
        and hasattr(audit, "find_trail_owner")
        and "web_socket_api" in inspect.signature(UsageTiers.__init__).parameters
    )


def normalise(template: dict[str, Any]) -> dict[str, Any]:
    """Replace asset hashes (which change with any source edit) by a placeholder."""
    normalised: dict[str, Any] = json.loads(_HASH.sub("<asset-hash>", json.dumps(template, sort_keys=True)))
    return normalised


@pytest.mark.skipif(
    not _shared_protections_support_websocket(),
    reason="the example uses usage tiers, the audit trail and monitoring, which do not take a WebSocket API yet",
)
def test_websocket_example_template(make_app: Any, snapshot: SnapshotAssertion) -> None:
    """The example app's chat WebSocket API."""
    from example.websocket_stack import WebSocketExampleStack

    app = make_app()
    stack = WebSocketExampleStack(app, "SecureApiWebSocketExample")
    assert normalise(Template.from_stack(stack).to_json()) == snapshot
