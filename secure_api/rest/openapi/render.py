"""The API's OpenAPI body, as API Gateway imports it (pure; values may be CDK tokens).

Only what API Gateway needs is rendered (no descriptions or examples), so that the definition stays
small: each operation's parameters, request models, security, request validator and integration; a
CORS preflight per path; the authorizer, API key and IAM security schemes; the request validator;
the gateway responses; the API key source; the API's security policy and endpoint access mode.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from secure_api.rest.openapi.document import Parameter
from secure_api.rest.routes import RouteKey

BEARER_SCHEME = "SecureApiBearer"
KEY_SCHEME = "SecureApiKey"
IAM_SCHEME = "SecureApiIam"
VALIDATOR = "secure-api-validate-all"
OPENAPI_VERSION = "3.0.1"


@dataclass(frozen=True)
class BodyRoute:
    """One operation of the body."""

    route: RouteKey
    auth: str
    api_key_required: bool
    integration: Mapping[str, Any]
    operation_id: str | None = None
    parameters: tuple[Parameter, ...] = ()
    models: Mapping[str, str] = field(default_factory=dict)
    """Content type -> model name (in ``components.schemas``)."""
    body_required: bool = False
    responses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Preflight:
    """The CORS preflight answer (a MOCK integration): static headers and, for several origins, the
    origins reflected by a response template."""

    headers: Mapping[str, str]
    origins: Sequence[str] = ()


def render(
    *,
    title: str,
    version: str,
    routes: Sequence[BodyRoute],
    models: Mapping[str, Any],
    authorizer: Mapping[str, Any] | None,
    api_key_source: str,
    preflight: Preflight | None,
    gateway_responses: Mapping[str, Mapping[str, str]],
    security_policy: str | None = None,
    endpoint_access_mode: str | None = None,
) -> dict[str, Any]:
    """The whole body. ``gateway_responses`` maps a response type to its header values;
    ``security_policy`` and ``endpoint_access_mode`` are the REST API's own (the same as its
    properties: the body is imported in overwrite mode)."""
    paths: dict[str, dict[str, Any]] = {}
    for route in sorted(routes, key=lambda r: (r.route.path, r.route.method)):
        item = paths.setdefault(route.route.path, {})
        method = (
            "x-amazon-apigateway-any-method" if route.route.method == "ANY" else route.route.method.lower()
        )
        item[method] = _operation(route)
    if preflight is not None:
        for item in paths.values():
            item.setdefault("options", _preflight(preflight))
    schemes: dict[str, Any] = {
        KEY_SCHEME: {"type": "apiKey", "name": "x-api-key", "in": "header"},
        IAM_SCHEME: {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "awsSigv4",
        },
    }
    if authorizer is not None:
        schemes[BEARER_SCHEME] = {
            "type": "apiKey",
            "name": "Authorization",
            "in": "header",
            "x-amazon-apigateway-authtype": "custom",
            "x-amazon-apigateway-authorizer": dict(authorizer),
        }
    body: dict[str, Any] = {
        "openapi": OPENAPI_VERSION,
        "info": {"title": title, "version": version},
        "paths": paths,
        "components": {"securitySchemes": schemes},
        "x-amazon-apigateway-api-key-source": api_key_source,
        "x-amazon-apigateway-request-validators": {
            VALIDATOR: {"validateRequestBody": True, "validateRequestParameters": True}
        },
    }
    if security_policy is not None:
        body["x-amazon-apigateway-security-policy"] = security_policy
    if endpoint_access_mode is not None:
        body["x-amazon-apigateway-endpoint-access-mode"] = endpoint_access_mode
    if models:
        body["components"]["schemas"] = dict(models)
    if gateway_responses:
        body["x-amazon-apigateway-gateway-responses"] = {
            name: {"responseParameters": {f"gatewayresponse.header.{h}": v for h, v in headers.items()}}
            for name, headers in gateway_responses.items()
        }
    return body


def _operation(route: BodyRoute) -> dict[str, Any]:
    op: dict[str, Any] = {}
    if route.operation_id:
        op["operationId"] = route.operation_id
    if route.parameters:
        op["parameters"] = [
            {
                "name": p.name,
                "in": "query" if p.location == "querystring" else p.location,
                "required": p.required or p.location == "path",
                "schema": {"type": "string"},
            }
            for p in route.parameters
        ]
    if route.models:
        op["requestBody"] = {
            "required": route.body_required,
            "content": {
                ct: {"schema": {"$ref": f"#/components/schemas/{m}"}} for ct, m in route.models.items()
            },
        }
    op["responses"] = {code: {"description": code} for code in route.responses} or {
        "200": {"description": "200"}
    }
    requirement: dict[str, list[str]] = {}
    if route.auth == "bearer":
        requirement[BEARER_SCHEME] = []
    elif route.auth == "iam":
        requirement[IAM_SCHEME] = []
    if route.api_key_required:
        requirement[KEY_SCHEME] = []
    op["security"] = [requirement] if requirement else []
    op["x-amazon-apigateway-request-validator"] = VALIDATOR
    op["x-amazon-apigateway-integration"] = dict(route.integration)
    return op


def _preflight(preflight: Preflight) -> dict[str, Any]:
    names = list(preflight.headers)
    if preflight.origins:
        names.append("Access-Control-Allow-Origin")
    integration: dict[str, Any] = {
        "type": "mock",
        "requestTemplates": {"application/json": "{ statusCode: 200 }"},
        "responses": {
            "default": {
                "statusCode": "204",
                "responseParameters": {
                    f"method.response.header.{h}": v for h, v in preflight.headers.items()
                },
            }
        },
    }
    if preflight.origins:
        condition = " || ".join(f'$origin == "{o}"' for o in preflight.origins)
        integration["responses"]["default"]["responseTemplates"] = {
            "application/json": (
                '#set($origin = $input.params().header.get("Origin"))\n'
                '#if($origin == "")#set($origin = $input.params().header.get("origin"))#end\n'
                f"#if({condition})\n"
                "#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)\n"
                "#end"
            )
        }
    return {
        "responses": {
            "204": {
                "description": "CORS preflight",
                "headers": {h: {"schema": {"type": "string"}} for h in names},
            }
        },
        "security": [],
        "x-amazon-apigateway-integration": integration,
    }
