"""``SecureWebSocketApi``: the composition root. Each concern lives in its own module; this file wires them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Annotations, RemovalPolicy, Stack
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from secure_api import compliance, defaults
from secure_api.access import AccessPolicy
from secure_api.audit import AuditTrail
from secure_api.authorizer import BearerAuth, BearerAuthorizer
from secure_api.domain import CustomDomain, apply_websocket_domain
from secure_api.encryption import encrypted_log_group, logs_key, secure_key
from secure_api.errors import SecureApiConfigError
from secure_api.monitoring import Monitoring
from secure_api.notifications import alarm_topic
from secure_api.outputs import add_websocket_outputs
from secure_api.removal import apply_removal_policy, check_removal_policy
from secure_api.throttling import Throttle, warn_above_account_limits
from secure_api.usage_plans import Consumer, KeyRotation, UsageTier, UsageTiers, tier_throttles
from secure_api.websocket.connect import add_connect_route
from secure_api.websocket.option_checks import check_websocket_options
from secure_api.websocket.routes import (
    Integrations,
    add_route,
    check_route_key,
    check_route_throttle,
    set_route_settings,
)
from secure_api.websocket.stage import create_stage, create_web_socket_api

_DEFAULT_AUDIT = AuditTrail()
_DEFAULT_MONITORING = Monitoring()


class SecureWebSocketApi(Construct):
    """An API Gateway WebSocket API secured as far as AWS allows (see the README's "WebSocket APIs").

    ``auth`` is required: ``BearerAuth(...)`` (a Lambda REQUEST authorizer on ``$connect`` running the
    REST authorizer's JWT verification) or ``"iam"`` (``AWS_IAM`` on ``$connect``). ``connect_scopes``,
    ``allowed_origins``, ``token_query_parameter`` and the ``AccessPolicy`` IP lists are enforced by that
    authorizer. Defaults: stage ``prod`` throttled at 1000 rps / burst 2000, execution logs at ERROR
    without data trace, detailed metrics, JSON access logs, the audit trail and monitoring on, routes
    selected by ``$request.body.action``.

    Escape hatches: ``web_socket_api``, ``stage``, ``authorizer``, ``authorizer_function``,
    ``domain_name``, ``usage_plans``, ``access_log_group``, ``alarm_topic``, ``dashboard``, ``url``;
    ``outputs`` maps each stack output's name (``secure_api.keys.stack_outputs``) to its ``CfnOutput``.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        stage_name: str = defaults.STAGE_NAME,
        auth: BearerAuth | str | None = None,
        connect_handler: lambda_.IFunction | apigwv2.WebSocketRouteIntegration | None = None,
        connect_scopes: Sequence[str] = (),
        allowed_origins: Sequence[str] = (),
        token_query_parameter: str | None = None,
        access: AccessPolicy | None = None,
        domain: CustomDomain | None = None,
        throttle: Throttle | None = None,
        usage_tiers: Sequence[UsageTier] = (),
        consumers: Sequence[Consumer] = (),
        key_rotation: KeyRotation | None = None,
        audit: AuditTrail | None = _DEFAULT_AUDIT,
        monitoring: Monitoring | None = _DEFAULT_MONITORING,
        log_retention: logs.RetentionDays = defaults.LOG_RETENTION,
        route_selection_expression: str = defaults.WEBSOCKET_ROUTE_SELECTION_EXPRESSION,
        description: str | None = None,
        removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY,
    ) -> None:
        check_removal_policy("removal_policy", removal_policy)
        options = check_websocket_options(
            stage_name=stage_name,
            auth=auth,
            options={
                "access": access,
                "domain": domain,
                "audit": audit,
                "throttle": throttle,
                "key_rotation": key_rotation,
                "monitoring": monitoring,
            },
            connect_scopes=connect_scopes,
            allowed_origins=allowed_origins,
            token_query_parameter=token_query_parameter,
            usage_tiers=usage_tiers,
            consumers=consumers,
            log_retention=log_retention,
            route_selection_expression=route_selection_expression,
            description=description,
        )
        super().__init__(scope, id_)
        self._options = options
        apply_removal_policy(
            self,
            api_policy=removal_policy,
            audit_policy=audit.removal_policy if audit is not None else RemovalPolicy.RETAIN,
        )
        self._throttle = options.throttle
        for field, value in (("throttle", self._throttle), *tier_throttles(options.usage_tiers)):
            warn_above_account_limits(self, field, value)
        self._consumers = frozenset(c.name for c in options.consumers)
        self._route_keys: set[str] = set()
        self._trail_settings = (audit, (audit.log_retention or log_retention) if audit else None)

        self.logs_key = logs_key(
            self, "LogsKey", description=f"secure_api {self.node.path}: logs and Lambda env"
        )
        self.access_log_group = encrypted_log_group(
            self, "AccessLogs", key=self.logs_key, retention=log_retention
        )
        self.web_socket_api = create_web_socket_api(
            self,
            "Api",
            description=description,
            route_selection_expression=route_selection_expression,
            api_key_selection_expression=self._api_key_selection(auth),
            execute_api_disabled=domain is not None,
        )
        self.stage = create_stage(
            self,
            "Stage",
            web_socket_api=self.web_socket_api,
            stage_name=stage_name,
            throttle=self._throttle,
            access_log_group=self.access_log_group,
        )
        self._integrations = Integrations(self, self.web_socket_api)
        self._apply_connect(connect_handler, log_retention)
        self.url: str = self.stage.url
        self._apply_domain(domain)
        self.alarm_topic: sns.ITopic | None = self._alarm_topic(monitoring, audit)
        self._apply_audit(audit, log_retention)
        self._apply_usage_tiers(key_rotation, log_retention)
        self.outputs = add_websocket_outputs(
            self,
            web_socket_api=self.web_socket_api,
            stage=self.stage,
            url=self.url,
            keys_key=self.usage_tiers.keys_key if self.usage_tiers is not None else None,
        )
        self._apply_monitoring(monitoring, log_retention)

    def _api_key_selection(self, auth: BearerAuth | str | None) -> str | None:
        if not self._options.usage_tiers:
            return None
        if isinstance(auth, BearerAuth) and auth.api_key_claim:
            return defaults.WEBSOCKET_API_KEY_AUTHORIZER_EXPRESSION
        return defaults.WEBSOCKET_API_KEY_HEADER_EXPRESSION

    def _apply_connect(
        self,
        connect_handler: lambda_.IFunction | apigwv2.WebSocketRouteIntegration | None,
        retention: logs.RetentionDays,
    ) -> None:
        """The ``$connect`` route with its authorizer (``authorizer``, ``authorizer_function``)."""
        connect = add_connect_route(
            self,
            web_socket_api=self.web_socket_api,
            stage=self.stage,
            options=self._options,
            connect_handler=connect_handler,
            route_integrations=self._integrations,
            key=self.logs_key,
            retention=retention,
        )
        self.connect_route: apigwv2.WebSocketRoute = connect.route
        self.authorizer: apigwv2.CfnAuthorizer | None = connect.authorizer
        self._bearer: BearerAuthorizer | None = connect.bearer
        self.authorizer_function: lambda_.IFunction | None = (
            connect.bearer.function if connect.bearer is not None else None
        )

    def _apply_domain(self, domain: CustomDomain | None) -> None:
        """The custom domain (``domain_name``); ``url`` becomes the domain's."""
        self.domain_name: apigwv2.DomainName | None = None
        if domain is None:
            return
        self.domain_name = apply_websocket_domain(
            self, domain, web_socket_api=self.web_socket_api, stage=self.stage
        )
        compliance.acknowledge(self.domain_name, "websocket-domain-tls12")
        self.url = f"wss://{domain.domain_name}" + (f"/{domain.base_path}" if domain.base_path else "")

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
            web_socket_api=self.web_socket_api,
            topic=self.alarm_topic,
            retention=retention,
            shared_log_group=owner.audit_log_group if owner is not None else None,
        )
        if owner is not None:
            self.trail = owner.trail

    def _apply_usage_tiers(self, key_rotation: KeyRotation | None, retention: logs.RetentionDays) -> None:
        """Usage plans, consumers' keys and their rotation (``usage_tiers``, ``usage_plans``)."""
        self.usage_plans: dict[str, Any] = {}
        self.usage_tiers: UsageTiers | None = None
        if not self._options.usage_tiers:
            return
        self.usage_tiers = UsageTiers(
            self,
            "UsageTiers",
            web_socket_api=self.web_socket_api,
            web_socket_stage=self.stage,
            tiers=self._options.usage_tiers,
            consumers=self._options.consumers,
            rotation=key_rotation or KeyRotation(),
            logs_key=self.logs_key,
            retention=retention,
            alarm_topic=self.alarm_topic,
        )
        self.usage_plans = dict(self.usage_tiers.plans)
        bearer = self._options.bearer
        if self._bearer is not None and bearer is not None and bearer.api_key_claim:
            self.usage_tiers.grant_key_secrets(
                self._bearer.secure_function,
                api_id=self.web_socket_api.api_id,
            )

    def _apply_monitoring(self, monitoring: Monitoring | None, retention: logs.RetentionDays) -> None:
        """Alarms and the ``dashboard``, or a warning without them."""
        self.dashboard: Any = None
        if monitoring is None:
            self._warn("monitoring", "monitoring=None: no alarms, dashboard or key guard")
            return
        from secure_api import monitoring as monitoring_package

        assert self.alarm_topic is not None
        self.dashboard = monitoring_package.apply_websocket_monitoring(
            self,
            monitoring,
            web_socket_api=self.web_socket_api,
            stage_name=self.stage.stage_name,
            access_log_group=self.access_log_group,
            logs_key=self.logs_key,
            topic=self.alarm_topic,
            authorizer_function=self.authorizer_function,
            retention=retention,
            usage_plans=list(self.usage_plans.values()),
        )

    def add_route(
        self,
        route_key: str,
        integration: lambda_.IFunction | apigwv2.WebSocketRouteIntegration,
        *,
        throttle: Throttle | None = None,
    ) -> apigwv2.WebSocketRoute:
        """Route ``route_key`` (``$default``, ``$disconnect`` or a custom key such as ``sendMessage``) to
        a Lambda function (one invoke permission per function and API) or any
        ``WebSocketRouteIntegration``; ``throttle`` becomes the route's ``RouteSettings``,
        overriding the stage default up or down. Routes run on connections ``$connect`` has authorized: AWS allows no
        authorizer on them."""
        key = check_route_key(route_key)
        if key in self._route_keys:
            raise SecureApiConfigError("add_route.route_key", key, "a route key not added before")
        checked = check_route_throttle(throttle)
        warn_above_account_limits(self, f"add_route({key!r}).throttle", checked)
        target = self._integrations.integration_for(integration, field="add_route.integration")
        self._route_keys.add(key)
        route = add_route(
            self, web_socket_api=self.web_socket_api, stage=self.stage, route_key=key, integration=target
        )
        compliance.acknowledge(route, "websocket-route-on-connection")
        if checked is not None:
            set_route_settings(self.stage, key, checked)
        return route

    def grant_manage_connections(self, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` (a backend function) post to, read and close this stage's connections
        (``execute-api:ManageConnections`` on ``<apiId>/<stage>/{POST,GET,DELETE}/@connections/*`` only)."""
        stack = Stack.of(self)
        resources = [
            stack.format_arn(
                service="execute-api",
                resource=self.web_socket_api.api_id,
                resource_name=f"{self.stage.stage_name}/{method}/@connections/*",
            )
            for method in defaults.WEBSOCKET_MANAGE_CONNECTIONS_METHODS
        ]
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["execute-api:ManageConnections"], resource_arns=resources
        )

    def grant_read_key(self, consumer: str, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` read that declared consumer's key secret only."""
        if self.usage_tiers is None or consumer not in self._consumers:
            raise SecureApiConfigError(
                "grant_read_key.consumer",
                consumer,
                f"the name of a declared consumer ({', '.join(sorted(self._consumers)) or 'none are declared'})",
            )
        return self.usage_tiers.grant_read_key(consumer, grantee)

    def _warn(self, what: str, why: str) -> None:
        Annotations.of(self).add_warning_v2(
            f"secure-api:{what.split(maxsplit=1)[0]}-disabled", f"secure_api: {what}: {why}"
        )
