"""Route integrations: an ``apigw.Integration`` as given, or a Lambda function behind a proxy
integration with its invoke permission, in the API's stack."""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

# invocation_uri stays importable from secure_api.rest.integrations.
from secure_api.invoke_permission import invocation_uri, invoke_permission, require_function

__all__ = ["integration_for", "invocation_uri"]


def integration_for(
    api: Construct,
    rest_api: apigw.RestApiBase,
    integration: apigw.Integration | lambda_.IFunction,
    with_permission: set[str],
) -> apigw.Integration:
    """``integration`` as given, or a Lambda proxy integration of a function, with one invoke permission
    per function and API (``with_permission`` holds the functions of ``api`` that have theirs)."""
    if isinstance(integration, apigw.Integration):
        return integration
    fn = require_function(
        integration,
        field="add_route.integration",
        expected="an aws_apigateway.Integration or an aws_lambda.IFunction",
    )
    stack = Stack.of(api)
    uri = invocation_uri(stack, fn.function_arn)
    if fn.node.addr not in with_permission:
        with_permission.add(fn.node.addr)
        _invoke_permission(api, rest_api, fn)
    return apigw.Integration(
        type=apigw.IntegrationType.AWS_PROXY,
        integration_http_method="POST",
        uri=uri,
    )


def _invoke_permission(api: Construct, rest_api: apigw.RestApiBase, fn: lambda_.IFunction) -> None:
    """One permission per function and API (``secure_api.invoke_permission``), from any stage, method
    and path of ``rest_api``."""
    invoke_permission(api, fn, source_arn=rest_api.arn_for_execute_api("*", "/*", "*"))
