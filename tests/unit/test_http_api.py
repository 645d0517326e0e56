"""``SecureHttpApi``: the composition root, built from DESIGN.md's example and its variants."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from secure_api import (
    AccessPolicy,
    AuditTrail,
    BearerAuth,
    CorsPolicy,
    CustomDomain,
    Firewall,
    Monitoring,
    MutualTls,
    Route,
    SecureApiConfigError,
    SecureHttpApi,
    Throttle,
    UsageTier,
)
from secure_api.keys.stack_outputs import HTTP_API_ID, apis_from_outputs
from tests.unit.helpers import inline_function, new_stack, only, resources, v2_routes

AUTH = BearerAuth(issuer="https://login.example.com/", audience=["orders-api"])
ZONE = {"hosted_zone_id": "Z0123456789ABCDEFGHIJ", "hosted_zone_name": "example.com"}


def design_example(stack: cdk.Stack, **overrides: Any) -> SecureHttpApi:
    """DESIGN.md's example, as written (``authorizer="native"`` with an IP list: the Lambda authorizer)."""
    bucket = s3.Bucket(stack, "Truststores", versioned=True)
    handler = inline_function(stack)
    options: dict[str, Any] = {
        "stage_name": "prod",
        "auth": AUTH,
        "authorizer": "native",
        "cors": CorsPolicy(["https://app.example.com"]),
        "access": AccessPolicy(allow_ip_ranges=["203.0.113.0/24"]),
        "domain": CustomDomain(
            domain_name="api.example.com",
            mtls=MutualTls(truststore_bucket=bucket, truststore_key="truststore.pem", truststore_version="3"),
            **ZONE,
        ),
        "throttle": Throttle(rate_limit=1000, burst_limit=2000),
        "audit": AuditTrail(),
        "monitoring": Monitoring(alarm_email="oncall@example.com"),
        **overrides,
    }
    api = SecureHttpApi(stack, "OrdersHttpApi", **options)
    api.add_route(
        "GET",
        "/orders/{id}",
        handler,
        scopes=["orders:read"],
        throttle=Throttle(rate_limit=100, burst_limit=200),
    )
    return api


@pytest.fixture(scope="module")
def design() -> dict[str, Any]:
    app, stack = new_stack()
    api = design_example(stack)
    app.synth()
    return {"stack": stack, "api": api, "template": Template.from_stack(stack)}


@pytest.fixture(scope="module")
def native() -> dict[str, Any]:
    """The defaults with a native JWT authorizer and four kinds of routes."""
    app, stack = new_stack()
    api = SecureHttpApi(stack, "Api", auth=AUTH, audit=None, monitoring=None)
    fn = inline_function(stack)
    other = inline_function(stack, "Other")
    routes = [
        api.add_route(
            "GET", "/orders/{id}", fn, scopes=["orders:read"], throttle=Throttle(rate_limit=5, burst_limit=10)
        ),
        api.add_route("post", "/orders", fn, scopes=["orders:write"]),
        api.add_route("GET", "/profile", other),
        api.add_route("ANY", "/admin/{proxy+}", other, auth="iam"),
        api.add_route(
            "GET",
            "/health",
            integrations.HttpUrlIntegration("Health", "https://health.example.com"),
            auth="none",
        ),
    ]
    app.synth()
    return {"stack": stack, "api": api, "template": Template.from_stack(stack), "routes": routes}


def test_design_example_synthesizes(design: dict[str, Any]) -> None:
    template: Template = design["template"]
    api = only(template, "AWS::ApiGatewayV2::Api")["Properties"]
    assert api["ProtocolType"] == "HTTP"
    assert api["DisableExecuteApiEndpoint"] is True
    assert api["CorsConfiguration"]["AllowOrigins"] == ["https://app.example.com"]
    assert design["api"].url == "https://api.example.com"


def test_design_example_lambda_authorizer(design: dict[str, Any]) -> None:
    template: Template = design["template"]
    props = only(template, "AWS::ApiGatewayV2::Authorizer")["Properties"]
    assert props["AuthorizerType"] == "REQUEST"
    assert props["AuthorizerPayloadFormatVersion"] == "2.0"
    assert design["api"].authorizer_function is not None
    (route,) = v2_routes(template).values()
    assert route["AuthorizationType"] == "CUSTOM"
    warnings = Annotations.from_stack(design["stack"]).find_warning("*", Match.string_like_regexp("native"))
    assert any("AccessPolicy.allow_ip_ranges" in str(w.entry.data) for w in warnings)


