"""The checks ``SecureWebSocketApi`` runs on its arguments before any resource exists.

Besides each option class's own checks: what a WebSocket API cannot honour (AWS offers it no resource
policy, private endpoint, TLS policy other than ``TLS_1_2`` or mutual TLS), and the options only the
``$connect`` Lambda authorizer enforces (refused with ``auth="iam"``, which has no such authorizer).
Pure functions, no resources.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from secure_api import grammar
from secure_api.access import AccessPolicy
from secure_api.api_target import ApiKind
from secure_api.audit import AuditTrail
from secure_api.authorizer import BearerAuth, check_scopes, connect_environment
from secure_api.domain import CustomDomain
from secure_api.errors import SecureApiConfigError, is_token
from secure_api.monitoring import Monitoring
from secure_api.option_checks import (
    bearer_of,
    check_auth_required,
    check_option_types,
    check_retention_and_description,
    check_stage_name,
)
from secure_api.throttling import Throttle
from secure_api.usage_plans.options import (
    Consumer,
    KeyRotation,
    UsageTier,
    check_key_rotation,
    check_monitored_consumers,
    check_tiers_and_consumers,
    tiers_and_consumers,
)
from secure_api.v2.option_checks import authorizer_only, check_v2_access, check_v2_domain

# API Gateway accepts only selection on the message body for WebSocket routes.
_ROUTE_SELECTION = re.compile(r"\$request\.body\.[A-Za-z0-9_.-]+|\$\{request\.body\.[A-Za-z0-9_.-]+\}")
_AUTHORIZER_ONLY = authorizer_only(ApiKind.WEBSOCKET)
_OPTION_TYPES: tuple[tuple[str, type], ...] = (
    ("access", AccessPolicy),
    ("domain", CustomDomain),
    ("audit", AuditTrail),
    ("throttle", Throttle),
    ("key_rotation", KeyRotation),
    ("monitoring", Monitoring),
)


@dataclass(frozen=True)
class WebSocketOptions:
    """The checked, normalised options (tuples instead of lists, the resolved throttle)."""

    auth: BearerAuth | str
    throttle: Throttle
    usage_tiers: tuple[UsageTier, ...]
    consumers: tuple[Consumer, ...]
    connect_scopes: tuple[str, ...]
    allowed_origins: tuple[str, ...]
    token_query_parameter: str | None
    connect_environment: dict[str, str]

    @property
    def bearer(self) -> BearerAuth | None:
        """The ``BearerAuth``, or None with ``auth="iam"``."""
        return bearer_of(self.auth)


def check_websocket_options(
    *,
    stage_name: Any,
    auth: Any,
    options: dict[str, Any],
    connect_scopes: Any,
    allowed_origins: Any,
    token_query_parameter: Any,
    usage_tiers: Any,
    consumers: Any,
    log_retention: Any,
    route_selection_expression: Any,
    description: Any,
) -> WebSocketOptions:
    """Check every argument of ``SecureWebSocketApi`` and their combinations."""
    check_stage_name(stage_name)
    check_auth_required(auth, api="a WebSocket API")
    check_option_types(options, _OPTION_TYPES)
    check_retention_and_description(log_retention, description)
    _check_route_selection(route_selection_expression)
    access: AccessPolicy | None = options.get("access")
    if access is not None:
        check_access(access, iam=auth == "iam")
    domain: CustomDomain | None = options.get("domain")
    if domain is not None:
        check_domain(domain)

    scopes = check_scopes("connect_scopes", connect_scopes)
    origins = check_origins(allowed_origins)
    query = check_token_query_parameter(token_query_parameter)
    if auth == "iam":
        for field, value in (
            ("connect_scopes", scopes),
            ("allowed_origins", origins),
            ("token_query_parameter", query),
        ):
            if value:
                raise SecureApiConfigError(field, value if isinstance(value, str) else list(value),
                                           f"not set with auth='iam': {_AUTHORIZER_ONLY}")  # fmt: skip

    tiers, consumer_list = _check_tiers(usage_tiers, consumers, options.get("key_rotation"))
    bearer = bearer_of(auth)
    if bearer is not None and bearer.api_key_claim and not tiers:
        raise SecureApiConfigError(
            "BearerAuth.api_key_claim",
            bearer.api_key_claim,
            "None without usage_tiers: the authorizer would find no consumer key and deny every connection",
        )
    monitoring: Monitoring | None = options.get("monitoring")
    if monitoring is not None:
        check_monitored_consumers(monitoring, consumer_list)
    environment: dict[str, str] = {}
    if bearer is not None:
        environment = connect_environment(
            bearer,
            connect_scopes=scopes,
            allowed_origins=origins,
            allow_ip_ranges=access.allow_ip_ranges if access else (),
            deny_ip_ranges=access.deny_ip_ranges if access else (),
            token_query_parameter=query,
        )
    return WebSocketOptions(
        auth=auth,
        throttle=options.get("throttle") or Throttle(),
        usage_tiers=tiers,
        consumers=consumer_list,
        connect_scopes=scopes,
        allowed_origins=origins,
        token_query_parameter=query,
        connect_environment=environment,
    )


def check_access(access: AccessPolicy, *, iam: bool) -> None:
    """Only IP allow and deny lists, enforced by the ``$connect`` authorizer (so not with IAM auth)."""
    check_v2_access(access, iam=iam, kind=ApiKind.WEBSOCKET)


def check_domain(domain: CustomDomain) -> None:
    """A REGIONAL ``TLS_1_2`` domain without mutual TLS and with a single-level base path."""
    check_v2_domain(domain, kind=ApiKind.WEBSOCKET)


def check_origins(origins: Any) -> tuple[str, ...]:
    """Exact browser origins ``scheme://host[:port]``: no path, no wildcard, no default port."""
    if isinstance(origins, str | bytes) or not isinstance(origins, Sequence):
        raise SecureApiConfigError(
            "allowed_origins", origins, "a list of origins such as ['https://app.example.com'], not a string"
        )
    out: list[str] = []
    for i, origin in enumerate(origins):
        if is_token(origin):
            out.append(origin)
            continue
        problem = grammar.origin_problem(origin)
        if problem is not None:
            hint = " (the authorizer compares origins exactly: list each one)" if "*" in str(origin) else ""
            raise SecureApiConfigError(f"allowed_origins[{i}]", origin, problem + hint)
        if origin in out:
            raise SecureApiConfigError(
                "allowed_origins", list(origins), f"distinct origins ({origin!r} twice)"
            )
        out.append(origin)
    return tuple(out)


