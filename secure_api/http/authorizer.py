"""Who may call an HTTP API's routes: API Gateway's native JWT authorizer (issuer and audience; a route's
scopes become its ``AuthorizationScopes``), or the library's Lambda REQUEST authorizer (payload format
2.0, IAM policy responses cached per token and source address, the same verification core as REST and
WebSocket APIs), or ``AWS_IAM``; ``secure_api.http.option_checks.choose_authorizer`` picks which."""

from __future__ import annotations

from collections.abc import Sequence

import jsii
from aws_cdk import Names
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from secure_api import defaults
from secure_api.api_target import ApiTarget
from secure_api.authorizer import BearerAuth, BearerAuthorizer
from secure_api.http.option_checks import HttpOptions
from secure_api.rest.routes import RouteKey
from secure_api.v2.authorizer import lambda_request_authorizer


@jsii.implements(apigwv2.IHttpRouteAuthorizer)
class RouteAuthorizer:
    """How one route is authorized: ``JWT`` (with its scopes), ``CUSTOM`` (the Lambda authorizer),
    ``AWS_IAM`` or ``NONE``."""

    def __init__(
        self, authorization_type: str, *, authorizer_id: str | None = None, scopes: Sequence[str] = ()
    ) -> None:
        self.authorization_type = authorization_type
        self.authorizer_id = authorizer_id
        self.scopes = tuple(scopes)

    def bind(self, *, route: apigwv2.IHttpRoute, scope: Construct) -> apigwv2.HttpRouteAuthorizerConfig:
        """The route's ``AuthorizationType``, ``AuthorizerId`` and ``AuthorizationScopes``."""
        return apigwv2.HttpRouteAuthorizerConfig(
            authorization_type=self.authorization_type,
            authorizer_id=self.authorizer_id,
            authorization_scopes=list(self.scopes) or None,
        )


class HttpAuthorization:
    """The authorizer of ``target``'s HTTP API (``authorizer``; with the Lambda one, ``function``) and what
    each route gets from it (``for_route``)."""

    def __init__(
        self,
        scope: Construct,
        *,
        target: ApiTarget,
        options: HttpOptions,
        key: kms.IKey,
        retention: logs.RetentionDays,
    ) -> None:
        self.authorizer: apigwv2.CfnAuthorizer | None = None
        self.bearer: BearerAuthorizer | None = None
        self.function: lambda_.IFunction | None = None
        bearer = options.bearer
        if bearer is None:
            return
        if options.authorizer == "native":
            self.authorizer = jwt_authorizer(scope, target.api_id, bearer)
            return
        self.bearer = BearerAuthorizer(
            scope, bearer, key=key, retention=retention, extra_environment=options.lambda_environment
        )
        self.function = self.bearer.function
        # Payload 2.0 with IAM policy responses (simple responses off), cached for cache_ttl per token and
        # source address (both identity sources required: a request without a token is answered 401
        # before the function runs).
        self.authorizer = lambda_request_authorizer(
            scope,
            target,
            self.bearer.function,
            identity_source=list(defaults.HTTP_LAMBDA_AUTHORIZER_IDENTITY_SOURCES),
            permission_id="InvokeByHttpAuthorizer",
            payload_format_version=defaults.HTTP_LAMBDA_AUTHORIZER_PAYLOAD_VERSION,
            enable_simple_responses=False,
            result_ttl_seconds=int(bearer.cache_ttl.to_seconds()),
        )

    def for_route(self, key: RouteKey, *, auth: str, scopes: Sequence[str]) -> RouteAuthorizer:
        """The route's authorization; a Lambda-authorized route's scopes go into the function's policy."""
        if auth == "iam":
            return RouteAuthorizer("AWS_IAM")
        if auth == "none":
            return RouteAuthorizer("NONE")
        assert self.authorizer is not None
        if self.bearer is not None:
            self.bearer.add_route_scopes(key.key, scopes)
            return RouteAuthorizer("CUSTOM", authorizer_id=self.authorizer.ref)
        return RouteAuthorizer("JWT", authorizer_id=self.authorizer.ref, scopes=scopes)

    def finalize(self) -> None:
        """Once every route is known: the Lambda authorizer's route scopes into its code package."""
        if self.bearer is not None:
            self.bearer.finalize()


def jwt_authorizer(scope: Construct, api_id: str, auth: BearerAuth) -> apigwv2.CfnAuthorizer:
    """API Gateway's JWT authorizer (``Authorizer``) on the HTTP API ``api_id``: the token in
    ``Authorization``, its ``iss`` exactly ``auth.issuer``, its ``aud`` (or ``client_id``) one of
    ``auth.audience``, signed by a key of the issuer's discovery document."""
    return apigwv2.CfnAuthorizer(
        scope,
        "Authorizer",
        api_id=api_id,
        authorizer_type="JWT",
        name=Names.unique_resource_name(scope, max_length=128, separator="-"),
        identity_source=[defaults.HTTP_NATIVE_JWT_IDENTITY_SOURCE],
        jwt_configuration=apigwv2.CfnAuthorizer.JWTConfigurationProperty(
            issuer=auth.issuer, audience=list(auth.audience)
        ),
    )
