from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk.assertions import Template

from secure_api import BearerAuth, SecureRestApi
from secure_api.defaults import BEARER_TOKEN_REGEX
from secure_api.errors import SecureApiConfigError
from secure_api.rest.openapi.render import BEARER_SCHEME
from tests.unit.helpers import inline_function, new_stack, resources, rest_body


def _authorizer_function(template: Template) -> dict[str, object]:
    functions = resources(template, "AWS::Lambda::Function")
    return next(f for k, f in functions.items() if k.startswith("OrdersApiAuthorizerFunction"))["Properties"]


def test_token_authorizer_with_regex_and_cache(example_template: Template) -> None:
    scheme = rest_body(example_template)["components"]["securitySchemes"][BEARER_SCHEME]
    assert scheme["x-amazon-apigateway-authtype"] == "custom"
    authorizer = scheme["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "token"
    assert authorizer["identitySource"] == "method.request.header.Authorization"
    assert authorizer["identityValidationExpression"] == BEARER_TOKEN_REGEX
    assert authorizer["authorizerResultTtlInSeconds"] == 300
    function_id = next(k for k in resources(example_template, "AWS::Lambda::Function") if "Authorizer" in k)
    assert {"Fn::GetAtt": [function_id, "Arn"]} in authorizer["authorizerUri"]["Fn::Join"][1]
    assert not resources(example_template, "AWS::ApiGateway::Authorizer")


def test_function_contract_environment(example_template: Template, example_stack: Any) -> None:
    env = _authorizer_function(example_template)["Environment"]["Variables"]  # type: ignore[index]
    assert env["JWKS_URI"] == "https://login.example.com/.well-known/jwks.json"
    assert env["ISSUER"] == "https://login.example.com/"
    assert env["AUDIENCE"] == "orders-api"
    assert env["ALGORITHMS"] == "RS256"
    assert env["LEEWAY_SECONDS"] == "30"
    # The route scopes are a file in the code package, not an environment variable.
    assert env["ROUTE_SCOPES_FILE"] == "route_scopes.json"
    assert "ROUTE_SCOPES" not in env
    assert example_stack.api._bearer.route_scopes() == {
        "GET /orders": ["orders:read"],
        "GET /orders/{id}": ["orders:read"],
        "POST /orders": ["orders:write"],
    }


def test_function_is_hardened(example_template: Template) -> None:
    fn = _authorizer_function(example_template)
    assert fn["Runtime"] == "python3.14"
    assert fn["Architectures"] == ["arm64"]
    assert fn["TracingConfig"] == {"Mode": "Active"}
    assert "KmsKeyArn" in fn
    role_id = fn["Role"]["Fn::GetAtt"][0]  # type: ignore[index]
    role = resources(example_template, "AWS::IAM::Role")[role_id]["Properties"]
    policies = json.dumps(role.get("ManagedPolicyArns", []))
    assert "arn:aws:iam::aws:policy" not in policies and ":iam::aws:policy" not in policies
    assert "Policies" not in role


def test_shared_bearer_auth_gives_each_api_its_own_function() -> None:
    # One function per API: an API's route scopes live in its own function's package, so they can
    # never change another API's decisions.
    _, stack = new_stack()
    auth = BearerAuth(issuer="https://id.example.com", audience=["a"])
    for name in ("One", "Two"):
        api = SecureRestApi(stack, name, auth=auth)
        api.add_route("GET", "/x", inline_function(stack, f"F{name}"))
    template = Template.from_stack(stack)
    authorizer_functions = [k for k in resources(template, "AWS::Lambda::Function") if "Authorizer" in k]
    assert len(authorizer_functions) == 2
    apis = resources(template, "AWS::ApiGateway::RestApi")
    used = set()
    for logical_id in apis:
        scheme = rest_body(template, logical_id)["components"]["securitySchemes"][BEARER_SCHEME]
        uri = json.dumps(scheme["x-amazon-apigateway-authorizer"]["authorizerUri"])
        used |= {f for f in authorizer_functions if f in uri}
    assert used == set(authorizer_functions)


def test_no_route_scopes_when_no_route_has_scopes() -> None:
    _, stack = new_stack()
    api = SecureRestApi(stack, "Api", auth=BearerAuth(issuer="https://id.example.com", audience=["a"]))
    api.add_route("GET", "/x", inline_function(stack))
    fns = resources(Template.from_stack(stack), "AWS::Lambda::Function")
    env = next(f for k, f in fns.items() if "Authorizer" in k)["Properties"]["Environment"]["Variables"]
    assert "ROUTE_SCOPES" not in env


def test_jwks_uri_and_algorithms_are_configurable() -> None:
    auth = BearerAuth(
        issuer="https://id.example.com/",
        audience=["a", "b"],
        jwks_uri="https://keys.example.com/jwks",
        algorithms=["ES256", "EdDSA"],
        leeway=Duration.seconds(60),
        api_key_claim="client_id",
        audience_claim="client_id",
        jwks_cache_ttl=Duration.minutes(5),
    )
    assert auth.environment() == {
        "JWKS_URI": "https://keys.example.com/jwks",
        "ISSUER": "https://id.example.com/",
        "AUDIENCE": "a,b",
        "ALGORITHMS": "ES256,EdDSA",
        "LEEWAY_SECONDS": "60",
        "JWKS_CACHE_SECONDS": "300",
        "AUDIENCE_CLAIM": "client_id",
        "API_KEY_CLAIM": "client_id",
    }


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"issuer": "login.example.com"}, "BearerAuth.issuer"),
        ({"issuer": "http://login.example.com"}, "BearerAuth.issuer"),
        ({"audience": []}, "BearerAuth.audience"),
        ({"audience": "orders"}, "BearerAuth.audience"),
        ({"algorithms": ["HS256"]}, "BearerAuth.algorithms"),
        ({"algorithms": ["none"]}, "BearerAuth.algorithms"),
        ({"cache_ttl": Duration.hours(2)}, "BearerAuth.cache_ttl"),
        ({"leeway": Duration.seconds(61)}, "BearerAuth.leeway"),
        ({"jwks_uri": "ftp://x.example.com/jwks"}, "BearerAuth.jwks_uri"),
        ({"reserved_concurrency": 0}, "BearerAuth.reserved_concurrency"),
        ({"audience_claim": "azp"}, "BearerAuth.audience_claim"),
        ({"jwks_cache_ttl": Duration.seconds(5)}, "BearerAuth.jwks_cache_ttl"),
    ],
)
def test_fails_invalid_bearer_auth(kwargs: dict[str, object], field: str) -> None:
    base: dict[str, object] = {"issuer": "https://login.example.com/", "audience": ["orders"]}
    with pytest.raises(SecureApiConfigError) as info:
        BearerAuth(**{**base, **kwargs})  # type: ignore[arg-type]
    assert str(info.value).startswith(field)


def test_loopback_http_issuer_is_allowed_for_tests() -> None:
    assert BearerAuth(issuer="http://127.0.0.1:8080", audience=["a"]).resolved_jwks_uri.startswith(
        "http://127"
    )
