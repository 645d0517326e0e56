"""The hardened Lambda function every part of the library deploys (one recipe, used everywhere)."""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from secure_api import bundling, defaults
from secure_api.encryption import encrypted_log_group


def secure_function(
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
) -> lambda_.Function:
    """A Python function from ``lambdas/<code_name>``: its own role (no managed policies, only its log
    group), its own KMS-encrypted log group, X-Ray tracing, and its environment encrypted with ``key``.
    """
    role = iam.Role(
        scope,
        f"{id_}Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"{description} (least privilege)",
    )
    log_group = encrypted_log_group(scope, f"{id_}Logs", key=key, retention=retention)
    fn = lambda_.Function(
        scope,
        id_,
        description=description,
        runtime=bundling.runtime(),
        architecture=architecture,
        handler="handler.handler",
        code=bundling.lambda_code(code_name, architecture=architecture, with_keys=with_keys),
        role=role,
        environment=dict(environment),
        environment_encryption=key,
        log_group=log_group,
        logging_format=lambda_.LoggingFormat.JSON,
        tracing=lambda_.Tracing.ACTIVE,
        timeout=timeout,
        memory_size=memory_size,
        reserved_concurrent_executions=reserved_concurrency,
    )
    log_group.grant_write(role)
    return fn
