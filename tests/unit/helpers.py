"""Small helpers for template assertions."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from tests.cdk_context import app_context


def resources(template: Template, type_: str) -> dict[str, Any]:
    """Every resource of ``type_`` in the template, by logical id."""
    found: dict[str, Any] = template.find_resources(type_)
    return found


def only(template: Template, type_: str) -> dict[str, Any]:
    """The one resource of ``type_`` (fails when there are several or none)."""
    found = resources(template, type_)
    assert len(found) == 1, f"expected one {type_}, found {sorted(found)}"
    return next(iter(found.values()))


def v2_routes(template: Template) -> dict[str, dict[str, Any]]:
    """The properties of every ``AWS::ApiGatewayV2::Route`` in the template, by route key."""
    return {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in resources(template, "AWS::ApiGatewayV2::Route").values()
    }


def new_stack(**context: Any) -> tuple[cdk.App, cdk.Stack]:
    """An app with cdk.json's context (bundling skipped) and an env-agnostic stack."""
    app = cdk.App(context=app_context(**context))
    return app, cdk.Stack(app, "Test")


def inline_function(stack: cdk.Stack, id_: str = "Backend") -> lambda_.Function:
    """A tiny backend for routes."""
    return lambda_.Function(
        stack,
        id_,
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return {'statusCode': 200}\n"),
    )


BARE: dict[str, Any] = {"firewall": None, "audit": None, "monitoring": None}
"""``SecureRestApi`` keyword arguments that switch off the protections created by default."""


def bare_api_stack(**kwargs: Any) -> tuple[cdk.Stack, Any]:
    """``api_stack`` without the default firewall, audit trail and monitoring, for tests that apply
    one of them themselves."""
    return api_stack(**{**BARE, **kwargs})


def api_stack(**kwargs: Any) -> tuple[cdk.Stack, Any]:
    """A stack with one ``SecureRestApi(**kwargs)`` carrying one IAM-authorized route."""
    from secure_api import SecureRestApi

    _, stack = new_stack()
    api = SecureRestApi(stack, "Api", **kwargs)
    api.add_route("GET", "/items", inline_function(stack), auth="iam")
    return stack, api


def rest_body(template: Template, logical_id: str | None = None) -> dict[str, Any]:
    """The OpenAPI body of the template's REST API (``logical_id``'s when several), inline."""
    apis = resources(template, "AWS::ApiGateway::RestApi")
    api = apis[logical_id] if logical_id is not None else only(template, "AWS::ApiGateway::RestApi")
    body: dict[str, Any] = api["Properties"]["Body"]
    return body


def operations(template: Template, logical_id: str | None = None) -> dict[str, dict[str, Any]]:
    """Every operation of the REST API's body by route key (``"GET /items"``, ``"OPTIONS /items"``,
    ``"ANY /"``)."""
    out: dict[str, dict[str, Any]] = {}
    for path, item in rest_body(template, logical_id)["paths"].items():
        for method, op in item.items():
            name = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
            out[f"{name} {path}"] = op
    return out
