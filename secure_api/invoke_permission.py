"""How API Gateway invokes a Lambda function of a route, for every kind of API: the invocation URI and
one invoke permission per function and API."""

from __future__ import annotations

from typing import Any

from aws_cdk import Annotations, ArnFormat, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from secure_api import compliance
from secure_api.errors import SecureApiConfigError


def invocation_uri(stack: Stack, function_arn: str) -> str:
    """The URI through which API Gateway invokes the function ``function_arn`` (proxy or authorizer)."""
    return stack.format_arn(
        service="apigateway",
        account="lambda",
        resource="path/2015-03-31/functions",
        resource_name=f"{function_arn}/invocations",
        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
    )


def require_function(integration: Any, *, field: str, expected: str) -> lambda_.IFunction:
    """``integration`` as the Lambda function of a route, or refused naming ``field`` and ``expected``
    (what the caller accepts besides a function)."""
    # jsii interfaces are not runtime-checkable protocols: check the members used.
    if not (hasattr(integration, "function_arn") and hasattr(integration, "add_permission")):
        raise SecureApiConfigError(field, integration, expected)
    fn: lambda_.IFunction = integration
    return fn


def invoke_permission(api: Construct, fn: lambda_.IFunction, *, source_arn: str) -> None:
    """Let API Gateway invoke ``fn`` from ``source_arn`` (the API's ``execute-api`` ARN): one permission
    per function and API, in the API's stack (as CDK's ``LambdaIntegration`` does).

    A permission in the function's stack would reference this API from there: with the function
    in another stack, that is a dependency cycle. A function of this stack keeps its permission
    (and the permission's construct id) beside it.
    """
    same_stack = Stack.of(fn) is Stack.of(api)
    permission_id = (
        f"InvokeBy{api.node.id}{api.node.addr[-8:]}"
        if same_stack
        else f"Invoke{fn.node.id}{fn.node.addr[-8:]}"
    )
    fn.add_permission(
        permission_id,
        principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
        action="lambda:InvokeFunction",
        source_arn=source_arn,
        scope=None if same_stack else api,
    )
    permission = (fn if same_stack else api).node.try_find_child(permission_id)
    if permission is None:
        # CDK creates no permission on a function it cannot modify (imported from another account,
        # or whose account it cannot tell) and warns on the function; say what to do here too.
        Annotations.of(api).add_warning_v2(
            "secure-api:invoke-permission-skipped",
            f"secure_api: no invoke permission for API Gateway on the imported function {fn.node.path}: "
            "import it with Function.from_function_attributes(..., same_environment=True) so the "
            "construct adds it, or grant apigateway.amazonaws.com lambda:InvokeFunction on it yourself",
        )
        return
    compliance.acknowledge(permission, "permission-source-arn-join")
