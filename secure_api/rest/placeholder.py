"""The placeholder route of an API declared without routes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aws_cdk import Annotations
from aws_cdk import aws_apigateway as apigw
from constructs import Construct


def add_placeholder_route(api: Construct, add_route: Callable[..., Any], *, auth: str) -> None:
    """``ANY /`` answering 404 (a MOCK, behind the API's auth), so an API declared before its routes
    deploys: API Gateway refuses to deploy a REST API without methods. ``add_route`` is the API's
    (taking ``responses``, the method responses the body declares); ``auth`` the route's."""
    integration = apigw.MockIntegration(
        request_templates={"application/json": '{"statusCode": 404}'},
        passthrough_behavior=apigw.PassthroughBehavior.NEVER,
        integration_responses=[
            apigw.IntegrationResponse(
                status_code="404", response_templates={"application/json": '{"message":"Not Found"}'}
            )
        ],
    )
    add_route("ANY", "/", integration, auth=auth, responses=("404",))
    Annotations.of(api).add_info(
        "secure_api: no route was added: a placeholder ANY / answers 404 until routes are added"
    )
