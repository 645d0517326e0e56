"""The Lambda REQUEST authorizer of an API Gateway v2 API (WebSocket ``$connect``, or an HTTP API's
routes) and its invoke permission, limited to this authorizer of this API."""

from __future__ import annotations

from aws_cdk import Names, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from secure_api.api_target import ApiTarget
from secure_api.invoke_permission import invocation_uri


def lambda_request_authorizer(
    scope: Construct,
    target: ApiTarget,
    function: lambda_.IFunction,
    *,
    identity_source: list[str] | None,
    permission_id: str,
    payload_format_version: str | None = None,
    enable_simple_responses: bool | None = None,
    result_ttl_seconds: int | None = None,
) -> apigwv2.CfnAuthorizer:
    """The REQUEST authorizer ``Authorizer`` under ``scope`` on ``target``'s API, invoking ``function``,
    and the function's permission ``permission_id`` for it (on this authorizer's execute-api ARN). The
    HTTP API's settings (payload format, simple responses, result cache) are left out when None:
    WebSocket APIs have none of them."""
    authorizer = apigwv2.CfnAuthorizer(
        scope,
        "Authorizer",
        api_id=target.api_id,
        authorizer_type="REQUEST",
        name=Names.unique_resource_name(scope, max_length=128, separator="-"),
        authorizer_uri=invocation_uri(Stack.of(scope), function.function_arn),
        identity_source=identity_source,
        authorizer_payload_format_version=payload_format_version,
        enable_simple_responses=enable_simple_responses,
        authorizer_result_ttl_in_seconds=result_ttl_seconds,
    )
    function.add_permission(
        permission_id,
        principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
        action="lambda:InvokeFunction",
        source_arn=target.execute_api_arn(f"authorizers/{authorizer.ref}"),
    )
    return authorizer
