"""``UsageTiers``: the usage plans of an API, with its consumers' keys, their rotation and expiry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsii
from aws_cdk import ArnFormat, Stack, Tags
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct, IValidation

from secure_api import compliance, defaults
from secure_api.api_target import ApiKind, ApiTarget
from secure_api.encryption import secure_key
from secure_api.errors import SecureApiConfigError
from secure_api.lambda_function import SecureFunction
from secure_api.notifications import errors_alarm, notify
from secure_api.overrides import override_path
from secure_api.rest.routes import RouteKey
from secure_api.throttling import Throttle
from secure_api.usage_plans.key_creator import key_creator
from secure_api.usage_plans.options import Consumer, KeyRotation, Quota, UsageTier, pascal
from secure_api.usage_plans.provisioning import key_provisioner
from secure_api.usage_plans.rotation import key_rotation


class UsageTiers(Construct):
    """The usage plans of an API, its consumers' keys, and their rotation and expiry.

    ``scope`` is the API's construct: its id names the usage plans and its path the alarms. The plans
    serve ``stage`` of ``rest_api``, or ``web_socket_stage`` of ``web_socket_api`` (exactly one pair):
    the keys, secrets, provisioner, rotation and expiry are the same for both kinds; only the API id
    differs (WebSocket usage plans throttle per key only, so method throttles are REST-only).
    ``target`` (an ``ApiTarget`` of a REST or WebSocket API) is the newer spelling of either pair; an
    HTTP API has no usage plans and is refused.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        target: ApiTarget | None = None,
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
        target = _target(target, rest_api, stage, web_socket_api, web_socket_stage)
        if target.kind is ApiKind.HTTP:
            raise SecureApiConfigError(
                "usage_tiers",
                [tier.name for tier in tiers],
                "none with an HTTP API: HTTP APIs have no API keys or usage plans (use SecureRestApi)",
            )
        if target.kind is ApiKind.WEBSOCKET:
            for tier in tiers:
                if tier.method_throttles:
                    raise SecureApiConfigError(
                        f"UsageTier({tier.name!r}).method_throttles",
                        sorted(tier.method_throttles),
                        "none with a WebSocket API: its usage plans throttle per key only (use add_route's throttle)",
                    )
        api, api_id, stage_name = target.api, target.api_id, target.stage_name
        super().__init__(scope, id_)
        self._api_path = scope.node.path
        self._api = api
        self._rest_api_id = api_id
        self._alarm_topic = alarm_topic
        self.plans: dict[str, apigw.UsagePlan] = {}
        self._tiers = {t.name: t for t in tiers}
        self._routes_seen: set[str] = set()
        for tier in tiers:
            plan_id = f"Tier{pascal(tier.name)}"
            plan_props: dict[str, Any] = {
                "name": f"{Stack.of(self).stack_name}-{scope.node.id}-{tier.name}",
                "description": tier.description or f"secure_api usage tier {tier.name}",
                "throttle": _throttle_settings(tier.throttle),
                "quota": _quota_settings(tier.quota),
            }
            if isinstance(api, apigw.RestApiBase):
                assert isinstance(target.stage, apigw.Stage)
                plan = api.add_usage_plan(
                    plan_id,
                    api_stages=[apigw.UsagePlanPerApiStage(api=api, stage=target.stage)],
                    **plan_props,
                )
            else:
                # CDK's UsagePlanPerApiStage takes REST APIs only; a usage plan serves a WebSocket stage
                # through the same ApiStages entry, by the v2 API's id.
                plan = apigw.UsagePlan(scope, plan_id, **plan_props)
                cfn_plan: apigw.CfnUsagePlan = plan.node.default_child  # type: ignore[assignment]
                cfn_plan.api_stages = [apigw.CfnUsagePlan.ApiStageProperty(api_id=api_id, stage=stage_name)]
                plan.node.add_dependency(target.stage)
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

        self.key_creator_function, self.key_creator_alarm = key_creator(
            self,
            api=api,
            rest_api_id=rest_api_id,
            plans=self.plans,
            logs_key=logs_key,
            retention=retention,
            errors_alarm=self._errors_alarm,
        )
        creator_arn = self.key_creator_function.function.function_arn
        self.rotation_function, self.rotation_alarm = key_rotation(
            self,
            api=api,
            rest_api_id=rest_api_id,
            secrets_arn=secrets_arn,
            keys_key=self.keys_key,
            plans=self.plans,
            rotation=rotation,
            creator_arn=creator_arn,
            logs_key=logs_key,
            retention=retention,
            errors_alarm=self._errors_alarm,
            alarm_topic=alarm_topic,
        )
        self.provisioner_function, self.provisioner_alarm, self.provisioner = key_provisioner(
            self,
            api=api,
            rest_api_id=rest_api_id,
            stage_name=stage_name,
            secrets_arn=secrets_arn,
            keys_key=self.keys_key,
            plans=self.plans,
            consumers=consumers,
            rotation=rotation,
            rotation_function=self.rotation_function,
            creator_arn=creator_arn,
            logs_key=logs_key,
            retention=retention,
            errors_alarm=self._errors_alarm,
        )

    def _errors_alarm(self, id_: str, metric: cloudwatch.IMetric, what: str) -> cloudwatch.Alarm:
        """An alarm on any error of one of the library's key functions, notifying the alarm topic."""
        alarm = errors_alarm(self, id_, metric, description=f"secure_api {self._api_path}: {what}")
        return alarm if self._alarm_topic is None else notify(alarm, self._alarm_topic)

    def on_route(self, route: RouteKey, method: apigw.Method | None) -> None:
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
        function.add_to_policy(*self.key_secret_statements())
        compliance.acknowledge(function.policy, "authorizer-key-secrets", api=api)

    def key_secret_statements(self) -> list[iam.PolicyStatement]:
        """The statements that let the bearer authorizer read every key secret of these tiers: get the
        secrets' values, decrypt them with their key."""
        return [
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=[self.secrets_arn]),
            iam.PolicyStatement(actions=["kms:Decrypt"], resources=[self.keys_key.key_arn]),
        ]

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


