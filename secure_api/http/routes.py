"""HTTP API routes: route keys (``GET /orders/{id}``), their options and their warnings (the per-route
``RouteSettings`` are ``secure_api.v2``'s)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Annotations
from constructs import IConstruct

from secure_api.errors import SecureApiConfigError
from secure_api.rest.route_checks import check_route_options as check_rest_route_options
from secure_api.rest.routes import RouteKey, RouteTree

_CATCH_ALL = "add_route('ANY', '/{proxy+}', ...)"


class HttpRoutes:
    """The route keys of one HTTP API, checked as API Gateway checks them: an HTTP method (or ``ANY``)
    and a path of literal segments, ``{param}`` segments and an optional final ``{proxy+}``; one route
    per key, one variable name per path level."""

    def __init__(self) -> None:
        self._tree = RouteTree()

    def check(self, method: Any, path: Any) -> RouteKey:
        """The normalised route key of ``method`` and ``path``, not recorded yet."""
        if method == "$default" or path == "$default":
            raise SecureApiConfigError(
                "add_route.path",
                path,
                f"a path starting with '/': the catch-all of an HTTP API is {_CATCH_ALL} (a '$default' route "
                "cannot carry per-route scopes in an authorizer's policy)",
            )
        return RouteKey.parse(method, path, field="add_route")

    def add(self, key: RouteKey) -> None:
        """Record ``key``; a route added twice (or a sibling variable of another name) is refused."""
        self._tree.add(key, field="add_route")

    def __len__(self) -> int:
        return len(self._tree)


def check_route_options(
    key: RouteKey,
    *,
    auth: Any,
    scopes: Any,
    throttle: Any,
    bearer: bool,
    cors: bool,
    policy_resources: bool,
    stage_name: str,
) -> tuple[str, ...]:
    """Raise ``SecureApiConfigError`` on the first option the route cannot have; return its scopes.

    ``bearer`` and ``cors`` say whether the API has a ``BearerAuth`` and a ``CorsPolicy``;
    ``policy_resources`` whether its bearer routes become resources of an authorizer's policy (the
    Lambda authorizer), whose length API Gateway limits. The checks are ``SecureRestApi``'s
    (``secure_api.rest.route_checks``), with an HTTP API's wording and no API keys.
    """
    return check_rest_route_options(
        key,
        key.method,
        auth=auth,
        scopes=scopes,
        throttle=throttle,
        api_key_required=None,
        cors=cors,
        bearer=bearer,
        stage_name=stage_name,
        preflight="another method: with a CorsPolicy API Gateway answers preflights",
        without_bearer="auth='iam'",
        policy_resources=policy_resources,
    )


def warn_route(scope: IConstruct, key: RouteKey, *, auth: str, scopes: Sequence[str]) -> None:
    """The warning a bearer route checked without scopes leaves (a public route's is
    ``SecureHttpApi.add_route``'s, through ``SecureApiBase._warn``)."""
    if auth == "bearer" and not scopes:
        Annotations.of(scope).add_warning_v2(
            "secure-api:route-without-scopes",
            f"secure_api: route {key.key}: a bearer route without scopes accepts any valid token of the "
            "issuer for the audience, ID tokens included (API Gateway's JWT authorizer cannot tell an ID "
            "token from an access token); give it scopes=[...], which ID tokens do not carry",
        )