def check_token_query_parameter(name: Any) -> str | None:
    """None, or a query string parameter name of letters, digits, '.', '_' or '-'."""
    if name is None or is_token(name):
        return name  # type: ignore[no-any-return]
    if grammar.query_parameter_problem(name) is not None:
        raise SecureApiConfigError(
            "token_query_parameter",
            name,
            "None or a query string parameter name of 1-128 letters, digits, '.', '_' or '-' "
            "(e.g. 'access_token')",
        )
    return str(name)


def _check_route_selection(expression: Any) -> None:
    if is_token(expression):
        return
    if not isinstance(expression, str) or not _ROUTE_SELECTION.fullmatch(expression):
        raise SecureApiConfigError(
            "route_selection_expression",
            expression,
            "a selection on the message body such as '$request.body.action' (the only kind WebSocket "
            "APIs support)",
        )


def _check_tiers(
    usage_tiers: Any, consumers: Any, key_rotation: Any
) -> tuple[tuple[UsageTier, ...], tuple[Consumer, ...]]:
    tiers, consumer_list = tiers_and_consumers(usage_tiers, consumers)
    for i, tier in enumerate(tiers):
        if tier.method_throttles:
            raise SecureApiConfigError(
                f"usage_tiers[{i}].method_throttles",
                sorted(tier.method_throttles),
                "empty on a WebSocket API: usage plans throttle REST methods only; give the route a "
                "throttle (add_route(..., throttle=...)) instead",
            )
    check_tiers_and_consumers(tiers, consumer_list)
    check_key_rotation(key_rotation, tiers)
    return tiers, consumer_list
