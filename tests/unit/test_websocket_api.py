"""``SecureWebSocketApi``: the stage, the $connect authorizer, domain, logs, outputs and grants."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk.assertions import Template

import secure_api
from secure_api import (
    AccessPolicy,
    BearerAuth,
    Consumer,
    CustomDomain,
    SecureWebSocketApi,
    Throttle,
    UsageTier,
)
from secure_api.access_logs import WEBSOCKET_ACCESS_LOG_FIELDS
from secure_api.keys import stack_outputs
from tests.unit.helpers import inline_function, new_stack

AUTH = BearerAuth(issuer="https://login.example.com/", audience=["chat"])
DOMAIN = CustomDomain(
    domain_name="chat.example.com", hosted_zone_id="Z0123456789ABC", hosted_zone_name="example.com"
)
OFF: dict[str, Any] = {"audit": None, "monitoring": None}


def _of_type(template: dict[str, Any], type_: str) -> dict[str, Any]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == type_}


def _one(template: dict[str, Any], type_: str) -> dict[str, Any]:
    found = list(_of_type(template, type_).values())
    assert len(found) == 1, f"{len(found)} {type_}"
    return found[0]["Properties"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def full() -> dict[str, Any]:
    """Every authorizer option, a domain and a route; synthesized once."""
    _, stack = new_stack()
    chat = SecureWebSocketApi(
        stack,
        "Chat",
        auth=AUTH,
        connect_scopes=["chat:connect"],
        allowed_origins=["https://app.example.com"],
        token_query_parameter="access_token",
        access=AccessPolicy(
            allow_ip_ranges=["203.0.113.0/24", "2001:db8::/32"], deny_ip_ranges=["203.0.113.128/25"]
        ),
        domain=DOMAIN,
        **OFF,
    )
    send = inline_function(stack, "Send")
    chat.add_route("sendMessage", send, throttle=Throttle(rate_limit=100, burst_limit=200))
    chat.grant_manage_connections(send)
    return {"api": chat, "stack": stack, "template": Template.from_stack(stack).to_json()}


@pytest.fixture(scope="module")
def plain() -> dict[str, Any]:
    """BearerAuth only, header tokens, no domain."""
    _, stack = new_stack()
    chat = SecureWebSocketApi(stack, "Chat", auth=AUTH, **OFF)
    return {"api": chat, "stack": stack, "template": Template.from_stack(stack).to_json()}


def test_exported_from_the_package() -> None:
    assert "SecureWebSocketApi" in secure_api.__all__
    assert secure_api.SecureWebSocketApi is SecureWebSocketApi


def test_api_is_a_websocket_api(plain: dict[str, Any]) -> None:
    api = _one(plain["template"], "AWS::ApiGatewayV2::Api")
    assert api["ProtocolType"] == "WEBSOCKET"
    assert api["RouteSelectionExpression"] == "$request.body.action"
    assert "DisableExecuteApiEndpoint" not in api
    assert "ApiKeySelectionExpression" not in api


def test_stage_default_route_settings(plain: dict[str, Any]) -> None:
    stage = _one(plain["template"], "AWS::ApiGatewayV2::Stage")
    assert stage["StageName"] == "prod"
    assert stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"] == {
        "DataTraceEnabled": False,
        "DetailedMetricsEnabled": True,
        "LoggingLevel": "ERROR",
        "ThrottlingBurstLimit": 2000,
        "ThrottlingRateLimit": 1000,
    }


def test_access_logs_are_json_without_query_string(plain: dict[str, Any]) -> None:
    template = plain["template"]
    settings = _one(template, "AWS::ApiGatewayV2::Stage")["AccessLogSettings"]
    fields = json.loads(settings["Format"])
    assert list(fields) == [
        "requestId", "connectionId", "eventType", "routeKey", "messageId", "ip", "userAgent", "apiKeyId",
        "principalId", "authorizerError", "integrationError", "status", "requestTime", "requestTimeEpoch",
    ]  # fmt: skip
    assert fields == WEBSOCKET_ACCESS_LOG_FIELDS
    assert "querystring" not in settings["Format"].lower()
    assert "queryString" not in settings["Format"]
    assert settings["DestinationArn"]["Fn::GetAtt"][1] == "Arn"
    groups = _of_type(template, "AWS::Logs::LogGroup")
    assert groups and all(
        "KmsKeyId" in g["Properties"] and "RetentionInDays" in g["Properties"] for g in groups.values()
    )


def test_header_authorizer(plain: dict[str, Any]) -> None:
    template = plain["template"]
    authorizer = _one(template, "AWS::ApiGatewayV2::Authorizer")
    assert authorizer["AuthorizerType"] == "REQUEST"
    assert authorizer["IdentitySource"] == ["route.request.header.Authorization"]
    assert "AuthorizerResultTtlInSeconds" not in authorizer
    env = _authorizer_env(template)
    assert env == AUTH.environment()
    assert "ROUTE_SCOPES" not in env and "ROUTE_SCOPES_FILE" not in env


def _authorizer_env(template: dict[str, Any]) -> dict[str, str]:
    (fn,) = [
        f["Properties"]
        for f in _of_type(template, "AWS::Lambda::Function").values()
        if "JWKS_URI" in f["Properties"].get("Environment", {}).get("Variables", {})
    ]
    return fn["Environment"]["Variables"]  # type: ignore[no-any-return]


def test_query_token_authorizer_has_no_identity_source(full: dict[str, Any]) -> None:
    # API Gateway requires every identity source: a header source would refuse query-token handshakes.
    assert "IdentitySource" not in _one(full["template"], "AWS::ApiGatewayV2::Authorizer")


def test_authorizer_environment(full: dict[str, Any]) -> None:
    env = _authorizer_env(full["template"])
    assert json.loads(env["CONNECT_SCOPES"]) == ["chat:connect"]
    assert json.loads(env["ALLOWED_ORIGINS"]) == ["https://app.example.com"]
    assert json.loads(env["ALLOW_IP_RANGES"]) == ["203.0.113.0/24", "2001:db8::/32"]
    assert json.loads(env["DENY_IP_RANGES"]) == ["203.0.113.128/25"]
    assert env["TOKEN_QUERY_PARAMETER"] == "access_token"
    assert {k: v for k, v in env.items() if k in AUTH.environment()} == AUTH.environment()


def test_connect_route_uses_the_authorizer_and_a_mock(plain: dict[str, Any]) -> None:
    template = plain["template"]
    (connect,) = [
        r["Properties"] for r in _of_type(template, "AWS::ApiGatewayV2::Route").values()
        if r["Properties"]["RouteKey"] == "$connect"
    ]  # fmt: skip
    assert connect["AuthorizationType"] == "CUSTOM"
    assert connect["ApiKeyRequired"] is False
    mock = _one(template, "AWS::ApiGatewayV2::Integration")
    assert mock["IntegrationType"] == "MOCK"
    assert json.loads(mock["RequestTemplates"][mock["TemplateSelectionExpression"]]) == {"statusCode": 200}


def test_authorizer_permission_is_this_authorizer_only(plain: dict[str, Any]) -> None:
    (permission,) = _of_type(plain["template"], "AWS::Lambda::Permission").values()
    source = json.dumps(permission["Properties"]["SourceArn"])
    assert "/authorizers/" in source


def test_iam_connect() -> None:
    _, stack = new_stack()
    chat = SecureWebSocketApi(stack, "Chat", auth="iam", connect_handler=inline_function(stack), **OFF)
    template = Template.from_stack(stack).to_json()
    (connect,) = _of_type(template, "AWS::ApiGatewayV2::Route").values()
    assert connect["Properties"]["AuthorizationType"] == "AWS_IAM"
    assert not _of_type(template, "AWS::ApiGatewayV2::Authorizer")
    assert _one(template, "AWS::ApiGatewayV2::Integration")["IntegrationType"] == "AWS_PROXY"
    assert chat.authorizer is None and chat.authorizer_function is None


def test_connect_handler_integration() -> None:
    _, stack = new_stack()
    SecureWebSocketApi(
        stack, "Chat", auth=AUTH, connect_handler=integrations.WebSocketMockIntegration("Custom"), **OFF
    )
    assert (
        _one(Template.from_stack(stack).to_json(), "AWS::ApiGatewayV2::Integration")["IntegrationType"]
        == "MOCK"
    )


def test_domain(full: dict[str, Any]) -> None:
    template = full["template"]
    assert _one(template, "AWS::ApiGatewayV2::Api")["DisableExecuteApiEndpoint"] is True
    domain = _one(template, "AWS::ApiGatewayV2::DomainName")
    assert domain["DomainNameConfigurations"][0]["EndpointType"] == "REGIONAL"
    assert domain["DomainNameConfigurations"][0]["SecurityPolicy"] == "TLS_1_2"
    assert _one(template, "AWS::ApiGatewayV2::ApiMapping")["Stage"] == "prod"
    records = sorted(r["Properties"]["Type"] for r in _of_type(template, "AWS::Route53::RecordSet").values())
    assert records == ["A", "AAAA"]
    assert _of_type(template, "AWS::CertificateManager::Certificate")
    assert full["api"].url == "wss://chat.example.com"


def test_outputs(full: dict[str, Any], plain: dict[str, Any]) -> None:
    outputs = full["template"]["Outputs"]
    assert outputs[f"Chat{stack_outputs.WEB_SOCKET_API_ID}"]["Value"] == {
        "Ref": _logical_id(full, "AWS::ApiGatewayV2::Api")
    }
    assert outputs["ChatUrl"]["Value"] == "wss://chat.example.com"
    assert outputs["ChatStageName"]["Value"] == "prod"
    assert "ChatKeySecretsPrefix" not in outputs and "ChatRestApiId" not in outputs
    assert set(full["api"].outputs) == {"WebSocketApiId", "Url", "StageName"}
    url = json.dumps(plain["template"]["Outputs"]["ChatUrl"]["Value"])
    assert url.startswith('{"Fn::Join": ["", ["wss://"') and "/prod" in url


def _logical_id(built: dict[str, Any], type_: str) -> str:
    (logical_id,) = _of_type(built["template"], type_)
    return logical_id  # type: ignore[no-any-return]


def test_grant_manage_connections_is_this_stage_only(full: dict[str, Any]) -> None:
    statements = [
        s
        for p in _of_type(full["template"], "AWS::IAM::Policy").values()
        for s in p["Properties"]["PolicyDocument"]["Statement"]
        if s["Action"] == "execute-api:ManageConnections"
    ]
    assert len(statements) == 1
    resources = [json.dumps(r) for r in statements[0]["Resource"]]
    assert len(resources) == 3
    for method in ("POST", "GET", "DELETE"):
        assert sum(f'"/prod/{method}/@connections/*"' in r for r in resources) == 1
    assert all(_logical_id(full, "AWS::ApiGatewayV2::Api") in r for r in resources)


def test_escape_hatches(full: dict[str, Any]) -> None:
    api = full["api"]
    for name in (
        "web_socket_api", "stage", "authorizer", "authorizer_function", "domain_name", "usage_plans",
        "access_log_group", "alarm_topic", "dashboard", "url", "outputs",
    ):  # fmt: skip
        assert hasattr(api, name), name
    assert api.usage_plans == {}


def test_disabled_protections_warn() -> None:
    _, stack = new_stack()
    SecureWebSocketApi(stack, "Chat", auth=AUTH, **OFF)
    warnings = [
        str(m.data) for m in stack.node.find_child("Chat").node.metadata if m.type == "aws:cdk:warning"
    ]
    assert any("audit=None" in w for w in warnings)
    assert any("monitoring=None" in w for w in warnings)


def test_bare_app_without_feature_flags() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "Bare")
    chat = SecureWebSocketApi(stack, "Chat", auth=AUTH, domain=DOMAIN, **OFF)
    chat.add_route("sendMessage", inline_function(stack), throttle=Throttle(rate_limit=10, burst_limit=20))
    template = Template.from_stack(stack).to_json()
    stage = _one(template, "AWS::ApiGatewayV2::Stage")
    assert stage["DefaultRouteSettings"]["LoggingLevel"] == "ERROR"
    assert stage["RouteSettings"]["sendMessage"]["ThrottlingRateLimit"] == 10
    assert _one(template, "AWS::ApiGatewayV2::Api")["DisableExecuteApiEndpoint"] is True


@pytest.fixture(scope="module")
def tiered() -> dict[str, Any]:
    """Usage tiers, a consumer, the default audit trail and monitoring."""
    _, stack = new_stack()
    chat = SecureWebSocketApi(
        stack,
        "Chat",
        auth=AUTH,
        usage_tiers=[UsageTier("gold", throttle=Throttle(rate_limit=50, burst_limit=100))],
        consumers=[Consumer("mobile-app", tier="gold")],
    )
    chat.add_route("sendMessage", inline_function(stack))
    return {"api": chat, "template": Template.from_stack(stack).to_json()}


def test_tiers_require_keys_on_connect(tiered: dict[str, Any]) -> None:
    template = tiered["template"]
    assert (
        _one(template, "AWS::ApiGatewayV2::Api")["ApiKeySelectionExpression"] == "$request.header.x-api-key"
    )
    (connect,) = [
        r["Properties"] for r in _of_type(template, "AWS::ApiGatewayV2::Route").values()
        if r["Properties"]["RouteKey"] == "$connect"
    ]  # fmt: skip
    assert connect["ApiKeyRequired"] is True
    assert set(tiered["api"].usage_plans) == {"gold"}


def test_tiers_outputs_and_tag(tiered: dict[str, Any]) -> None:
    outputs = tiered["template"]["Outputs"]
    assert {"ChatKeySecretsPrefix", "ChatKeysKmsKeyArn"} <= set(outputs)
    tags = _one(tiered["template"], "AWS::ApiGatewayV2::Api")["Tags"]
    assert stack_outputs.KEYS_KMS_KEY_TAG in tags


def test_defaults_have_alarms_dashboard_and_trail(tiered: dict[str, Any]) -> None:
    api = tiered["api"]
    assert api.alarm_topic is not None and api.dashboard is not None
    assert _of_type(tiered["template"], "AWS::CloudTrail::Trail")


def test_api_key_claim_selects_keys_from_the_authorizer() -> None:
    _, stack = new_stack()
    auth = BearerAuth(issuer="https://login.example.com/", audience=["chat"], api_key_claim="consumer")
    SecureWebSocketApi(
        stack,
        "Chat",
        auth=auth,
        usage_tiers=[UsageTier("gold")],
        consumers=[Consumer("a", tier="gold")],
        **OFF,
    )
    api = _one(Template.from_stack(stack).to_json(), "AWS::ApiGatewayV2::Api")
    assert api["ApiKeySelectionExpression"] == "$context.authorizer.usageIdentifierKey"
