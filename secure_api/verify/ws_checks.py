"""The AWS-side checks of ``secure-api verify`` for a WebSocket API: pure functions over
:class:`~secure_api.verify.facts.WebSocketFacts`.

What a WebSocket API shares with a REST API (the domain's TLS policy, the stage's limits, the audit
trail, the execute-api endpoint) is judged by the same functions as for REST; what only WebSocket APIs
have is here: route settings in API Gateway v2's shape, and ``$connect``, the only route AWS authorizes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from secure_api.verify import model as m
from secure_api.verify.checks import (
    audit_result,
    domain_tls_result,
    execute_api_disabled_result,
    throttle_result,
    unavailable,
)
from secure_api.verify.facts import Route, Unavailable, WebSocketFacts

CONNECT_ROUTE = "$connect"
WEBSOCKET_DOMAIN_POLICY = "TLS_1_2"
"""The only security policy API Gateway offers a WebSocket API's custom domain."""
_AUTHORIZED = frozenset({"CUSTOM", "AWS_IAM"})


def _default_settings(stage: Mapping[str, Any]) -> Mapping[str, Any]:
    settings: Mapping[str, Any] = stage.get("DefaultRouteSettings") or {}
    return settings


def _route_settings(stage: Mapping[str, Any]) -> Mapping[str, Mapping[str, Any]]:
    settings: Mapping[str, Mapping[str, Any]] = stage.get("RouteSettings") or {}
    return settings


def check_execute_api_disabled(facts: WebSocketFacts) -> m.CheckResult:
    """``endpoint.execute_api_disabled``: fails when a domain maps the stage and execute-api is enabled."""
    return execute_api_disabled_result(facts.domains, facts.stage, facts.api, "DisableExecuteApiEndpoint")


def check_domain_tls_policy(facts: WebSocketFacts) -> m.CheckResult:
    """``domain.tls_policy``: fails when a domain allows TLS older than 1.2; ``TLS_1_2``, the one policy
    AWS offers WebSocket domains, passes with that said."""
    return domain_tls_result(facts.domains, facts.stage, only_policy=WEBSOCKET_DOMAIN_POLICY)


def check_throttling(facts: WebSocketFacts) -> m.CheckResult:
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


def check_access_logs(facts: WebSocketFacts) -> m.CheckResult:
    """``stage.access_logs``: fails when the stage writes no access logs."""
    cid = m.STAGE_ACCESS_LOGS
    if isinstance(facts.stage_info, Unavailable):
        return unavailable(cid, facts.stage_info)
    destination = (facts.stage_info.get("AccessLogSettings") or {}).get("DestinationArn")
    if not destination:
        return m.CheckResult(cid, m.FAIL, f"stage {facts.stage} writes no access logs")
    return m.CheckResult(cid, m.PASS, f"access logs to {destination}")


def check_execution_logs(facts: WebSocketFacts) -> m.CheckResult:
    """``stage.execution_logs``: fails when data tracing is on for the stage or any route; ``warn`` when
    execution logging is off (Security Hub's APIGateway.1 wants ERROR or INFO)."""
    cid = m.STAGE_EXECUTION_LOGS
    if isinstance(facts.stage_info, Unavailable):
        return unavailable(cid, facts.stage_info)
    default = _default_settings(facts.stage_info)
    traced = ["(default route settings)"] if default.get("DataTraceEnabled") else []
    traced += sorted(k for k, v in _route_settings(facts.stage_info).items() if v.get("DataTraceEnabled"))
    if traced:
        return m.CheckResult(
            cid,
            m.FAIL,
            f"data tracing on for {', '.join(traced)}: full messages, tokens included, go to the logs",
        )
    level = str(default.get("LoggingLevel") or "OFF").upper()
    if level == "OFF":
        return m.CheckResult(cid, m.WARN, f"execution logging off on stage {facts.stage}")
    return m.CheckResult(cid, m.PASS, f"execution logging at {level}, data tracing off")


def _connect(routes: Sequence[Route]) -> Route | None:
    return next((r for r in routes if r.route_key == CONNECT_ROUTE), None)


def check_connect_auth(facts: WebSocketFacts) -> m.CheckResult:
    """``routes.connect_auth``: fails unless ``$connect`` exists and requires authorization (a Lambda
    authorizer or IAM). AWS authorizes no other route, so the connection is the only gate."""
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


def check_api_keys(facts: WebSocketFacts) -> m.CheckResult:
    """``routes.api_keys``: with usage plans on the stage, fails when ``$connect`` requires no API key
    (``skip`` when no usage plan serves the stage)."""
    cid = m.ROUTES_API_KEYS
    if isinstance(facts.usage_plans, Unavailable):
        return unavailable(cid, facts.usage_plans)
    if not facts.usage_plans:
        return m.CheckResult(cid, m.SKIP, f"no usage plan serves stage {facts.stage}")
    if isinstance(facts.routes, Unavailable):
        return unavailable(cid, facts.routes)
    plans = ", ".join(sorted(str(p.get("name") or p.get("id")) for p in facts.usage_plans))
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


def check_audit_trail(facts: WebSocketFacts) -> m.CheckResult:
    """``audit.trail``: fails when no trail in the region is logging management events."""
    return audit_result(facts.trails, facts.region)


WS_AWS_CHECKS: Sequence[tuple[str, Callable[[WebSocketFacts], m.CheckResult]]] = (
    (m.ENDPOINT_EXECUTE_API_DISABLED, check_execute_api_disabled),
    (m.DOMAIN_TLS_POLICY, check_domain_tls_policy),
    (m.STAGE_THROTTLING, check_throttling),
    (m.STAGE_ACCESS_LOGS, check_access_logs),
    (m.STAGE_EXECUTION_LOGS, check_execution_logs),
    (m.ROUTES_CONNECT_AUTH, check_connect_auth),
    (m.ROUTES_API_KEYS, check_api_keys),
    (m.AUDIT_TRAIL, check_audit_trail),
)
"""Every AWS-side check of a WebSocket API, in report order."""


def run_ws_aws_checks(facts: WebSocketFacts) -> list[m.CheckResult]:
    """Every AWS-side check over ``facts``."""
    return [check(facts) for _, check in WS_AWS_CHECKS]
