"""An HTTP API's authorizers (``secure_api.http.authorizer``) and CORS configuration
(``secure_api.http.cors``), on a bare ``HttpApi``."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Template

from secure_api import AccessPolicy, BearerAuth, CorsPolicy
from secure_api.api_target import ApiTarget
from secure_api.http.authorizer import HttpAuthorization
from secure_api.http.cors import cors_preflight
from secure_api.http.option_checks import check_http_options
from secure_api.http.routes import HttpRoutes
from tests.unit.helpers import new_stack, only, resources, v2_routes

AUTH = BearerAuth(issuer="https://login.example.com/", audience=["orders-api", "admin"])


def build(
    auth: Any = AUTH, access: AccessPolicy | None = None, authorizer: str | None = None
) -> dict[str, Any]:
    """Three routes (scoped bearer, unscoped bearer, IAM, public) on an ``HttpApi`` with ``auth``."""
    _, stack = new_stack()
    options = check_http_options(
        stage_name="prod",
        auth=auth,
        authorizer=authorizer,
        options={"access": access},
        rest_only={},
        log_retention=logs.RetentionDays.ONE_YEAR,
        description=None,
    )
    api = apigwv2.HttpApi(stack, "Api", create_default_stage=False)
    api_target = ApiTarget.http(api, apigwv2.HttpStage(stack, "Stage", http_api=api, stage_name="prod"))
    authorization = HttpAuthorization(
        stack,
        target=api_target,
        options=options,
        key=kms.Key(stack, "Key"),
        retention=logs.RetentionDays.ONE_YEAR,
    )
    routes = HttpRoutes()
    target = integrations.HttpUrlIntegration("Url", "https://backend.example.com")
    for method, path, route_auth, scopes in (
        ("GET", "/orders/{id}", "bearer", ["orders:read"]),
        ("POST", "/orders", "bearer", []),
        ("DELETE", "/orders/{id}", "iam", []),
        ("GET", "/health", "none", []),
    ):
        if route_auth == "bearer" and options.bearer is None:
            continue
        key = routes.check(method, path)
        apigwv2.HttpRoute(
            stack,
            f"{method}{len(routes)}",
            http_api=api,
            route_key=apigwv2.HttpRouteKey.with_(key.path, apigwv2.HttpMethod[key.method]),
            integration=target,
            authorizer=authorization.for_route(key, auth=route_auth, scopes=scopes),
        )
        routes.add(key)
    authorization.finalize()
    return {"template": Template.from_stack(stack), "authorization": authorization}


@pytest.fixture(scope="module")
def native() -> dict[str, Any]:
    return build()


@pytest.fixture(scope="module")
def lambda_() -> dict[str, Any]:
    return build(access=AccessPolicy(allow_ip_ranges=["203.0.113.0/24"]))


def test_native_jwt_authorizer(native: dict[str, Any]) -> None:
    template: Template = native["template"]
    props = only(template, "AWS::ApiGatewayV2::Authorizer")["Properties"]
    assert props["AuthorizerType"] == "JWT"
    assert props["IdentitySource"] == ["$request.header.Authorization"]
    assert props["JwtConfiguration"] == {
        "Issuer": "https://login.example.com/",
        "Audience": ["orders-api", "admin"],
    }
    assert resources(template, "AWS::Lambda::Function") == {}
    assert native["authorization"].function is None


def test_native_routes(native: dict[str, Any]) -> None:
    routes = v2_routes(native["template"])
    assert routes["GET /orders/{id}"]["AuthorizationType"] == "JWT"
    assert routes["GET /orders/{id}"]["AuthorizationScopes"] == ["orders:read"]
    assert "Ref" in routes["GET /orders/{id}"]["AuthorizerId"]
    assert routes["POST /orders"]["AuthorizationType"] == "JWT"
    assert "AuthorizationScopes" not in routes["POST /orders"]
    assert routes["DELETE /orders/{id}"]["AuthorizationType"] == "AWS_IAM"
    assert "AuthorizerId" not in routes["DELETE /orders/{id}"]
    assert routes["GET /health"]["AuthorizationType"] == "NONE"


def test_lambda_request_authorizer(lambda_: dict[str, Any]) -> None:
    template: Template = lambda_["template"]
    props = only(template, "AWS::ApiGatewayV2::Authorizer")["Properties"]
    assert props["AuthorizerType"] == "REQUEST"
    assert props["AuthorizerPayloadFormatVersion"] == "2.0"
    assert props["EnableSimpleResponses"] is False
    # Cached per token and source address: the IP lists make the answer depend on both.
    assert props["IdentitySource"] == ["$request.header.Authorization", "$context.identity.sourceIp"]
    assert props["AuthorizerResultTtlInSeconds"] == 300


def test_lambda_function_environment(lambda_: dict[str, Any]) -> None:
    template: Template = lambda_["template"]
    (function,) = resources(template, "AWS::Lambda::Function").values()
    env = function["Properties"]["Environment"]["Variables"]
    assert env["ALLOW_IP_RANGES"] == '["203.0.113.0/24"]'
    assert env["ISSUER"] == "https://login.example.com/"
    assert env["ROUTE_SCOPES_FILE"] == "route_scopes.json"
    # The scopes of the routes it authorizes (IAM and public routes are not among them).
    assert lambda_["authorization"].bearer.route_scopes() == {
        "GET /orders/{id}": ["orders:read"],
        "POST /orders": [],
    }


def test_lambda_invoke_permission_is_this_authorizers(lambda_: dict[str, Any]) -> None:
    template: Template = lambda_["template"]
    (permission,) = resources(template, "AWS::Lambda::Permission").values()
    assert permission["Properties"]["Principal"] == "apigateway.amazonaws.com"
    assert "/authorizers/" in json.dumps(permission["Properties"]["SourceArn"])


def test_lambda_routes(lambda_: dict[str, Any]) -> None:
    routes = v2_routes(lambda_["template"])
    assert routes["GET /orders/{id}"]["AuthorizationType"] == "CUSTOM"
    assert "AuthorizationScopes" not in routes["GET /orders/{id}"]  # the function's policy holds them
    assert routes["DELETE /orders/{id}"]["AuthorizationType"] == "AWS_IAM"


def test_lambda_cache_ttl_from_bearer_auth() -> None:
    auth = BearerAuth(issuer="https://login.example.com/", audience=["a"], cache_ttl=Duration.seconds(60))
    built = build(auth=auth, authorizer="lambda")
    props = only(built["template"], "AWS::ApiGatewayV2::Authorizer")["Properties"]
    assert props["AuthorizerResultTtlInSeconds"] == 60


def test_iam_api_has_no_authorizer() -> None:
    built = build(auth="iam")
    assert resources(built["template"], "AWS::ApiGatewayV2::Authorizer") == {}
    assert set(v2_routes(built["template"])) == {"DELETE /orders/{id}", "GET /health"}


def test_cors_configuration() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    policy = CorsPolicy(
        ["https://app.example.com"],
        allow_credentials=True,
        expose_headers=["X-Request-Id"],
        max_age=Duration.minutes(10),
    )
    apigwv2.HttpApi(stack, "Api", create_default_stage=False, cors_preflight=cors_preflight(policy))
    cors = only(Template.from_stack(stack), "AWS::ApiGatewayV2::Api")["Properties"]["CorsConfiguration"]
    assert cors == {
        "AllowCredentials": True,
        "AllowHeaders": ["Content-Type", "Authorization", "X-Api-Key", "X-Amz-Date", "X-Amz-Security-Token"],
        "AllowMethods": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"],
        "AllowOrigins": ["https://app.example.com"],
        "ExposeHeaders": ["X-Request-Id"],
        "MaxAge": 600,
    }


def test_cors_any_method_and_wildcard() -> None:
    stack = cdk.Stack(cdk.App(), "Test")
    apigwv2.HttpApi(
        stack,
        "Api",
        create_default_stage=False,
        cors_preflight=cors_preflight(CorsPolicy("*", allow_methods=["ANY"])),
    )
    cors = only(Template.from_stack(stack), "AWS::ApiGatewayV2::Api")["Properties"]["CorsConfiguration"]
    assert cors["AllowOrigins"] == ["*"]
    assert cors["AllowMethods"] == ["*"]
    assert cors["AllowCredentials"] is False
