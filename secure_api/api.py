"""``SecureRestApi``: the composition root. Each concern lives in its own module; this file wires them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from aws_cdk import Annotations, ArnFormat, Names, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from secure_api import compliance, defaults
from secure_api.access import AccessPolicy
from secure_api.access_logs import access_log_format
from secure_api.audit import AuditTrail, apply_audit
from secure_api.authorizer import BearerAuth, BearerAuthorizer
from secure_api.cors import CorsPolicy
from secure_api.domain import CustomDomain, apply_domain
from secure_api.encryption import encrypted_log_group, logs_key, secure_key
from secure_api.errors import SecureApiConfigError
from secure_api.firewall import Firewall, apply_firewall
from secure_api.monitoring import Monitoring, apply_monitoring
from secure_api.notifications import alarm_topic
from secure_api.outputs import add_outputs
from secure_api.routes import Route
from secure_api.stage_settings import StageMethodSettings
from secure_api.throttling import Throttle
from secure_api.usage_plans import Consumer, KeyRotation, UsageTier, UsageTiers, check_tiers_and_consumers

AUTH_MODES = ("bearer", "iam", "none")
_DEFAULT_FIREWALL = Firewall()
_DEFAULT_AUDIT = AuditTrail()
_DEFAULT_MONITORING = Monitoring()


class SecureRestApi(Construct):
    """An API Gateway REST API with every protection on by default (see the README for each one).

    Escape hatches: ``rest_api``, ``stage``, ``authorizer``, ``authorizer_function``, ``web_acl``,
    ``trail``, ``audit_log_group``, ``domain_name``, ``usage_plans``, ``access_log_group``,
    ``alarm_topic``, ``dashboard``, ``url``; ``outputs`` maps each stack output's name
    (``secure_api.keys.stack_outputs``) to its ``CfnOutput``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        stage_name: str = defaults.STAGE_NAME,
        access: AccessPolicy | None = None,
        cors: CorsPolicy | None = None,
        domain: CustomDomain | None = None,
        firewall: Firewall | None = _DEFAULT_FIREWALL,
        audit: AuditTrail | None = _DEFAULT_AUDIT,
        auth: BearerAuth | None = None,
        throttle: Throttle | None = None,
        usage_tiers: Sequence[UsageTier] = (),
        consumers: Sequence[Consumer] = (),
        key_rotation: KeyRotation | None = None,
        monitoring: Monitoring | None = _DEFAULT_MONITORING,
        log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
        create_cloudwatch_role: bool = False,
        description: str | None = None,
    ) -> None:
        _check_stage_name(stage_name)
        if consumers and not usage_tiers:
            raise SecureApiConfigError(
                "consumers", [c.name for c in consumers], "usage_tiers for them to belong to"
            )
        check_tiers_and_consumers(usage_tiers, consumers)
        access = access or AccessPolicy()
        if domain is not None and access.private_endpoint:
            raise SecureApiConfigError(
                "domain",
                domain.domain_name,
                "None for a PRIVATE API (a REGIONAL custom domain cannot front AccessPolicy.private)",
            )
        super().__init__(scope, id_)
        self._access = access
        self._cors = cors
        self._auth = auth
        self._throttle = throttle or Throttle()
        self._log_retention = log_retention
        self._functions_with_permission: set[str] = set()

        self.logs_key = logs_key(
            self, "LogsKey", description=f"secure_api {self.node.path}: logs and Lambda env"
        )
        self.access_log_group = encrypted_log_group(
            self, "AccessLogs", key=self.logs_key, retention=log_retention
        )
        self.rest_api = apigw.RestApi(
            self,
            "Api",
            # Unique per API: the stage's CloudWatch metrics are keyed by the API's name.
            rest_api_name=Names.unique_resource_name(self, max_length=128, separator="-"),
            description=description or f"secure_api REST API {self.node.path}",
            endpoint_configuration=self._access.endpoint_configuration(self),
            policy=self._access.policy_document(),
            cloud_watch_role=create_cloudwatch_role,
            # Behind a custom domain the execute-api URL would bypass its TLS policy (and mTLS).
            disable_execute_api_endpoint=domain is not None,
            api_key_source_type=(
                apigw.ApiKeySourceType.AUTHORIZER
                if auth and auth.api_key_claim
                else apigw.ApiKeySourceType.HEADER
            ),
            deploy=True,
            deploy_options=apigw.StageOptions(
                stage_name=stage_name,
                throttling_rate_limit=self._throttle.rate_limit,
                throttling_burst_limit=self._throttle.burst_limit,
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,
                metrics_enabled=True,
                tracing_enabled=True,
                access_log_destination=apigw.LogGroupLogDestination(self.access_log_group),
                access_log_format=access_log_format(),
            ),
        )
        if self.rest_api.latest_deployment is not None:
            self.rest_api.latest_deployment.add_to_logical_id({"accessPolicy": self._access.fingerprint()})
        self.stage: apigw.Stage = self.rest_api.deployment_stage
        self._method_settings = StageMethodSettings(self.stage)
        compliance.acknowledge(self.stage, "stage-cache-off", "stage-client-certificate")
        self.request_validator = self.rest_api.add_request_validator(
            "RequestValidator", validate_request_body=True, validate_request_parameters=True
        )

        self.authorizer: apigw.TokenAuthorizer | None = None
        self.authorizer_function: lambda_.IFunction | None = None
        self._bearer: BearerAuthorizer | None = None
        if auth is not None:
            self._bearer = BearerAuthorizer(self, auth, key=self.logs_key, retention=log_retention)
            self.authorizer = self._bearer.authorizer
            self.authorizer_function = self._bearer.function
        else:
            self._warn("auth", "no BearerAuth: routes need auth='iam' or an explicit auth='none'")

        if cors is not None:
            cors.add_gateway_responses(self.rest_api)

        self.url: str = self.rest_api.url
        self.web_acl: Any = None
        if firewall is not None:
            self.web_acl = apply_firewall(
                self, firewall, stage=self.stage, key=self.logs_key, retention=log_retention
            )
        else:
            self._warn("firewall", "firewall=None: no AWS WAF WebACL in front of the stage")
        self.domain_name: apigw.DomainName | None = None
        if domain is not None:
            self.domain_name = apply_domain(self, domain, rest_api=self.rest_api, stage=self.stage)
            self.url = f"https://{domain.domain_name}/{domain.base_path or ''}"

        self.alarm_topic: sns.ITopic | None = self._alarm_topic(monitoring, audit)
        self.trail: Any = None
        self.audit_log_group: logs.ILogGroup | None = None
        self._apply_audit(audit, log_retention)
        self.usage_plans: dict[str, apigw.UsagePlan] = {}
        self.usage_tiers: UsageTiers | None = None
        if usage_tiers:
            self.usage_tiers = UsageTiers(
                self,
                "UsageTiers",
                api=self,
                tiers=usage_tiers,
                consumers=consumers,
                rotation=key_rotation or KeyRotation(),
                logs_key=self.logs_key,
                retention=log_retention,
            )
            self.usage_plans = dict(self.usage_tiers.plans)
            if self._bearer is not None and auth is not None and auth.api_key_claim:
                self._bearer.secure_function.add_to_policy(
                    iam.PolicyStatement(
                        actions=["secretsmanager:GetSecretValue"], resources=[self.usage_tiers.secrets_arn]
                    ),
                    iam.PolicyStatement(
                        actions=["kms:Decrypt"], resources=[self.usage_tiers.keys_key.key_arn]
                    ),
                )
                compliance.acknowledge(
                    self._bearer.secure_function.policy, "authorizer-key-secrets", api=self.rest_api
                )
        self.outputs = add_outputs(
            self,
            rest_api=self.rest_api,
            stage=self.stage,
            url=self.url,
            execute_api_disabled=domain is not None,
            keys_key=self.usage_tiers.keys_key if self.usage_tiers is not None else None,
        )
        self.dashboard: Any = None
        if monitoring is not None:
            assert self.alarm_topic is not None
            self.dashboard = apply_monitoring(
                self, monitoring, api=self, topic=self.alarm_topic, retention=log_retention
            )
        else:
            self._warn("monitoring", "monitoring=None: no alarms, dashboard or key guard")

    def add_route(
        self,
        method: str,
        path: str,
        integration: apigw.Integration | lambda_.IFunction,
        *,
        throttle: Throttle | None = None,
        scopes: Sequence[str] = (),
        api_key_required: bool | None = None,
        auth: str = "bearer",
    ) -> apigw.Method:
        """Add ``method`` on ``path`` (its resources are created as needed) and return the ``Method``.

        ``integration`` is any ``apigw.Integration`` or a Lambda function (a proxy integration with one
        invoke permission per function per API). ``throttle`` overrides the stage limits for this
        route; ``scopes`` are OAuth scopes the bearer token must hold; ``auth`` is ``"bearer"``,
        ``"iam"`` or ``"none"``; ``api_key_required`` defaults to True once usage tiers exist.
        """
        route = Route.parse(method, path, field="add_route")
        if route.method == "OPTIONS" and self._cors is not None:
            raise SecureApiConfigError(
                "add_route.method", method, "not OPTIONS: CorsPolicy owns the preflight"
            )
        if auth not in AUTH_MODES:
            raise SecureApiConfigError("add_route.auth", auth, f"one of {', '.join(AUTH_MODES)}")
        scopes = tuple(scopes)
        if isinstance(scopes, str) or not all(isinstance(s, str) and s and " " not in s for s in scopes):
            raise SecureApiConfigError("add_route.scopes", scopes, "a list of scope names without spaces")
        if scopes and auth != "bearer":
            raise SecureApiConfigError("add_route.scopes", list(scopes), "scopes only with auth='bearer'")
        if auth == "bearer" and self._bearer is None:
            raise SecureApiConfigError(
                "add_route.auth",
                auth,
                "auth='iam' or 'none' when the API has no BearerAuth (SecureRestApi(auth=...))",
            )
        resource = self.rest_api.root.resource_for_path(route.path)
        if resource.node.try_find_child(route.method) is not None:
            raise SecureApiConfigError("add_route", route.key, "a route that has not been added already")

        acknowledgements: list[str] = []
        if api_key_required is None:
            api_key_required = self.usage_tiers is not None
        options: dict[str, Any] = {
            "api_key_required": bool(api_key_required),
            "request_validator": self.request_validator,
        }
        if auth == "bearer":
            assert self._bearer is not None
            acknowledgements.append("bearer-authorizer-not-cognito")
            options["authorizer"] = self._bearer.authorizer
            options["authorization_type"] = apigw.AuthorizationType.CUSTOM
            self._bearer.add_route_scopes(route.key, scopes)
        elif auth == "iam":
            options["authorization_type"] = apigw.AuthorizationType.IAM
        else:
            options["authorization_type"] = apigw.AuthorizationType.NONE
            self._warn(f"route {route.key}", "auth='none': anyone the resource policy admits can call it")

        method_ = resource.add_method(route.method, self._integration(integration), **options)
        compliance.acknowledge(method_, *acknowledgements)
        if self._cors is not None and resource.node.try_find_child("OPTIONS") is None:
            self._cors.add_preflight(resource)
        if throttle is not None:
            self._method_settings.throttle(route, throttle)
        if self.usage_tiers is not None:
            self.usage_tiers.on_route(route, method_)
        return method_

    def grant_read_key(self, consumer: str, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` (the consumer application's role) read that consumer's key secret only."""
        if self.usage_tiers is None:
            raise SecureApiConfigError(
                "grant_read_key.consumer", consumer, "a consumer of the API's usage_tiers"
            )
        return self.usage_tiers.grant_read_key(consumer, grantee)

    def _integration(self, integration: apigw.Integration | lambda_.IFunction) -> apigw.Integration:
        if isinstance(integration, apigw.Integration):
            return integration
        # jsii interfaces are not runtime-checkable protocols: check the members we use.
        if not (hasattr(integration, "function_arn") and hasattr(integration, "add_permission")):
            raise SecureApiConfigError(
                "add_route.integration",
                integration,
                "an aws_apigateway.Integration or an aws_lambda.IFunction",
            )
        fn = integration
        stack = Stack.of(self)
        uri = stack.format_arn(
            service="apigateway",
            account="lambda",
            resource="path/2015-03-31/functions",
            resource_name=f"{fn.function_arn}/invocations",
            arn_format=ArnFormat.SLASH_RESOURCE_NAME,
        )
        if fn.node.addr not in self._functions_with_permission:
            self._functions_with_permission.add(fn.node.addr)
            permission_id = f"InvokeBy{self.node.id}{_short(self.node.addr)}"
            fn.add_permission(
                permission_id,
                principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
                action="lambda:InvokeFunction",
                source_arn=self.rest_api.arn_for_execute_api("*", "/*", "*"),
            )
            compliance.acknowledge(fn.node.find_child(permission_id), "permission-source-arn-join")
        return apigw.Integration(
            type=apigw.IntegrationType.AWS_PROXY,
            integration_http_method="POST",
            uri=uri,
        )

    def _alarm_topic(self, monitoring: Monitoring | None, audit: AuditTrail | None) -> sns.ITopic | None:
        """The user's topic, or a new encrypted one when monitoring or the audit alarms need one."""
        if monitoring is not None and monitoring.alarm_topic is not None:
            return monitoring.alarm_topic
        if monitoring is None and (audit is None or not audit.has_alarms):
            return None
        return alarm_topic(
            self,
            "AlarmTopic",
            key=secure_key(self, "AlarmTopicKey", description=f"secure_api {self.node.path}: alarms"),
            email=monitoring.alarm_email if monitoring is not None else None,
        )

    def _apply_audit(self, audit: AuditTrail | None, retention: logs.RetentionDays) -> None:
        if audit is None:
            self._warn("audit", "audit=None: no CloudTrail trail and no alarms on control-plane changes")
            return
        if not audit.has_alarms:
            self._warn(
                "audit", "AuditTrail.existing() without log_group_name: no alarms on control-plane changes"
            )
            return
        assert self.alarm_topic is not None
        self.trail, self.audit_log_group = apply_audit(
            self, audit, rest_api=self.rest_api, topic=self.alarm_topic, retention=retention
        )

    def _warn(self, what: str, why: str) -> None:
        Annotations.of(self).add_warning_v2(
            f"secure-api:{what.split(maxsplit=1)[0]}-disabled", f"secure_api: {what}: {why}"
        )


def _short(addr: str) -> str:
    return addr[-8:]


def _check_stage_name(stage_name: Any) -> None:
    if not isinstance(stage_name, str) or not re.fullmatch(r"[A-Za-z0-9_]{1,128}", stage_name):
        raise SecureApiConfigError("stage_name", stage_name, "1-128 letters, digits or underscores")
