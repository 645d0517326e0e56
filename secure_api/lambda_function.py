"""The hardened Lambda function every part of the library deploys (one recipe, used everywhere)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from secure_api import bundling, compliance, defaults
from secure_api.encryption import encrypted_log_group


class SecureFunction(Construct):
    """A Python function from ``lambdas/<code_name>`` (or ``code``) with its own least-privilege role.

    The role has no AWS managed policy and no inline policy: one customer-managed policy
    (``policy``) holds exactly the function's permissions (its log group, X-Ray, decrypting its
    environment); callers add theirs with ``add_to_policy``. The log group is KMS-encrypted with a
    retention, tracing is active and the environment is encrypted with ``key``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        code_name: str,
        description: str,
        environment: Mapping[str, str],
        key: kms.IKey,
        retention: logs.RetentionDays,
        timeout: Duration,
        memory_size: int = defaults.LAMBDA_MEMORY_MB,
        architecture: lambda_.Architecture = lambda_.Architecture.ARM_64,
        reserved_concurrency: int | None = None,
        with_keys: bool = False,
        code: lambda_.Code | None = None,
        handler: str = "handler.handler",
        acknowledgements: Sequence[str] = (),
        concurrency_acknowledgement: str = "lambda-no-reserved-concurrency",
    ) -> None:
        super().__init__(scope, id_)
        self.log_group = encrypted_log_group(self, "Logs", key=key, retention=retention)
        self.policy = iam.ManagedPolicy(
            self,
            "Policy",
            description=f"secure_api: permissions of {description}",
            statements=[
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                    # The log group's ARN attribute already ends in ":*", which covers its streams.
                    resources=[self.log_group.log_group_arn],
                ),
                tracing_statement(),
                iam.PolicyStatement(actions=["kms:Decrypt"], resources=[key.key_arn]),
            ],
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"secure_api: {description}",
            managed_policies=[self.policy],
        )
        self.function = lambda_.Function(
            self,
            "Function",
            description=description,
            runtime=bundling.runtime(),
            architecture=architecture,
            handler=handler,
            code=code
            or bundling.lambda_code(
                code_name,
                architecture=architecture,
                with_keys=with_keys,
                bundle=not bundling.skip_bundling(self),
                host=bundling.bundle_for_host(self),
            ),
            # Grants made by CDK (tracing, environment key) would land in an inline policy: the
            # managed policy above already holds them.
            role=self.role.without_policy_updates(),
            environment=dict(environment),
            environment_encryption=key,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            tracing=lambda_.Tracing.ACTIVE,
            timeout=timeout,
            memory_size=memory_size,
            reserved_concurrent_executions=reserved_concurrency,
        )

        compliance.acknowledge(self.policy, "xray-wildcard")
        compliance.acknowledge(
            self.function, "lambda-outside-vpc", "role-dependency", "function-log-group", *acknowledgements
        )
        if reserved_concurrency is None:
            compliance.acknowledge(self.function, concurrency_acknowledgement)

    def add_to_policy(self, *statements: iam.PolicyStatement) -> None:
        """Grant the function more permissions (in its managed policy)."""
        for statement in statements:
            self.policy.add_statements(statement)


def tracing_statement() -> iam.PolicyStatement:
    """What an actively traced function's role needs: X-Ray trace submission (which has no
    resource-level permissions, hence ``*``: acknowledge ``xray-wildcard`` on the policy)."""
    return iam.PolicyStatement(actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"])


def trace_functions(scope: Construct) -> None:
    """Turn on active X-Ray tracing for every function under ``scope`` that CDK builds without the
    option (the custom-resource provider framework's); their roles need ``tracing_statement()``."""
    for construct in scope.node.find_all():
        if isinstance(construct, lambda_.CfnFunction):
            construct.tracing_config = lambda_.CfnFunction.TracingConfigProperty(mode="Active")
