"""Usage tiers (usage plans), per-consumer API keys provisioned at deploy time, rotation and expiry.

Key values never appear in a template: one custom resource (``KeyProvisioner``) creates every
consumer's key inside a Lambda function and stores the value in Secrets Manager at
``secure-api/<restApiId>/<consumer>`` under a customer-managed KMS key, in slices that CDK's provider
framework polls (``isComplete``) so that any number of consumers fits CloudFormation's hour rather than
one Lambda invocation (``secure_api.keys.provision``). The rotation function
implements the Secrets Manager rotation protocol and, hourly, expires previous keys whose grace
period has passed. Both run the operations of ``secure_api.keys``, the same code as the
``secure-api keys`` command.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import TYPE_CHECKING

import jsii
from aws_cdk import ArnFormat, CustomResource, Duration, Stack, Tags
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import custom_resources as cr
from constructs import Construct, IValidation

from secure_api import compliance, defaults
from secure_api.encryption import encrypted_log_group, secure_key
from secure_api.errors import SecureApiConfigError, is_token, require_int
from secure_api.keys.model import TAG_API, TAG_CONSUMER
from secure_api.keys.provision import encode_consumers, progress_parameter
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
        prefix = f"UsageTier({self.name!r})"
        for name, type_ in (("throttle", Throttle), ("quota", Quota)):
            value = getattr(self, name)
            if value is not None and not isinstance(value, type_):
                raise SecureApiConfigError(f"{prefix}.{name}", value, f"a {type_.__name__} or None")
        if self.description is not None and not isinstance(self.description, str):
            raise SecureApiConfigError(f"{prefix}.description", self.description, "a string or None")
        field_ = f"{prefix}.method_throttles"
        if not isinstance(self.method_throttles, Mapping):
            raise SecureApiConfigError(field_, self.method_throttles, "a mapping of route key to Throttle")
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
    # Each plan's construct id is the tier's name in PascalCase: 'gold-plus' and 'gold_plus' would collide.
    ids: dict[str, str] = {}
    for name in names:
        other = ids.setdefault(_pascal(name), name)
        if other != name:
            raise SecureApiConfigError(
                "usage_tiers", names, f"tier names that differ in more than '-'/'_' ({other!r} and {name!r})"
            )
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
    """How consumers' keys are rotated: every ``every_days`` (default 90, at most 1000; 0 turns
    scheduled rotation off), keeping the previous key valid for ``grace_period`` (default 24 h; whole
    hours, at most 720 and at most the rotation interval)."""

    every_days: int = defaults.KEY_ROTATION_DAYS
    grace_period: Duration = defaults.KEY_GRACE_PERIOD

    def __post_init__(self) -> None:
        # Secrets Manager rotates every 1-1000 days (AutomaticallyAfterDays); 0 turns rotation off.
        require_int("KeyRotation.every_days", self.every_days, minimum=0, maximum=1000)
        expected = "a Duration of whole hours between 0 and 720 (the rotation functions count in hours)"
        if not isinstance(self.grace_period, Duration):
            raise SecureApiConfigError("KeyRotation.grace_period", self.grace_period, expected)
        if is_token(self.grace_period.to_string()):
            return
        hours = self.grace_period.to_hours(integral=False)
        if hours != int(hours) or not 0 <= hours <= 24 * 30:
            raise SecureApiConfigError(
                "KeyRotation.grace_period", self.grace_period.to_human_string(), expected
            )
        if not is_token(self.every_days) and self.every_days and hours > 24 * self.every_days:
            # A rotation retires the previous key at once: a grace period longer than the interval
            # between rotations would silently end early.
            raise SecureApiConfigError(
                "KeyRotation.grace_period",
                self.grace_period.to_human_string(),
                f"at most every_days ({self.every_days} days): the next rotation retires the previous key",
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
        alarm_topic: sns.ITopic | None = None,
    ) -> None:
        super().__init__(scope, id_)
        self._api = api
        self._alarm_topic = alarm_topic
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
            acknowledgements=("rotation-no-dlq", "rotation-invoke-permissions"),
            concurrency_acknowledgement="key-functions-no-reserved-concurrency",
        )
        self.rotation_function.add_to_policy(
            *key_statements(stack, rest_api_id, secrets_arn, self.keys_key, self.plans)
        )
        compliance.acknowledge(
            self.rotation_function.policy,
            *_KEY_POLICY_ACKNOWLEDGEMENTS,
            plan=list(self.plans.values()),
            api=api.rest_api,
        )
        self.rotation_alarm = self._errors_alarm(
            "KeyRotationErrorsAlarm",
            self.rotation_function.function.metric_errors(
                statistic="Sum", period=defaults.KEY_ROTATION_ALARM_PERIOD
            ),
            "the key rotation/expiry function failed (a rotation step, or the hourly expiry that disables "
            "keys past their grace period)",
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

        parameter = progress_parameter(rest_api_id)
        self.provisioner_function = SecureFunction(
            self,
            "KeyProvisionerFunction",
            code_name="key_provisioner",
            with_keys=True,
            description="secure_api: creates, updates and deletes consumers' API keys at deploy time",
            environment={
                "WORK_SECONDS": str(defaults.KEY_PROVISIONER_WORK_SECONDS),
                "PROGRESS_PARAMETER": parameter,
            },
            key=logs_key,
            retention=retention,
            timeout=defaults.KEY_PROVISIONER_TIMEOUT,
            acknowledgements=("provisioner-no-dlq",),
            concurrency_acknowledgement="key-functions-no-reserved-concurrency",
        )
        self.provisioner_function.add_to_policy(
            *key_statements(stack, rest_api_id, secrets_arn, self.keys_key, self.plans, provisioner=True),
            iam.PolicyStatement(
                # Secrets Manager checks that whoever configures rotation may invoke the rotation function.
                actions=["lambda:InvokeFunction"],
                resources=[self.rotation_function.function.function_arn],
            ),
            iam.PolicyStatement(
                # Where one slice of the work tells the next where to resume (a cursor and counts).
                actions=["ssm:GetParameter", "ssm:PutParameter", "ssm:DeleteParameter"],
                resources=[
                    stack.format_arn(service="ssm", resource="parameter", resource_name=parameter.lstrip("/"))
                ],
            ),
        )
        compliance.acknowledge(
            self.provisioner_function.policy,
            *_KEY_POLICY_ACKNOWLEDGEMENTS,
            plan=list(self.plans.values()),
            api=api.rest_api,
        )
        self.provisioner_alarm = self._errors_alarm(
            "KeyProvisionerErrorsAlarm",
            self.provisioner_function.function.metric_errors(
                statistic="Sum", period=defaults.KEY_PROVISIONER_ALARM_PERIOD
            ),
            "the API key provisioner failed during a deployment (the provider framework retries it "
            "until CloudFormation's one-hour limit)",
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
                **consumers_property(consumers),
                "KmsKeyId": self.keys_key.key_arn,
                "RotationLambdaArn": self.rotation_function.function.function_arn,
                "RotationDays": str(rotation.every_days),
                "GraceHours": str(int(rotation.grace_period.to_hours())),
            },
        )

    def _errors_alarm(self, id_: str, metric: cloudwatch.IMetric, what: str) -> cloudwatch.Alarm:
        """An alarm on any error of one of the library's key functions, notifying the alarm topic."""
        alarm = cloudwatch.Alarm(
            self,
            id_,
            metric=metric,
            threshold=0,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluation_periods=1,
            datapoints_to_alarm=1,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description=f"secure_api {self._api.node.path}: {what}",
        )
        if self._alarm_topic is not None:
            action = cw_actions.SnsAction(self._alarm_topic)
            alarm.add_alarm_action(action)
            alarm.add_ok_action(action)
        return alarm

    def _provider(self, key: kms.IKey, retention: logs.RetentionDays) -> cr.Provider:
        """CDK's provider framework, with roles whose only policies are customer-managed and least-privilege.

        onEvent and isComplete/onTimeout get one role each: onEvent starts the waiter state machine, which
        refers to the isComplete function, so one shared role would be a dependency cycle.
        """
        log_group = encrypted_log_group(self, "KeyProviderLogs", key=key, retention=retention)
        fn = self.provisioner_function.function

        def framework_policy(id_: str, what: str) -> iam.ManagedPolicy:
            return iam.ManagedPolicy(
                self,
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
            self,
            "KeyProviderRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            managed_policies=[policy],
        )
        waiter_policy = framework_policy("KeyProviderWaiterPolicy", "isComplete and onTimeout")
        waiter_role = iam.Role(
            self,
            "KeyProviderWaiterRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            managed_policies=[waiter_policy],
        )
        provider = cr.Provider(
            self,
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
                destination=encrypted_log_group(self, "KeyProviderWaiterLogs", key=key, retention=retention),
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
            iam.PolicyStatement(
                actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"], resources=["*"]
            )
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
            compliance.acknowledge(framework, "provider-framework", "lambda-outside-vpc", "role-dependency")
        compliance.acknowledge(
            waiter,
            "provider-waiter",
            waiter_targets=[_framework_function(provider, n) for n in ("isComplete", "onTimeout")],
        )
        compliance.acknowledge(machine, "role-dependency")
        waiter_policy_resource = waiter_machine_role.node.find_child("DefaultPolicy").node.default_child
        assert isinstance(waiter_policy_resource, iam.CfnPolicy)
        compliance.acknowledge(waiter_policy_resource, "provider-waiter-log-delivery")
        self._errors_alarm(
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

    def on_route(self, route: Route, method: apigw.Method | None) -> None:
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


_KEY_POLICY_ACKNOWLEDGEMENTS = (
    "key-functions-read-keys",
    "key-functions-tag-new-keys",
    "key-functions-plan-keys",
    "key-functions-secrets",
)


def key_statements(
    stack: Stack,
    rest_api_id: str,
    secrets_arn: str,
    keys_key: kms.IKey,
    plans: Mapping[str, apigw.UsagePlan],
    *,
    provisioner: bool = False,
) -> list[iam.PolicyStatement]:
    """What the key functions may do: this API's keys (by tag), this API's plans, this API's secrets.

    API Gateway authorizes ``CreateApiKey`` with tags as ``POST /apikeys`` (``aws:RequestTag``,
    ``aws:TagKeys``) plus ``PUT`` on the new key's URL-encoded tags ARN (``aws:RequestTag``,
    ``aws:TagKeys``; no ``aws:ResourceTag``); ``UpdateApiKey`` and ``DeleteApiKey`` as ``PATCH``/``DELETE``
    on ``/apikeys/<id>`` (``aws:ResourceTag``); usage plan keys as ``POST /usageplans/<id>/keys`` and
    ``DELETE /usageplans/<id>/keys/<keyId>`` (IAM Service Authorization Reference, API Gateway Management).
    """

    def gw(path: str) -> str:
        return f"arn:{stack.partition}:apigateway:{stack.region}::{path}"

    plan_paths = [gw(f"/usageplans/{p.usage_plan_id}") for p in plans.values()]
    new_key_tags = {
        "StringEquals": {f"aws:RequestTag/{TAG_API}": rest_api_id},
        "ForAllValues:StringEquals": {"aws:TagKeys": [TAG_API, TAG_CONSUMER]},
    }
    # IAM matches the tags resource on the tagged resource's ARN, URL-encoded.
    key_tags_arn = gw(f"/tags/arn%3A{stack.partition}%3Aapigateway%3A{stack.region}%3A%3A%2Fapikeys%2F*")
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
            "secretsmanager:RestoreSecret",
            "secretsmanager:TagResource",
            "secretsmanager:RotateSecret",
            "secretsmanager:CancelRotateSecret",
        ]
    return [
        iam.PolicyStatement(
            sid="ReadKeysAndPlans",
            actions=["apigateway:GET"],
            resources=[gw("/apikeys"), gw("/apikeys/*"), gw("/usageplans")],
        ),
        iam.PolicyStatement(
            sid="CreateThisApisKeys",
            actions=["apigateway:POST"],
            resources=[gw("/apikeys")],
            conditions=new_key_tags,
        ),
        iam.PolicyStatement(
            sid="TagThisApisNewKeys",
            actions=["apigateway:PUT"],
            resources=[key_tags_arn],
            conditions=new_key_tags,
        ),
        iam.PolicyStatement(
            sid="ChangeThisApisKeys",
            actions=["apigateway:PATCH", "apigateway:DELETE"],
            resources=[gw("/apikeys/*")],
            conditions={"StringEquals": {f"aws:ResourceTag/{TAG_API}": rest_api_id}},
        ),
        iam.PolicyStatement(
            sid="AttachToThisApisPlans",
            actions=["apigateway:POST"],
            resources=[f"{p}/keys" for p in plan_paths],
        ),
        iam.PolicyStatement(
            sid="DetachFromThisApisPlans",
            actions=["apigateway:DELETE"],
            resources=[f"{p}/keys/*" for p in plan_paths],
        ),
        iam.PolicyStatement(sid="ThisApisKeySecrets", actions=secret_actions, resources=[secrets_arn]),
        iam.PolicyStatement(
            sid="KeySecretsKey",
            actions=["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:DescribeKey"],
            resources=[keys_key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{stack.region}.amazonaws.com"}},
        ),
    ]


def consumers_property(consumers: Sequence[Consumer]) -> dict[str, object]:
    """The provisioner's ``Consumers`` property, or ``ConsumersGzip`` once the list is long.

    The custom resource event is the input of the provider framework's waiter state machine, which
    Step Functions limits to 256 KB; 10,000 consumers as JSON objects would exceed it.
    """
    items = [{"name": c.name, "tier": c.tier, "enabled": "true" if c.enabled else "false"} for c in consumers]
    if len(json.dumps(items)) <= defaults.KEY_CONSUMERS_INLINE_MAX_BYTES:
        return {"Consumers": items}
    return {"ConsumersGzip": encode_consumers([[i["name"], i["tier"], i["enabled"]] for i in items])}


def _framework_function(provider: cr.Provider, name: str) -> lambda_.Function:
    fn = provider.node.find_child(f"framework-{name}")
    assert isinstance(fn, lambda_.Function)
    return fn


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
