"""``SecureRestApi``: the composition root. Each concern lives in its own module; this file wires them."""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsii
from aws_cdk import Annotations, ArnFormat, Aspects, IAspect, Names, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct

from secure_api import compliance, defaults
from secure_api.access import AccessPolicy
from secure_api.access_logs import access_log_format
from secure_api.audit import AuditTrail, apply_audit
from secure_api.authorizer import BearerAuth, BearerAuthorizer, check_scopes
from secure_api.cloudwatch_role import apply_cloudwatch_role
from secure_api.cors import CorsPolicy
from secure_api.domain import CustomDomain, apply_domain
from secure_api.encryption import encrypted_log_group, logs_key, secure_key
from secure_api.errors import SecureApiConfigError
from secure_api.firewall import Firewall, apply_firewall
from secure_api.monitoring import Monitoring, apply_monitoring
from secure_api.notifications import alarm_topic
from secure_api.option_checks import check_api_options
from secure_api.outputs import add_outputs
from secure_api.routes import Route, RouteTree, check_route_arn_length
from secure_api.stage_settings import StageMethodSettings
from secure_api.throttling import Throttle
from secure_api.usage_plans import Consumer, KeyRotation, UsageTier, UsageTiers

if TYPE_CHECKING:
    from secure_api.openapi.body import OpenApiBody

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
        _openapi: OpenApiBody | None = None,
    ) -> None:
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
        super().__init__(scope, id_)
        self._access = access
        self._cors = cors
        self._auth = auth
        # APIs of one stack whose trails would be identical share one (see AuditTrail.shared).
        self._trail_settings = (audit, (audit.log_retention or log_retention) if audit else None)
        self._throttle = throttle or Throttle()
        self._log_retention = log_retention
        self._stage_name = stage_name
        self._consumers = frozenset(c.name for c in consumers)
        self._functions_with_permission: set[str] = set()
        self._openapi = _openapi
        self._routes = RouteTree()
        self._finalized = False
        Aspects.of(self).add(_Finalize(self))

        self.logs_key = logs_key(
            self, "LogsKey", description=f"secure_api {self.node.path}: logs and Lambda env"
        )
        self.access_log_group = encrypted_log_group(
            self, "AccessLogs", key=self.logs_key, retention=log_retention
        )
        rest_api_props: dict[str, Any] = dict(
            # Unique per API: the stage's CloudWatch metrics are keyed by the API's name.
            rest_api_name=Names.unique_resource_name(self, max_length=128, separator="-"),
            description=description or f"secure_api REST API {self.node.path}",
            endpoint_configuration=self._access.endpoint_configuration(self),
            policy=self._access.policy_document(),
            # CDK's role would carry the AWS managed AmazonAPIGatewayPushToCloudWatchLogs policy.
            cloud_watch_role=False,
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
        # A document-defined API (from_openapi) carries its routes in the REST API's OpenAPI body.
        self.rest_api: apigw.RestApiBase = (
            apigw.RestApi(self, "Api", **rest_api_props)
            if _openapi is None
            else _openapi.create_rest_api(self, "Api", **rest_api_props)
        )
        if self.rest_api.latest_deployment is not None:
            self.rest_api.latest_deployment.add_to_logical_id({"accessPolicy": self._access.fingerprint()})
        self.stage: apigw.Stage = self.rest_api.deployment_stage
        if create_cloudwatch_role:
            apply_cloudwatch_role(self.rest_api)
        _log_to_group_arn(self.stage, self.access_log_group)
        self._method_settings = StageMethodSettings(self.stage)
        compliance.acknowledge(self.stage, "stage-cache-off", "stage-client-certificate")
        # A body-defined API declares its validator, authorizer and gateway responses in the body: the
        # body is imported in overwrite mode, which would delete them were they separate resources.
        self.request_validator: apigw.RequestValidator | None = (
            self.rest_api.add_request_validator(
                "RequestValidator", validate_request_body=True, validate_request_parameters=True
            )
            if isinstance(self.rest_api, apigw.RestApi)
            else None
        )

        self.authorizer: apigw.TokenAuthorizer | None = None
        self.authorizer_function: lambda_.IFunction | None = None
        self._bearer: BearerAuthorizer | None = None
        if auth is not None:
            self._bearer = BearerAuthorizer(
                self, auth, key=self.logs_key, retention=log_retention, token_authorizer=_openapi is None
            )
            self.authorizer = self._bearer.authorizer
            self.authorizer_function = self._bearer.function
            if self.authorizer is not None:
                _redeploy_on_change(self.rest_api, self.authorizer)
        else:
            self._warn("auth", "no BearerAuth: routes need auth='iam' or an explicit auth='none'")

        if cors is not None and isinstance(self.rest_api, apigw.RestApi):
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
                rest_api=self.rest_api,
                stage=self.stage,
                tiers=usage_tiers,
                consumers=consumers,
                rotation=key_rotation or KeyRotation(),
                logs_key=self.logs_key,
                retention=log_retention,
                alarm_topic=self.alarm_topic,
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
                self,
                monitoring,
                rest_api=self.rest_api,
                stage=self.stage,
                access_log_group=self.access_log_group,
                logs_key=self.logs_key,
                topic=self.alarm_topic,
                authorizer_function=self.authorizer_function,
                web_acl=self.web_acl,
                retention=log_retention,
            )
        else:
            self._warn("monitoring", "monitoring=None: no alarms, dashboard or key guard")
        if _openapi is not None:
            _openapi.attach(
                self,
                rest_api=self.rest_api,
                bearer=self._bearer,
                auth=auth,
                cors=cors,
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

        ``integrations`` maps each ``operationId`` to a Lambda function or an ``apigw.Integration``;
        ``throttles`` maps route keys (``"GET /orders"``) or operationIds to stage throttles; ``options``
        are exactly ``SecureRestApi``'s. Security requirements decide each operation's auth (see the
        README); request bodies become draft-4 models and required parameters required request
        parameters, all validated. Routes cost no CloudFormation resources: they live in the API's
        OpenAPI body, and ``add_route`` on the returned API writes into it too. Everything the library
        cannot secure is refused at once, listing every offender.
        """
        from secure_api.openapi.body import prepare

        allowed = set(inspect.signature(cls.__init__).parameters) - {"self", "scope", "id_", "_openapi"}
        unknown = sorted(set(options) - allowed)
        if unknown:
            raise TypeError(f"from_openapi() got unexpected keyword arguments {unknown}")
        body, _, operations, throttled = prepare(
            document, integrations=integrations, throttles=throttles, options=options
        )
        api = cls(scope, id_, _openapi=body, **options)
        for operation, security in operations:
            api.add_route(
                operation.route.method,
                operation.route.path,
                integrations[operation.operation_id],
                throttle=throttled.get(operation.route),
                scopes=security.scopes,
                auth=security.auth,
                api_key_required=security.api_key_required,
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
    ) -> apigw.Method | None:
        """Add ``method`` on ``path`` (its resources are created as needed) and return the ``Method``.

        ``integration`` is any ``apigw.Integration`` or a Lambda function (a proxy integration with one
        invoke permission per function per API). ``throttle`` overrides the stage limits for this
        route; ``scopes`` are OAuth scopes the bearer token must hold; ``auth`` is ``"bearer"``,
        ``"iam"`` or ``"none"``; ``api_key_required`` defaults to True once usage tiers exist.
        ``request_schema`` (a JSON schema; OpenAPI 3.0 spellings such as ``nullable`` are converted
        to draft 4) validates JSON bodies; ``required_parameters`` (``"querystring.limit"``,
        ``"header.X-Tenant"``, ``"path.id"``) must be present. On an API built by ``from_openapi``
        the route is written into the OpenAPI body and ``None`` is returned (there is no Method).
        """
        route = Route.parse(method, path, field="add_route")
        if self._finalized:
            raise SecureApiConfigError(
                "add_route", route.key, "routes added before the app is synthesized (synth has run)"
            )
        if route.method == "OPTIONS" and self._cors is not None:
            raise SecureApiConfigError(
                "add_route.method", method, "not OPTIONS: CorsPolicy owns the preflight"
            )
        if auth not in AUTH_MODES:
            raise SecureApiConfigError("add_route.auth", auth, f"one of {', '.join(AUTH_MODES)}")
        scopes = check_scopes("add_route.scopes", scopes)
        if scopes and auth != "bearer":
            raise SecureApiConfigError("add_route.scopes", list(scopes), "scopes only with auth='bearer'")
        if auth == "bearer" and self._bearer is None:
            raise SecureApiConfigError(
                "add_route.auth",
                auth,
                "auth='iam' or 'none' when the API has no BearerAuth (SecureRestApi(auth=...))",
            )
        if throttle is not None and not isinstance(throttle, Throttle):
            raise SecureApiConfigError("add_route.throttle", throttle, "a Throttle or None")
        if api_key_required is not None and not isinstance(api_key_required, bool):
            raise SecureApiConfigError("add_route.api_key_required", api_key_required, "True, False or None")
        if auth == "bearer":
            check_route_arn_length(route, self._stage_name, field="add_route.path")
        self._routes.add(route, field="add_route")
        if api_key_required is None:
            api_key_required = self.usage_tiers is not None
        if self._openapi is not None:
            if auth == "bearer":
                assert self._bearer is not None
                self._bearer.add_route_scopes(route.key, scopes)
            elif auth == "none":
                self._warn(f"route {route.key}", "auth='none': anyone the resource policy admits can call it")
            self._openapi.add_route(
                route,
                integration,
                auth=auth,
                api_key_required=bool(api_key_required),
                request_schema=request_schema,
                required_params=required_parameters,
            )
            self._route_settings(route, throttle, None)
            return None
        resource = self.rest_api.root.resource_for_path(route.path)

        acknowledgements: list[str] = []
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
            acknowledgements.append("iam-route-not-cognito")
            options["authorization_type"] = apigw.AuthorizationType.IAM
        else:
            options["authorization_type"] = apigw.AuthorizationType.NONE
            self._warn(f"route {route.key}", "auth='none': anyone the resource policy admits can call it")

        options.update(self._request_validation(route, request_schema, required_parameters))
        method_ = resource.add_method(route.method, self._integration(integration), **options)
        compliance.acknowledge(method_, *acknowledgements)
        if self._cors is not None and resource.node.try_find_child("OPTIONS") is None:
            self._cors.add_preflight(resource)
        self._route_settings(route, throttle, method_)
        return method_

    def _route_settings(self, route: Route, throttle: Throttle | None, method: apigw.Method | None) -> None:
        if throttle is not None:
            self._method_settings.throttle(route, throttle)
        if self.usage_tiers is not None:
            self.usage_tiers.on_route(route, method)

    def _request_validation(
        self, route: Route, request_schema: Mapping[str, Any] | None, required_parameters: Sequence[str]
    ) -> dict[str, Any]:
        """``add_method`` options for a route's request model and required parameters."""
        from secure_api.openapi.parameters import required_parameters as parse_parameters
        from secure_api.openapi.schema import to_draft4

        options: dict[str, Any] = {}
        params = parse_parameters(required_parameters, route, field="add_route.required_parameters")
        if params:
            options["request_parameters"] = params
        if request_schema is not None:
            schema = to_draft4(request_schema, "add_route.request_schema")
            name = route.method.title() + re.sub(r"[^A-Za-z0-9]", "", route.path.title()) + "Model"
            model = apigw.CfnModel(
                self,
                name,
                rest_api_id=self.rest_api.rest_api_id,
                content_type="application/json",
                schema=schema,
            )
            options["request_models"] = {
                "application/json": apigw.Model.from_model_name(self, f"{name}Ref", model.ref)
            }
        return options

    def grant_read_key(self, consumer: str, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` (the consumer application's role) read that consumer's key secret only.

        ``consumer`` must be the name of a declared consumer (``consumers=[Consumer(...)]``).
        """
        if self.usage_tiers is None or consumer not in self._consumers:
            declared = sorted(self._consumers)
            raise SecureApiConfigError(
                "grant_read_key.consumer",
                consumer,
                f"the name of a declared consumer ({', '.join(declared)})"
                if declared
                else "the name of a declared consumer (this API declares none: consumers=[Consumer(...)])",
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
            self._invoke_permission(fn)
        return apigw.Integration(
            type=apigw.IntegrationType.AWS_PROXY,
            integration_http_method="POST",
            uri=uri,
        )

    def _invoke_permission(self, fn: lambda_.IFunction) -> None:
        """One permission per function and API, in the API's stack (as ``LambdaIntegration`` does).

        A permission in the function's stack would reference this API from there: with the function
        in another stack, that is a dependency cycle. A function of this stack keeps its permission
        (and the permission's construct id) beside it.
        """
        same_stack = Stack.of(fn) is Stack.of(self)
        permission_id = (
            f"InvokeBy{self.node.id}{_short(self.node.addr)}"
            if same_stack
            else f"Invoke{fn.node.id}{_short(fn.node.addr)}"
        )
        fn.add_permission(
            permission_id,
            principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
            action="lambda:InvokeFunction",
            source_arn=self.rest_api.arn_for_execute_api("*", "/*", "*"),
            scope=None if same_stack else self,
        )
        permission = (fn if same_stack else self).node.try_find_child(permission_id)
        if permission is None:
            # CDK creates no permission on a function it cannot modify (imported from another account,
            # or whose account it cannot tell) and warns on the function; say what to do here too.
            Annotations.of(self).add_warning_v2(
                "secure-api:invoke-permission-skipped",
                f"secure_api: no invoke permission for API Gateway on the imported function {fn.node.path}: "
                "import it with Function.from_function_attributes(..., same_environment=True) so the "
                "construct adds it, or grant apigateway.amazonaws.com lambda:InvokeFunction on it yourself",
            )
            return
        compliance.acknowledge(permission, "permission-source-arn-join")

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
        owner = self._trail_owner(audit)
        self.trail, self.audit_log_group = apply_audit(
            self,
            audit,
            rest_api=self.rest_api,
            topic=self.alarm_topic,
            retention=retention,
            shared_log_group=owner.audit_log_group if owner is not None else None,
        )
        if owner is not None:
            self.trail = owner.trail

    def _trail_owner(self, audit: AuditTrail) -> SecureRestApi | None:
        """The API declared earlier in this stack whose trail this one shares (equal settings)."""
        if not (audit.create_trail and audit.shared):
            return None
        for construct in Stack.of(self).node.find_all():
            if (
                isinstance(construct, SecureRestApi)
                and construct is not self
                and construct._trail_settings == self._trail_settings
                and construct.trail is not None
            ):
                return construct
        return None

    def _finalize(self) -> None:
        """Once every route is known (at synthesis): give an API without routes a placeholder, then
        write the authorizer's route scopes into its code package."""
        if self._finalized:
            return
        # Routes are recorded in the route tree whether they become methods or not (a definition body).
        # Methods added through the rest_api escape hatch count too.
        methods = self.rest_api.methods if isinstance(self.rest_api, apigw.RestApi) else ()
        if not methods and not len(self._routes):
            self._placeholder_route()
        self._finalized = True
        if self._bearer is not None:
            if not self._bearer.route_count:
                # Raised during synthesis (jsii reports it with this message): before CDK's opaque
                # "Authorizer must be attached to a RestApi".
                raise SecureApiConfigError(
                    "auth",
                    "BearerAuth(...)",
                    "at least one route with auth='bearer': every route uses 'iam' or 'none', so the "
                    "authorizer would be attached to nothing (pass auth=None)",
                )
            self._bearer.finalize()

    def _placeholder_route(self) -> None:
        """``ANY /`` answering 404 (a MOCK, behind the API's auth), so an API declared before its routes
        deploys: API Gateway refuses to deploy a REST API without methods."""
        integration = apigw.MockIntegration(
            request_templates={"application/json": '{"statusCode": 404}'},
            passthrough_behavior=apigw.PassthroughBehavior.NEVER,
            integration_responses=[
                apigw.IntegrationResponse(
                    status_code="404", response_templates={"application/json": '{"message":"Not Found"}'}
                )
            ],
        )
        method_ = self.add_route(
            "ANY", "/", integration, auth="bearer" if self._bearer is not None else "iam"
        )
        if method_ is None:
            return
        cfn_method = method_.node.default_child
        assert isinstance(cfn_method, apigw.CfnMethod)
        cfn_method.method_responses = [apigw.CfnMethod.MethodResponseProperty(status_code="404")]
        Annotations.of(self).add_info(
            "secure_api: no route was added: a placeholder ANY / answers 404 until routes are added"
        )

    def _warn(self, what: str, why: str) -> None:
        Annotations.of(self).add_warning_v2(
            f"secure-api:{what.split(maxsplit=1)[0]}-disabled", f"secure_api: {what}: {why}"
        )


def _log_to_group_arn(stage: apigw.Stage, log_group: logs.ILogGroup) -> None:
    """The access-log destination as the log group's ARN without CDK's trailing ``:*``, whatever the
    app's ``@aws-cdk/aws-apigateway:logGroupDestinationArnWithoutWildcard`` flag says."""
    cfn_stage = stage.node.default_child
    assert isinstance(cfn_stage, apigw.CfnStage)
    cfn_stage.add_property_override(
        "AccessLogSetting.DestinationArn",
        Stack.of(stage).format_arn(
            service="logs",
            resource="log-group",
            resource_name=log_group.log_group_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        ),
    )


def _redeploy_on_change(rest_api: apigw.RestApiBase, authorizer: apigw.TokenAuthorizer) -> None:
    """A changed authorizer takes effect only with a new deployment: make the deployment's logical id
    depend on the authorizer's settings, whatever the app's
    ``@aws-cdk/aws-apigateway:authorizerChangeDeploymentLogicalId`` flag says."""
    deployment = rest_api.latest_deployment
    cfn_authorizer = authorizer.node.default_child
    if deployment is None or not isinstance(cfn_authorizer, apigw.CfnAuthorizer):
        return
    deployment.add_to_logical_id(
        {
            "bearerAuthorizer": {
                "identitySource": cfn_authorizer.identity_source,
                "identityValidationExpression": cfn_authorizer.identity_validation_expression,
                "resultTtl": cfn_authorizer.authorizer_result_ttl_in_seconds,
                "uri": cfn_authorizer.authorizer_uri,
            }
        }
    )
    deployment.node.add_dependency(authorizer)


def _short(addr: str) -> str:
    return addr[-8:]


@jsii.implements(IAspect)
class _Finalize:
    """Runs ``SecureRestApi._finalize`` once, when the app is synthesized."""

    def __init__(self, api: SecureRestApi) -> None:
        self._api = api

    def visit(self, node: IConstruct) -> None:
        if node.node.path == self._api.node.path:
            self._api._finalize()
