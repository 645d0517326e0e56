"""The CDK provider framework that runs the API key provisioner, with roles whose only policies are
customer-managed and least-privilege, traced and logged under the API's logs key."""

from __future__ import annotations

from collections.abc import Callable

from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import custom_resources as cr
from constructs import Construct

from secure_api import compliance, defaults
from secure_api.encryption import encrypted_log_group
from secure_api.lambda_function import trace_functions, tracing_statement


def key_provider(
    scope: Construct,
    function: lambda_.Function,
    *,
    key: kms.IKey,
    retention: logs.RetentionDays,
    errors_alarm: Callable[[str, cloudwatch.IMetric, str], cloudwatch.Alarm],
) -> cr.Provider:
    """CDK's provider framework, with roles whose only policies are customer-managed and least-privilege.

    onEvent and isComplete/onTimeout get one role each: onEvent starts the waiter state machine, which
    refers to the isComplete function, so one shared role would be a dependency cycle.
    """
    log_group = encrypted_log_group(scope, "KeyProviderLogs", key=key, retention=retention)
    fn = function

    def framework_policy(id_: str, what: str) -> iam.ManagedPolicy:
        return iam.ManagedPolicy(
            scope,
            id_,
            description=f"secure_api: CDK provider framework ({what}) for the API key provisioner",
            statements=[
                iam.PolicyStatement(
                    actions=["lambda:InvokeFunction"], resources=[fn.function_arn, f"{fn.function_arn}:*"]
                ),
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    resources=[log_group.log_group_arn],
                ),
                iam.PolicyStatement(actions=["kms:Decrypt"], resources=[key.key_arn]),
                tracing_statement(),
            ],
        )

    policy = framework_policy("KeyProviderPolicy", "onEvent")
    role = iam.Role(
        scope,
        "KeyProviderRole",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        managed_policies=[policy],
    )
    waiter_policy = framework_policy("KeyProviderWaiterPolicy", "isComplete and onTimeout")
    waiter_role = iam.Role(
        scope,
        "KeyProviderWaiterRole",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        managed_policies=[waiter_policy],
    )
    provider = cr.Provider(
        scope,
        "KeyProvider",
        on_event_handler=fn,
        # The same function answers isComplete: each call does one slice of the work and resumes
        # where the last one stopped, so the work may take longer than one Lambda invocation.
        is_complete_handler=fn,
        query_interval=defaults.KEY_PROVISIONER_QUERY_INTERVAL,
        total_timeout=defaults.KEY_PROVISIONER_TOTAL_TIMEOUT,
        framework_on_event_role=role.without_policy_updates(),
        framework_complete_and_timeout_role=waiter_role.without_policy_updates(),
        provider_function_env_encryption=key,
        log_group=log_group,
        disable_waiter_state_machine_logging=False,
        waiter_state_machine_log_options=cr.LogOptions(
            destination=encrypted_log_group(scope, "KeyProviderWaiterLogs", key=key, retention=retention),
            level=sfn.LogLevel.ERROR,
            include_execution_data=False,
        ),
    )
    waiter = provider.node.find_child("waiter-state-machine")
    assert isinstance(waiter, cr.WaiterStateMachine)
    machine = waiter.node.default_child
    assert isinstance(machine, sfn.CfnStateMachine)
    machine.tracing_configuration = sfn.CfnStateMachine.TracingConfigurationProperty(enabled=True)
    waiter_machine_role = waiter.node.find_child("Role")
    assert isinstance(waiter_machine_role, iam.Role)
    waiter_machine_role.add_to_principal_policy(
        # X-Ray trace submission has no resource-level permissions.
        iam.PolicyStatement(actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"])
    )
    # The onEvent framework function starts the waiter (CDK cannot add this to a role without policy updates).
    policy.add_statements(
        iam.PolicyStatement(actions=["states:StartExecution"], resources=[waiter.state_machine_arn])
    )
    compliance.acknowledge(policy, "provider-invoke-versions", "xray-wildcard", function=fn)
    compliance.acknowledge(waiter_policy, "provider-invoke-versions", "xray-wildcard", function=fn)
    trace_functions(provider)
    for name in ("framework-onEvent", "framework-isComplete", "framework-onTimeout"):
        framework = provider.node.find_child(name)
        compliance.acknowledge(
            framework, "provider-framework", "lambda-outside-vpc", "role-dependency", "function-log-group"
        )
    compliance.acknowledge(
        waiter,
        "provider-waiter",
        waiter_targets=[_framework_function(provider, n) for n in ("isComplete", "onTimeout")],
    )
    compliance.acknowledge(machine, "role-dependency")
    waiter_policy_resource = waiter_machine_role.node.find_child("DefaultPolicy").node.default_child
    assert isinstance(waiter_policy_resource, iam.CfnPolicy)
    compliance.acknowledge(waiter_policy_resource, "provider-waiter-log-delivery")
    errors_alarm(
        "KeyProviderErrorsAlarm",
        cloudwatch.MathExpression(
            expression="FILL(onEvent, 0) + FILL(isComplete, 0) + FILL(onTimeout, 0)",
            using_metrics={
                name: _framework_function(provider, name).metric_errors(
                    statistic="Sum", period=defaults.KEY_PROVISIONER_ALARM_PERIOD
                )
                for name in ("onEvent", "isComplete", "onTimeout")
            },
            period=defaults.KEY_PROVISIONER_ALARM_PERIOD,
            label="Provider framework errors",
        ),
        "CDK's provider framework failed to run the API key provisioner (or timed out waiting for it)",
    )
    return provider


def _framework_function(provider: cr.Provider, name: str) -> lambda_.Function:
    fn = provider.node.find_child(f"framework-{name}")
    assert isinstance(fn, lambda_.Function)
    return fn
