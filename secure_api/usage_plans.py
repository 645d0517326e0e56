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
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass, field
from typing import Any

import jsii
from aws_cdk import ArnFormat, CustomResource, Duration, Stack, Tags
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct, IValidation

from secure_api import compliance, defaults
from secure_api.encryption import secure_key
from secure_api.errors import SecureApiConfigError, is_token, require_int
from secure_api.failure_destination import failure_destination
from secure_api.key_permissions import (
    KEY_CREATOR_ACKNOWLEDGEMENTS,
    KEY_POLICY_ACKNOWLEDGEMENTS,
    creator_statements,
    key_statements,
)
from secure_api.key_provider import key_provider
from secure_api.keys.provision import encode_consumers, progress_parameter
from secure_api.lambda_function import SecureFunction
from secure_api.notifications import errors_alarm, notify
from secure_api.overrides import override_path
from secure_api.rest.routes import Route
from secure_api.throttling import Throttle

_TIER = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CONSUMER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
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
        if not isinstance(self.name, str) or not _TIER.fullmatch(self.name):
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


def tier_throttles(tiers: Sequence[UsageTier]) -> Iterator[tuple[str, Throttle]]:
    """Each throttle of ``tiers`` with the field that holds it (``UsageTier('gold').throttle``, ...)."""
    for tier in tiers:
        prefix = f"UsageTier({tier.name!r})"
        if tier.throttle is not None:
            yield f"{prefix}.throttle", tier.throttle
        for key, throttle in tier.method_throttles.items():
            yield f"{prefix}.method_throttles[{key!r}]", throttle


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
        if not isinstance(self.name, str) or not _CONSUMER.fullmatch(self.name):
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
    """The usage plans of an API, its consumers' keys, and their rotation and expiry.

    ``scope`` is the API's construct: its id names the usage plans and its path the alarms. The plans
    serve ``stage`` of ``rest_api``, or ``web_socket_stage`` of ``web_socket_api`` (exactly one pair):
    the keys, secrets, provisioner, rotation and expiry are the same for both kinds; only the API id
    differs (WebSocket usage plans throttle per key only, so method throttles are REST-only).
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        rest_api: apigw.RestApiBase | None = None,
        stage: apigw.Stage | None = None,
        web_socket_api: apigwv2.WebSocketApi | None = None,
        web_socket_stage: apigwv2.WebSocketStage | None = None,
        tiers: Sequence[UsageTier],
        consumers: Sequence[Consumer],
        rotation: KeyRotation,
        logs_key: kms.IKey,
        retention: logs.RetentionDays,
        alarm_topic: sns.ITopic | None = None,
    ) -> None:
        api: Construct
        stage_name: str
        if rest_api is not None and stage is not None and web_socket_api is None and web_socket_stage is None:
            api, api_id, stage_name = rest_api, rest_api.rest_api_id, stage.stage_name
        elif (
            web_socket_api is not None and web_socket_stage is not None and rest_api is None and stage is None
        ):
            api, api_id, stage_name = web_socket_api, web_socket_api.api_id, web_socket_stage.stage_name
            for tier in tiers:
                if tier.method_throttles:
                    raise SecureApiConfigError(
                        f"UsageTier({tier.name!r}).method_throttles",
                        sorted(tier.method_throttles),
                        "none with a WebSocket API: its usage plans throttle per key only (use add_route's throttle)",
                    )
        else:
            raise TypeError("UsageTiers serves rest_api and stage, or web_socket_api and web_socket_stage")
        super().__init__(scope, id_)
        self._api_path = scope.node.path
        self._api = api
        self._rest_api_id = api_id
        self._alarm_topic = alarm_topic
        self.plans: dict[str, apigw.UsagePlan] = {}
        self._tiers = {t.name: t for t in tiers}
        self._routes_seen: set[str] = set()
        for tier in tiers:
            plan_id = f"Tier{_pascal(tier.name)}"
            plan_props: dict[str, Any] = {
                "name": f"{Stack.of(self).stack_name}-{scope.node.id}-{tier.name}",
                "description": tier.description or f"secure_api usage tier {tier.name}",
                "throttle": _throttle_settings(tier.throttle),
                "quota": _quota_settings(tier.quota),
            }
            if rest_api is not None:
                plan = rest_api.add_usage_plan(
                    plan_id,
                    api_stages=[apigw.UsagePlanPerApiStage(api=rest_api, stage=stage)],
                    **plan_props,
                )
            else:
                # CDK's UsagePlanPerApiStage takes REST APIs only; a usage plan serves a WebSocket stage
                # through the same ApiStages entry, by the v2 API's id.
                plan = apigw.UsagePlan(scope, plan_id, **plan_props)
                cfn_plan: apigw.CfnUsagePlan = plan.node.default_child  # type: ignore[assignment]
                cfn_plan.api_stages = [apigw.CfnUsagePlan.ApiStageProperty(api_id=api_id, stage=stage_name)]
                assert web_socket_stage is not None
                plan.node.add_dependency(web_socket_stage)
            # The plan's ApiStages references the stage (a Ref), so CloudFormation creates the stage
            # first; without that ordering a deployment fails with "Invalid API Stage".
            Tags.of(plan).add("secure-api:tier", tier.name)
            self.plans[tier.name] = plan
        self.node.add_validation(_MethodThrottlesExist(self))

        self.keys_key = secure_key(
            self, "KeysKey", description=f"secure_api {scope.node.path}: API key secrets"
        )
        stack = Stack.of(self)
        rest_api_id = api_id
        secrets_arn = stack.format_arn(
            service="secretsmanager",
            resource="secret",
            resource_name=f"{defaults.KEY_SECRET_PREFIX}/{rest_api_id}/*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.secrets_arn = secrets_arn

        # The only role that may tag keys (it creates them tagged and attaches them); the rotation and
        # provisioner functions, which change and delete keys, have it do so (secure_api.keys.creator).
        self.key_creator_function = SecureFunction(
            self,
            "KeyCreator",
            code_name="key_creator",
            with_keys=True,
            description="secure_api: creates this API's keys (tagged at creation) and attaches them to its plans",
            environment={"REST_API_ID": rest_api_id},
            key=logs_key,
            retention=retention,
            timeout=defaults.KEY_CREATOR_TIMEOUT,
            acknowledgements=("key-creator-no-dlq",),
            concurrency_acknowledgement="key-functions-no-reserved-concurrency",
        )
        self.key_creator_function.add_to_policy(*creator_statements(stack, rest_api_id, self.plans))
        compliance.acknowledge(self.key_creator_function.policy, *KEY_CREATOR_ACKNOWLEDGEMENTS, api=api)
        self.key_creator_alarm = self._errors_alarm(
            "KeyCreatorErrorsAlarm",
            self.key_creator_function.function.metric_errors(
                statistic="Sum", period=defaults.KEY_PROVISIONER_ALARM_PERIOD
            ),
            "the API key creator failed to create or attach a key (the rotation or provisioner that asked "
            "for it fails too, and retries)",
        )
        creator_arn = self.key_creator_function.function.function_arn
        creator_env = {"KEY_CREATOR_FUNCTION": creator_arn}

        self.rotation_function = SecureFunction(
            self,
            "KeyRotation",
            code_name="key_rotation",
            with_keys=True,
            description="secure_api: rotates and expires consumers' API keys",
            environment={
                "REST_API_ID": rest_api_id,
                "GRACE_HOURS": str(int(rotation.grace_period.to_hours())),
                **creator_env,
            },
            key=logs_key,
            retention=retention,
            timeout=defaults.KEY_ROTATION_TIMEOUT,
            acknowledgements=("rotation-no-dlq", "rotation-invoke-permissions"),
            concurrency_acknowledgement="key-functions-no-reserved-concurrency",
        )
        self.rotation_function.add_to_policy(
            *key_statements(
                stack, rest_api_id, secrets_arn, self.keys_key, self.plans, key_creator_arn=creator_arn
            )
        )
        compliance.acknowledge(
            self.rotation_function.policy,
            *KEY_POLICY_ACKNOWLEDGEMENTS,
            plan=list(self.plans.values()),
            api=api,
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
            # Only for this API's key secrets (Lambda matches SourceArn with ArnLike).
            source_arn=secrets_arn,
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
        if alarm_topic is not None:
            failure_destination(
                self.rotation_function, alarm_topic, max_event_age=defaults.KEY_EXPIRY_SCHEDULE
            )

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
                **creator_env,
            },
            key=logs_key,
            retention=retention,
            timeout=defaults.KEY_PROVISIONER_TIMEOUT,
            acknowledgements=("provisioner-no-dlq",),
            concurrency_acknowledgement="key-functions-no-reserved-concurrency",
        )
        self.provisioner_function.add_to_policy(
            *key_statements(
                stack,
                rest_api_id,
                secrets_arn,
                self.keys_key,
                self.plans,
                key_creator_arn=creator_arn,
                provisioner=True,
            ),
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
            *KEY_POLICY_ACKNOWLEDGEMENTS,
            plan=list(self.plans.values()),
            api=api,
        )
        self.provisioner_alarm = self._errors_alarm(
            "KeyProvisionerErrorsAlarm",
            self.provisioner_function.function.metric_errors(
                statistic="Sum", period=defaults.KEY_PROVISIONER_ALARM_PERIOD
            ),
            "the API key provisioner failed during a deployment (the provider framework retries it "
            "until CloudFormation's one-hour limit)",
        )
        provider = key_provider(
            self,
            self.provisioner_function.function,
            key=logs_key,
            retention=retention,
            errors_alarm=self._errors_alarm,
        )
        self.provisioner = CustomResource(
            self,
            "KeyProvisioner",
            service_token=provider.service_token,
            resource_type="Custom::SecureApiKeys",
            properties={
                "RestApiId": rest_api_id,
                "StageName": stage_name,
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
        alarm = errors_alarm(self, id_, metric, description=f"secure_api {self._api_path}: {what}")
        return alarm if self._alarm_topic is None else notify(alarm, self._alarm_topic)

    def on_route(self, route: Route, method: apigw.Method | None) -> None:
        """Write the per-method throttles of every tier that names ``route``."""
        self._routes_seen.add(route.key)
        for name, tier in self._tiers.items():
            throttle = tier.method_throttles.get(route.key)
            if throttle is None:
                continue
            cfn: apigw.CfnUsagePlan = self.plans[name].node.default_child  # type: ignore[assignment]
            cfn.add_property_override(
                override_path("ApiStages", 0, "Throttle", route.usage_plan_throttle_key),
                {"RateLimit": throttle.rate_limit, "BurstLimit": throttle.burst_limit},
            )

    def grant_read_key(self, consumer: str, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` (an application's role) read its own consumer's secret, and nothing else."""
        stack = Stack.of(self)
        arn = stack.format_arn(
            service="secretsmanager",
            resource="secret",
            # Secrets Manager appends "-" and six random characters to every secret's ARN.
            resource_name=f"{defaults.KEY_SECRET_PREFIX}/{self._rest_api_id}/{consumer}-??????",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        grant = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            resource_arns=[arn],
        )
        # Decrypt only as Secrets Manager's caller: the role cannot use the key on ciphertext it
        # obtained some other way.
        decrypt = iam.Grant.add_to_principal(
            grantee=grantee,
            actions=["kms:Decrypt"],
            resource_arns=[self.keys_key.key_arn],
            conditions={"StringEquals": {"kms:ViaService": f"secretsmanager.{stack.region}.amazonaws.com"}},
        )
        return grant.combine(decrypt)

    def grant_key_secrets(
        self, function: SecureFunction, *, api: Construct | None = None, api_id: str | None = None
    ) -> None:
        """Let ``function`` (the bearer authorizer, when tokens carry the API key) read every key secret.

        ``api`` is the API construct the acknowledgement names (default: the one these tiers serve);
        ``api_id`` is accepted for symmetry with the WebSocket construct and must be these tiers' API."""
        if api_id is not None and api_id != self._rest_api_id:
            raise ValueError("grant_key_secrets: api_id is not the API these usage tiers serve")
        api = api if api is not None else self._api
        function.add_to_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[self.secrets_arn]),
            iam.PolicyStatement(actions=["kms:Decrypt"], resources=[self.keys_key.key_arn]),
        )
        compliance.acknowledge(function.policy, "authorizer-key-secrets", api=api)

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


def consumers_property(consumers: Sequence[Consumer]) -> dict[str, object]:
    """The provisioner's ``Consumers`` property, or ``ConsumersGzip`` once the list is long.

    The custom resource event is the input of the provider framework's waiter state machine, which
    Step Functions limits to 256 KB; 10,000 consumers as JSON objects would exceed it.
    """
    items = [{"name": c.name, "tier": c.tier, "enabled": "true" if c.enabled else "false"} for c in consumers]
    if len(json.dumps(items)) <= defaults.KEY_CONSUMERS_INLINE_MAX_BYTES:
        return {"Consumers": items}
    return {"ConsumersGzip": encode_consumers([[i["name"], i["tier"], i["enabled"]] for i in items])}


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
