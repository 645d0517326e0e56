"""The Security Hub checker: each control found where it fails and nowhere else, an unknown control id
refused, acknowledgements applied through CDK's validation report, and the library's own stacks passing
every control but the one acknowledged by design (APIGateway.2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_lambda as lambda_

from secure_api import BearerAuth, CustomDomain, MutualTls, SecureRestApi, compliance
from secure_api.compliance import ACKNOWLEDGEMENTS
from secure_api.verify.checks import RECOMMENDED_SECURITY_POLICIES
from tests.compliance.securityhub import (
    CONTROLS,
    PLUGIN_NAME,
    UnknownControlError,
    check,
    check_acknowledgements,
)
from tests.compliance.securityhub.controls import Finding
from tests.compliance.securityhub.plugin import SecurityHubPlugin

_AUTH = BearerAuth(issuer="https://login.example.com/", audience=["orders-api"])
_CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
_LOG_GROUP = "arn:aws:logs:eu-west-1:123456789012:log-group:access"

Mutation = Callable[[SecureRestApi, apigw.CfnStage], None]


def _stage(api: SecureRestApi) -> apigw.CfnStage:
    cfn = api.stage.node.default_child
    assert isinstance(cfn, apigw.CfnStage)
    return cfn


def _rest(stack: cdk.Stack, mutate: Mutation | None = None, **options: Any) -> None:
    """A SecureRestApi with one route; its stage given a client certificate (so that it passes every
    control) unless ``mutate`` changes that."""
    api = SecureRestApi(stack, "Api", auth=_AUTH, **options)
    backend = lambda_.Function(
        stack,
        "Backend",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    )
    api.add_route("GET", "/orders", backend)
    _stage(api).client_certificate_id = "abc123"
    if mutate is not None:
        mutate(api, _stage(api))


def _no_client_certificate(_: SecureRestApi, stage: apigw.CfnStage) -> None:
    stage.client_certificate_id = None


def _logging_off(_: SecureRestApi, stage: apigw.CfnStage) -> None:
    stage.add_property_override("MethodSettings.0.LoggingLevel", "OFF")


def _tracing_off(_: SecureRestApi, stage: apigw.CfnStage) -> None:
    stage.tracing_enabled = False


def _cache_unencrypted(_: SecureRestApi, stage: apigw.CfnStage) -> None:
    stage.cache_cluster_enabled = True
    stage.cache_cluster_size = "0.5"
    stage.add_property_override("MethodSettings.0.CachingEnabled", True)
    stage.add_property_override("MethodSettings.0.CacheDataEncrypted", False)


def _websocket(
    stack: cdk.Stack, *, route_auth: str = "AWS_IAM", level: str = "ERROR", logs: bool = True
) -> None:
    api = apigwv2.CfnApi(
        stack, "Ws", name="ws", protocol_type="WEBSOCKET", route_selection_expression="$request.body.action"
    )
    apigwv2.CfnRoute(stack, "Route", api_id=api.ref, route_key="$connect", authorization_type=route_auth)
    apigwv2.CfnStage(
        stack,
        "WsStage",
        api_id=api.ref,
        stage_name="prod",
        default_route_settings=apigwv2.CfnStage.RouteSettingsProperty(logging_level=level),
        access_log_settings=(
            apigwv2.CfnStage.AccessLogSettingsProperty(
                destination_arn=_LOG_GROUP, format="$context.requestId"
            )
            if logs
            else None
        ),
    )


def _http_vpc_link(stack: cdk.Stack) -> None:
    api = apigwv2.CfnApi(stack, "Http", name="http", protocol_type="HTTP")
    integration = apigwv2.CfnIntegration(
        stack,
        "Private",
        api_id=api.ref,
        integration_type="HTTP_PROXY",
        integration_method="ANY",
        integration_uri="arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/alb/1/2",
        connection_type="VPC_LINK",
        connection_id="vpclink-1",
        payload_format_version="1.0",
    )
    apigwv2.CfnRoute(
        stack,
        "Route",
        api_id=api.ref,
        route_key="GET /orders",
        authorization_type="AWS_IAM",
        target=f"integrations/{integration.ref}",
    )
    apigwv2.CfnStage(
        stack,
        "HttpStage",
        api_id=api.ref,
        stage_name="$default",
        access_log_settings=apigwv2.CfnStage.AccessLogSettingsProperty(
            destination_arn=_LOG_GROUP, format="$context.requestId"
        ),
    )


# name -> (builder, the control it alone fails, the logical id prefix of the failing resource)
CASES: dict[str, tuple[Callable[[cdk.Stack], None], str | None, str | None]] = {
    "rest-compliant": (_rest, None, None),
    "rest-logging-off": (lambda s: _rest(s, _logging_off), "APIGateway.1", "ApiDeploymentStage"),
    "rest-no-client-certificate": (
        lambda s: _rest(s, _no_client_certificate),
        "APIGateway.2",
        "ApiDeploymentStage",
    ),
    "rest-tracing-off": (lambda s: _rest(s, _tracing_off), "APIGateway.3", "ApiDeploymentStage"),
    "rest-no-firewall": (lambda s: _rest(s, firewall=None), "APIGateway.4", "ApiDeploymentStage"),
    "rest-cache-unencrypted": (lambda s: _rest(s, _cache_unencrypted), "APIGateway.5", "ApiDeploymentStage"),
    "rest-domain-tls12": (
        lambda s: _rest(
            s,
            domain=CustomDomain(
                domain_name="api.example.org",
                certificate_arn=_CERTIFICATE,
                security_policy=apigw.SecurityPolicy.TLS_1_2,
            ),
        ),
        "APIGateway.11",
        "ApiDomainName",
    ),
    "ws-compliant": (_websocket, None, None),
    "ws-logging-off": (lambda s: _websocket(s, level="OFF"), "APIGateway.1", "WsStage"),
    "ws-route-none": (lambda s: _websocket(s, route_auth="NONE"), "APIGateway.8", "Route"),
    "ws-no-access-logs": (lambda s: _websocket(s, logs=False), "APIGateway.9", "WsStage"),
    "http-vpc-link-plain": (_http_vpc_link, "APIGateway.10", "Private"),
}


@pytest.fixture(scope="module")
def templates(make_app: Callable[..., cdk.App]) -> dict[str, dict[str, Any]]:
    """Every case's template, all built in one app."""
    app = make_app()
    stacks = {}
    for name, (build, _, _) in CASES.items():
        stack = cdk.Stack(app, "".join(word.title() for word in name.split("-")))
        build(stack)
        stacks[name] = stack
    assembly = app.synth()
    return {name: assembly.get_stack_by_name(stack.stack_name).template for name, stack in stacks.items()}


