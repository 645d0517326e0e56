"""A small REST API stack that synthesizes under the library before the route engine (per-route
``AWS::ApiGateway::Resource`` and ``Method``) and after it (every route in the OpenAPI body), with the
same code: the end-to-end upgrade test deploys the old shape (``fixtures/upgrade_old_shape.json``,
written by ``tests/e2e/make_upgrade_fixture.py``) and updates it to the new one.

It imports only ``aws_cdk`` and ``secure_api`` (whichever version is first on ``sys.path``), so that
``python tests/e2e/upgrade_stack.py <outdir>`` run from an older checkout synthesizes that
checkout's shape. Its routes cover each kind of per-route resource the old shape had: a bearer route
with a scope, one with a validated body (a model and the validator), a public route, CORS preflights
and gateway responses, the authorizer.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from secure_api import BearerAuth, CorsPolicy, SecureRestApi

STACK_NAME = "SecureApiUpgradeExample"
ORIGIN = "https://app.example.com"
# The fixture is synthesized with these; the test puts its issuer's values in their place.
PLACEHOLDER_ISSUER = "https://issuer.upgrade.invalid/"
PLACEHOLDER_JWKS_URI = "https://issuer.upgrade.invalid/jwks.json"

BACKEND = """
import json
def handler(event, context):
    created = event.get("httpMethod") == "POST"
    return {"statusCode": 201 if created else 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"route": event.get("resource"), "created": created})}
"""


class UpgradeStack(cdk.Stack):
    """``OrdersApi``: GET /orders (orders:read), POST /orders (orders:write, a JSON body with ``item``),
    GET /health (public), CORS for one origin; no WAF, trail or alarms (not what the upgrade changes)."""

    def __init__(self, scope: Construct, id_: str, **kwargs: Any) -> None:
        super().__init__(scope, id_, **kwargs)
        issuer = self.node.try_get_context("secure-api:issuer")
        # The suite's issuer serves its key set at BearerAuth's default URL; the fixture's placeholder
        # key set URL is put in place of that same URL.
        jwks_uri = self.node.try_get_context("secure-api:jwksUri") or (
            None if issuer else PLACEHOLDER_JWKS_URI
        )
        issuer = issuer or PLACEHOLDER_ISSUER
        self.api = SecureRestApi(
            self,
            "OrdersApi",
            auth=BearerAuth(issuer=issuer, audience=["orders-api"], jwks_uri=jwks_uri),
            cors=CorsPolicy([ORIGIN]),
            firewall=None,
            audit=None,
            monitoring=None,
        )
        backend = lambda_.Function(
            self,
            "Backend",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=lambda_.Code.from_inline(BACKEND),
            description="upgrade backend",
        )
        self.api.add_route("GET", "/orders", backend, scopes=["orders:read"])
        self.api.add_route(
            "POST",
            "/orders",
            backend,
            scopes=["orders:write"],
            request_schema={
                "type": "object",
                "required": ["item"],
                "properties": {"item": {"type": "string"}},
            },
        )
        self.api.add_route("GET", "/health", backend, auth="none")


def main(outdir: str) -> None:
    """Synthesize the stack into ``outdir`` with the current directory's ``cdk.json`` context (feature
    flags and settings), bundling skipped, the placeholder issuer; print the template's path."""
    context = json.loads(Path("cdk.json").read_text())["context"]
    context["aws:cdk:bundling-stacks"] = []
    app = cdk.App(outdir=outdir, context=context)
    UpgradeStack(
        app, STACK_NAME, synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False)
    )
    print(Path(app.synth().directory) / f"{STACK_NAME}.template.json")


if __name__ == "__main__":
    main(sys.argv[1])
