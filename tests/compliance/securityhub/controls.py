"""One function per AWS Security Hub control for API Gateway, each evaluating the synthesized template the
way the control's AWS Config rule evaluates the deployed resources.

Every function takes the template and returns its findings; a setting that is not a literal (an
intrinsic function the template leaves to deploy time) never counts as compliant.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from secure_api.verify.checks import RECOMMENDED_SECURITY_POLICIES
from tests.compliance.securityhub.template import (
    Template,
    flatten,
    is_stage_wide,
    literal,
    resources,
    rest_stages,
    v2_protocol,
    web_acl_targets,
)

LOGGING_LEVELS = ("ERROR", "INFO")
"""The execution logging levels APIGateway.1 accepts (its default parameter)."""


@dataclass(frozen=True, order=True)
class Finding:
    """One failed control on one resource."""

    logical_id: str
    control: str
    reason: str

    def __str__(self) -> str:
        return f"{self.control} @ {self.logical_id}: {self.reason}"


def _where(setting: dict[str, Any]) -> str:
    return f"{setting.get('HttpMethod', '?')} {setting.get('ResourcePath', '?')}"


def _is_true(value: Any) -> bool:
    return literal(value) is True or literal(value) == "true"


def _route_settings(value: Any) -> dict[str, Any]:
    settings = json.loads(value) if isinstance(value, str) else value
    return settings if isinstance(settings, dict) else {}


def execution_logging(template: Template) -> list[Finding]:
    """APIGateway.1 (api-gw-execution-logging-enabled): every method of every REST stage and every route
    of every WebSocket stage logs at ERROR or INFO. A REST method setting or WebSocket route setting
    without a ``LoggingLevel`` is OFF for that method or route; HTTP APIs have no execution logging."""
    out = []
    for stage in rest_stages(template):
        settings = stage.method_settings
        if not any(is_stage_wide(s) for s in settings):
            out.append(
                Finding(stage.logical_id, "APIGateway.1", "no */* method setting: execution logging OFF")
            )
        for setting in settings:
            level = literal(setting.get("LoggingLevel"))
            if level not in LOGGING_LEVELS:
                out.append(
                    Finding(
                        stage.logical_id,
                        "APIGateway.1",
                        f"LoggingLevel {level or 'OFF'} on {_where(setting)}",
                    )
                )
    for logical_id, props in resources(template, "AWS::ApiGatewayV2::Stage"):
        if v2_protocol(template, props.get("ApiId")) == "HTTP":
            continue
        level = literal((props.get("DefaultRouteSettings") or {}).get("LoggingLevel"))
        if level not in LOGGING_LEVELS:
            out.append(
                Finding(logical_id, "APIGateway.1", f"DefaultRouteSettings LoggingLevel {level or 'OFF'}")
            )
        for route, setting in _route_settings(props.get("RouteSettings")).items():
            level = literal((setting or {}).get("LoggingLevel"))
            if level not in LOGGING_LEVELS:
                out.append(
                    Finding(
                        logical_id, "APIGateway.1", f"RouteSettings {route} LoggingLevel {level or 'OFF'}"
                    )
                )
    return out


def backend_client_certificate(template: Template) -> list[Finding]:
    """APIGateway.2 (api-gw-ssl-enabled): every REST stage has a client certificate for its backends."""
    return [
        Finding(stage.logical_id, "APIGateway.2", "no ClientCertificateId")
        for stage in rest_stages(template)
        if not stage.client_certificate_id
    ]


def xray_tracing(template: Template) -> list[Finding]:
    """APIGateway.3 (api-gw-xray-enabled): every REST stage has X-Ray tracing on."""
    return [
        Finding(stage.logical_id, "APIGateway.3", "TracingEnabled is not true")
        for stage in rest_stages(template)
        if not _is_true(stage.tracing_enabled)
    ]


def waf_web_acl(template: Template) -> list[Finding]:
    """APIGateway.4 (api-gw-associated-with-waf): every REST stage is the ``ResourceArn`` of a WAFv2
    ``WebACLAssociation``."""
    targets = web_acl_targets(template)
    return [
        Finding(stage.logical_id, "APIGateway.4", "no AWS WAF web ACL associated with the stage")
        for stage in rest_stages(template)
        if not any((stage.rest_api, name) in targets for name in stage.names)
    ]


def cache_encrypted(template: Template) -> list[Finding]:
    """APIGateway.5 (api-gw-cache-encrypted): every REST method that caches encrypts its cache data
    (with a cache cluster, the ``*/*`` setting must encrypt)."""
    out = []
    for stage in rest_stages(template):
        for setting in stage.method_settings:
            caches = _is_true(setting.get("CachingEnabled")) or (
                is_stage_wide(setting) and _is_true(stage.cache_cluster_enabled)
            )
            if caches and not _is_true(setting.get("CacheDataEncrypted")):
                out.append(
                    Finding(stage.logical_id, "APIGateway.5", f"cache not encrypted on {_where(setting)}")
                )
        if _is_true(stage.cache_cluster_enabled) and not any(is_stage_wide(s) for s in stage.method_settings):
            out.append(
                Finding(
                    stage.logical_id, "APIGateway.5", "cache cluster on without an encrypting */* setting"
                )
            )
    return out


