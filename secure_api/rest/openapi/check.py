"""The library's own check of a rendered OpenAPI body (pure).

cdk-nag, checkov and cfn-guard see ``AWS::ApiGateway::Method`` resources, never operations inside a
REST API's body, so the compliance gate runs this on every body: each operation has the authorizer or
IAM auth unless declared public, requires an API key when usage tiers exist unless exempted, uses the
validator that checks bodies and parameters, and CORS preflights answer without auth or key.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from secure_api.rest.openapi.document import AWS_EXTENSION, OPERATION_METHODS


def check_body(
    body: Mapping[str, Any],
    *,
    public: Collection[str] = (),
    key_exempt: Collection[str] = (),
    tiers: bool = False,
    cors: bool = False,
) -> list[str]:
    """Every way ``body`` breaks the library's promises, one line each (empty when it keeps them).

    ``public`` and ``key_exempt`` are route keys (``"GET /health"``) declared so by the API.
    """
    problems: list[str] = []
    schemes = body.get("components", {}).get("securitySchemes", {})
    authorizers = {n for n, s in schemes.items() if _is_authorizer(s)}
    iam = {n for n, s in schemes.items() if s.get("x-amazon-apigateway-authtype") == "awsSigv4"}
    keys = {
        n
        for n, s in schemes.items()
        if s.get("type") == "apiKey"
        and s.get("in") == "header"
        and str(s.get("name", "")).lower() == "x-api-key"
        and "x-amazon-apigateway-authtype" not in s
    }
    validators = {
        n
        for n, v in body.get("x-amazon-apigateway-request-validators", {}).items()
        if v.get("validateRequestBody") is True and v.get("validateRequestParameters") is True
    }
    context: dict[str, Any] = {
        "authorizers": authorizers,
        "iam": iam,
        "keys": keys,
        "validators": validators,
        "public": public,
        "key_exempt": key_exempt,
        "tiers": tiers,
    }
    for path, item in body.get("paths", {}).items():
        if "$ref" in item:
            problems.append(f"{path}: path item is a $ref")
        if "x-amazon-apigateway-any-method" in item:
            _operation(problems, f"ANY {path}", item["x-amazon-apigateway-any-method"], **context)
        for method in OPERATION_METHODS:
            op = item.get(method)
            if op is None:
                continue
            key = f"{method.upper()} {path}"
            integration = op.get("x-amazon-apigateway-integration", {})
            if method == "options" and cors and integration.get("type") == "mock":
                if op.get("security") != [] or "x-amazon-apigateway-auth" in op:
                    problems.append(f"{key}: CORS preflight must answer without auth or key")
                continue
            _operation(problems, key, op, **context)
        if cors and "options" not in item:
            problems.append(f"OPTIONS {path}: no CORS preflight")
    return problems


def _is_authorizer(scheme: Mapping[str, Any]) -> bool:
    authorizer = scheme.get("x-amazon-apigateway-authorizer")
    return (
        isinstance(authorizer, Mapping)
        and scheme.get("x-amazon-apigateway-authtype") == "custom"
        and authorizer.get("type") in ("token", "request")
        and bool(authorizer.get("authorizerUri"))
    )


def _operation(
    problems: list[str],
    key: str,
    op: Mapping[str, Any],
    *,
    authorizers: set[str],
    iam: set[str],
    keys: set[str],
    validators: set[str],
    public: Collection[str],
    key_exempt: Collection[str],
    tiers: bool,
) -> None:
    for name in op:
        if name.startswith(AWS_EXTENSION) and name not in (
            "x-amazon-apigateway-integration",
            "x-amazon-apigateway-request-validator",
        ):
            problems.append(f"{key}: unexpected {name}")
    requirements = op.get("security")
    if not isinstance(requirements, list):
        problems.append(f"{key}: no security requirement (the document's global one is not rendered)")
        requirements = []
    if len(requirements) > 1:
        problems.append(f"{key}: several alternative requirements")
    names = set(requirements[0]) if requirements else set()
    if not names & (authorizers | iam) and key not in public:
        problems.append(f"{key}: neither the authorizer nor IAM auth, and not declared public")
    if tiers and not names & keys and key not in key_exempt:
        problems.append(f"{key}: no API key required although usage tiers exist")
    if op.get("x-amazon-apigateway-request-validator") not in validators:
        problems.append(f"{key}: not validated (validator must check bodies and parameters)")
    if not op.get("x-amazon-apigateway-integration"):
        problems.append(f"{key}: no integration")
