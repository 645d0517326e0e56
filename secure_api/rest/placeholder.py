"""The placeholder route of an API declared without routes."""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import Annotations
from aws_cdk import aws_apigateway as apigw
from constructs import Construct


def add_placeholder_route(
    api: Construct, add_route: Callable[..., apigw.Method | None], *, auth: str
) -> None:
    """``ANY /`` answering 404 (a MOCK, behind the API's auth), so an API declared before its routes
    deploys: API Gateway refuses to deploy a REST API without methods. ``add_route`` is the API's;
    ``auth`` the route's."""
    integration = apigw.MockIntegration(
        request_templates={"application/json": '{"statusCode": 404}'},
        passthrough_behavior=apigw.PassthroughBehavior.NEVER,
        integration_responses=[
            apigw.IntegrationResponse(
                status_code="404", response_templates={"application/json": '{"message":"Not Found"}'}
            )
        ],
    )
    method_ = add_route("ANY", "/", integration, auth=auth)
    if method_ is None:
        return
    cfn_method = method_.node.default_child
    assert isinstance(cfn_method, apigw.CfnMethod)
    cfn_method.method_responses = [apigw.CfnMethod.MethodResponseProperty(status_code="404")]
    Annotations.of(api).add_info(
        "secure_api: no route was added: a placeholder ANY / answers 404 until routes are added"
    )