def route_authorization(template: Template) -> list[Finding]:
    """APIGateway.8 (api-gwv2-authorization-type-configured): every v2 route has an authorization type
    other than NONE (CloudFormation's default)."""
    out = []
    for logical_id, props in resources(template, "AWS::ApiGatewayV2::Route"):
        kind = literal(props.get("AuthorizationType", "NONE"))
        if kind in (None, "NONE"):
            out.append(
                Finding(
                    logical_id,
                    "APIGateway.8",
                    f"route {flatten(props.get('RouteKey'))}: AuthorizationType NONE",
                )
            )
    return out


def v2_access_logging(template: Template) -> list[Finding]:
    """APIGateway.9 (api-gwv2-access-logs-enabled): every v2 stage has access log settings."""
    return [
        Finding(logical_id, "APIGateway.9", "no AccessLogSettings")
        for logical_id, props in resources(template, "AWS::ApiGatewayV2::Stage")
        if not (props.get("AccessLogSettings") or {}).get("DestinationArn")
    ]


def private_integration_https(template: Template) -> list[Finding]:
    """APIGateway.10 (apigatewayv2-integration-private-https-enabled): every v2 integration over a VPC link
    has a ``TlsConfig`` (HTTPS to the private backend)."""
    return [
        Finding(logical_id, "APIGateway.10", "VPC_LINK integration without TlsConfig")
        for logical_id, props in resources(template, "AWS::ApiGatewayV2::Integration")
        if props.get("ConnectionType") == "VPC_LINK" and not props.get("TlsConfig")
    ]


def domain_security_policy(template: Template) -> list[Finding]:
    """APIGateway.11 (apigateway-domain-name-tls-check with the recommended policies): every custom domain
    uses a recommended security policy. API Gateway's domain names are one namespace, so a domain created
    through API Gateway v2 (WebSocket, HTTP) is evaluated too; an omitted policy is API Gateway's TLS_1_2."""
    out = []
    for logical_id, props in resources(template, "AWS::ApiGateway::DomainName"):
        policy = literal(props.get("SecurityPolicy", "TLS_1_2"))
        if policy not in RECOMMENDED_SECURITY_POLICIES:
            out.append(Finding(logical_id, "APIGateway.11", f"SecurityPolicy {policy}"))
    for logical_id, props in resources(template, "AWS::ApiGatewayV2::DomainName"):
        for configuration in props.get("DomainNameConfigurations") or [{}]:
            policy = literal(configuration.get("SecurityPolicy", "TLS_1_2"))
            if policy not in RECOMMENDED_SECURITY_POLICIES:
                out.append(Finding(logical_id, "APIGateway.11", f"SecurityPolicy {policy}"))
    return out
