"""The REST API and its stage: access-logged, traced, throttled, metered, behind the resource policy.

Also what makes a changed API redeploy: the access policy is part of the deployment's logical id (the
OpenAPI body, authorizer included, adds its own digest), whatever the app's feature flags say.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_cdk import ArnFormat, Names, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_logs as logs
from constructs import Construct

from secure_api import compliance, defaults
from secure_api.access import AccessPolicy
from secure_api.access_logs import access_log_format
from secure_api.cloudwatch_role import apply_cloudwatch_role
from secure_api.throttling import Throttle

if TYPE_CHECKING:
    from secure_api.rest.openapi.body import OpenApiBody


def create_rest_api(
    scope: Construct,
    id_: str,
    *,
    access: AccessPolicy,
    stage_name: str,
    throttle: Throttle,
    access_log_group: logs.ILogGroup,
    description: str | None,
    execute_api_disabled: bool,
    api_key_from_authorizer: bool,
    create_cloudwatch_role: bool,
    openapi: OpenApiBody,
) -> apigw.RestApiBase:
    """The REST API ``id_`` under ``scope`` (the API's construct) with its deployed stage ``stage_name``,
    its routes in its OpenAPI body (``openapi``)."""
    rest_api_props: dict[str, Any] = dict(
        # Unique per API: the stage's CloudWatch metrics are keyed by the API's name.
        rest_api_name=Names.unique_resource_name(scope, max_length=128, separator="-"),
        description=description or f"secure_api REST API {scope.node.path}",
        endpoint_configuration=access.endpoint_configuration(scope),
        policy=access.policy_document(),
        # CDK's role would carry the AWS managed AmazonAPIGatewayPushToCloudWatchLogs policy.
        cloud_watch_role=False,
        # Behind a custom domain the execute-api URL would bypass its TLS policy (and mTLS).
        disable_execute_api_endpoint=execute_api_disabled,
        api_key_source_type=(
            apigw.ApiKeySourceType.AUTHORIZER if api_key_from_authorizer else apigw.ApiKeySourceType.HEADER
        ),
        deploy=True,
        deploy_options=apigw.StageOptions(
            stage_name=stage_name,
            throttling_rate_limit=throttle.rate_limit,
            throttling_burst_limit=throttle.burst_limit,
            logging_level=apigw.MethodLoggingLevel.ERROR,
            data_trace_enabled=False,
            metrics_enabled=True,
            tracing_enabled=True,
            access_log_destination=apigw.LogGroupLogDestination(access_log_group),
            access_log_format=access_log_format(),
        ),
    )
    rest_api: apigw.RestApiBase = openapi.create_rest_api(scope, id_, **rest_api_props)
    _apply_endpoint_tls(rest_api)
    if rest_api.latest_deployment is not None:
        rest_api.latest_deployment.add_to_logical_id({"accessPolicy": access.fingerprint()})
    stage = rest_api.deployment_stage
    if create_cloudwatch_role:
        apply_cloudwatch_role(rest_api)
    _log_to_group_arn(stage, access_log_group)
    compliance.acknowledge(stage, "stage-cache-off", "stage-client-certificate")
    return rest_api


def _apply_endpoint_tls(rest_api: apigw.RestApiBase) -> None:
    """TLS 1.2+ on the API's own execute-api endpoint: its security policy and endpoint access mode
    (aws-cdk-lib's ``RestApi`` has no property for them, ``CfnRestApi`` has). Without them AWS gives a
    Regional REST API ``TLS_1_0``; with a custom domain the endpoint is disabled, and the API's policy
    is set all the same (API Gateway may negotiate a mapped domain's handshake with it)."""
    cfn = rest_api.node.default_child
    assert isinstance(cfn, apigw.CfnRestApi)
    cfn.security_policy = security_policy_name(defaults.REST_API_SECURITY_POLICY)
    cfn.endpoint_access_mode = defaults.REST_API_ENDPOINT_ACCESS_MODE.value


def security_policy_name(policy: apigw.SecurityPolicy) -> str:
    """The name API Gateway and CloudFormation use for ``policy``: the enhanced policies' names start
    with ``SecurityPolicy_`` (jsii gives Python the enum member's name, without it)."""
    name = str(policy.value)
    return name if name in ("TLS_1_0", "TLS_1_2") else f"SecurityPolicy_{name}"


def _log_to_group_arn(stage: apigw.Stage, log_group: logs.ILogGroup) -> None:
    """The access-log destination as the log group's ARN without CDK's trailing ``:*``, whatever the
    app's ``@aws-cdk/aws-apigateway:logGroupDestinationArnWithoutWildcard`` flag says."""
    cfn_stage = stage.node.default_child
    assert isinstance(cfn_stage, apigw.CfnStage)
    cfn_stage.add_property_override(
        "AccessLogSetting.DestinationArn",
        Stack.of(stage).format_arn(
            service="logs",
            resource="log-group",
            resource_name=log_group.log_group_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        ),
    )
