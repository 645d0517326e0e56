"""``SecureHttpApi``: the composition root. Each concern lives in its own module; this file wires them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Annotations, RemovalPolicy
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct

from secure_api import defaults
from secure_api.access import AccessPolicy
from secure_api.access_logs import HTTP_ACCESS_LOG_FIELDS
from secure_api.api_base import SecureApiBase
from secure_api.api_target import ApiTarget
from secure_api.audit import AuditTrail
from secure_api.authorizer import BearerAuth
from secure_api.domain import CustomDomain
from secure_api.http.authorizer import HttpAuthorization
from secure_api.http.http_api import create_http_api
from secure_api.http.option_checks import check_http_options
from secure_api.http.routes import HttpRoutes, check_route_options, warn_route
from secure_api.monitoring import Monitoring
from secure_api.removal import check_removal_policy
from secure_api.rest.cors import CorsPolicy
from secure_api.rest.route_record import Route
from secure_api.throttling import Throttle, warn_above_account_limits
from secure_api.v2 import Integrations, create_v2_stage, set_route_settings

_DEFAULT_AUDIT = AuditTrail()
_DEFAULT_MONITORING = Monitoring()


class SecureHttpApi(SecureApiBase):
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
        super().__init__(scope, id_, removal_policy=removal_policy, audit=audit, log_retention=log_retention)
        self._options = options
        self._warn_above_account_limits(options.throttle)
        if options.native_replaced_by:
            Annotations.of(self).add_warning_v2(
                "secure-api:native-authorizer-replaced",
                f"secure_api: authorizer='native' cannot enforce {', '.join(options.native_replaced_by)}: "
                "the library's Lambda authorizer verifies the tokens and enforces the IP lists instead",
            )
        if options.native_ignores:
            Annotations.of(self).add_warning_v2(
                "secure-api:native-authorizer-ignores",
                f"secure_api: API Gateway's native JWT authorizer does not honour {', '.join(options.native_ignores)} "
                "(it applies its own clock skew, caching and audience rule, and runs no function): "
                "pass authorizer='lambda' for the library's Lambda authorizer, which does",
            )
        self._routes = HttpRoutes()
        self.routes: list[Route] = []

        self._create_logs(log_retention)
        self.http_api = create_http_api(
            self, "Api", description=description, cors=options.cors, execute_api_disabled=domain is not None
        )
        stage = create_v2_stage(
            self,
            "Stage",
            api=self.http_api,
            stage_name=stage_name,
            throttle=options.throttle,
            access_log_group=self.access_log_group,
            access_log_fields=HTTP_ACCESS_LOG_FIELDS,
        )
        assert isinstance(stage, apigwv2.HttpStage)
        self.stage = stage
        self.target = ApiTarget.http(self.http_api, self.stage)
        self._integrations = Integrations(self, self.target)
        self._authorization = HttpAuthorization(
            self, target=self.target, options=options, key=self.logs_key, retention=log_retention
        )
        self.authorizer: apigwv2.CfnAuthorizer | None = self._authorization.authorizer
        self.authorizer_function: lambda_.IFunction | None = self._authorization.function
        self.url: str = self.stage.url
        self._apply_v2_domain(domain, scheme="https", acknowledgement="http-domain-tls12")
        self.alarm_topic: sns.ITopic | None = self._alarm_topic(monitoring, audit)
        self._apply_audit(audit, log_retention)
        self._add_outputs(execute_api_disabled=domain is not None)
        self._apply_monitoring(monitoring, log_retention, authorizer_function=self.authorizer_function)
        self._finalize_at_synthesis()

    def add_route(
        self,
        method: str,
        path: str,
        integration: lambda_.IFunction | apigwv2.HttpRouteIntegration,
        *,
        scopes: Sequence[str] = (),
        throttle: Throttle | None = None,
        auth: str | None = None,
    ) -> Route:
        """Route ``method`` (``GET``, ..., or ``ANY``) on ``path`` (``/orders/{id}``, a final ``{proxy+}``)
        to a Lambda function (payload format 2.0, one invoke permission per function and API) or any
        ``HttpRouteIntegration``. ``auth`` is ``"bearer"`` (the API's ``BearerAuth``; ``scopes`` the token
        must hold), ``"iam"`` (``AWS_IAM``) or ``"none"`` (public, with a warning); unset, the API's own:
        ``"bearer"`` with a ``BearerAuth``, ``"iam"`` with ``auth="iam"``. ``throttle`` becomes the route's
        ``RouteSettings``, overriding the stage default up or down. Returns the ``Route``."""
        if auth is None:
            auth = "bearer" if self._options.bearer is not None else "iam"
        key = self._routes.check(method, path)
        self._refuse_late_route(key.key)
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
        if auth == "none":
            self._warn(
                f"route {key.key}",
                "auth='none': anyone on the internet can call it (an HTTP API has no resource policy or "
                "firewall in front of it)",
            )
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
        self._authorization.finalize()
