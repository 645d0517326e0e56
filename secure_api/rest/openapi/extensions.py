"""What a REST API's OpenAPI body says for an integration (``x-amazon-apigateway-integration``),
for the bearer authorizer and for a CORS preflight, computed from the API's options (``CorsPolicy``,
``BearerAuth``) and each route's ``apigw.Integration``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw

from secure_api import defaults
from secure_api.authorizer import BearerAuth, BearerAuthorizer
from secure_api.rest.cors import CorsPolicy
from secure_api.rest.integrations import invocation_uri
from secure_api.rest.openapi.render import Preflight


def preflight(cors: CorsPolicy) -> Preflight:
    """The CORS preflight answer of every path of the body (a MOCK integration answering 204)."""
    headers = {
        "Access-Control-Allow-Headers": "'" + ",".join(cors.allow_headers) + "'",
        "Access-Control-Allow-Methods": "'" + ",".join(cors.allow_methods) + "'",
        "Access-Control-Max-Age": f"'{int(cors.max_age.to_seconds())}'",
    }
    origins: Sequence[str] = ()
    if len(cors.allow_origins) == 1:
        headers["Access-Control-Allow-Origin"] = f"'{cors.allow_origins[0]}'"
    else:
        origins = cors.allow_origins
    if cors.allow_origins != ("*",):
        headers["Vary"] = "'Origin'"
    if cors.allow_credentials:
        headers["Access-Control-Allow-Credentials"] = "'true'"
    if cors.expose_headers:
        headers["Access-Control-Expose-Headers"] = "'" + ",".join(cors.expose_headers) + "'"
    return Preflight(headers=headers, origins=origins)


def integration_extension(config: apigw.IntegrationConfig) -> dict[str, Any]:
    """``x-amazon-apigateway-integration`` for an integration bound to a method."""
    out: dict[str, Any] = {"type": config.type.value.lower()}
    if config.integration_http_method:
        out["httpMethod"] = config.integration_http_method
    if config.uri:
        out["uri"] = config.uri
    options = config.options
    if options is None:
        return out
    if options.credentials_role is not None:
        out["credentials"] = options.credentials_role.role_arn
    elif options.credentials_passthrough:
        out["credentials"] = "arn:aws:iam::*:user/*"
    if options.passthrough_behavior is not None:
        out["passthroughBehavior"] = options.passthrough_behavior.value.lower()
    if options.request_parameters:
        out["requestParameters"] = dict(options.request_parameters)
    if options.request_templates:
        out["requestTemplates"] = dict(options.request_templates)
    if options.timeout is not None:
        out["timeoutInMillis"] = int(options.timeout.to_milliseconds())
    if options.content_handling is not None:
        out["contentHandling"] = options.content_handling.value
    if options.connection_type is not None and options.connection_type.value == "VPC_LINK":
        out["connectionType"] = "VPC_LINK"
        if options.vpc_link is not None:
            out["connectionId"] = options.vpc_link.vpc_link_id
    if options.cache_key_parameters:
        out["cacheKeyParameters"] = list(options.cache_key_parameters)
    if options.cache_namespace:
        out["cacheNamespace"] = options.cache_namespace
    if options.integration_responses:
        responses = {}
        for response in options.integration_responses:
            entry: dict[str, Any] = {"statusCode": response.status_code}
            if response.response_parameters:
                entry["responseParameters"] = dict(response.response_parameters)
            if response.response_templates:
                entry["responseTemplates"] = dict(response.response_templates)
            if response.content_handling is not None:
                entry["contentHandling"] = response.content_handling.value
            responses[response.selection_pattern or "default"] = entry
        out["responses"] = responses
    return out


def authorizer_extension(
    stack: Stack, bearer: BearerAuthorizer | None, auth: BearerAuth | None
) -> dict[str, Any] | None:
    """``x-amazon-apigateway-authorizer`` of the bearer authorizer, None without one."""
    if bearer is None or auth is None:
        return None
    uri = invocation_uri(stack, bearer.function.function_arn)
    return {
        "type": "token",
        "authorizerUri": uri,
        "identitySource": "method.request.header.Authorization",
        "identityValidationExpression": defaults.BEARER_TOKEN_REGEX,
        "authorizerResultTtlInSeconds": int(auth.cache_ttl.to_seconds()),
    }