def _throttle_settings(throttle: Throttle | None) -> apigw.ThrottleSettings | None:
    if throttle is None:
        return None
    return apigw.ThrottleSettings(rate_limit=throttle.rate_limit, burst_limit=throttle.burst_limit)


def _quota_settings(quota: Quota | None) -> apigw.QuotaSettings | None:
    if quota is None:
        return None
    return apigw.QuotaSettings(limit=quota.limit, period=quota.period, offset=quota.offset)


def _target(
    target: ApiTarget | None,
    rest_api: apigw.RestApiBase | None,
    stage: apigw.Stage | None,
    web_socket_api: apigwv2.WebSocketApi | None,
    web_socket_stage: apigwv2.WebSocketStage | None,
) -> ApiTarget:
    """``target``, or the target of the older pairs (``rest_api`` and ``stage``, or ``web_socket_api`` and
    ``web_socket_stage``): exactly one of the three."""
    given = {
        "target": target is not None,
        "rest": rest_api is not None and stage is not None,
        "websocket": web_socket_api is not None and web_socket_stage is not None,
    }
    parts = sum(x is not None for x in (target, rest_api, stage, web_socket_api, web_socket_stage))
    if sum(given.values()) != 1 or parts != (1 if target is not None else 2):
        raise TypeError(
            "UsageTiers serves target, or rest_api and stage, or web_socket_api and web_socket_stage"
        )
    if rest_api is not None and stage is not None:
        return ApiTarget.rest(rest_api, stage)
    if web_socket_api is not None and web_socket_stage is not None:
        return ApiTarget.websocket(web_socket_api, web_socket_stage)
    assert target is not None
    return target
