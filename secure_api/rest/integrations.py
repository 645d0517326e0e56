"""Route integrations: an ``apigw.Integration`` as given, or a Lambda function behind a proxy
integration with its invoke permission, in the API's stack."""

from __future__ import annotations

from aws_cdk import Annotations, ArnFormat, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from secure_api import compliance
from secure_api.errors import SecureApiConfigError


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
    # jsii interfaces are not runtime-checkable protocols: check the members we use.
    if not (hasattr(integration, "function_arn") and hasattr(integration, "add_permission")):
        raise SecureApiConfigError(
            "add_route.integration",
            integration,
            "an aws_apigateway.Integration or an aws_lambda.IFunction",
        )
    fn = integration
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
    """One permission per function and API, in the API's stack (as ``LambdaIntegration`` does).

    A permission in the function's stack would reference this API from there: with the function
    in another stack, that is a dependency cycle. A function of this stack keeps its permission
    (and the permission's construct id) beside it.
    """
    same_stack = Stack.of(fn) is Stack.of(api)
    permission_id = (
        f"InvokeBy{api.node.id}{_short(api.node.addr)}"
        if same_stack
        else f"Invoke{fn.node.id}{_short(fn.node.addr)}"
    )
    fn.add_permission(
        permission_id,
        principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
        action="lambda:InvokeFunction",
        source_arn=rest_api.arn_for_execute_api("*", "/*", "*"),
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


def _short(addr: str) -> str:
    return addr[-8:]


def invocation_uri(stack: Stack, function_arn: str) -> str:
    """The URI through which API Gateway invokes the function ``function_arn`` (proxy or authorizer)."""
    return stack.format_arn(
        service="apigateway",
        account="lambda",
        resource="path/2015-03-31/functions",
        resource_name=f"{function_arn}/invocations",
        arn_format=ArnFormat.SLASH_RESOURCE_NAME,
    )
