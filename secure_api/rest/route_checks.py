"""The checks of an API's routes: ``add_route``'s options (``SecureRestApi``'s; ``SecureHttpApi``'s through
``secure_api.http.routes``), before anything is created, and at synthesis that a bearer authorizer serves
at least one route."""

from __future__ import annotations

from collections.abc import Sequence

from secure_api.authorizer import check_scopes
from secure_api.errors import SecureApiConfigError
from secure_api.rest.routes import RouteKey, check_route_arn_length
from secure_api.throttling import Throttle

AUTH_MODES = ("bearer", "iam", "none")


def check_route_options(
    route: RouteKey,
    method: str,
    *,
    auth: str,
    scopes: Sequence[str],
    throttle: Throttle | None,
    api_key_required: bool | None,
    cors: bool,
    bearer: bool,
    stage_name: str,
    preflight: str = "not OPTIONS: CorsPolicy owns the preflight",
    without_bearer: str = "SecureRestApi(auth=...)",
    policy_resources: bool = True,
) -> tuple[str, ...]:
    """Raise ``SecureApiConfigError`` on the first option ``route`` cannot have; return its scopes.

    ``method`` is the method named in the OPTIONS refusal, ``preflight`` what that refusal expects.
    ``cors`` and ``bearer`` say whether the API has a ``CorsPolicy`` and a ``BearerAuth``;
    ``without_bearer`` is where a bearer route without one is told to look. ``policy_resources``
    says whether bearer routes become resources of an authorizer's policy, whose length API Gateway
    limits. The defaults are ``SecureRestApi``'s (``secure_api.http.routes`` passes the HTTP API's).
    """
    if route.method == "OPTIONS" and cors:
        raise SecureApiConfigError("add_route.method", method, preflight)
    if auth not in AUTH_MODES:
        raise SecureApiConfigError("add_route.auth", auth, f"one of {', '.join(AUTH_MODES)}")
    scopes = check_scopes("add_route.scopes", scopes)
    if scopes and auth != "bearer":
        raise SecureApiConfigError("add_route.scopes", list(scopes), "scopes only with auth='bearer'")
    if auth == "bearer" and not bearer:
        raise SecureApiConfigError(
            "add_route.auth",
            auth,
            f"auth='iam' or 'none' when the API has no BearerAuth ({without_bearer})",
        )
    if throttle is not None and not isinstance(throttle, Throttle):
        raise SecureApiConfigError("add_route.throttle", throttle, "a Throttle or None")
    if api_key_required is not None and not isinstance(api_key_required, bool):
        raise SecureApiConfigError("add_route.api_key_required", api_key_required, "True, False or None")
    if auth == "bearer" and policy_resources:
        check_route_arn_length(route, stage_name, field="add_route.path")
    return scopes


def check_bearer_routes(route_count: int) -> None:
    """Raise unless the bearer authorizer serves at least one route (``route_count``)."""
    if not route_count:
        # Raised during synthesis (jsii reports it with this message): before CDK's opaque
        # "Authorizer must be attached to a RestApi".
        raise SecureApiConfigError(
            "auth",
            "BearerAuth(...)",
            "at least one route with auth='bearer': every route uses 'iam' or 'none', so the "
            "authorizer would be attached to nothing (pass auth=None)",
        )
