"""``SecureRestApi``: the composition root. Each concern lives in its own module; this file wires them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from aws_cdk import Annotations, RemovalPolicy, Stack
from aws_cdk import aws_apigateway as apigw
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
from secure_api.domain import CustomDomain, apply_domain
from secure_api.monitoring import Monitoring
from secure_api.removal import check_removal_policy
from secure_api.rest.cors import CorsPolicy
from secure_api.rest.escape_hatches import check_no_foreign_routes
from secure_api.rest.firewall import Firewall, apply_firewall
from secure_api.rest.integrations import integration_for
from secure_api.rest.limits import check_stack, warn_path_resources
from secure_api.rest.openapi.body import OpenApiBody
from secure_api.rest.option_checks import check_api_options
from secure_api.rest.placeholder import add_placeholder_route
from secure_api.rest.rest_api import create_rest_api

# AUTH_MODES stays importable from secure_api.rest.api.
from secure_api.rest.route_checks import AUTH_MODES, check_bearer_routes, check_route_options  # noqa: F401
from secure_api.rest.route_record import Route
from secure_api.rest.routes import RouteKey, RouteTree
from secure_api.rest.stage_settings import StageMethodSettings
from secure_api.throttling import Throttle, warn_above_account_limits
from secure_api.usage_plans import Consumer, KeyRotation, UsageTier, UsageTiers

_DEFAULT_FIREWALL = Firewall()
_DEFAULT_AUDIT = AuditTrail()
_DEFAULT_MONITORING = Monitoring()


class SecureRestApi(SecureApiBase):
    """An API Gateway REST API with every protection on by default (see the README for each one).

    Escape hatches: ``rest_api``, ``stage``, ``authorizer``, ``authorizer_function``, ``web_acl``,
    ``trail``, ``audit_log_group``, ``domain_name``, ``usage_plans``, ``access_log_group``,
    ``alarm_topic``, ``dashboard``, ``url`` (``authorizer`` is None: the authorizer, like every route,
    lives in the REST API's OpenAPI body; ``routes`` lists the ``Route`` records); ``outputs`` maps each stack output's name
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
        removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY,
        _openapi: OpenApiBody | None = None,
    ) -> None:
        check_removal_policy("removal_policy", removal_policy)
        usage_tiers, consumers = check_api_options(
            stage_name=stage_name,
            options={
                "access": access,
                "cors": cors,
                "domain": domain,
                "firewall": firewall,
                "audit": audit,
                "auth": auth,
                "throttle": throttle,
                "key_rotation": key_rotation,
                "monitoring": monitoring,
            },
            usage_tiers=usage_tiers,
            consumers=consumers,
            log_retention=log_retention,
            create_cloudwatch_role=create_cloudwatch_role,
            description=description,
        )
        access = access or AccessPolicy()
        super().__init__(scope, id_, removal_policy=removal_policy, audit=audit, log_retention=log_retention)
        self._access = access
        self._cors = cors
        self._auth = auth
        self._throttle = throttle or Throttle()
        self._warn_above_account_limits(self._throttle, usage_tiers)
        self._log_retention = log_retention
        self._stage_name = stage_name
        self._tier_specs = tuple(usage_tiers)
        self._functions_with_permission: set[str] = set()
        # One route engine: however routes are declared, they are rendered into the API's OpenAPI body.
        self._openapi = _openapi if _openapi is not None else OpenApiBody()
        self._routes = RouteTree()
        self.routes: list[Route] = []
        """Every route of the API, in the order declared (``add_route``'s records)."""
        self._finalize_at_synthesis()

        self._create_logs(log_retention)
        self._create_rest_api(description, domain is not None, create_cloudwatch_role)
        self._apply_auth(auth, log_retention)
        self.url: str = self.rest_api.url
        self._apply_firewall(firewall, log_retention)
        self._apply_domain(domain)
        self.alarm_topic: sns.ITopic | None = self._alarm_topic(monitoring, audit)
        self._apply_audit(audit, log_retention)
        self._apply_usage_tiers(usage_tiers, consumers, key_rotation, log_retention)
        self._add_outputs(execute_api_disabled=domain is not None)
        self._apply_monitoring(
            monitoring, log_retention, authorizer_function=self.authorizer_function, web_acl=self.web_acl
        )
        self._attach_openapi()

    def _create_rest_api(
        self, description: str | None, execute_api_disabled: bool, cloudwatch_role: bool
    ) -> None:
        """``rest_api`` (its routes in its OpenAPI body) and its ``stage``."""
        self.rest_api: apigw.RestApiBase = create_rest_api(
            self,
            "Api",
            access=self._access,
            stage_name=self._stage_name,
            throttle=self._throttle,
            access_log_group=self.access_log_group,
            description=description,
            execute_api_disabled=execute_api_disabled,
            api_key_from_authorizer=bool(self._auth and self._auth.api_key_claim),
            create_cloudwatch_role=cloudwatch_role,
            openapi=self._openapi,
        )
        self.stage: apigw.Stage = self.rest_api.deployment_stage
        self.target = ApiTarget.rest(self.rest_api, self.stage)
        self._method_settings = StageMethodSettings(self.stage)

    def _apply_auth(self, auth: BearerAuth | None, retention: logs.RetentionDays) -> None:
        """The bearer authorizer's function (``authorizer_function``), or a warning without one.

        ``authorizer`` stays None: the authorizer is declared in the OpenAPI body."""
        self.authorizer: apigw.TokenAuthorizer | None = None
        self.authorizer_function: lambda_.IFunction | None = None
        self._bearer: BearerAuthorizer | None = None
        if auth is None:
            self._warn("auth", "no BearerAuth: routes need auth='iam' or an explicit auth='none'")
            return
        # The authorizer itself is declared in the OpenAPI body (``authorizer`` stays None): a separate
        # AWS::ApiGateway::Authorizer would be erased by the body's overwrite import.
        self._bearer = BearerAuthorizer(self, auth, key=self.logs_key, retention=retention)
        self.authorizer_function = self._bearer.function

    def _apply_firewall(self, firewall: Firewall | None, retention: logs.RetentionDays) -> None:
        """The WebACL in front of the stage (``web_acl``), or a warning without one."""
        self.web_acl: Any = None
        if firewall is None:
            self._warn("firewall", "firewall=None: no AWS WAF WebACL in front of the stage")
            return
        self.web_acl = apply_firewall(
            self, firewall, stage=self.stage, key=self.logs_key, retention=retention
        )

    def _apply_domain(self, domain: CustomDomain | None) -> None:
        """The custom domain (``domain_name``); ``url`` becomes the domain's."""
        self.domain_name: apigw.DomainName | None = None
        if domain is not None:
            self.domain_name = apply_domain(self, domain, target=self.target)
            self.url = f"https://{domain.domain_name}/{domain.base_path or ''}"

    def _apply_usage_tiers(
        self,
        usage_tiers: Sequence[UsageTier],
        consumers: Sequence[Consumer],
        key_rotation: KeyRotation | None,
        retention: logs.RetentionDays,
    ) -> None:
        """Usage plans, consumers' keys and their rotation (``usage_tiers``, ``usage_plans``)."""
        tiers = self._create_usage_tiers(usage_tiers, consumers, key_rotation, retention)
        if (
            tiers is not None
            and self._bearer is not None
            and self._auth is not None
            and self._auth.api_key_claim
        ):
            self._grant_authorizer_key_secrets(tiers)

    def _grant_authorizer_key_secrets(self, tiers: UsageTiers) -> None:
        """Let the authorizer read every key secret of this API (tokens name the consumer's key).

        A customer-managed policy of its own that names the function's role: in the policy the role
        references, the secrets' ARN (holding the API's id) would make the function depend on the REST
        API, whose OpenAPI body names the function (a dependency cycle)."""
        role = self._bearer.function.role if self._bearer is not None else None
        assert role is not None
        policy = iam.ManagedPolicy(
            self,
            "AuthorizerKeySecrets",
            statements=tiers.key_secret_statements(),
            roles=[role],
            description=f"secure_api {self.node.path}: the authorizer reads the API's key secrets",
        )
        compliance.acknowledge(policy, "authorizer-key-secrets", api=self.rest_api)

    def _attach_openapi(self) -> None:
        """Hand the API's body the pieces it renders (authorizer, CORS, integrations)."""
        self._openapi.attach(
            self,
            rest_api=self.rest_api,
            bearer=self._bearer,
            auth=self._auth,
            cors=self._cors,
            has_tiers=self.usage_tiers is not None,
            lambda_integration=self._integration,
        )

    @classmethod
    def from_openapi(
        cls,
        scope: Construct,
        id_: str,
        document: str | Path | Mapping[str, Any],
        *,
        integrations: Mapping[str, apigw.Integration | lambda_.IFunction],
        throttles: Mapping[str, Throttle] | None = None,
        **options: Any,
    ) -> SecureRestApi:
        """The same secure API, its routes read from an OpenAPI 3.0 document (a YAML/JSON path or a dict).

        ``integrations`` maps each operation, by ``operationId`` or by route key (``"GET /orders"``, the
        only way to name an operation without an ``operationId``), to a Lambda function or an
        ``apigw.Integration``;
        ``throttles`` maps route keys (``"GET /orders"``) or operationIds to stage throttles; ``options``
        are exactly ``SecureRestApi``'s. Security requirements decide each operation's auth (see the
        README); request bodies become draft-4 models and required parameters required request
        parameters, all validated. Routes cost no CloudFormation resources: they live in the API's
        OpenAPI body, and ``add_route`` on the returned API writes into it too. Everything the library
        cannot secure is refused at once, listing every offender.
        """
        from secure_api.rest.openapi.body import prepare
        from secure_api.rest.openapi.build import add_operations, check_options

        check_options(cls.__init__, options)
        body, _, operations, throttled = prepare(
            document, integrations=integrations, throttles=throttles, options=options
        )
        api = cls(scope, id_, _openapi=body, **options)
        add_operations(api.add_route, operations, integrations, throttled)
        if body.unvalidated:
            Annotations.of(api).add_warning_v2(
                "secure-api:openapi-body-unvalidated",
                "secure_api: request bodies API Gateway cannot validate (only JSON bodies have models), "
                "so they reach the integration unchecked: " + "; ".join(body.unvalidated),
            )
        return api

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
        request_schema: Mapping[str, Any] | None = None,
        required_parameters: Sequence[str] = (),
    ) -> Route:
        """Add ``method`` on ``path`` to the API's OpenAPI body and return its ``Route`` record.

        ``integration`` is any ``apigw.Integration`` or a Lambda function (a proxy integration with one
        invoke permission per function per API). ``throttle`` overrides the stage limits for this
        route; ``scopes`` are OAuth scopes the bearer token must hold; ``auth`` is ``"bearer"``,
        ``"iam"`` or ``"none"``; ``api_key_required`` defaults to True once usage tiers exist.
        ``request_schema`` (a JSON schema; OpenAPI 3.0 spellings such as ``nullable`` are converted
        to draft 4) validates JSON bodies; ``required_parameters`` (``"querystring.limit"``,
        ``"header.X-Tenant"``, ``"path.id"``) must be present. A route costs no CloudFormation
        resource: every route lives in the REST API's body.
        """
        return self._add_route(
            method,
            path,
            integration,
            throttle=throttle,
            scopes=scopes,
            api_key_required=api_key_required,
            auth=auth,
            request_schema=request_schema,
            required_parameters=required_parameters,
        )

    def _add_route(
        self,
        method: str,
        path: str,
        integration: apigw.Integration | lambda_.IFunction,
        *,
        throttle: Throttle | None = None,
        scopes: Sequence[str] = (),
        api_key_required: bool | None = None,
        auth: str = "bearer",
        request_schema: Mapping[str, Any] | None = None,
        required_parameters: Sequence[str] = (),
        responses: Sequence[str] = (),
    ) -> Route:
        key = RouteKey.parse(method, path, field="add_route")
        self._refuse_late_route(key.key, "routes added before the app is synthesized (synth has run)")
        scopes = check_route_options(
            key,
            method,
            auth=auth,
            scopes=scopes,
            throttle=throttle,
            api_key_required=api_key_required,
            cors=self._cors is not None,
            bearer=self._bearer is not None,
            stage_name=self._stage_name,
        )
        self._routes.add(key, field="add_route")
        warn_above_account_limits(self, f"add_route({key.key!r}).throttle", throttle)
        if api_key_required is None:
            api_key_required = self.usage_tiers is not None
        if auth == "bearer":
            assert self._bearer is not None
            self._bearer.add_route_scopes(key.key, scopes)
        elif auth == "none":
            self._warn(f"route {key.key}", "auth='none': anyone the resource policy admits can call it")
        self._openapi.add_route(
            key,
            integration,
            auth=auth,
            api_key_required=bool(api_key_required),
            request_schema=request_schema,
            required_params=required_parameters,
            responses=responses,
        )
        if throttle is not None:
            self._method_settings.throttle(key, throttle)
        if self.usage_tiers is not None:
            self.usage_tiers.on_route(key, None)
        route = Route(
            method=key.method,
            path=key.path,
            auth=auth,
            scopes=tuple(scopes),
            throttle=throttle,
            api_key_required=bool(api_key_required),
        )
        self.routes.append(route)
        return route

    def _integration(self, integration: apigw.Integration | lambda_.IFunction) -> apigw.Integration:
        return integration_for(self, self.rest_api, integration, self._functions_with_permission)

    def _complete_routes(self) -> None:
        """Before routes close (at synthesis): refuse what the rest_api escape hatch added, give an API
        without routes a placeholder."""
        check_no_foreign_routes(self.rest_api)
        if not len(self._routes):
            add_placeholder_route(self, self._add_route, auth="bearer" if self._bearer is not None else "iam")

    def _finalize(self) -> None:
        """Once every route is known (at synthesis, after ``_complete_routes``): write the authorizer's
        route scopes into its code package, render the OpenAPI body, then check the quotas and limits
        the routes meet."""
        if self._bearer is not None:
            check_bearer_routes(self._bearer.route_count)
            self._bearer.finalize()
        self._openapi.finalize()
        warn_path_resources(self, self._openapi.routes)
        parts: dict[str, Any] = {
            "the stage's method settings": self._method_settings.entries,
            "the usage tiers' method throttles": [
                (tier.name, key) for tier in self._tier_specs for key in tier.method_throttles
            ],
        }
        if self._openapi.inline is not None:
            parts["the inline OpenAPI body"] = self._openapi.inline
        check_stack(Stack.of(self), template_parts=parts, owner=self.node.path)
