"""Build CDK apps for tests with the context ``cdk synth`` would use (``cdk.App()`` in pytest does not
read ``cdk.json``), bundling skipped unless asked for.

The library must synthesize the same protections whatever feature flags the user's app sets, so tests
can build an app under each of ``FLAG_SETS``:

- ``"none"``: no feature flag at all, as a bare ``cdk.App()`` in a user's test or an older app;
- ``"cdk.json"``: this repository's ``cdk.json``;
- ``"cdk-init"``: the flags ``cdk init`` writes into a new project's ``cdk.json``. The fixture
  ``tests/fixtures/cdk-init-feature-flags.json`` is a copy of
  ``node_modules/aws-cdk/lib/init-templates/.recommended-feature-flags.json`` from the pinned CLI
  (aws-cdk 2.1148.1, package.json), which ``cdk init`` merges into the new ``cdk.json``'s context
  (``applyFutureFlags`` in ``lib/commands/init/init.js``); it equals the
  ``recommended-feature-flags.json`` shipped in aws-cdk-lib 2.275.0. ``test_flags.py`` checks it
  against the installed CLI.

The app's own settings (``secure-api:*``, the example's domain) are kept under every flag set.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CDK_INIT_FLAGS_FILE = ROOT / "tests" / "fixtures" / "cdk-init-feature-flags.json"
FLAG_SETS = ("none", "cdk.json", "cdk-init")


def cdk_json_context() -> dict[str, Any]:
    """The ``context`` object of the project's ``cdk.json``."""
    data: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return data


def is_feature_flag(key: str) -> bool:
    """Whether a context key is a CDK feature flag (``@aws-cdk/...``) rather than an app setting."""
    return key.startswith("@aws-cdk")


def flag_set_context(flags: str) -> dict[str, Any]:
    """``cdk.json``'s app settings with the feature flags of ``flags`` (one of ``FLAG_SETS``)."""
    context = cdk_json_context()
    if flags == "cdk.json":
        return context
    settings = {k: v for k, v in context.items() if not is_feature_flag(k)}
    if flags == "none":
        return settings
    if flags == "cdk-init":
        return {**json.loads(CDK_INIT_FLAGS_FILE.read_text()), **settings}
    raise ValueError(f"flags must be one of {FLAG_SETS}, not {flags!r}")


def app_context(*, bundle: bool = False, flags: str = "cdk.json", **extra: Any) -> dict[str, Any]:
    """The context of ``flags`` (default: ``cdk.json``'s); Lambda bundling skipped (CDK's
    ``aws:cdk:bundling-stacks``) unless ``bundle``."""
    context = flag_set_context(flags)
    if not bundle:
        context["aws:cdk:bundling-stacks"] = []
    context.update(extra)
    return context
