"""The HTTP API and its stage: the API's CORS configuration, its execute-api endpoint disabled behind a
custom domain, the auto-deployed stage with its default route throttle, detailed metrics and JSON access
logs to a KMS-encrypted log group (HTTP APIs have no execution logs)."""

from __future__ import annotations

from aws_cdk import Names
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_logs as logs
from constructs import Construct

from secure_api.access_logs import http_access_log_format
from secure_api.http.cors import cors_preflight
from secure_api.rest.cors import CorsPolicy
from secure_api.throttling import Throttle


def create_http_api(
    scope: Construct,
    id_: str,
    *,
    description: str | None,
    cors: CorsPolicy | None,
    execute_api_disabled: bool,
) -> apigwv2.HttpApi:
    """The HTTP API ``id_`` under ``scope``, without CDK's default stage; behind a custom domain its
    execute-api endpoint is disabled (clients could otherwise bypass the domain and its mutual TLS)."""
    return apigwv2.HttpApi(
        scope,
        id_,
        # Unique per API: CloudWatch metrics and the management console name it.
        api_name=Names.unique_resource_name(scope, max_length=128, separator="-"),
        description=description or f"secure_api HTTP API {scope.node.path}",
        cors_preflight=cors_preflight(cors) if cors is not None else None,
        create_default_stage=False,
        disable_execute_api_endpoint=execute_api_disabled,
    )


def create_stage(
    scope: Construct,
    id_: str,
    *,
    http_api: apigwv2.HttpApi,
    stage_name: str,
    throttle: Throttle,
    access_log_group: logs.ILogGroup,
) -> apigwv2.HttpStage:
    """The auto-deployed stage with its default route throttle, detailed metrics and access logs."""
    stage = apigwv2.HttpStage(
        scope,
        id_,
        http_api=http_api,
        stage_name=stage_name,
        auto_deploy=True,
        throttle=apigwv2.ThrottleSettings(rate_limit=throttle.rate_limit, burst_limit=throttle.burst_limit),
        detailed_metrics_enabled=True,
    )
    cfn_stage = stage.node.default_child
    assert isinstance(cfn_stage, apigwv2.CfnStage)
    # The log group's ARN attribute, as CDK's v2 LogGroupLogDestination writes it (a reference Control
    # Tower's CT.APIGATEWAY.PR.4 rule can follow to the log group).
    cfn_stage.access_log_settings = apigwv2.CfnStage.AccessLogSettingsProperty(
        destination_arn=access_log_group.log_group_arn, format=http_access_log_format()
    )
    return stage
