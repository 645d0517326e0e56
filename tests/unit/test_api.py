from __future__ import annotations

import json
from collections import Counter
from dataclasses import FrozenInstanceError

import pytest
from aws_cdk import assertions
from aws_cdk.assertions import Template

from secure_api import BearerAuth, Route, SecureRestApi, Throttle, UsageTier
from secure_api.access_logs import ACCESS_LOG_FIELDS
from secure_api.errors import SecureApiConfigError
from secure_api.rest.openapi.render import BEARER_SCHEME
from tests.unit.helpers import api_stack, inline_function, new_stack, only, operations, resources, rest_body

REQUIRED_LOG_FIELDS = {
    "requestId", "extendedRequestId", "ip", "userAgent", "requestTime", "httpMethod", "resourcePath", "status",
    "protocol", "responseLength", "responseLatency", "integrationLatency", "apiKeyId", "principalId",
    "authorizerError", "wafResponseCode", "errorMessage",
}  # fmt: skip


def test_stage_defaults(example_template: Template) -> None:
    stage = only(example_template, "AWS::ApiGateway::Stage")["Properties"]
    assert stage["StageName"] == "prod"
    assert stage["TracingEnabled"] is True
    base = stage["MethodSettings"][0]
    assert base == {
        "DataTraceEnabled": False,
        "HttpMethod": "*",
        "LoggingLevel": "ERROR",
        "MetricsEnabled": True,
        "ResourcePath": "/*",
        "ThrottlingBurstLimit": 2000,
        "ThrottlingRateLimit": 1000,
    }


def test_route_throttles_use_tilde_encoding(example_template: Template) -> None:
    settings = only(example_template, "AWS::ApiGateway::Stage")["Properties"]["MethodSettings"][1:]
    by_route = {(s["HttpMethod"], s["ResourcePath"]): s for s in settings}
    assert by_route[("GET", "/~1orders~1{id}")]["ThrottlingRateLimit"] == 100
    assert by_route[("GET", "/~1orders~1{id}")]["ThrottlingBurstLimit"] == 200
    assert by_route[("POST", "/~1orders")]["ThrottlingRateLimit"] == 20
    assert all(s["DataTraceEnabled"] is False for s in settings)


def test_zero_limits_are_kept_and_greedy_paths_encoded() -> None:
    stack, api = api_stack()
    api.add_route("ANY", "/files/{proxy+}", inline_function(stack, "F2"), auth="iam",
                  throttle=Throttle(rate_limit=0, burst_limit=0))  # fmt: skip
    settings = only(Template.from_stack(stack), "AWS::ApiGateway::Stage")["Properties"]["MethodSettings"]
    assert {
        "HttpMethod": "*",
        "ResourcePath": "/~1files~1{proxy+}",
        "ThrottlingRateLimit": 0,
        "ThrottlingBurstLimit": 0,
        "LoggingLevel": "ERROR",
        "DataTraceEnabled": False,
        "MetricsEnabled": True,
    } in settings


def test_json_access_log_has_every_field(example_template: Template) -> None:
    setting = only(example_template, "AWS::ApiGateway::Stage")["Properties"]["AccessLogSetting"]
    fields = json.loads(setting["Format"])
    assert set(fields) >= REQUIRED_LOG_FIELDS
    assert fields == ACCESS_LOG_FIELDS


def test_log_groups_are_kms_encrypted_with_retention(example_template: Template) -> None:
    groups = resources(example_template, "AWS::Logs::LogGroup")
    assert groups
    for group in groups.values():
        assert "KmsKeyId" in group["Properties"]
        assert group["Properties"]["RetentionInDays"] == 365


def test_logs_key_rotates_and_admits_cloudwatch_logs(example_template: Template) -> None:
    example_template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "EnableKeyRotation": True,
            "KeyPolicy": {
                "Statement": assertions.Match.array_with(
                    [assertions.Match.object_like({"Sid": "AllowCloudWatchLogs"})]
                )
            },
        },
    )


def test_request_validator_on_every_route(example_template: Template) -> None:
    body = rest_body(example_template)
    (validator_name,) = body["x-amazon-apigateway-request-validators"]
    validator = body["x-amazon-apigateway-request-validators"][validator_name]
    assert validator == {"validateRequestBody": True, "validateRequestParameters": True}
    routes = {k: op for k, op in operations(example_template).items() if not k.startswith("OPTIONS ")}
    assert len(routes) >= 3
    for op in routes.values():
        assert op["x-amazon-apigateway-request-validator"] == validator_name
        assert BEARER_SCHEME in op["security"][0]
    # No route is declared beside the body (an overwrite import would erase it).
    for type_ in ("Method", "Resource", "RequestValidator", "Authorizer", "Model", "GatewayResponse"):
        assert not resources(example_template, f"AWS::ApiGateway::{type_}")


def test_no_cloudwatch_role_by_default(example_template: Template) -> None:
    assert not resources(example_template, "AWS::ApiGateway::Account")


