"""API Gateway's account-wide CloudWatch role (``SecureRestApi(create_cloudwatch_role=True)``), with a
customer-managed policy instead of CDK's AWS managed ``AmazonAPIGatewayPushToCloudWatchLogs``."""

from __future__ import annotations

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam

from secure_api import compliance


def apply_cloudwatch_role(rest_api: apigw.RestApiBase) -> apigw.CfnAccount:
    """Create (under ``rest_api``, with the construct ids CDK's ``cloud_watch_role=True`` uses) the role
    ``CloudWatchRole`` and the account setting ``Account`` that points API Gateway at it. Role, policy
    and setting are kept on stack deletion, as CDK keeps its own: other APIs of the account and region
    log through the role.

    The role trusts API Gateway; its one policy (``CloudWatchPolicy``) holds the actions of the AWS
    managed policy, limited to this account's and region's log groups (``logs:DescribeLogGroups`` has
    no resource-level permission)."""
    stack = Stack.of(rest_api)
    log_groups = stack.format_arn(
        service="logs", resource="log-group", resource_name="*", arn_format=ArnFormat.COLON_RESOURCE_NAME
    )
    policy = iam.ManagedPolicy(
        rest_api,
        "CloudWatchPolicy",
        description="secure_api: API Gateway writes execution and access logs of this account's REST APIs",
        statements=[
            iam.PolicyStatement(
                actions=[
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                    "logs:GetLogEvents",
                    "logs:FilterLogEvents",
                ],
                resources=[log_groups],
            ),
            iam.PolicyStatement(actions=["logs:DescribeLogGroups"], resources=["*"]),
        ],
    )
    policy.apply_removal_policy(RemovalPolicy.RETAIN)
    compliance.acknowledge(policy, "cloudwatch-role-log-groups")
    role = iam.Role(
        rest_api,
        "CloudWatchRole",
        assumed_by=iam.ServicePrincipal("apigateway.amazonaws.com"),
        description="secure_api: API Gateway's CloudWatch role for this account and region",
        managed_policies=[policy],
    )
    role.apply_removal_policy(RemovalPolicy.RETAIN)
    account = apigw.CfnAccount(rest_api, "Account", cloud_watch_role_arn=role.role_arn)
    account.apply_removal_policy(RemovalPolicy.RETAIN)
    api_resource = rest_api.node.default_child
    assert api_resource is not None
    account.node.add_dependency(api_resource)
    # Execution logging needs the role in place before the stage is created or changed.
    rest_api.deployment_stage.node.add_dependency(account)
    return account
