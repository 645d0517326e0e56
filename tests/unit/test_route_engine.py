"""One route engine: every ``SecureRestApi`` renders its routes into its OpenAPI body, and what would be
erased by the body's overwrite import, or break API Gateway's and CloudFormation's limits, is caught
when the app synthesizes, by the library."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk.assertions import Annotations, Match, Template

from secure_api import SecureApiConfigError, SecureRestApi, Throttle, defaults
from secure_api.defaults import (
    API_GATEWAY_DEFAULT_RESOURCES_PER_API,
    CLOUDFORMATION_MAX_RESOURCES,
    OPENAPI_MAX_DEFINITION_BYTES,
)
from secure_api.rest import limits
from secure_api.rest.limits import check_definition_size, check_stack, path_resources
from secure_api.rest.routes import RouteKey
from tests.cdk_context import app_context
from tests.unit.helpers import BARE, inline_function, new_stack, operations, resources

# Raised inside CDK's synthesis, the library's error reaches the caller through jsii as its message.
SYNTH_ERRORS = (SecureApiConfigError, RuntimeError)


def _api(stack: cdk.Stack) -> SecureRestApi:
    api = SecureRestApi(stack, "Api", **BARE)
    api.add_route("GET", "/items", inline_function(stack), auth="iam")
    return api


@pytest.fixture(scope="module")
def plain() -> Template:
    """The template of :func:`_api` alone, synthesized once for the module."""
    _, stack = new_stack()
    _api(stack)
    return Template.from_stack(stack)


def test_a_plain_api_renders_its_routes_into_its_body(plain: Template) -> None:
    assert set(operations(plain)) == {"GET /items"}
    for type_ in ("Method", "Resource", "Model", "RequestValidator", "Authorizer", "GatewayResponse"):
        assert not resources(plain, f"AWS::ApiGateway::{type_}")
    (api,) = resources(plain, "AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["Parameters"] == {"endpointConfigurationTypes": "REGIONAL"}
    assert api["Properties"]["Mode"] == "overwrite"


def test_the_rest_api_keeps_its_description() -> None:
    # The per-route shape set it; the first deploy after upgrading must not erase it.
    _, stack = new_stack()
    api = SecureRestApi(stack, "Api", description="orders for partners", **BARE)
    api.add_route("GET", "/items", inline_function(stack), auth="iam")
    (rest_api,) = resources(Template.from_stack(stack), "AWS::ApiGateway::RestApi").values()
    assert rest_api["Properties"].get("Description") == "orders for partners"


def test_the_rest_api_without_a_description_has_the_default_one(plain: Template) -> None:
    (rest_api,) = resources(plain, "AWS::ApiGateway::RestApi").values()
    assert rest_api["Properties"].get("Description") == "secure_api REST API Test/Api"


def test_an_api_from_a_document_has_a_description() -> None:
    _, stack = new_stack()
    document = {
        "openapi": "3.0.1",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/items": {
                "get": {"operationId": "list", "security": [], "responses": {"200": {"description": "ok"}}}
            }
        },
    }
    SecureRestApi.from_openapi(stack, "Api", document, integrations={"list": inline_function(stack)}, **BARE)
    (rest_api,) = resources(Template.from_stack(stack), "AWS::ApiGateway::RestApi").values()
    assert rest_api["Properties"].get("Description") == "secure_api REST API Test/Api"


def test_fails_method_added_through_the_rest_api_escape_hatch() -> None:
    _, stack = new_stack()
    api = _api(stack)
    api.rest_api.root.add_resource("x").add_method("GET")
    with pytest.raises(SYNTH_ERRORS) as raised:
        Template.from_stack(stack)
    message = str(raised.value)
    assert "Test/Api/Api/Default/x/Resource" in message
    assert "Test/Api/Api/Default/x/GET/Resource" in message
    assert "add_route" in message and "overwrite" in message


def test_fails_l1_method_pointing_at_the_api_from_elsewhere_in_the_stack() -> None:
    _, stack = new_stack()
    api = _api(stack)
    apigw.CfnMethod(
        stack,
        "Sneaky",
        rest_api_id=api.rest_api.rest_api_id,
        resource_id=api.rest_api.rest_api_root_resource_id,
        http_method="POST",
        authorization_type="NONE",
    )
    with pytest.raises(SYNTH_ERRORS, match=r"rest_api: got \['Test/Sneaky'\].*add_route"):
        Template.from_stack(stack)


def test_path_resources_count_every_prefix_and_the_root() -> None:
    routes = [RouteKey.parse("GET", "/a/{id}"), RouteKey.parse("POST", "/a"), RouteKey.parse("GET", "/b")]
    assert path_resources(routes) == 4  # /, /a, /a/{id}, /b


@pytest.mark.parametrize("extra", [0, 1])
def test_more_path_resources_than_the_default_quota_is_a_warning(extra: int) -> None:
    _, stack = new_stack()
    api = SecureRestApi(stack, "Api", **BARE)
    backend = inline_function(stack)
    # The root plus one resource per route.
    for i in range(API_GATEWAY_DEFAULT_RESOURCES_PER_API - 1 + extra):
        api.add_route("GET", f"/items{i}", backend, auth="iam")
    warnings = Annotations.from_stack(stack).find_warning(
        "/Test/Api", Match.string_like_regexp("default quota of 300 resources per REST API")
    )
    assert len(warnings) == extra
    if extra:
        assert "301 API Gateway resources" in json.dumps(warnings[0].entry.data)


def test_fails_stack_over_cloudformation_resource_limit_with_the_librarys_message() -> None:
    _, stack = new_stack()
    _api(stack)
    for i in range(CLOUDFORMATION_MAX_RESOURCES):
        cdk.CfnWaitConditionHandle(stack, f"Filler{i}")
    with pytest.raises(SYNTH_ERRORS) as raised:
        Template.from_stack(stack)
    message = str(raised.value)
    assert "TooManyResourcesInStack" not in message
    assert "CloudFormation resources" in message and "at most 500" in message
    assert "second stack" in message


def test_fails_template_over_one_megabyte() -> None:
    _, stack = new_stack()
    parts = {"the stage's method settings": {f"/r{i}": "x" * 200 for i in range(6000)}}
    with pytest.raises(SecureApiConfigError, match="CloudFormation's template limit") as raised:
        check_stack(stack, template_parts=parts)
    assert "the stage's method settings the largest part" in str(raised.value)
    check_stack(stack, template_parts={"small": {"a": 1}})


def test_fails_when_the_apis_of_a_stack_together_pass_the_template_limit() -> None:
    """Each API's parts fit alone; the stack's template holds them all."""
    _, stack = new_stack()
    half = {"the stage's method settings": {f"/r{i}": "x" * 200 for i in range(3000)}}
    check_stack(stack, template_parts=half, owner="Test/First")
    check_stack(stack, template_parts=half, owner="Test/First")  # the same API again: counted once
    with pytest.raises(SecureApiConfigError, match="CloudFormation's template limit") as raised:
        check_stack(stack, template_parts=half, owner="Test/Second")
    assert "Test/First: the stage's method settings" in str(raised.value)
    _, other = new_stack()
    check_stack(other, template_parts=half, owner="Test/Second")  # another stack counts apart


def test_fails_when_two_secure_rest_apis_together_pass_the_template_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def two_apis() -> cdk.Stack:
        _, stack = new_stack()
        backend = inline_function(stack)
        for name in ("First", "Second"):
            api = SecureRestApi(stack, name, **BARE)
            for i in range(40):
                api.add_route(
                    "GET", f"/items{i}", backend, auth="iam", throttle=Throttle(rate_limit=5, burst_limit=10)
                )
        return stack

    stack = two_apis()
    Template.from_stack(stack)
    registered = limits.stack_template_parts(stack)
    assert set(registered) == {"Test/First", "Test/Second"}
    one = limits.template_size(stack, {"": registered["Test/First"]})
    both = limits.template_size(stack, registered)
    assert one < both
    monkeypatch.setattr(defaults, "CLOUDFORMATION_MAX_TEMPLATE_BYTES", (one + both) // 2)
    with pytest.raises(SYNTH_ERRORS, match="CloudFormation's template limit"):
        Template.from_stack(two_apis())


def test_fails_definition_over_the_import_limit() -> None:
    check_definition_size("Test/Api", OPENAPI_MAX_DEFINITION_BYTES)
    with pytest.raises(SecureApiConfigError, match="6291457 bytes.*import limit.*split the routes"):
        check_definition_size("Test/Api", OPENAPI_MAX_DEFINITION_BYTES + 1)


def test_a_large_body_leaves_nothing_in_the_temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    outdir = tmp_path / "cdk.out"
    app = cdk.App(context=app_context(), outdir=str(outdir))
    stack = cdk.Stack(app, "Test")
    api = SecureRestApi(stack, "Api", **BARE)
    backend = inline_function(stack)
    for i in range(400):
        api.add_route(
            "POST", f"/items{i}/{{id}}", backend, auth="iam", required_parameters=["header.X-Tenant"]
        )
    app.synth()
    assert api._openapi.storage == "s3"
    assert list(scratch.iterdir()) == []
    assert [p.name for p in outdir.glob("secure-api-openapi-*.json")]