def test_opt_in_cloudwatch_role() -> None:
    stack, _ = api_stack(create_cloudwatch_role=True)
    template = Template.from_stack(stack)
    account_id, account = next(iter(resources(template, "AWS::ApiGateway::Account").items()))
    role_id = account["Properties"]["CloudWatchRoleArn"]["Fn::GetAtt"][0]
    role = resources(template, "AWS::IAM::Role")[role_id]
    # A customer-managed policy, not AWS's AmazonAPIGatewayPushToCloudWatchLogs; kept on stack deletion.
    (policy_ref,) = role["Properties"]["ManagedPolicyArns"]
    policy = resources(template, "AWS::IAM::ManagedPolicy")[policy_ref["Ref"]]
    assert {role["DeletionPolicy"], account["DeletionPolicy"], policy["DeletionPolicy"]} == {"Retain"}
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    actions = {
        a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    }
    assert {"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups"} <= actions
    stage = only(template, "AWS::ApiGateway::Stage")
    assert account_id in stage["DependsOn"]


def test_one_invoke_permission_per_function(example_template: Template) -> None:
    permissions = resources(example_template, "AWS::Lambda::Permission").values()
    by_api_gateway = [p for p in permissions if p["Properties"]["Principal"] == "apigateway.amazonaws.com"]
    targets = Counter(json.dumps(p["Properties"]["FunctionName"]) for p in by_api_gateway)
    # The backend serves three routes with one permission; the authorizer has one for its API.
    assert sorted(targets.values()) == [1, 1]


def test_disabled_protections_leave_warnings() -> None:
    stack, api = api_stack()
    api.add_route("GET", "/public", inline_function(stack, "F2"), auth="none")
    warnings = assertions.Annotations.from_stack(stack).find_warning("*", assertions.Match.any_value())
    texts = " ".join(json.dumps(w.entry.data) for w in warnings)
    assert "auth" in texts and "GET /public" in texts


def test_add_route_returns_its_route_record() -> None:
    stack, api = api_stack(usage_tiers=[UsageTier("gold")])
    throttle = Throttle(rate_limit=5, burst_limit=10)
    route = api.add_route("post", "/orders/{id}", inline_function(stack, "F2"), auth="iam", throttle=throttle)
    assert route == Route(
        method="POST", path="/orders/{id}", auth="iam", scopes=(), throttle=throttle, api_key_required=True
    )
    assert route.key == "POST /orders/{id}" and api.routes[-1] is route
    with pytest.raises(FrozenInstanceError):
        route.path = "/x"  # type: ignore[misc]


def test_hundred_routes_cost_no_resource() -> None:
    import aws_cdk as cdk

    from example.stack import ExampleStack
    from tests.cdk_context import app_context

    app = cdk.App(context=app_context())
    stack = ExampleStack(app, "Big")
    backend = inline_function(stack, "Many")
    before = len(
        Template.from_stack(ExampleStack(cdk.App(context=app_context()), "Small")).to_json()["Resources"]
    )
    for i in range(100):
        stack.api.add_route("GET", f"/items{i}", backend)
    template = Template.from_stack(stack)
    count = len(template.to_json()["Resources"])
    # Routes live in the body: the backend adds its role, function, log group and its single invoke
    # permission, and the hundred routes nothing.
    assert count - before == 4
    assert {f"GET /items{i}" for i in range(100)} <= set(operations(template))


def _bearer_api() -> tuple[object, SecureRestApi]:
    _, stack = new_stack()
    return stack, SecureRestApi(
        stack, "Api", auth=BearerAuth(issuer="https://id.example.com", audience=["a"])
    )


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        (("FETCH", "/x"), {}, "add_route.method"),
        (("GET", "x"), {}, "add_route.path"),
        (("GET", "/x"), {"auth": "basic"}, "add_route.auth"),
        (("GET", "/x"), {"auth": "iam", "scopes": ["a"]}, "add_route.scopes"),
        (("GET", "/x"), {"scopes": ["has space"]}, "add_route.scopes"),
    ],
)
def test_fails_invalid_route(args: tuple[str, str], kwargs: dict[str, object], field: str) -> None:
    stack, api = _bearer_api()
    with pytest.raises(SecureApiConfigError) as info:
        api.add_route(*args, inline_function(stack), **kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(field)


def test_fails_bearer_route_without_bearer_auth() -> None:
    stack, api = api_stack()
    with pytest.raises(SecureApiConfigError, match="add_route.auth"):
        api.add_route("GET", "/y", inline_function(stack, "F2"))


def test_fails_duplicate_route() -> None:
    stack, api = api_stack()
    with pytest.raises(SecureApiConfigError, match="add_route"):
        api.add_route("GET", "/items", inline_function(stack, "F2"), auth="iam")


def test_fails_integration_of_wrong_type() -> None:
    stack, api = api_stack()
    with pytest.raises(SecureApiConfigError, match="add_route.integration"):
        api.add_route("GET", "/z", "not an integration", auth="iam")  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["", "has.dot", "has space", "prod/eu", "é", "x" * 129])
def test_fails_bad_stage_name(name: str) -> None:
    _, stack = new_stack()
    with pytest.raises(SecureApiConfigError, match="stage_name"):
        SecureRestApi(stack, "Api", stage_name=name)
