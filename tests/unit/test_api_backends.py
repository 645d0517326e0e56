"""Backends of ``add_route`` that live elsewhere: functions of another stack of the app, imported
functions; and an API declared before any of its routes (issue 10, items 2 and 6)."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Match, Template

from secure_api import BearerAuth, Consumer, SecureRestApi, UsageTier
from secure_api.errors import SecureApiConfigError
from secure_api.rest.openapi.render import BEARER_SCHEME, IAM_SCHEME, KEY_SCHEME
from tests.cdk_context import app_context
from tests.unit.helpers import BARE, inline_function, new_stack, operations, resources

AUTH = BearerAuth(issuer="https://id.example.com/", audience=["orders"])
IMPORTED_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:orders"


@pytest.fixture(scope="module")
def cross_stack() -> tuple[cdk.App, cdk.Stack, cdk.Stack]:
    """A backend stack whose function serves two routes of an API in a second stack."""
    app = cdk.App(context=app_context())
    backend = cdk.Stack(app, "Backend")
    fn = inline_function(backend, "Orders")
    api_stack = cdk.Stack(app, "Api")
    api = SecureRestApi(api_stack, "Api", auth=AUTH, **BARE)
    api.add_route("GET", "/orders", fn)
    api.add_route("POST", "/orders", fn)
    app.synth()  # raises on a dependency cycle between the two stacks
    return app, backend, api_stack


def test_function_in_another_stack_has_its_permission_in_the_api_stack(
    cross_stack: tuple[cdk.App, cdk.Stack, cdk.Stack],
) -> None:
    _, backend, api_stack = cross_stack
    assert not resources(Template.from_stack(backend), "AWS::Lambda::Permission")
    permissions = [
        p["Properties"]
        for p in resources(Template.from_stack(api_stack), "AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "apigateway.amazonaws.com"
        and "Backend" in json.dumps(p["Properties"]["FunctionName"])  # a reference to the other stack
    ]
    # One permission for the function and this API, not one per route.
    assert len(permissions) == 1
    assert permissions[0]["Action"] == "lambda:InvokeFunction"


def test_function_in_another_stack_makes_the_api_depend_on_it_only(
    cross_stack: tuple[cdk.App, cdk.Stack, cdk.Stack],
) -> None:
    _, backend, api_stack = cross_stack
    assert backend in api_stack.dependencies
    assert api_stack not in backend.dependencies


def test_function_in_the_same_stack_keeps_its_permission_id() -> None:
    _, stack = new_stack()
    fn = inline_function(stack)
    api = SecureRestApi(stack, "Api", **BARE)
    api.add_route("GET", "/x", fn, auth="iam")
    # The construct id of the permission beside the function is unchanged (a public contract).
    assert fn.node.try_find_child(f"InvokeByApi{api.node.addr[-8:]}") is not None


def test_imported_function_from_the_same_account_gets_a_permission() -> None:
    app = cdk.App(context=app_context())
    stack = cdk.Stack(app, "Test", env=cdk.Environment(account="123456789012", region="eu-west-1"))
    fn = lambda_.Function.from_function_attributes(
        stack, "Imported", function_arn=IMPORTED_ARN, same_environment=True
    )
    api = SecureRestApi(stack, "Api", **BARE)
    api.add_route("GET", "/x", fn, auth="iam")
    permissions = resources(Template.from_stack(stack), "AWS::Lambda::Permission")
    assert [p["Properties"]["FunctionName"] for p in permissions.values()] == [IMPORTED_ARN]


def test_imported_function_by_arn_synthesizes_and_says_what_to_do() -> None:
    # Function.from_function_arn in an environment-agnostic stack: CDK cannot tell the account, so it
    # adds no permission (used to crash with "No child with id: 'InvokeBy...'").
    app, stack = new_stack()
    fn = lambda_.Function.from_function_arn(stack, "Imported", IMPORTED_ARN)
    api = SecureRestApi(stack, "Api", **BARE)
    api.add_route("GET", "/x", fn, auth="iam")
    api.add_route("POST", "/x", fn, auth="iam")
    template = Template.from_stack(stack)
    integration = operations(template)["GET /x"]["x-amazon-apigateway-integration"]
    assert IMPORTED_ARN in json.dumps(integration["uri"])
    warnings = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("no invoke permission for API Gateway on the imported function")
    )
    assert len(warnings) == 1
    assert "same_environment=True" in json.dumps(warnings[0].entry.data)


def test_api_without_routes_synthesizes_with_a_placeholder_behind_its_authorizer() -> None:
    _, stack = new_stack()
    SecureRestApi(stack, "Api", auth=AUTH, **BARE)
    ops = operations(Template.from_stack(stack))  # used to fail: "Authorizer must be attached"
    assert list(ops) == ["ANY /"]
    op = ops["ANY /"]
    assert op["security"] == [{BEARER_SCHEME: []}]
    assert op["x-amazon-apigateway-integration"]["type"] == "mock"
    assert list(op["responses"]) == ["404"]
    assert next(iter(op["x-amazon-apigateway-integration"]["responses"].values()))["statusCode"] == "404"


def test_api_without_routes_or_authorizer_uses_iam_and_keys() -> None:
    _, stack = new_stack()
    SecureRestApi(
        stack, "Api", usage_tiers=[UsageTier("basic")], consumers=[Consumer("app", tier="basic")], **BARE
    )
    ops = operations(Template.from_stack(stack))
    assert list(ops) == ["ANY /"]
    assert ops["ANY /"]["security"] == [{IAM_SCHEME: [], KEY_SCHEME: []}]


def test_fails_bearer_auth_that_no_route_uses() -> None:
    _, stack = new_stack()
    api = SecureRestApi(stack, "Api", auth=AUTH, **BARE)
    api.add_route("GET", "/x", inline_function(stack), auth="iam")
    with pytest.raises(Exception, match="auth: got .BearerAuth.*pass auth=None"):
        Template.from_stack(stack)


def test_fails_route_added_after_synthesis() -> None:
    _, stack = new_stack()
    api = SecureRestApi(stack, "Api", auth=AUTH, **BARE)
    api.add_route("GET", "/x", inline_function(stack), scopes=["a"])
    first = Template.from_stack(stack).to_json()
    # A second synthesis finalizes nothing again: the template is the one the first one wrote.
    assert Template.from_stack(stack).to_json() == first
    late = inline_function(stack, "Late")
    with pytest.raises(SecureApiConfigError, match="add_route") as raised:
        api.add_route("GET", "/y", late, scopes=["b"])
    assert str(raised.value) == (
        "add_route: got 'GET /y'; expected routes added before the app is synthesized (synth has run)"
    )


@pytest.fixture(scope="module")
def tiered_api() -> SecureRestApi:
    _, stack = new_stack()
    api = SecureRestApi(
        stack,
        "Api",
        usage_tiers=[UsageTier("basic")],
        consumers=[Consumer("mobile-app", tier="basic")],
        **BARE,
    )
    api.add_route("GET", "/x", inline_function(stack), auth="iam")
    return api


@pytest.mark.parametrize("consumer", ["*", "nobody", "mobile-*", "mobile-app/../x", ""])
def test_fails_grant_read_key_of_an_undeclared_consumer(tiered_api: SecureRestApi, consumer: str) -> None:
    role = cdk.aws_iam.Role(
        tiered_api, f"Role{abs(hash(consumer))}", assumed_by=cdk.aws_iam.ServicePrincipal("ec2.amazonaws.com")
    )
    with pytest.raises(SecureApiConfigError, match=r"^grant_read_key.consumer: .*mobile-app"):
        tiered_api.grant_read_key(consumer, role)


def test_grant_read_key_of_a_declared_consumer(tiered_api: SecureRestApi) -> None:
    role = cdk.aws_iam.Role(
        tiered_api, "Reader", assumed_by=cdk.aws_iam.ServicePrincipal("ec2.amazonaws.com")
    )
    assert tiered_api.grant_read_key("mobile-app", role).success