def test_design_example_domain(design: dict[str, Any]) -> None:
    template: Template = design["template"]
    domain = only(template, "AWS::ApiGatewayV2::DomainName")["Properties"]
    assert domain["DomainNameConfigurations"][0]["SecurityPolicy"] == "TLS_1_2"
    assert domain["DomainNameConfigurations"][0]["EndpointType"] == "REGIONAL"
    assert domain["MutualTlsAuthentication"]["TruststoreVersion"] == "3"
    assert "truststore.pem" in json.dumps(domain["MutualTlsAuthentication"]["TruststoreUri"])
    types = sorted(r["Properties"]["Type"] for r in resources(template, "AWS::Route53::RecordSet").values())
    assert types == ["A", "AAAA"]
    only(template, "AWS::ApiGatewayV2::ApiMapping")


def test_design_example_audit_and_monitoring(design: dict[str, Any]) -> None:
    template: Template = design["template"]
    only(template, "AWS::CloudTrail::Trail")
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    assert any(i.startswith("OrdersHttpApiServerErrorRateAlarm") for i in alarms)
    assert any(i.startswith("OrdersHttpApiAuthorizerErrorsAlarm") for i in alarms)
    assert any("Audit" in i for i in alarms)
    only(template, "AWS::CloudWatch::Dashboard")


def test_design_example_outputs(design: dict[str, Any]) -> None:
    outputs = design["template"].to_json()["Outputs"]
    assert set(outputs) >= {"OrdersHttpApiHttpApiId", "OrdersHttpApiUrl", "OrdersHttpApiStageName"}
    assert outputs["OrdersHttpApiUrl"]["Value"] == "https://api.example.com"
    assert set(design["api"].outputs) == {HTTP_API_ID, "Url", "StageName"}
    found = apis_from_outputs(
        [
            {"OutputKey": k, "OutputValue": "x" if not isinstance(v["Value"], str) else v["Value"]}
            for k, v in outputs.items()
        ]
    )
    assert [(a.prefix, a.protocol) for a in found] == [("OrdersHttpApi", "HTTP")]


def test_stage_defaults(native: dict[str, Any]) -> None:
    stage = only(native["template"], "AWS::ApiGatewayV2::Stage")["Properties"]
    assert stage["StageName"] == "prod"
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"] == {
        "DetailedMetricsEnabled": True,
        "ThrottlingBurstLimit": 2000,
        "ThrottlingRateLimit": 1000,
    }
    # HTTP APIs have no execution logs: no LoggingLevel or DataTraceEnabled anywhere.
    assert "LoggingLevel" not in json.dumps(stage)
    assert "DataTraceEnabled" not in json.dumps(stage)
    assert stage["RouteSettings"] == {
        "GET /orders/{id}": {
            "DetailedMetricsEnabled": True,
            "ThrottlingBurstLimit": 10,
            "ThrottlingRateLimit": 5,
        }
    }
    log_format = json.loads(stage["AccessLogSettings"]["Format"])
    assert log_format["routeKey"] == "$context.routeKey"
    assert log_format["jwtSub"] == "$context.authorizer.claims.sub"


def test_native_authorizer_and_route_authorization(native: dict[str, Any]) -> None:
    template: Template = native["template"]
    authorizer = only(template, "AWS::ApiGatewayV2::Authorizer")["Properties"]
    assert authorizer["AuthorizerType"] == "JWT"
    routes = v2_routes(template)
    assert routes["GET /orders/{id}"]["AuthorizationScopes"] == ["orders:read"]
    assert routes["POST /orders"]["AuthorizationType"] == "JWT"
    assert routes["GET /profile"]["AuthorizationType"] == "JWT"
    assert routes["ANY /admin/{proxy+}"]["AuthorizationType"] == "AWS_IAM"
    assert routes["GET /health"]["AuthorizationType"] == "NONE"
    assert native["api"].authorizer_function is None


def test_no_lambda_for_the_native_authorizer(native: dict[str, Any]) -> None:
    functions = resources(native["template"], "AWS::Lambda::Function")
    assert len(functions) == 2  # the two backends


def test_one_invoke_permission_per_function(native: dict[str, Any]) -> None:
    template: Template = native["template"]
    permissions = resources(template, "AWS::Lambda::Permission")
    assert len(permissions) == 2
    integrations_ = resources(template, "AWS::ApiGatewayV2::Integration")
    lambda_integrations = [
        i for i in integrations_.values() if i["Properties"]["IntegrationType"] == "AWS_PROXY"
    ]
    assert len(lambda_integrations) == 2
    assert {i["Properties"]["PayloadFormatVersion"] for i in lambda_integrations} == {"2.0"}


