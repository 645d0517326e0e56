"""``SecureWebSocketApi``: the composition root. Each concern lives in its own module; this file wires them."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import RemovalPolicy
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from secure_api import compliance, defaults
from secure_api.access import AccessPolicy
from secure_api.api_base import SecureApiBase
from secure_api.api_target import ApiTarget
from secure_api.audit import AuditTrail
from secure_api.authorizer import BearerAuth, BearerAuthorizer
from secure_api.domain import CustomDomain
from secure_api.errors import SecureApiConfigError
from secure_api.monitoring import Monitoring
from secure_api.removal import check_removal_policy
from secure_api.throttling import Throttle, warn_above_account_limits
from secure_api.usage_plans import Consumer, KeyRotation, UsageTier
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


class SecureWebSocketApi(SecureApiBase):
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
        super().__init__(scope, id_, removal_policy=removal_policy, audit=audit, log_retention=log_retention)
        self._options = options
        self._warn_above_account_limits(options.throttle, options.usage_tiers)
        self._route_keys: set[str] = set()

        self._create_logs(log_retention)
        self.web_socket_api = create_web_socket_api(
            self,
            "Api",
            description=description,
            route_selection_expression=route_selection_expression,
            api_key_selection_expression=self._api_key_selection(),
            execute_api_disabled=domain is not None,
        )
        self.stage = create_stage(
            self,
            "Stage",
            web_socket_api=self.web_socket_api,
            stage_name=stage_name,
            throttle=options.throttle,
            access_log_group=self.access_log_group,
        )
        self.target = ApiTarget.websocket(self.web_socket_api, self.stage)
        self._integrations = Integrations(self, self.target)
        self._apply_connect(connect_handler, log_retention)
        self.url: str = self.stage.url
        self._apply_v2_domain(domain, scheme="wss", acknowledgement="websocket-domain-tls12")
        self.alarm_topic: sns.ITopic | None = self._alarm_topic(monitoring, audit)
        self._apply_audit(audit, log_retention)
        self._apply_usage_tiers(key_rotation, log_retention)
        self._add_outputs(execute_api_disabled=domain is not None)
        self._apply_monitoring(monitoring, log_retention, authorizer_function=self.authorizer_function)

    def _api_key_selection(self) -> str | None:
        if not self._options.usage_tiers:
            return None
        bearer = self._options.bearer
        if bearer is not None and bearer.api_key_claim:
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
            target=self.target,
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

    def _apply_usage_tiers(self, key_rotation: KeyRotation | None, retention: logs.RetentionDays) -> None:
        """Usage plans, consumers' keys and their rotation (``usage_tiers``, ``usage_plans``)."""
        tiers = self._create_usage_tiers(
            self._options.usage_tiers, self._options.consumers, key_rotation, retention
        )
        bearer = self._options.bearer
        if tiers is not None and self._bearer is not None and bearer is not None and bearer.api_key_claim:
            tiers.grant_key_secrets(
                self._bearer.secure_function,
                api_id=self.web_socket_api.api_id,
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
        resources = [
            self.target.execute_api_arn(f"{self.stage.stage_name}/{method}/@connections/*")
            for method in defaults.WEBSOCKET_MANAGE_CONNECTIONS_METHODS
        ]
        return iam.Grant.add_to_principal(
            grantee=grantee, actions=["execute-api:ManageConnections"], resource_arns=resources
        )
