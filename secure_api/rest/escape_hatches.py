"""What the ``rest_api`` escape hatch may no longer do: add methods, resources, models, validators,
authorizers or gateway responses beside the API's OpenAPI body, which is imported in overwrite mode
and would erase them on the next deploy."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw

from secure_api.errors import SecureApiConfigError

_ERASED = (
    apigw.CfnMethod,
    apigw.CfnResource,
    apigw.CfnModel,
    apigw.CfnRequestValidator,
    apigw.CfnAuthorizer,
    apigw.CfnGatewayResponse,
)


def check_no_foreign_routes(rest_api: apigw.RestApiBase) -> None:
    """Raise ``SecureApiConfigError`` naming every construct of ``rest_api``'s stack that would be
    erased by the body's import: under ``rest_api`` or pointing at its id."""
    stack = Stack.of(rest_api)
    own = stack.resolve(rest_api.rest_api_id)
    prefix = rest_api.node.path + "/"
    offenders = [
        c.node.path
        for c in stack.node.find_all()
        if isinstance(c, _ERASED) and (c.node.path.startswith(prefix) or stack.resolve(c.rest_api_id) == own)
    ]
    if offenders:
        raise SecureApiConfigError(
            "rest_api",
            offenders,
            "routes declared with add_route (or from_openapi): the API's routes live in its OpenAPI body, "
            "imported in overwrite mode, so a method, resource, model, validator, authorizer or gateway "
            "response added through the rest_api escape hatch would be erased on the next deploy",
        )
