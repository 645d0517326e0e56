"""Usage tiers (usage plans), per-consumer API keys provisioned at deploy time, rotation and expiry.

Key values never appear in a template: one custom resource (``KeyProvisioner``) creates every
consumer's key inside a Lambda function and stores the value in Secrets Manager at
``secure-api/<restApiId>/<consumer>`` under a customer-managed KMS key. The rotation function
implements the Secrets Manager rotation protocol and, hourly, expires previous keys whose grace
period has passed. Both run the operations of ``secure_api.keys``, the same code as the
``secure-api keys`` command.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING

import jsii
from aws_cdk import ArnFormat, CustomResource, Duration, Stack, Tags
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct, IValidation

from secure_api import compliance, defaults
from secure_api.encryption import encrypted_log_group, secure_key
from secure_api.errors import SecureApiConfigError, is_token, require_int
from secure_api.lambda_function import SecureFunction, trace_functions, tracing_statement
from secure_api.routes import Route
from secure_api.throttling import Throttle

if TYPE_CHECKING:
    from secure_api.api import SecureRestApi

_TIER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_CONSUMER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_OFFSET_MAX = {"DAY": 0, "WEEK": 6, "MONTH": 27}


@dataclass(frozen=True, kw_only=True)
class Quota:
    """At most ``limit`` requests per ``period`` (DAY, WEEK or MONTH; default MONTH).

    ``offset`` shifts the period's start: 0 for DAY, 0-6 for WEEK, 0-27 for MONTH.
    """

    limit: int
    period: apigw.Period = apigw.Period.MONTH
    offset: int = 0

    def __post_init__(self) -> None:
        require_int("Quota.limit", self.limit, minimum=1, maximum=2_147_483_647)
        if not isinstance(self.period, apigw.Period):
            raise SecureApiConfigError("Quota.period", self.period, "apigw.Period.DAY, WEEK or MONTH")
        require_int("Quota.offset", self.offset, minimum=0, maximum=_OFFSET_MAX[self.period.name])


@dataclass(frozen=True)
class UsageTier:
    """A usage plan: ``UsageTier("gold", throttle=..., quota=..., method_throttles={...})``.

    ``throttle`` and ``quota`` apply to each key of the tier; ``method_throttles`` maps a route
    (``"GET /orders/{id}"``) to its own limits, and every route named must be added to the API.
    The plan is tagged ``secure-api:tier=<name>``.
    """

    name: str
    _: KW_ONLY
    throttle: Throttle | None = None
    quota: Quota | None = None
    method_throttles: Mapping[str, Throttle] = field(default_factory=dict)
    description: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _TIER.match(self.name):
            raise SecureApiConfigError("UsageTier.name", self.name, "1-64 letters, digits, '-' or '_'")
        field_ = f"UsageTier({self.name!r}).method_throttles"
        routes: dict[Route, Throttle] = {}
        for key, throttle in dict(self.method_throttles).items():
            route = Route.parse_key(key, field=field_)
            if not isinstance(throttle, Throttle):
                raise SecureApiConfigError(f"{field_}[{key!r}]", throttle, "a Throttle")
            routes[route] = throttle
        object.__setattr__(self, "method_throttles", {r.key: t for r, t in routes.items()})


@dataclass(frozen=True)
class Consumer:
    """An application that gets its own API key: ``Consumer("mobile-app", tier="gold")``.

    Names are 1-128 characters (letters, digits, '.', '_', '-'; starting with a letter or digit).
    ``enabled=False`` disables the key without deleting it.
    """

    name: str
    _: KW_ONLY
    tier: str
    enabled: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not _CONSUMER.match(self.name):
            raise SecureApiConfigError(
                "Consumer.name",
                self.name,
                "1-128 letters, digits, '.', '_' or '-', starting with a letter or digit",
            )
        if not isinstance(self.tier, str) or not self.tier:
            raise SecureApiConfigError(f"Consumer({self.name!r}).tier", self.tier, "the name of a UsageTier")
        if not isinstance(self.enabled, bool):
            raise SecureApiConfigError(f"Consumer({self.name!r}).enabled", self.enabled, "True or False")


def check_tiers_and_consumers(tiers: Sequence[UsageTier], consumers: Sequence[Consumer]) -> None:
    """Cross-option checks, run before any resource exists."""
    names = [t.name for t in tiers]
    for name in set(names):
        if names.count(name) > 1:
            raise SecureApiConfigError("usage_tiers", names, f"distinct tier names ({name!r} appears twice)")
    seen: set[str] = set()
    for consumer in consumers:
        if consumer.name in seen:
            raise SecureApiConfigError(
                "consumers", consumer.name, "distinct consumer names (it appears twice)"
            )
        seen.add(consumer.name)
        if consumer.tier not in names:
            raise SecureApiConfigError(
                f"Consumer({consumer.name!r}).tier", consumer.tier, f"one of the usage_tiers {sorted(names)}"
            )


@dataclass(frozen=True, kw_only=True)
class KeyRotation:
    """How consumers' keys are rotated: every ``every_days`` (default 90; 0 turns scheduled rotation
    off), keeping the previous key valid for ``grace_period`` (default 24 h)."""

    every_days: int = defaults.KEY_ROTATION_DAYS
    grace_period: Duration = defaults.KEY_GRACE_PERIOD

    def __post_init__(self) -> None:
        require_int("KeyRotation.every_days", self.every_days, minimum=0, maximum=1000)
        hours = self.grace_period.to_hours() if isinstance(self.grace_period, Duration) else None
        if hours is None or (not is_token(hours) and not 0 <= hours <= 24 * 30):
            raise SecureApiConfigError(
                "KeyRotation.grace_period", self.grace_period, "a Duration of 0-720 hours"
            )


class UsageTiers(Construct):
    """The usage plans of an API, its consumers' keys, and their rotation and expiry."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        api: SecureRestApi,
        tiers: Sequence[UsageTier],
        consumers: Sequence[Consumer],
        rotation: KeyRotation,
        logs_key: kms.IKey,
        retention: logs.RetentionDays,
    ) -> None:
        super().__init__(scope, id_)
        self._api = api
        self.plans: dict[str, apigw.UsagePlan] = {}
        self._tiers = {t.name: t for t in tiers}
        self._routes_seen: set[str] = set()
        for tier in tiers:
            plan = api.rest_api.add_usage_plan(
                f"Tier{_pascal(tier.name)}",
                name=f"{Stack.of(self).stack_name}-{api.node.id}-{tier.name}",
                description=tier.description or f"secure_api usage tier {tier.name}",
                api_stages=[apigw.UsagePlanPerApiStage(api=api.rest_api, stage=api.stage)],
                throttle=_throttle_settings(tier.throttle),
                quota=_quota_settings(tier.quota),
            )
            # The plan's ApiStages references the stage (a Ref), so CloudFormation creates the stage
            # first; without that ordering a deployment fails with "Invalid API Stage".
            Tags.of(plan).add("secure-api:tier", tier.name)
            self.plans[tier.name] = plan
        self.node.add_validation(_MethodThrottlesExist(self))

        self.keys_key = secure_key(
            self, "KeysKey", description=f"secure_api {api.node.path}: API key secrets"
        )
        stack = Stack.of(self)
        rest_api_id = api.rest_api.rest_api_id
        secrets_arn = stack.format_arn(
            service="secretsmanager",
            resource="secret",
            resource_name=f"{defaults.KEY_SECRET_PREFIX}/{rest_api_id}/*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.secrets_arn = secrets_arn

        self.rotation_function = SecureFunction(
            self,
            "KeyRotation",
            code_name="key_rotation",
            with_keys=True,
            description="secure_api: rotates and expires consumers' API keys",
            environment={
                "REST_API_ID": rest_api_id,
                "GRACE_HOURS": str(int(rotation.grace_period.to_hours())),
            },
            key=logs_key,
            retention=retention,
            timeout=defaults.KEY_ROTATION_TIMEOUT,
            acknowledgements=("idempotent-scheduled-no-dlq", "permission-source-arn-join"),
        )
        self.rotation_function.add_to_policy(*_key_statements(stack, secrets_arn, self.keys_key, self.plans))
        compliance.acknowledge(
            self.rotation_function.policy,
            "key-operations-wildcards",
            plan=list(self.plans.values()),
            api=api.rest_api,
        )
        self.rotation_function.function.add_permission(
            "SecretsManagerInvoke",
            principal=iam.ServicePrincipal("secretsmanager.amazonaws.com"),
            action="lambda:InvokeFunction",
            source_account=stack.account,
        )
        schedule = events.Rule(
            self,
            "ExpireSchedule",
            description="secure_api: disable and delete previous API keys past their grace period",
            schedule=events.Schedule.rate(defaults.KEY_EXPIRY_SCHEDULE),
            targets=[
                targets.LambdaFunction(
                    self.rotation_function.function,
                    event=events.RuleTargetInput.from_object({"action": "expire", "restApiId": rest_api_id}),
                    retry_attempts=2,
                )
            ],
        )
        compliance.acknowledge(schedule, "idempotent-schedule-no-dlq")

        self.provisioner_function = SecureFunction(
            self,
            "KeyProvisionerFunction",
            code_name="key_provisioner",
            handler="handler.on_event",
            with_keys=True,
            description="secure_api: creates, updates and deletes consumers' API keys at deploy time",
            environment={},
            key=logs_key,
            retention=retention,
            timeout=defaults.KEY_PROVISIONER_TIMEOUT,
            acknowledgements=("sync-lambda-no-dlq",),
        )
        self.provisioner_function.add_to_policy(
            *_key_statements(stack, secrets_arn, self.keys_key, self.plans, provisioner=True),
            iam.PolicyStatement(
                # Secrets Manager checks that whoever configures rotation may invoke the rotation function.
                actions=["lambda:InvokeFunction"],
                resources=[self.rotation_function.function.function_arn],
            ),
        )
        compliance.acknowledge(
            self.provisioner_function.policy,
            "key-operations-wildcards",
            plan=list(self.plans.values()),
            api=api.rest_api,
        )
        provider = self._provider(logs_key, retention)
        self.provisioner = CustomResource(
            self,
            "KeyProvisioner",
            service_token=provider.service_token,
            resource_type="Custom::SecureApiKeys",
            properties={
                "RestApiId": rest_api_id,
                "StageName": api.stage.stage_name,
                "UsagePlans": {name: plan.usage_plan_id for name, plan in self.plans.items()},
                "Consumers": [
                    {"name": c.name, "tier": c.tier, "enabled": "true" if c.enabled else "false"}
                    for c in consumers
                ],
                "KmsKeyId": self.keys_key.key_arn,
                "RotationLambdaArn": self.rotation_function.function.function_arn,
                "RotationDays": str(rotation.every_days),
                "GraceHours": str(int(rotation.grace_period.to_hours())),
            },
        )

    def _provider(self, key: kms.IKey, retention: logs.RetentionDays) -> cr.Provider:
        """CDK's provider framework, with a role whose only policy is customer-managed and least-privilege."""
        log_group = encrypted_log_group(self, "KeyProviderLogs", key=key, retention=retention)
        fn = self.provisioner_function.function
        policy = iam.ManagedPolicy(
            self,
            "KeyProviderPolicy",
            description="secure_api: CDK provider framework for the API key provisioner",
            statements=[
                iam.PolicyStatement(
                    actions=["lambda:InvokeFunction"], resources=[fn.function_arn, f"{fn.function_arn}:*"]
                ),
                iam.PolicyStatement(
                    actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[log_group.log_group_arn]
                ),
                iam.PolicyStatement(actions=["kms:Decrypt"], resources=[key.key_arn]),
                tracing_statement(),
            ],
        )
        role = iam.Role(
            self,
            "KeyProviderRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            managed_policies=[policy],
        )
        provider = cr.Provider(
            self,
            "KeyProvider",
            on_event_handler=fn,
            framework_on_event_role=role.without_policy_updates(),
            provider_function_env_encryption=key,
            log_group=log_group,
        )
        compliance.acknowledge(policy, "provider-invoke-versions", "xray-wildcard", function=fn)
        trace_functions(provider)
        framework = provider.node.find_child("framework-onEvent")
        compliance.acknowledge(framework, "provider-framework", "lambda-outside-vpc", "role-dependency")
        return provider

    def on_route(self, route: Route, method: apigw.Method) -> None:
        """Write the per-method throttles of every tier that names ``route``."""
        self._routes_seen.add(route.key)
        for name, tier in self._tiers.items():
            throttle = tier.method_throttles.get(route.key)
            if throttle is None:
                continue
            cfn: apigw.CfnUsagePlan = self.plans[name].node.default_child  # type: ignore[assignment]
            cfn.add_property_override(
                f"ApiStages.0.Throttle.{route.usage_plan_throttle_key}",
                {"RateLimit": throttle.rate_limit, "BurstLimit": throttle.burst_limit},
            )

    def grant_read_key(self, consumer: str, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` (an application's role) read its own consumer's secret, and nothing else."""
        stack = Stack.of(self)
        arn = stack.format_arn(
            service="secretsmanager",
            resource="secret",
            # Secrets Manager appends "-" and six random characters to every secret's ARN.
            resource_name=f"{defaults.KEY_SECRET_PREFIX}/{self._api.rest_api.rest_api_id}/{consumer}-??????",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            resource_arns=[arn],
        )
        self.keys_key.grant_decrypt(grantee)
        return grant

    def unknown_method_throttles(self) -> list[str]:
        """Routes named in a tier's ``method_throttles`` that were never added."""
        return [
            f"UsageTier({name!r}).method_throttles: got {key!r}; expected a route added with add_route"
            for name, tier in self._tiers.items()
            for key in tier.method_throttles
            if key not in self._routes_seen
        ]


@jsii.implements(IValidation)
class _MethodThrottlesExist:
    def __init__(self, tiers: UsageTiers) -> None:
        self._tiers = tiers

    def validate(self) -> list[str]:
        return self._tiers.unknown_method_throttles()


def _key_statements(
    stack: Stack,
    secrets_arn: str,
    keys_key: kms.IKey,
    plans: Mapping[str, apigw.UsagePlan],
    *,
    provisioner: bool = False,
) -> list[iam.PolicyStatement]:
    def gw(path: str) -> str:
        return f"arn:{stack.partition}:apigateway:{stack.region}::{path}"

    plan_paths = [gw(f"/usageplans/{p.usage_plan_id}") for p in plans.values()]
    secret_actions = [
        "secretsmanager:DescribeSecret",
        "secretsmanager:GetSecretValue",
        "secretsmanager:PutSecretValue",
        "secretsmanager:UpdateSecretVersionStage",
    ]
    if provisioner:
        secret_actions += [
            "secretsmanager:CreateSecret",
            "secretsmanager:DeleteSecret",
            "secretsmanager:TagResource",
            "secretsmanager:RotateSecret",
            "secretsmanager:CancelRotateSecret",
        ]
    return [
        iam.PolicyStatement(
            actions=[
                "apigateway:GET",
                "apigateway:POST",
                "apigateway:PATCH",
                "apigateway:DELETE",
                "apigateway:PUT",
            ],
            resources=[
                gw("/apikeys"),
                gw("/apikeys/*"),
                gw("/usageplans"),
                *plan_paths,
                *[f"{p}/keys" for p in plan_paths],
                *[f"{p}/keys/*" for p in plan_paths],
                gw("/tags/*"),
            ],
        ),
        iam.PolicyStatement(actions=secret_actions, resources=[secrets_arn]),
        iam.PolicyStatement(
            actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            resources=[keys_key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{stack.region}.amazonaws.com"}},
        ),
    ]


def _throttle_settings(throttle: Throttle | None) -> apigw.ThrottleSettings | None:
    if throttle is None:
        return None
    return apigw.ThrottleSettings(rate_limit=throttle.rate_limit, burst_limit=throttle.burst_limit)


def _quota_settings(quota: Quota | None) -> apigw.QuotaSettings | None:
    if quota is None:
        return None
    return apigw.QuotaSettings(limit=quota.limit, period=quota.period, offset=quota.offset)


def _pascal(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", name) if part)
