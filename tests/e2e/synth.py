"""The example stacks synthesized for the emulator, in one app (one synthesis per session): packages
built for the emulator's Python (``secure-api:bundleForHost``), the bearer tokens' issuer served over
HTTPS on 127.0.0.1 (``secure-api:issuer``; its key set at the default ``<issuer>.well-known/jwks.json``
and in its discovery document, so that the HTTP example keeps API Gateway's native JWT authorizer), callers
allowed from 127.0.0.1 (``secure-api:allowIpRanges``), no bootstrap version rule (the emulator has no
CDK bootstrap stack). Extra context (e.g. another consumer list) is passed through. The ``http`` stack
is the HTTP example with a Lambda-authorizer twin (``tests/e2e/http_stack.py``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tests.cdk_context import app_context

STACKS = {
    "rest": "SecureApiExample",
    "openapi": "SecureApiOpenApiExample",
    "websocket": "SecureApiWebSocketExample",
    "upgrade": "SecureApiUpgradeExample",
    "http": "SecureApiHttpExample",
}


def synthesize(
    outdir: Path, which: Iterable[str], *, issuer: str, jwks_uri: str | None = None, **context: Any
) -> dict[str, dict[str, Any]]:
    """Synthesize the example stacks ``which`` (keys of ``STACKS``) into ``outdir`` in one app; return
    each one's template. ``jwks_uri`` (``secure-api:jwksUri``) only when the key set is elsewhere than
    the issuer's default."""
    which = list(which)
    import aws_cdk as cdk

    from example.openapi_stack import OpenApiExampleStack
    from example.stack import ExampleStack
    from example.websocket_stack import WebSocketExampleStack
    from tests.e2e.http_stack import HttpE2eStack
    from tests.e2e.upgrade_stack import UpgradeStack

    classes: dict[str, type[cdk.Stack]] = {
        "rest": ExampleStack,
        "openapi": OpenApiExampleStack,
        "websocket": WebSocketExampleStack,
        "upgrade": UpgradeStack,
        "http": HttpE2eStack,
    }
    settings: dict[str, Any] = {
        "secure-api:bundleForHost": True,
        "secure-api:issuer": issuer,
        # 127.0.0.1 is where the suite's requests come from; 127.0.0.2 stays outside.
        "secure-api:allowIpRanges": ["127.0.0.1/32", "203.0.113.0/24"],
        **({"secure-api:jwksUri": jwks_uri} if jwks_uri else {}),
        **context,
    }
    app = cdk.App(outdir=str(outdir), context=app_context(bundle=True, **settings))
    for key in which:
        classes[key](
            app, STACKS[key], synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False)
        )
    assembly = Path(app.synth().directory)
    return {key: json.loads((assembly / f"{STACKS[key]}.template.json").read_text()) for key in which}