@pytest.mark.parametrize("case", sorted(CASES))
def test_exactly_the_violated_control_is_reported(templates: dict[str, dict[str, Any]], case: str) -> None:
    _, control, resource = CASES[case]
    findings = check(templates[case])
    assert {f.control for f in findings} == ({control} if control else set()), findings
    assert all(f.logical_id.startswith(str(resource)) for f in findings), findings


def test_every_control_has_a_failing_case() -> None:
    assert {control for _, control, _ in CASES.values() if control} == set(CONTROLS)


def test_a_route_setting_without_logging_level_is_off() -> None:
    template = {
        "Resources": {
            "Ws": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "WEBSOCKET"}},
            "Stage": {
                "Type": "AWS::ApiGatewayV2::Stage",
                "Properties": {
                    "ApiId": {"Ref": "Ws"},
                    "DefaultRouteSettings": {"LoggingLevel": "ERROR"},
                    "RouteSettings": {"send": {"ThrottlingRateLimit": 10}},
                    "AccessLogSettings": {"DestinationArn": _LOG_GROUP},
                },
            },
        }
    }
    assert check(template) == [Finding("Stage", "APIGateway.1", "RouteSettings send LoggingLevel OFF")]


def test_a_deployment_stage_is_a_stage() -> None:
    """A Deployment with a StageName creates a stage: it is evaluated from its StageDescription."""
    template: dict[str, Any] = {
        "Resources": {
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {}},
            "Deployment": {
                "Type": "AWS::ApiGateway::Deployment",
                "Properties": {
                    "RestApiId": {"Ref": "Api"},
                    "StageName": "prod",
                    "StageDescription": {
                        "LoggingLevel": "INFO",
                        "TracingEnabled": True,
                        "ClientCertificateId": "c",
                    },
                },
            },
            "Association": {
                "Type": "AWS::WAFv2::WebACLAssociation",
                "Properties": {
                    "ResourceArn": {
                        "Fn::Sub": [
                            "arn:aws:apigateway:eu-west-1::/restapis/${Id}/stages/prod",
                            {"Id": {"Ref": "Api"}},
                        ]
                    },
                    "WebACLArn": "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/x/1",
                },
            },
        }
    }
    assert check(template) == []
    del template["Resources"]["Association"]
    template["Resources"]["Deployment"]["Properties"]["StageDescription"]["LoggingLevel"] = "OFF"
    assert {f.control for f in check(template)} == {"APIGateway.1", "APIGateway.4"}


def test_an_unknown_control_is_an_error() -> None:
    with pytest.raises(UnknownControlError, match=r"APIGateway\.6"):
        check({"Resources": {}}, ["APIGateway.1", "APIGateway.6"])
    with pytest.raises(UnknownControlError, match=r"'typo'.*APIGateway\.12"):
        check_acknowledgements(
            {"typo": ["AwsSolutions::AwsSolutions-APIG1", f"{PLUGIN_NAME}::APIGateway.12"]}
        )


