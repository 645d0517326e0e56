"""The AWS-side checks of ``secure-api verify`` for API Gateway v2 APIs (WebSocket and HTTP): pure
functions over :class:`~secure_api.verify.facts.V2Facts`.

What a v2 API shares with a REST API (the domain's TLS policy, the stage's limits, access logs, the
audit trail, the execute-api endpoint, who may call a route) is judged by the same functions as for REST (:mod:`secure_api.verify.checks`); here are the v2 shapes (stage and route
settings keyed by route key) and what only one kind has: ``$connect``, the only route AWS authorizes on
a WebSocket API, and its execution logs (HTTP APIs have none).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from secure_api.verify import model as m
from secure_api.verify.checks import (
    access_logs_result,
    audit_result,
    auth_result,
    domain_tls_result,
    execute_api_disabled_result,
    execution_logs_result,
    plan_names,
    serving_plans,
    throttle_result,
    unavailable,
)
from secure_api.verify.facts import Route, Unavailable, V2Facts
from secure_api.verify.public import PublicRoute

CONNECT_ROUTE = "$connect"
V2_DOMAIN_POLICY = "TLS_1_2"
"""The only security policy API Gateway offers the custom domain of a WebSocket or HTTP API."""
_AUTHORIZED = frozenset({"CUSTOM", "AWS_IAM"})


def _default_settings(stage: Mapping[str, Any]) -> Mapping[str, Any]:
    settings: Mapping[str, Any] = stage.get("DefaultRouteSettings") or {}
    return settings


def _route_settings(stage: Mapping[str, Any]) -> Mapping[str, Mapping[str, Any]]:
    settings: Mapping[str, Mapping[str, Any]] = stage.get("RouteSettings") or {}
    return settings


def check_execute_api_disabled(facts: V2Facts) -> m.CheckResult:
    """``endpoint.execute_api_disabled``: fails when a domain maps the stage and execute-api is enabled."""
    return execute_api_disabled_result(facts.domains, facts.stage, facts.api, "DisableExecuteApiEndpoint")


def check_domain_tls_policy(facts: V2Facts) -> m.CheckResult:
    """``domain.tls_policy``: fails when a domain allows TLS older than 1.2; ``TLS_1_2``, the one policy
    AWS offers v2 domains, passes with that said."""
    return domain_tls_result(facts.domains, facts.stage, only_policy=V2_DOMAIN_POLICY)


def check_throttling(facts: V2Facts) -> m.CheckResult:
    """``stage.throttling``: the stage's default route settings judged as a REST stage's ``*/*``; fails
    too when a route's own setting disables throttling (-1)."""
    cid = m.STAGE_THROTTLING
    if isinstance(facts.stage_info, Unavailable):
        return unavailable(cid, facts.stage_info)
    default = _default_settings(facts.stage_info)
    result = throttle_result(
        facts.stage,
        default.get("ThrottlingRateLimit"),
        default.get("ThrottlingBurstLimit"),
        facts.account_throttle,
    )
    routes = _route_settings(facts.stage_info)
    limited = sorted(key for key, value in routes.items() if value.get("ThrottlingRateLimit") is not None)
    disabled = sorted(
        key
        for key, value in routes.items()
        if (value.get("ThrottlingRateLimit") or 0) < 0 or (value.get("ThrottlingBurstLimit") or 0) < 0
    )
    if disabled:
        return m.CheckResult(cid, m.FAIL, f"throttling disabled (-1) on route(s) {', '.join(disabled)}")
    if limited and result.status == m.PASS:
        return m.CheckResult(cid, m.PASS, f"{result.detail}; own limits on route(s) {', '.join(limited)}")
    return result


def check_access_logs(facts: V2Facts) -> m.CheckResult:
    """``stage.access_logs``: fails when the stage writes no access logs."""
    if isinstance(facts.stage_info, Unavailable):
        return unavailable(m.STAGE_ACCESS_LOGS, facts.stage_info)
    return access_logs_result(
        (facts.stage_info.get("AccessLogSettings") or {}).get("DestinationArn"), facts.stage
    )


def check_execution_logs(facts: V2Facts) -> m.CheckResult:
    """``stage.execution_logs`` (WebSocket APIs): fails when data tracing is on for the stage or any
    route; ``warn`` when execution logging is off."""
    if isinstance(facts.stage_info, Unavailable):
        return unavailable(m.STAGE_EXECUTION_LOGS, facts.stage_info)
    default = _default_settings(facts.stage_info)
    traced = ["(default route settings)"] if default.get("DataTraceEnabled") else []
    traced += sorted(k for k, v in _route_settings(facts.stage_info).items() if v.get("DataTraceEnabled"))
    return execution_logs_result(traced, default.get("LoggingLevel"), facts.stage, "messages")


def _connect(routes: Sequence[Route]) -> Route | None:
    return next((r for r in routes if r.route_key == CONNECT_ROUTE), None)


def check_connect_auth(facts: V2Facts) -> m.CheckResult:
    """``routes.connect_auth`` (WebSocket APIs): fails unless ``$connect`` exists and requires
    authorization (a Lambda authorizer or IAM). AWS authorizes no other route, so the connection is the
    only gate."""
    cid = m.ROUTES_CONNECT_AUTH
    if isinstance(facts.routes, Unavailable):
        return unavailable(cid, facts.routes)
    connect = _connect(facts.routes)
    if connect is None:
        return m.CheckResult(
            cid, m.FAIL, "no $connect route: API Gateway accepts every connection without authorization"
        )
    if connect.authorization_type not in _AUTHORIZED:
        return m.CheckResult(
            cid, m.FAIL, f"$connect has authorization {connect.authorization_type}: anyone connects"
        )
    return m.CheckResult(
        cid,
        m.PASS,
        f"$connect requires authorization ({connect.authorization_type}); {len(facts.routes)} route(s)",
    )


def check_api_keys(facts: V2Facts) -> m.CheckResult:
    """``routes.api_keys`` (WebSocket APIs): with usage plans on the stage, fails when ``$connect``
    requires no API key (``skip`` when no usage plan serves the stage)."""
    cid = m.ROUTES_API_KEYS
    # Only WebSocket APIs have this check, and their usage plans are always gathered.
    assert facts.usage_plans is not None
    served = serving_plans(cid, facts.usage_plans, facts.stage)
    if isinstance(served, m.CheckResult):
        return served
    if isinstance(facts.routes, Unavailable):
        return unavailable(cid, facts.routes)
    plans = plan_names(served)
    connect = _connect(facts.routes)
    if connect is None or not connect.api_key_required:
        where = "there is no $connect route" if connect is None else "$connect requires no API key"
        return m.CheckResult(
            cid,
            m.FAIL,
            f"usage plans {plans} serve stage {facts.stage} but {where}: their limits bind nobody",
        )
    selection = "" if isinstance(facts.api, Unavailable) else facts.api.get("ApiKeySelectionExpression") or ""
    shown = f" ({selection})" if selection else ""
    return m.CheckResult(cid, m.PASS, f"$connect requires an API key{shown}; usage plans {plans}")


def check_routes_auth(facts: V2Facts, public: Sequence[PublicRoute] = ()) -> m.CheckResult:
    """``routes.auth`` (HTTP APIs): fails when a route (``$default`` included) other than OPTIONS has
    authorization NONE and is not listed in ``--public`` exactly as its route key."""
    methods = facts.methods
    if isinstance(methods, Unavailable):
        return unavailable(m.ROUTES_AUTH, methods)
    return auth_result(m.ROUTES_AUTH, methods, public, "route")


def check_audit_trail(facts: V2Facts) -> m.CheckResult:
    """``audit.trail``: fails when no trail in the region is logging management events."""
    return audit_result(facts.trails, facts.region)


V2Check = Callable[[V2Facts, Sequence[PublicRoute]], m.CheckResult]

WEBSOCKET_AWS_CHECKS: Sequence[tuple[str, V2Check]] = (
    (m.ENDPOINT_EXECUTE_API_DISABLED, lambda f, _p: check_execute_api_disabled(f)),
    (m.DOMAIN_TLS_POLICY, lambda f, _p: check_domain_tls_policy(f)),
    (m.STAGE_THROTTLING, lambda f, _p: check_throttling(f)),
    (m.STAGE_ACCESS_LOGS, lambda f, _p: check_access_logs(f)),
    (m.STAGE_EXECUTION_LOGS, lambda f, _p: check_execution_logs(f)),
    (m.ROUTES_CONNECT_AUTH, lambda f, _p: check_connect_auth(f)),
    (m.ROUTES_API_KEYS, lambda f, _p: check_api_keys(f)),
    (m.AUDIT_TRAIL, lambda f, _p: check_audit_trail(f)),
)
"""Every AWS-side check of a WebSocket API, in report order."""

HTTP_API_AWS_CHECKS: Sequence[tuple[str, V2Check]] = (
    (m.ENDPOINT_EXECUTE_API_DISABLED, lambda f, _p: check_execute_api_disabled(f)),
    (m.DOMAIN_TLS_POLICY, lambda f, _p: check_domain_tls_policy(f)),
    (m.STAGE_THROTTLING, lambda f, _p: check_throttling(f)),
    (m.STAGE_ACCESS_LOGS, lambda f, _p: check_access_logs(f)),
    (m.ROUTES_AUTH, check_routes_auth),
    (m.AUDIT_TRAIL, lambda f, _p: check_audit_trail(f)),
)
"""Every AWS-side check of an HTTP API, in report order: DESIGN.md's list for HTTP APIs. HTTP APIs have no
execution logs, usage plans, resource policy or AWS WAF association: no check looks for them."""
