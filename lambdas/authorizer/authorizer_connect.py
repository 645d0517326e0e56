"""The WebSocket ``$connect`` REQUEST event: where its token comes from and what else it must satisfy.

AWS lets a WebSocket API authorize only ``$connect`` and offers it no resource policy, no CORS and no
WAF, so this is where the library checks what those do for a REST API: the browser's ``Origin``
(cross-site WebSocket hijacking), the caller's source address and the scopes needed to connect.
Everything here is pure: the JWT itself is verified by the shared core.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from authorizer_config import ConnectConfig
from authorizer_jwt import MAX_AUTHORIZATION_LENGTH, Denied, bearer_token
from authorizer_policy import PARTITIONS

CONNECT_ROUTE = "$connect"
_CONNECT_ARN = re.compile(
    r"arn:(?P<partition>[a-z-]+):execute-api:[a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2}:[0-9]{12}:"
    r"(?P<api_id>[a-z0-9]{1,64})/[A-Za-z0-9_-]{1,128}/\$connect"
)


@dataclass(frozen=True, slots=True)
class ConnectRequest:
    """The parts of a ``$connect`` REQUEST event the decision uses."""

    method_arn: str
    api_id: str
    token: str
    origin: str | None
    source_ip: str | None


def _single(values: Mapping[str, Any] | None, name: str, *, case_insensitive: bool) -> object:
    """The one value of ``name`` in a headers or query map; several (differently cased) is ambiguous."""
    if not values:
        return None
    wanted = name.lower() if case_insensitive else name
    found = [
        v
        for k, v in values.items()
        if isinstance(k, str) and (k.lower() if case_insensitive else k) == wanted
    ]
    if len(found) > 1:
        raise Denied("ambiguous_" + ("header" if case_insensitive else "query_parameter"))
    return found[0] if found else None


def _multi_count(values: object, name: str, *, case_insensitive: bool) -> int:
    if not isinstance(values, dict):
        return 0
    wanted = name.lower() if case_insensitive else name
    return sum(
        len(v) if isinstance(v, list) else 1
        for k, v in values.items()
        if isinstance(k, str) and (k.lower() if case_insensitive else k) == wanted
    )


def _mapping(event: dict[str, Any], name: str) -> Mapping[str, Any] | None:
    value = event.get(name)
    if value is None:
        return None
    if not isinstance(value, dict):
        raise Denied("bad_event")
    return value


def request_token(event: dict[str, Any], query_parameter: str | None) -> str:
    """The JWT from ``Authorization: Bearer`` (any case), else from ``query_parameter`` when configured.

    The header wins when both are present. A value given twice (two header spellings, or a repeated
    query parameter) is refused: API Gateway and the backend could otherwise see different tokens.
    """
    headers = _mapping(event, "headers")
    if _multi_count(event.get("multiValueHeaders"), "authorization", case_insensitive=True) > 1:
        raise Denied("ambiguous_header")
    authorization = _single(headers, "authorization", case_insensitive=True)
    if authorization is not None:
        return bearer_token(authorization)
    if query_parameter is None:
        raise Denied("missing_token")
    query = _mapping(event, "queryStringParameters")
    if (
        _multi_count(event.get("multiValueQueryStringParameters"), query_parameter, case_insensitive=False)
        > 1
    ):
        raise Denied("ambiguous_query_parameter")
    token = _single(query, query_parameter, case_insensitive=False)
    if not isinstance(token, str) or not token:
        raise Denied("missing_token")
    if len(token) > MAX_AUTHORIZATION_LENGTH:
        raise Denied("oversized_token")
    if not token.isascii():
        raise Denied("non_ascii_token")
    if token[:7].lower() == "bearer ":
        return bearer_token(token)
    if " " in token:
        raise Denied("malformed_bearer")
    return token


def parse_connect_request(event: object, query_parameter: str | None) -> ConnectRequest:
    """Validate the event's shape and ``methodArn`` (a stage's ``$connect``) and take out its token."""
    if not isinstance(event, dict) or event.get("type") != "REQUEST":
        raise Denied("bad_event")
    context = event.get("requestContext")
    context = context if isinstance(context, dict) else {}
    route_key = context.get("routeKey")
    if route_key is not None and route_key != CONNECT_ROUTE:
        raise Denied("not_connect_route")
    method_arn = event.get("methodArn")
    match = _CONNECT_ARN.fullmatch(method_arn) if isinstance(method_arn, str) else None
    if match is None or match["partition"] not in PARTITIONS:
        raise Denied("bad_method_arn")
    token = request_token(event, query_parameter)
    identity = context.get("identity")
    source_ip = identity.get("sourceIp") if isinstance(identity, dict) else None
    origin = _single(_mapping(event, "headers"), "origin", case_insensitive=True)
    if _multi_count(event.get("multiValueHeaders"), "origin", case_insensitive=True) > 1:
        raise Denied("ambiguous_header")
    return ConnectRequest(
        method_arn=method_arn,  # type: ignore[arg-type]  # matched above, so a str
        api_id=match["api_id"],
        token=token,
        # A non-string Origin is no allowed origin: it compares unequal to every entry.
        origin=None if origin is None else origin if isinstance(origin, str) else "",
        source_ip=source_ip if isinstance(source_ip, str) else None,
    )


def _address(source_ip: str | None) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    if source_ip is None:
        return None
    try:
        address = ipaddress.ip_address(source_ip)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped  # ::ffff:203.0.113.5 is 203.0.113.5 to an allow or deny list
    return address


def connect_refusal(config: ConnectConfig, request: ConnectRequest, scopes: tuple[str, ...]) -> str | None:
    """Why a verified token may still not connect (a short loggable code), or None to allow."""
    origins = config.allowed_origins
    if origins is not None and request.origin is not None and request.origin not in origins:
        return "origin_not_allowed"
    if config.allow_ip_ranges is not None or config.deny_ip_ranges:
        address = _address(request.source_ip)
        if address is None:
            return "source_ip_unknown"
        if any(address in network for network in config.deny_ip_ranges):
            return "source_ip_denied"
        if config.allow_ip_ranges is not None and not any(address in n for n in config.allow_ip_ranges):
            return "source_ip_not_allowed"
    if not config.scopes <= frozenset(scopes):
        return "missing_connect_scope"
    return None


def connect_policy(method_arn: str, effect: str) -> dict[str, Any]:
    """``Allow`` or ``Deny`` on exactly the ``$connect`` method ARN (the only route AWS authorizes)."""
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": [method_arn]}
    return {"Version": "2012-10-17", "Statement": [statement]}
