"""The REST API's OpenAPI body: every ``SecureRestApi``'s routes live there (no per-route resources).

``add_route`` writes into it, and ``SecureRestApi.from_openapi`` fills it from a document. The body is
rendered once the app synthesizes (``SecureRestApi``'s finalizing aspect), carried inline as ``Body`` when
small, else stored as an S3 asset and included with ``Fn::Transform AWS::Include`` (which, unlike
``BodyS3Location``, resolves the intrinsic functions the body holds: function ARNs, region). The
REST API is imported in ``overwrite`` mode so that an operation removed from the document is removed
from the API; everything inside the API (authorizer, validator, models, gateway responses) is
therefore in the body too. The deployment's logical id hashes the body: any change redeploys the stage.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aws_cdk import App, Fn, Stack, Stage, Token
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from secure_api import compliance, defaults
from secure_api.authorizer import BearerAuth, BearerAuthorizer
from secure_api.errors import SecureApiConfigError
from secure_api.rest.cors import CorsPolicy
from secure_api.rest.limits import check_definition_size
from secure_api.rest.openapi.document import Document, Operation, Parameter, load, parse
from secure_api.rest.openapi.extensions import authorizer_extension, integration_extension, preflight
from secure_api.rest.openapi.parameters import required_parameters, route_parameter_names
from secure_api.rest.openapi.render import BodyRoute, render
from secure_api.rest.openapi.schema import to_draft4
from secure_api.rest.openapi.security import RouteSecurity, route_security
from secure_api.rest.routes import RouteKey
from secure_api.throttling import Throttle

METADATA_KEY = "secure-api:openapi"
_JSON = re.compile(r"application/(?:[A-Za-z0-9_.+-]+\+)?json(?:[ \t]*;.*)?", re.IGNORECASE | re.ASCII)


class OpenApiDocumentError(SecureApiConfigError):
    """A document the library cannot secure; ``offenders`` lists every problem, one line each."""

    def __init__(self, offenders: list[str]) -> None:
        self.offenders = offenders
        super().__init__(
            "from_openapi(document)",
            offenders,
            "a document the library can secure",
        )

    def message(self) -> str:
        """Every offender on a line of its own."""
        where = f"{self.path}: " if self.path else ""
        lines = "".join(f"\n  - {offender}" for offender in self.offenders)
        return f"{where}{self.field}: {self.expected}; {len(self.offenders)} offender(s):{lines}"


@dataclass(frozen=True)
class _Host:
    """The pieces of the API a body serves (given by ``attach``)."""

    scope: Construct
    rest_api: apigw.RestApiBase
    bearer: BearerAuthorizer | None
    auth: BearerAuth | None
    cors: CorsPolicy | None
    has_tiers: bool
    lambda_integration: Callable[[lambda_.IFunction], apigw.Integration]


class OpenApiBody:
    """The routes, models and exemptions of a body-defined API, and its rendering."""

    def __init__(self, *, title: str = "secure_api", version: str = "1") -> None:
        self.title = title
        self.version = version
        self.routes: dict[RouteKey, BodyRoute] = {}
        self.models: dict[str, Any] = {}
        self.public: set[str] = set()
        self.key_exempt: set[str] = set()
        self.document: dict[str, Any] | None = None
        self.storage: str | None = None
        self.inline: dict[str, Any] | None = None
        """The body as the template holds it when inline (resolved), else None."""
        self._pending: dict[RouteKey, tuple[Operation, dict[str, str]]] = {}
        self._integrations: dict[str, dict[str, Any]] = {}
        self._scratch: tuple[apigw.RestApi, list[int]] | None = None
        self._host: _Host | None = None
        self._component_names: dict[str, str] = {}
        self.foreign_functions: list[str] = []
        self.unvalidated: list[str] = []
        """Request bodies of the document whose schema API Gateway cannot validate (not JSON)."""
        self._lambda_uris: set[str] = set()

    # -- building the API ------------------------------------------------------------------------
    def create_rest_api(self, scope: Construct, id_: str, *, api_key_source_type: apigw.ApiKeySourceType,
                        **props: Any) -> apigw.SpecRestApi:  # fmt: skip
        """The REST API, its body filled in when the app synthesizes."""
        endpoint: apigw.EndpointConfiguration | None = props.get("endpoint_configuration")
        types = ",".join(t.value for t in endpoint.types) if endpoint is not None else "REGIONAL"
        rest_api = apigw.SpecRestApi(
            scope,
            id_,
            api_definition=apigw.ApiDefinition.from_inline(
                {"openapi": "3.0.1", "info": {"title": self.title, "version": self.version}, "paths": {}}
            ),
            mode=apigw.RestApiMode.OVERWRITE,
            # On import API Gateway reads the endpoint type from this parameter, not from the property.
            parameters={"endpointConfigurationTypes": types},
            **props,
        )
        cfn: apigw.CfnRestApi = rest_api.node.default_child  # type: ignore[assignment]
        cfn.api_key_source_type = api_key_source_type.value
        # SpecRestApi drops its description prop; the per-route shape set it, so an upgrade keeps it.
        cfn.description = props.get("description")
        return rest_api

    def attach(
        self,
        api: Construct,
        *,
        rest_api: apigw.RestApiBase,
        bearer: BearerAuthorizer | None,
        auth: BearerAuth | None,
        cors: CorsPolicy | None,
        has_tiers: bool,
        lambda_integration: Callable[[lambda_.IFunction], apigw.Integration],
    ) -> None:
        """Called at the end of ``SecureRestApi.__init__`` with the API's construct and the pieces the
        body needs (``lambda_integration`` makes a function's proxy integration and its permission):
        the authorizer's invoke permission. ``finalize`` renders the body at synthesis."""
        self._host = _Host(api, rest_api, bearer, auth, cors, has_tiers, lambda_integration)
        if bearer is not None:
            permission_id = f"AuthorizerInvokeBy{api.node.id}{api.node.addr[-8:]}"
            bearer.function.add_permission(
                permission_id,
                principal=iam.ServicePrincipal("apigateway.amazonaws.com"),
                action="lambda:InvokeFunction",
                source_arn=Stack.of(api).format_arn(
                    service="execute-api",
                    resource=rest_api.rest_api_id,
                    resource_name="authorizers/*",
                ),
            )
            compliance.acknowledge(
                bearer.function.node.find_child(permission_id), "permission-source-arn-join"
            )
        compliance.acknowledge(rest_api, "openapi-body-validator")

    def add_route(
        self,
        route: RouteKey,
        integration: apigw.Integration | lambda_.IFunction,
        *,
        auth: str,
        api_key_required: bool,
        request_schema: Mapping[str, Any] | None,
        required_params: Sequence[str],
        responses: Sequence[str] = (),
    ) -> None:
        """Record one route (``SecureRestApi.add_route`` has validated it); ``responses`` are the
        method responses' status codes (default ``200``)."""
        if route in self.routes:
            raise SecureApiConfigError("add_route", route.key, "a route that has not been added already")
        pending = self._pending.pop(route, None)
        parameters: tuple[Parameter, ...] = ()
        models: dict[str, str] = {}
        operation_id = None
        body_required = False
        responses = tuple(responses)
        if pending is not None:
            operation, models = pending
            parameters = operation.parameters
            operation_id = operation.operation_id
            body_required = operation.body_required
            responses = operation.responses
        params = required_parameters(required_params, route, field="add_route.required_parameters")
        extra = []
        for key in params:
            _, _, location, name = key.split(".", 3)
            extra.append(Parameter(location, name, True))
        declared = {p.name for p in (*parameters, *extra) if p.location == "path"}
        extra += [Parameter("path", n, True) for n in route_parameter_names(route) if n not in declared]
        if extra:
            known = {(p.location, p.name) for p in extra}
            parameters = (*(p for p in parameters if (p.location, p.name) not in known), *extra)
        if request_schema is not None:
            name = self.unique_model_name(
                route.method.title() + "".join(_pascal(p) for p in route.path.split("/"))
            )
            self.models[name] = to_draft4(request_schema, "add_route.request_schema", refs=_no_refs)
            models = {"application/json": name}
            body_required = True
        self.routes[route] = BodyRoute(
            route=route,
            auth=auth,
            api_key_required=api_key_required,
            integration=self.integration(integration),
            operation_id=operation_id,
            parameters=parameters,
            models=models,
            body_required=body_required,
            responses=responses,
        )
        if auth == "none":
            self.public.add(route.key)
        if not api_key_required:
            self.key_exempt.add(route.key)

    def unique_model_name(self, base: str) -> str:
        """An alphanumeric model name not used yet (API Gateway's rule for model names)."""
        base = re.sub(r"[^A-Za-z0-9]", "", base) or "Model"
        name, n = base, 1
        while name in self.models:
            n += 1
            name = f"{base}{n}"
        return name

    # -- integrations ----------------------------------------------------------------------------
    def integration(self, integration: apigw.Integration | lambda_.IFunction) -> dict[str, Any]:
        """``x-amazon-apigateway-integration`` for a function (one permission per function per API,
        by ``SecureRestApi``'s own code) or an ``apigw.Integration``."""
        host = self._attached()
        key = integration.node.addr if isinstance(integration, Construct) else f"id-{id(integration)}"
        cached = self._integrations.get(key)
        if cached is None:
            if isinstance(integration, Construct) and Stack.of(integration) is not Stack.of(host.scope):
                self.foreign_functions.append(integration.node.path)
            bound = (
                integration
                if isinstance(integration, apigw.Integration)
                else host.lambda_integration(integration)
            )
            config = bound.bind(self._scratch_method())
            cached = self._integrations[key] = integration_extension(config)
            if isinstance(integration, apigw.LambdaIntegration) and config.uri:
                self._lambda_permission(config.uri)
        return cached

    def _attached(self) -> _Host:
        assert self._host is not None, "OpenApiBody.attach() runs at the end of SecureRestApi.__init__"
        return self._host

    def _lambda_permission(self, uri: str) -> None:
        """The invoke permission of a function given as ``apigw.LambdaIntegration``, one per function.

        LambdaIntegration grants per method, on the Method it binds to; a body has no Method, and the
        function is only known through the integration's URI, from which the function's ARN is cut.
        """
        host = self._attached()
        key = json.dumps(Stack.of(host.scope).resolve(uri), sort_keys=True)
        if key in self._lambda_uris:
            return
        self._lambda_uris.add(key)
        function_arn = Fn.select(0, Fn.split("/invocations", Fn.select(1, Fn.split("/functions/", uri))))
        permission = lambda_.CfnPermission(
            host.scope,
            f"LambdaIntegrationPermission{len(self._lambda_uris)}",
            action="lambda:InvokeFunction",
            function_name=function_arn,
            principal="apigateway.amazonaws.com",
            source_arn=host.rest_api.arn_for_execute_api("*", "/*", "*"),
        )
        compliance.acknowledge(permission, "permission-source-arn-join")

    def _scratch_method(self) -> apigw.Method:
        # Integration.bind() needs a Method; a detached one in a throwaway app adds nothing to ours.
        if self._scratch is None:
            stack = Stack(App(), "Scratch")
            self._scratch = (apigw.RestApi(stack, "Api"), [0])
        rest_api, counter = self._scratch
        counter[0] += 1
        return apigw.Method(rest_api, f"M{counter[0]}", http_method="GET", resource=rest_api.root)

    # -- rendering -------------------------------------------------------------------------------
    def render(self) -> dict[str, Any]:
        """The body (CDK tokens unresolved)."""
        host = self._attached()
        cors = host.cors
        gateway_responses = {}
        if cors is not None:
            headers = cors.gateway_response_headers()
            gateway_responses = {name: headers for name in defaults.CORS_GATEWAY_RESPONSES}
        cfn: apigw.CfnRestApi = host.rest_api.node.default_child  # type: ignore[assignment]
        return render(
            title=self.title,
            version=self.version,
            routes=list(self.routes.values()),
            models=self.models,
            authorizer=authorizer_extension(Stack.of(host.scope), host.bearer, host.auth),
            api_key_source=str(cfn.api_key_source_type),
            preflight=preflight(cors) if cors is not None else None,
            gateway_responses=gateway_responses,
            # The properties' values, so that the body and the properties always agree.
            security_policy=cfn.security_policy,
            endpoint_access_mode=cfn.endpoint_access_mode,
        )

    def finalize(self) -> None:
        """Put the rendered body into the template (inline or as an included S3 asset)."""
        host = self._attached()
        api, rest_api = host.scope, host.rest_api
        document = self.render()
        self.document = document
        resolved = _resolve(Stack.of(api), document, {})
        text = json.dumps(resolved, separators=(",", ":"), sort_keys=True)
        size = len(text.encode())
        check_definition_size(api.node.path, size)
        self.inline = None
        cfn: apigw.CfnRestApi = rest_api.node.default_child  # type: ignore[assignment]
        if size <= defaults.OPENAPI_INLINE_MAX_BYTES:
            self.storage = "inline"
            self.inline = resolved
            cfn.body = document
        else:
            if self.foreign_functions:
                # An included file is not a template property: CDK cannot export what it references.
                raise SecureApiConfigError(
                    "integrations",
                    self.foreign_functions,
                    f"functions of the API's own stack (or imported ones) once the body exceeds "
                    f"{defaults.OPENAPI_INLINE_MAX_BYTES} bytes and is stored in S3",
                )
            self.storage = "s3"
            # Written into the cloud assembly (never the system's temporary directory): the asset is
            # staged from there, and the file goes when the assembly does.
            outdir = Path(Stage.of(api).outdir)  # type: ignore[union-attr]
            source = outdir / f"secure-api-openapi-{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"
            source.write_text(text)
            asset = s3_assets.Asset(api, "OpenApiDefinition", path=str(source))
            cfn.body = Fn.transform("AWS::Include", {"Location": asset.s3_object_url})
        if rest_api.latest_deployment is not None:
            digest = hashlib.sha256(text.encode()).hexdigest()
            rest_api.latest_deployment.add_to_logical_id({"openapi": digest})
        cfn.add_metadata(
            METADATA_KEY,
            {
                "public": sorted(self.public),
                "keyExempt": sorted(self.key_exempt),
                "tiers": host.has_tiers,
                "cors": host.cors is not None,
                "storage": self.storage,
                "bytes": size,
            },
        )


def _resolve(stack: Stack, value: Any, cache: dict[str, Any]) -> Any:
    """``stack.resolve`` leaf by leaf: a body is mostly plain data with a few distinct tokens, and
    resolving it whole would marshal megabytes through jsii."""
    if isinstance(value, str):
        # CDK encodes string tokens as "${Token[...]}": a cheap test first, jsii only for candidates.
        if "${Token[" not in value or not Token.is_unresolved(value):
            return value
        if value not in cache:
            cache[value] = stack.resolve(value)
        return cache[value]
    if isinstance(value, Mapping):
        return {k: _resolve(stack, v, cache) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_resolve(stack, v, cache) for v in value]
    if isinstance(value, bool | int | float) or value is None:
        return value
    return stack.resolve(value)


def _pascal(segment: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", segment.title())


def _no_refs(ref: str, location: str) -> str:
    # Inside an OpenAPI body, '#/...' would be read against the document, not the schema.
    raise SecureApiConfigError(
        f"{location}.$ref",
        ref,
        "a schema without $ref on a document-defined API (declare shared schemas in the document)",
    )


# -- from_openapi ---------------------------------------------------------------------------------
def prepare(
    document: str | Path | Mapping[str, Any],
    *,
    integrations: Mapping[str, Any],
    throttles: Mapping[str, Throttle] | None,
    options: Mapping[str, Any],
) -> tuple[OpenApiBody, Document, list[tuple[Operation, RouteSecurity]], dict[RouteKey, Throttle]]:
    """Check the whole document and its companions before any resource exists; every offender at once."""
    offenders: list[str] = []
    doc = parse(load(document), offenders)
    if not isinstance(integrations, Mapping):
        raise SecureApiConfigError(
            "integrations", integrations, "a dict operationId -> function or Integration"
        )
    by_name = {name: op for op in doc.operations for name in op.names}
    for key, integration in integrations.items():
        if key not in by_name:
            offenders.append(
                f"integrations[{key!r}]: neither an operationId nor a route key ('GET /path') of the document"
            )
        elif not isinstance(integration, apigw.Integration) and not (
            hasattr(integration, "function_arn") and hasattr(integration, "add_permission")
        ):
            offenders.append(
                f"integrations[{key!r}]: expected an aws_lambda.IFunction or an apigw.Integration"
            )
    has_bearer = options.get("auth") is not None
    cors = options.get("cors") is not None
    body = OpenApiBody(title=doc.title, version=doc.version)
    secured: list[tuple[Operation, RouteSecurity]] = []
    for op in doc.operations:
        where = op.label
        given = [name for name in op.names if name in integrations]
        if not given:
            wanted = " or ".join(f"integrations[{name!r}]" for name in reversed(op.names))
            offenders.append(f"{where}: no integration ({wanted} is missing)")
        elif len(given) > 1:
            offenders.append(f"{where}: two integrations ({' and '.join(map(repr, given))}): give one")
        if op.route.method == "OPTIONS" and cors:
            offenders.append(f"{where}: an OPTIONS operation refused (CorsPolicy owns the preflight)")
            continue
        security = route_security(op.security, doc.security_schemes, where, offenders)
        if security is None:
            continue
        if security.auth == "bearer" and not has_bearer:
            offenders.append(f"{where}: needs the bearer authorizer: pass auth=BearerAuth(...)")
            continue
        models = _operation_models(body, doc, op, where, offenders)
        if models is None:
            continue
        body._pending[op.route] = (op, models)
        secured.append((op, security))
    routes_throttled: dict[RouteKey, Throttle] = {}
    routes = {name: op.route for op in doc.operations for name in op.names}
    for key, throttle in (throttles or {}).items():
        if key not in routes:
            offenders.append(
                f"throttles[{key!r}]: neither a route key ('GET /path') nor an operationId of the document"
            )
        elif not isinstance(throttle, Throttle):
            offenders.append(f"throttles[{key!r}]: expected a Throttle")
        else:
            routes_throttled[routes[key]] = throttle
    if offenders:
        raise OpenApiDocumentError(offenders)
    return body, doc, secured, routes_throttled


def _operation_models(
    body: OpenApiBody, doc: Document, op: Operation, where: str, offenders: list[str]
) -> dict[str, str] | None:
    models: dict[str, str] = {}
    for content_type, schema in op.body.items():
        if not _JSON.fullmatch(content_type) or not schema:
            if schema:
                body.unvalidated.append(f"{where} requestBody {content_type}")
            continue
        model_prefix = op.operation_id or op.route.method.title() + "".join(
            _pascal(p) for p in op.route.path.split("/")
        )
        try:
            name = _component_model(body, doc, schema, f"{where} requestBody {content_type}", model_prefix)
        except SecureApiConfigError as error:
            offenders.append(str(error))
            return None
        models[content_type] = name
    return models


def _component_model(body: OpenApiBody, doc: Document, schema: Any, location: str, op_id: str) -> str:
    """The model name for a request body schema; referenced components become models of their own."""
    names = body._component_names

    def component(ref: str, where: str) -> str:
        prefix = "#/components/schemas/"
        if not ref.startswith(prefix):
            raise SecureApiConfigError(f"{where}.$ref", ref, "a reference to '#/components/schemas/<name>'")
        original = ref[len(prefix) :].replace("~1", "/").replace("~0", "~")
        if original not in doc.schemas:
            raise SecureApiConfigError(f"{where}.$ref", ref, "a schema that exists in components.schemas")
        if original not in names:
            names[original] = body.unique_model_name(original)
            body.models[names[original]] = {}  # reserve the name; recursion stops here
            body.models[names[original]] = to_draft4(
                doc.schemas[original], f"components.schemas.{original}", refs=component
            )
        return f"#/components/schemas/{names[original]}"

    if isinstance(schema, Mapping) and set(schema) == {"$ref"}:
        return component(str(schema["$ref"]), location).rsplit("/", 1)[1]
    name = body.unique_model_name(f"{op_id}Request")
    body.models[name] = to_draft4(schema, location, refs=component)
    return name