def test_add_route_returns_route_records(native: dict[str, Any]) -> None:
    first, second, *_ = native["routes"]
    assert first == Route(
        method="GET",
        path="/orders/{id}",
        auth="bearer",
        scopes=("orders:read",),
        throttle=Throttle(rate_limit=5, burst_limit=10),
    )
    assert second.key == "POST /orders"
    assert native["api"].routes == native["routes"]


def test_warnings(native: dict[str, Any]) -> None:
    found = Annotations.from_stack(native["stack"]).find_warning("*", Match.any_value())
    texts = [w.entry.data for w in found]
    assert any("secure-api:route-without-scopes" in t and "GET /profile" in t for t in texts)
    assert any("secure-api:route-disabled" in t and "GET /health" in t for t in texts)
    assert any("secure-api:audit-disabled" in t for t in texts)
    assert any("secure-api:monitoring-disabled" in t for t in texts)
    assert not any("route-without-scopes" in t and "GET /orders/{id}" in t for t in texts)


def test_route_warnings_word_for_word(native: dict[str, Any]) -> None:
    found = Annotations.from_stack(native["stack"]).find_warning(
        "/Test/Api", Match.string_like_regexp("route ")
    )
    assert [w.entry.data for w in found] == [
        "secure_api: route GET /profile: a bearer route without scopes accepts any valid token of the issuer "
        "for the audience, ID tokens included (API Gateway's JWT authorizer cannot tell an ID token from an "
        "access token); give it scopes=[...], which ID tokens do not carry [ack: secure-api:route-without-scopes]",
        "secure_api: route GET /health: auth='none': anyone on the internet can call it (an HTTP API has no "
        "resource policy or firewall in front of it) [ack: secure-api:route-disabled]",
    ]


def test_outputs_without_domain(native: dict[str, Any]) -> None:
    outputs = native["template"].to_json()["Outputs"]
    assert set(outputs) == {"ApiHttpApiId", "ApiUrl", "ApiStageName"}
    assert "execute-api" in json.dumps(outputs["ApiUrl"]["Value"])
    api = only(native["template"], "AWS::ApiGatewayV2::Api")["Properties"]
    assert "DisableExecuteApiEndpoint" not in api or api["DisableExecuteApiEndpoint"] is False


def test_iam_api() -> None:
    app, stack = new_stack()
    api = SecureHttpApi(stack, "Api", auth="iam", audit=None, monitoring=None)
    api.add_route("GET", "/items", inline_function(stack), auth="iam")
    # Without auth=, a route takes the API's: AWS_IAM.
    assert api.add_route("GET", "/other", inline_function(stack, "Other")).auth == "iam"
    with pytest.raises(SecureApiConfigError) as raised:
        api.add_route("GET", "/bearer", inline_function(stack, "Third"), auth="bearer")
    assert raised.value.field == "add_route.auth"
    app.synth()
    template = Template.from_stack(stack)
    assert resources(template, "AWS::ApiGatewayV2::Authorizer") == {}
    assert v2_routes(template)["GET /items"]["AuthorizationType"] == "AWS_IAM"
    assert v2_routes(template)["GET /other"]["AuthorizationType"] == "AWS_IAM"


def test_fails_route_added_after_synthesis() -> None:
    app, stack = new_stack()
    api = SecureHttpApi(stack, "Api", auth=AUTH, audit=None, monitoring=None)
    api.add_route("GET", "/items", inline_function(stack), scopes=["items:read"])
    app.synth()
    with pytest.raises(SecureApiConfigError) as raised:
        api.add_route("GET", "/late", inline_function(stack, "Late"), scopes=["items:read"])
    assert (
        str(raised.value) == "add_route: got 'GET /late'; expected routes added before the app is synthesized"
    )
    assert [r.key for r in api.routes] == ["GET /items"]


def refused(field: str, **kwargs: Any) -> SecureApiConfigError:
    _, stack = new_stack()
    options: dict[str, Any] = {"auth": AUTH, "audit": None, "monitoring": None, **kwargs}
    with pytest.raises(SecureApiConfigError) as raised:
        SecureHttpApi(stack, "Api", **options)
    assert raised.value.field == field
    # Nothing was created: the checks run before the construct exists.
    assert stack.node.try_find_child("Api") is None
    return raised.value


def test_fails_without_auth() -> None:
    refused("auth", auth=None)


def test_fails_with_usage_tiers() -> None:
    error = refused(
        "usage_tiers", usage_tiers=[UsageTier("gold", throttle=Throttle(rate_limit=1, burst_limit=2))]
    )
    assert "SecureRestApi" in str(error)


def test_fails_with_firewall() -> None:
    assert "CloudFront" in str(refused("firewall", firewall=Firewall()))


