"""``SecureHttpApi``: the composition root. Each concern lives in its own module; this file wires them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsii
from aws_cdk import Annotations, Aspects, IAspect, RemovalPolicy
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct

from secure_api import defaults
from secure_api.access import AccessPolicy
from secure_api.audit import AuditTrail
from secure_api.authorizer import BearerAuth
from secure_api.domain import CustomDomain
from secure_api.encryption import encrypted_log_group, logs_key, secure_key
from secure_api.errors import SecureApiConfigError, located
from secure_api.http.authorizer import HttpAuthorization
from secure_api.http.domain import apply_http_domain
from secure_api.http.integrations import HttpIntegrations
from secure_api.http.option_checks import check_http_options
from secure_api.http.routes import HttpRoutes, check_route_options, set_route_settings, warn_route
from secure_api.http.stage import create_http_api, create_stage
from secure_api.monitoring import Monitoring
from secure_api.notifications import alarm_topic
from secure_api.outputs import add_http_outputs
from secure_api.removal import apply_removal_policy, check_removal_policy
from secure_api.rest.cors import CorsPolicy
from secure_api.rest.route_record import Route
from secure_api.throttling import Throttle, warn_above_account_limits

_DEFAULT_AUDIT = AuditTrail()
_DEFAULT_MONITORING = Monitoring()


class SecureHttpApi(Construct):
    """An API Gateway HTTP API secured as far as AWS allows (see the README's "HTTP APIs").

    ``auth`` is required: ``BearerAuth(...)`` (API Gateway's native JWT authorizer, or the library's
    Lambda authorizer where the native one cannot honour the options; ``authorizer="native"`` or
    ``"lambda"`` chooses) or ``"iam"`` (``AWS_IAM``). Defaults: stage ``prod``, auto-deployed, throttled
    at 1000 rps / burst 2000, detailed metrics, JSON access logs in a KMS-encrypted log group, the audit
    trail and monitoring on. ``cors`` becomes the API's CORS configuration; ``domain`` a REGIONAL
    ``TLS_1_2`` domain (optional mutual TLS) with the execute-api endpoint disabled; ``access`` IP lists
    are enforced by the Lambda authorizer. What HTTP APIs cannot honour (``usage_tiers``, ``consumers``,
    ``key_rotation``, ``firewall``, ``AccessPolicy.private``, VPC, VPC endpoint and account lists) is
    refused naming the option, pointing to ``SecureRestApi``.

    Escape hatches: ``http_api``, ``stage``, ``authorizer``, ``authorizer_function``, ``domain_name``,
    ``access_log_group``, ``alarm_topic``, ``dashboard``, ``trail``, ``url``; ``outputs`` maps each stack
    output's name (``secure_api.keys.stack_outputs``) to its ``CfnOutput``; ``routes`` lists the routes.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        stage_name: str = defaults.STAGE_NAME,
        auth: BearerAuth | str | None = None,
        authorizer: str | None = None,
        cors: CorsPolicy | None = None,
        access: AccessPolicy | None = None,
        domain: CustomDomain | None = None,
        throttle: Throttle | None = None,
        audit: AuditTrail | None = _DEFAULT_AUDIT,
        monitoring: Monitoring | None = _DEFAULT_MONITORING,
        log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
        description: str | None = None,
        removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY,
        usage_tiers: Sequence[Any] = (),
        consumers: Sequence[Any] = (),
        key_rotation: Any = None,
        firewall: Any = None,
    ) -> None:
        check_removal_policy("removal_policy", removal_policy)
        options = check_http_options(
            stage_name=stage_name,
            auth=auth,
            authorizer=authorizer,
            options={
                "access": access,
                "cors": cors,
                "domain": domain,
                "audit": audit,
                "throttle": throttle,
                "monitoring": monitoring,
            },
            rest_only={
                "usage_tiers": usage_tiers,
                "consumers": consumers,
                "key_rotation": key_rotation,
                "firewall": firewall,
            },
            log_retention=log_retention,
            description=description,
        )
        super().__init__(scope, id_)
        self._options = options
        apply_removal_policy(
            self,
            api_policy=removal_policy,
            audit_policy=audit.removal_policy if audit is not None else RemovalPolicy.RETAIN,
        )
        warn_above_account_limits(self, "throttle", options.throttle)
        self._routes = HttpRoutes()
        self.routes: list[Route] = []
        self._finalized = False
        self._trail_settings = (audit, (audit.log_retention or log_retention) if audit else None)

        self.logs_key = logs_key(
            self, "LogsKey", description=f"secure_api {self.node.path}: logs and Lambda env"
        )
        self.access_log_group = encrypted_log_group(
            self, "AccessLogs", key=self.logs_key, retention=log_retention
        )
        self.http_api = create_http_api(
            self, "Api", description=description, cors=options.cors, execute_api_disabled=domain is not None
        )
        self.stage = create_stage(
            self,
            "Stage",
            http_api=self.http_api,
            stage_name=stage_name,
            throttle=options.throttle,
            access_log_group=self.access_log_group,
        )
        self._integrations = HttpIntegrations(self, self.http_api)  # type: ignore[arg-type]
        self._authorization = HttpAuthorization(
            self, http_api=self.http_api, options=options, key=self.logs_key, retention=log_retention
        )
        self.authorizer: apigwv2.CfnAuthorizer | None = self._authorization.authorizer
        self.authorizer_function: lambda_.IFunction | None = self._authorization.function
        self.url: str = self.stage.url
        self._apply_domain(domain)
        self.alarm_topic: sns.ITopic | None = self._alarm_topic(monitoring, audit)
        self._apply_audit(audit, log_retention)
        self.outputs = add_http_outputs(self, http_api=self.http_api, stage=self.stage, url=self.url)
        self._apply_monitoring(monitoring)
        Aspects.of(self).add(_Finalize(self))

    def _apply_domain(self, domain: CustomDomain | None) -> None:
        """The custom domain (``domain_name``); ``url`` becomes the domain's."""
        self.domain_name: apigwv2.DomainName | None = None
        if domain is None:
            return
        self.domain_name = apply_http_domain(self, domain, http_api=self.http_api, stage=self.stage)
        self.url = f"https://{domain.domain_name}" + (f"/{domain.base_path}" if domain.base_path else "")

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
        """The stack's CloudTrail trail (``trail``, maybe shared) and alarms on this API's control plane."""
        self.trail: Any = None
        self.audit_log_group: logs.ILogGroup | None = None
        if audit is None:
            self._warn("audit", "audit=None: no CloudTrail trail and no alarms on control-plane changes")
            return
        if not audit.has_alarms:
            self._warn(
                "audit", "AuditTrail.existing() without log_group_name: no alarms on control-plane changes"
            )
            return
        from secure_api import audit as audit_module

        assert self.alarm_topic is not None
        owner = audit_module.find_trail_owner(self, audit)
        self.trail, self.audit_log_group = audit_module.apply_audit(
            self,
            audit,
            web_socket_api=self.http_api,  # type: ignore[arg-type]  # the API Gateway v2 events and apiId
            topic=self.alarm_topic,
            retention=retention,
            shared_log_group=owner.audit_log_group if owner is not None else None,
        )
        if owner is not None:
            self.trail = owner.trail

    def _apply_monitoring(self, monitoring: Monitoring | None) -> None:
        """Alarms and the ``dashboard``, or a warning without them."""
        self.dashboard: Any = None
        if monitoring is None:
            self._warn("monitoring", "monitoring=None: no alarms or dashboard")
            return
        from secure_api.monitoring import apply_http_monitoring

        assert self.alarm_topic is not None
        self.dashboard = apply_http_monitoring(
            self,
            monitoring,
            http_api=self.http_api,
            stage=self.stage,
            access_log_group=self.access_log_group,
            topic=self.alarm_topic,
            authorizer_function=self.authorizer_function,
        )

    def add_route(
        self,
        method: str,
        path: str,
        integration: lambda_.IFunction | apigwv2.HttpRouteIntegration,
        *,
        scopes: Sequence[str] = (),
        throttle: Throttle | None = None,
        auth: str = "bearer",
    ) -> Route:
        """Route ``method`` (``GET``, ..., or ``ANY``) on ``path`` (``/orders/{id}``, a final ``{proxy+}``)
        to a Lambda function (payload format 2.0, one invoke permission per function and API) or any
        ``HttpRouteIntegration``. ``auth`` is ``"bearer"`` (the API's ``BearerAuth``; ``scopes`` the token
        must hold), ``"iam"`` (``AWS_IAM``) or ``"none"`` (public, with a warning); ``throttle`` becomes
        the route's ``RouteSettings``, overriding the stage default up or down. Returns the ``Route``."""
        key = self._routes.check(method, path)
        if self._finalized:
            raise SecureApiConfigError("add_route", key.key, "routes added before the app is synthesized")
        checked = check_route_options(
            key,
            auth=auth,
            scopes=scopes,
            throttle=throttle,
            bearer=self._options.bearer is not None,
            cors=self._options.cors is not None,
            policy_resources=self._options.authorizer == "lambda",
            stage_name=self.stage.stage_name,
        )
        target = self._integrations.integration_for(integration, field="add_route.integration")
        self._routes.add(key)
        warn_above_account_limits(self, f"add_route({key.key!r}).throttle", throttle)
        warn_route(self, key, auth=auth, scopes=checked)
        route = apigwv2.HttpRoute(
            self,
            f"Route{key.method}{key.path}",  # construct ids turn each '/' into '--'
            http_api=self.http_api,
            route_key=apigwv2.HttpRouteKey.with_(key.path, apigwv2.HttpMethod[key.method]),
            integration=target,
            authorizer=self._authorization.for_route(key, auth=auth, scopes=checked),
        )
        self.stage.node.add_dependency(route)
        if throttle is not None:
            set_route_settings(self.stage, key.key, throttle)
        record = Route(method=key.method, path=key.path, auth=auth, scopes=checked, throttle=throttle)
        self.routes.append(record)
        return record

    def _finalize(self) -> None:
        """Once every route is known (at synthesis): the Lambda authorizer's route scopes."""
        if self._finalized:
            return
        self._finalized = True
        self._authorization.finalize()

    def _warn(self, what: str, why: str) -> None:
        Annotations.of(self).add_warning_v2(
            f"secure-api:{what.split(maxsplit=1)[0]}-disabled", f"secure_api: {what}: {why}"
        )


@jsii.implements(IAspect)
class _Finalize:
    """Runs ``SecureHttpApi._finalize`` once, when the app is synthesized."""

    def __init__(self, api: SecureHttpApi) -> None:
        self._api = api

    def visit(self, node: IConstruct) -> None:
        if node.node.path == self._api.node.path:
            with located(self._api.node.path):
                self._api._finalize()
