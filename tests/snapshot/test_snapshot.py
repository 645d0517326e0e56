"""The example stack's template, asset hashes normalised: renaming a construct id shows up here."""

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


def test_example_template(example_template: Template, snapshot: SnapshotAssertion) -> None:
    assert normalise(example_template.to_json()) == snapshot


def test_openapi_example_template(make_app: Any, snapshot: SnapshotAssertion) -> None:
    """The example app's second stack (the orders API from an OpenAPI document)."""
    from example.openapi_stack import OpenApiExampleStack

    app = make_app()
    stack = OpenApiExampleStack(app, "SecureApiOpenApiExample")
    assert normalise(Template.from_stack(stack).to_json()) == snapshot