def test_fails_native_with_es256() -> None:
    refused(
        "BearerAuth.algorithms",
        auth=BearerAuth(issuer="https://login.example.com/", audience=["a"], algorithms=["ES256"]),
        authorizer="native",
    )


def test_fails_duplicate_route() -> None:
    _, stack = new_stack()
    api = SecureHttpApi(stack, "Api", auth=AUTH, audit=None, monitoring=None)
    fn = inline_function(stack)
    api.add_route("GET", "/orders", fn, scopes=["orders:read"])
    with pytest.raises(SecureApiConfigError) as raised:
        api.add_route("GET", "/orders", fn, scopes=["orders:read"])
    assert raised.value.field == "add_route"


def test_fails_with_bad_integration() -> None:
    _, stack = new_stack()
    api = SecureHttpApi(stack, "Api", auth=AUTH, audit=None, monitoring=None)
    with pytest.raises(SecureApiConfigError) as raised:
        api.add_route("GET", "/orders", "arn:aws:lambda:eu-west-1:123456789012:function:f", scopes=["a"])
    assert raised.value.field == "add_route.integration"


def test_fails_with_options_route_and_cors() -> None:
    _, stack = new_stack()
    api = SecureHttpApi(stack, "Api", auth=AUTH, cors=CorsPolicy("*"), audit=None, monitoring=None)
    with pytest.raises(SecureApiConfigError) as raised:
        api.add_route("OPTIONS", "/orders", inline_function(stack), auth="none")
    assert raised.value.field == "add_route.method"


def test_lambda_authorizer_route_scopes_written_at_synthesis() -> None:
    app, stack = new_stack()
    api = SecureHttpApi(stack, "Api", auth=AUTH, authorizer="lambda", audit=None, monitoring=None)
    fn = inline_function(stack)
    api.add_route("GET", "/orders/{id}", fn, scopes=["orders:read"])
    api.add_route("DELETE", "/orders/{id}", fn, auth="iam")
    app.synth()
    function = resources(Template.from_stack(stack), "AWS::Lambda::Function")
    env = [f["Properties"].get("Environment", {}).get("Variables", {}) for f in function.values()]
    assert any(e.get("ROUTE_SCOPES_FILE") == "route_scopes.json" for e in env)
    assert api._authorization.bearer is not None
    assert api._authorization.bearer.route_scopes() == {"GET /orders/{id}": ["orders:read"]}
    with pytest.raises(SecureApiConfigError):
        api.add_route("GET", "/late", fn, scopes=["orders:read"])


def test_native_authorizer_warns_what_it_ignores() -> None:
    _, stack = new_stack()
    auth = BearerAuth(
        issuer="https://login.example.com/", audience=["orders-api"], leeway=cdk.Duration.seconds(0)
    )
    api = SecureHttpApi(stack, "Api", auth=auth, audit=None, monitoring=None)
    api.add_route("GET", "/items", inline_function(stack), scopes=["items:read"])
    found = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("native-authorizer-ignores")
    )
    assert len(found) == 1
    assert "BearerAuth.leeway=0s" in found[0].entry.data
    assert "authorizer='lambda'" in found[0].entry.data


def test_throttles_above_account_limits_warn() -> None:
    _, stack = new_stack()
    api = SecureHttpApi(
        stack,
        "Api",
        auth="iam",
        throttle=Throttle(rate_limit=20_000, burst_limit=2000),
        audit=None,
        monitoring=None,
    )
    api.add_route(
        "GET",
        "/items",
        inline_function(stack),
        auth="iam",
        throttle=Throttle(rate_limit=10, burst_limit=9000),
    )
    found = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("throttle-above-account-limit")
    )
    texts = sorted(w.entry.data for w in found)
    assert len(texts) == 2
    assert any("secure_api: throttle: rate_limit 20000" in t for t in texts)
    assert any("add_route('GET /items').throttle: burst_limit 9000" in t for t in texts)


def test_fails_removal_policy_other_than_retain_or_destroy() -> None:
    error = refused("removal_policy", removal_policy="DESTROY")
    assert "RemovalPolicy.RETAIN" in str(error)


def test_removal_policy_destroy() -> None:
    app, stack = new_stack()
    api = SecureHttpApi(
        stack, "Api", auth="iam", audit=None, monitoring=None, removal_policy=cdk.RemovalPolicy.DESTROY
    )
    api.add_route("GET", "/items", inline_function(stack))
    app.synth()
    template = Template.from_stack(stack).to_json()["Resources"]
    kept = [k for k, r in template.items() if r.get("DeletionPolicy") == "Retain" and k.startswith("Api")]
    assert kept == []
    found = Annotations.from_stack(stack).find_warning(
        "*", Match.string_like_regexp("removal-policy-destroy")
    )
    assert len(found) == 1
