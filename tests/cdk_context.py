"""Build CDK apps for tests with the context ``cdk synth`` would use (``cdk.App()`` in pytest does not
read ``cdk.json``), bundling skipped unless asked for."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")


def cdk_json_context() -> dict[str, Any]:
    """The ``context`` object of the project's ``cdk.json``."""
    data: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return data


def app_context(*, bundle: bool = False, **extra: Any) -> dict[str, Any]:
    """``cdk.json``'s context; Lambda bundling skipped (CDK's ``aws:cdk:bundling-stacks``) unless ``bundle``."""
    context = cdk_json_context()
    if not bundle:
        context["aws:cdk:bundling-stacks"] = []
    context.update(extra)
    return context
