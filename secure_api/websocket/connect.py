"""The ``$connect`` route: the only route AWS authorizes. A Lambda REQUEST authorizer running the
same JWT verification as the REST authorizer (``auth=BearerAuth(...)``), or ``AWS_IAM``
(``auth="iam"``); ``ApiKeyRequired`` with usage tiers; the user's ``connect_handler`` or a MOCK
integration that answers 200."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from secure_api import defaults
from secure_api.api_target import ApiTarget
from secure_api.authorizer import BearerAuthorizer
from secure_api.v2.authorizer import lambda_request_authorizer
from secure_api.websocket.option_checks import WebSocketOptions
from secure_api.websocket.routes import Integrations


@dataclass(frozen=True)
class Connect:
    """What ``add_connect_route`` created."""

    route: apigwv2.WebSocketRoute
    authorizer: apigwv2.CfnAuthorizer | None
    bearer: BearerAuthorizer | None


def identity_source(options: WebSocketOptions) -> list[str] | None:
    """The authorizer's identity source.

    API Gateway invokes a REQUEST authorizer only when every identity source is present and non-empty,
    else it answers 401 itself. Without ``token_query_parameter`` the ``Authorization`` header is the
    one place a token can be, so requiring it turns tokenless handshakes away before the function runs.
    With it, the token may be in either place: a header-only source would refuse query-token
    handshakes and header plus query would require both, so there is none (optional for REQUEST
    authorizers, and without authorizer caching on WebSocket APIs nothing else depends on it) and the
    function itself finds the token (the header wins) and rejects a handshake without one.
    """
    if options.token_query_parameter:
        return None
    return [defaults.WEBSOCKET_AUTHORIZER_IDENTITY_SOURCE]


def add_connect_route(
    scope: Construct,
    *,
    target: ApiTarget,
    options: WebSocketOptions,
    connect_handler: lambda_.IFunction | apigwv2.WebSocketRouteIntegration | None,
    route_integrations: Integrations,
    key: kms.IKey,
    retention: logs.RetentionDays,
) -> Connect:
    """The ``$connect`` route (``ConnectRoute``) of ``target``'s WebSocket API and, with ``BearerAuth``,
    ``AuthorizerFunction`` and ``Authorizer`` under ``scope``."""
    web_socket_api = target.api
    assert isinstance(web_socket_api, apigwv2.WebSocketApi)
    bearer: BearerAuthorizer | None = None
    authorizer: apigwv2.CfnAuthorizer | None = None
    if options.bearer is not None:
        bearer = BearerAuthorizer(
            scope,
            options.bearer,
            key=key,
            retention=retention,
            extra_environment=options.connect_environment,
        )
        bearer.finalize()  # no route scopes: AWS authorizes $connect only
        authorizer = lambda_request_authorizer(
            scope,
            target,
            bearer.function,
            identity_source=identity_source(options),
            permission_id="InvokeByConnectAuthorizer",
        )

    if connect_handler is None:
        integration: apigwv2.WebSocketRouteIntegration = integrations.WebSocketMockIntegration(
            "ConnectMock",
            request_templates=defaults.WEBSOCKET_MOCK_CONNECT_TEMPLATES,
            template_selection_expression=defaults.WEBSOCKET_MOCK_CONNECT_TEMPLATE_SELECTION,
        )
    else:
        integration = route_integrations.integration_for(connect_handler, field="connect_handler")
    route = apigwv2.WebSocketRoute(
        scope,
        "ConnectRoute",
        web_socket_api=web_socket_api,
        route_key="$connect",
        integration=integration,
        authorizer=authorizers.WebSocketIamAuthorizer() if options.auth == "iam" else None,
        api_key_required=bool(options.usage_tiers),
    )
    if authorizer is not None:
        cfn_route = route.node.default_child
        assert isinstance(cfn_route, apigwv2.CfnRoute)
        cfn_route.authorization_type = "CUSTOM"
        cfn_route.authorizer_id = authorizer.ref
    target.stage.node.add_dependency(route)
    return Connect(route=route, authorizer=authorizer, bearer=bearer)
