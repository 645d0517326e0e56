"""The ``AWS::ApiGatewayV2::Api`` of an HTTP API: its CORS configuration, no default stage (the root
creates the stage with ``secure_api.v2``), and its execute-api endpoint disabled behind a custom domain."""

from __future__ import annotations

from aws_cdk import Names
from aws_cdk import aws_apigatewayv2 as apigwv2
from constructs import Construct

from secure_api.http.cors import cors_preflight
from secure_api.rest.cors import CorsPolicy


def create_http_api(
    scope: Construct,
    id_: str,
    *,
    description: str | None,
    cors: CorsPolicy | None,
    execute_api_disabled: bool,
) -> apigwv2.HttpApi:
    """The HTTP API ``id_`` under ``scope``, without CDK's default stage; behind a custom domain its
    execute-api endpoint is disabled (clients could otherwise bypass the domain and its mutual TLS)."""
    return apigwv2.HttpApi(
        scope,
        id_,
        # Unique per API: CloudWatch metrics and the management console name it.
        api_name=Names.unique_resource_name(scope, max_length=128, separator="-"),
        description=description or f"secure_api HTTP API {scope.node.path}",
        cors_preflight=cors_preflight(cors) if cors is not None else None,
        create_default_stage=False,
        disable_execute_api_endpoint=execute_api_disabled,
    )