def test_every_acknowledged_control_is_known() -> None:
    check_acknowledgements({name: ack.rules for name, ack in ACKNOWLEDGEMENTS.items()})


def test_the_example_passes_every_control_but_the_client_certificate(example_template: Any) -> None:
    """Without any acknowledgement (the checker ignores them): .11 passes on the example's custom domain,
    and .2 is the only control that fails by design (acknowledged on the stage)."""
    template = example_template.to_json()
    domains = [r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::DomainName"]
    assert [d["Properties"]["SecurityPolicy"] for d in domains] == ["SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09"]
    assert check(template, ["APIGateway.11"]) == []
    assert {f.control for f in check(template)} == {"APIGateway.2"}
    # APIGateway.11 is acknowledged only where AWS offers nothing but TLS_1_2: WebSocket and HTTP API
    # domains and domains with mutual TLS.
    assert {n for n, a in ACKNOWLEDGEMENTS.items() if "securityhub::APIGateway.11" in a.rules} == {
        "websocket-domain-tls12",
        "http-domain-tls12",
        "domain-mtls-tls12",
    }
    # The control evaluates custom domains; the REST API's own endpoint has a policy it would accept too.
    [api] = [r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    assert api["Properties"]["SecurityPolicy"] in RECOMMENDED_SECURITY_POLICIES
    assert api["Properties"]["EndpointAccessMode"] == "STRICT"


def test_mutual_tls_domain_is_acknowledged(context: dict[str, Any], tmp_path: Path) -> None:
    """A domain with mutual TLS has TLS_1_2 (AWS offers nothing else with it): the checker finds
    APIGateway.11 on it, and the acknowledgement takes it out of CDK's validation (the synth, which fails
    on a violation left, succeeds)."""
    app = cdk.App(context=context, outdir=str(tmp_path))
    plugin = SecurityHubPlugin()
    cdk.Validations.of(app).add_plugins(plugin)
    stack = cdk.Stack(app, "MutualTls")
    mtls = MutualTls(
        truststore_bucket="truststores-example", truststore_key="ca.pem", truststore_version="v1"
    )
    _rest(stack, domain=CustomDomain(domain_name="api.example.org", certificate_arn=_CERTIFICATE, mtls=mtls))
    template = app.synth().get_stack_by_name("MutualTls").template
    assert plugin.evaluated, "the plugin did not run"
    [finding] = check(template)
    assert (finding.control, finding.reason) == ("APIGateway.11", "SecurityPolicy TLS_1_2")
    assert finding.logical_id.startswith("ApiDomainName")


def test_acknowledgements_reach_the_plugin(context: dict[str, Any], tmp_path: Path) -> None:
    """An acknowledged finding leaves CDK's validation report; the same finding on another resource stays."""
    app = cdk.App(context=context, outdir=str(tmp_path))
    cdk.Validations.of(app).add_plugins(SecurityHubPlugin())
    stack = cdk.Stack(app, "Acknowledged")
    api = apigwv2.CfnApi(
        stack, "Ws", name="ws", protocol_type="WEBSOCKET", route_selection_expression="$request.body.action"
    )
    acknowledged = apigwv2.CfnRoute(
        stack, "Send", api_id=api.ref, route_key="send", authorization_type="NONE"
    )
    apigwv2.CfnRoute(stack, "Other", api_id=api.ref, route_key="other", authorization_type="NONE")
    compliance.acknowledge(acknowledged, "websocket-route-on-connection")
    try:
        app.synth()
    except Exception as error:  # a violation left may fail the synth, as in the gate
        assert "Validation failed" in str(error) or "ValidationFailed" in str(error)
    report = json.loads((tmp_path / "validation-report.json").read_text())
    [plugin] = [r for r in report["pluginReports"] if r["pluginName"] == PLUGIN_NAME]
    reported = {
        (v["ruleName"], c["constructPath"]) for v in plugin["violations"] for c in v["violatingConstructs"]
    }
    assert reported == {("APIGateway.8", "Acknowledged/Other")}


def test_the_http_example_passes_every_v2_control(http_example_template: Any) -> None:
    """Without any acknowledgement (the checker ignores them): every route of the example HTTP API is
    authorized (.8), its stage writes access logs (.9), it has no private integration (.10); .11 fails
    only on its custom domain, whose TLS_1_2 is the only policy an HTTP API's domain can have
    (acknowledged: http-domain-tls12), and .1 does not apply to HTTP APIs."""
    template = http_example_template.to_json()
    assert check(template, ["APIGateway.1", "APIGateway.8", "APIGateway.9", "APIGateway.10"]) == []
    [finding] = check(template)
    assert (finding.control, finding.reason) == ("APIGateway.11", "SecurityPolicy TLS_1_2")
    assert finding.logical_id.startswith("OrdersHttpApiDomainName")
