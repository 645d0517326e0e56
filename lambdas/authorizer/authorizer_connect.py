"""The WebSocket ``$connect`` REQUEST event: where its token comes from and what else it must satisfy.

AWS lets a WebSocket API authorize only ``$connect`` and offers it no resource policy, no CORS and no
WAF, so this is where the library checks what those do for a REST API: the browser's ``Origin``
(cross-site WebSocket hijacking), the caller's source address and the scopes needed to connect.
Everything here is pure: the JWT itself is verified by the shared core.
"""

from __future__ import annotations

import functools
import re
from typing import Any, NamedTuple

from authorizer_address import address_refusal
from authorizer_config import ConnectConfig
from authorizer_jwt import MAX_AUTHORIZATION_LENGTH, Denied, bearer_token, new_record
from authorizer_memo import remember
from authorizer_policy import EXECUTE_API_PREFIX, PARTITIONS, STAGE_NAME

CONNECT_ROUTE = "$connect"
_CONNECT_ARN = re.compile(EXECUTE_API_PREFIX + rf"{STAGE_NAME}/\$connect")
MAX_REMEMBERED_ARNS = 256
# Accepted ``$connect`` method ARNs (one per stage) and their API id: a pure function of the text.
_CONNECT_ARNS: dict[str, str] = {}


class ConnectRequest(NamedTuple):
    """The parts of a ``$connect`` REQUEST event the decision uses."""

    method_arn: str
    api_id: str
    token: str
    origin: str | None
    source_ip: str | None


@functools.cache
def _spellings(name: str) -> frozenset[str]:
    """Every string whose lower case is ``name`` (a lower-case ASCII header name): its ASCII case
    variants, and the Kelvin sign for a ``k`` (the one other character whose lower case is ASCII).
    A headers map is searched for them by one C-level set intersection, not a loop over its names."""
    variants = [""]
    for char in name:
        spellings = (char, char.upper(), "\u212a") if char == "k" else (char, char.upper())
        variants = [v + c for v in variants for c in dict.fromkeys(spellings)]
    return frozenset(variants)


def header_value(event: dict[str, Any], name: str) -> object:
    """The value of header ``name`` (lower case) in ``headers`` (which must be a map when present),
    however cased, or None; ambiguous when ``headers`` has it under two spellings or
    ``multiValueHeaders`` holds more than one value for it."""
    headers = event.get("headers")
    if headers is not None and not isinstance(headers, dict):
        raise Denied("bad_event")
    return _header(headers, event.get("multiValueHeaders"), _spellings(name))


def _header(headers: dict[str, Any] | None, multi: object, spellings: frozenset[str]) -> object:
    """:func:`header_value` once ``headers`` is known to be a map or None."""
    keys = spellings.intersection(headers) if headers else ()
    if len(keys) > 1:
        raise Denied("ambiguous_header")
    if isinstance(multi, dict) and multi:
        count = 0
        for key in spellings.intersection(multi):
            value = multi[key]
            count += len(value) if isinstance(value, list) else 1
        if count > 1:
            raise Denied("ambiguous_header")
    for key in keys:
        return headers[key]  # type: ignore[index]
    return None


_HEADER_SETS: tuple[frozenset[str], frozenset[str]] | None = None
"""``(Authorization's spellings, Authorization's and Origin's)``, once :func:`_header_sets` built them."""


def _header_sets() -> tuple[frozenset[str], frozenset[str]]:
    """:data:`_HEADER_SETS`, built on the first REQUEST event (a few milliseconds and about a megabyte),
    never at import, so a TOKEN authorizer's cold start does not pay for them. Callers read the global
    first (``_HEADER_SETS or _header_sets()``): a global read, not a call, on every later event."""
    global _HEADER_SETS  # noqa: PLW0603 - a per-container constant, built lazily
    if _HEADER_SETS is None:
        authorization = _spellings("authorization")
        _HEADER_SETS = (authorization, authorization | _spellings("origin"))
    return _HEADER_SETS


def _connect_headers(headers: dict[str, Any] | None, multi: object) -> tuple[object, object, bool]:
    """``Authorization`` and ``Origin`` as :func:`header_value` finds each, in one pass over the maps:
    ``(authorization, origin, origin is ambiguous)``; an ambiguous ``Authorization`` raises here."""
    authorization_spellings, connect_headers = _HEADER_SETS or _header_sets()
    authorization_key = origin_key = None
    ambiguous_origin = False
    if headers:
        # Usually one spelling of each (or none): a loop of at most two rounds.
        for key in connect_headers.intersection(headers):
            if key in authorization_spellings:
                if authorization_key is not None:
                    raise Denied("ambiguous_header")
                authorization_key = key
            elif origin_key is not None:
                ambiguous_origin = True
            else:
                origin_key = key
    if isinstance(multi, dict) and multi:
        authorization_count = origin_count = 0
        for key in connect_headers.intersection(multi):
            value = multi[key]
            count = len(value) if isinstance(value, list) else 1
            if key in authorization_spellings:
                authorization_count += count
            else:
                origin_count += count
        if authorization_count > 1:
            raise Denied("ambiguous_header")
        ambiguous_origin = ambiguous_origin or origin_count > 1
    return (
        None if authorization_key is None else headers[authorization_key],  # type: ignore[index]
        None if origin_key is None else headers[origin_key],  # type: ignore[index]
        ambiguous_origin,
    )


def _mapping(event: dict[str, Any], name: str) -> dict[str, Any] | None:
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
    headers = event.get("headers")
    if headers is not None and not isinstance(headers, dict):
        raise Denied("bad_event")
    authorization = _header(headers, event.get("multiValueHeaders"), (_HEADER_SETS or _header_sets())[0])
    if authorization is not None:
        return bearer_token(authorization)
    return _query_token(event, query_parameter)


def _query_token(event: dict[str, Any], query_parameter: str | None) -> str:
    """The JWT from ``query_parameter`` (when configured): :func:`request_token` once no
    ``Authorization`` header was found. A repeated parameter is refused."""
    if query_parameter is None:
        raise Denied("missing_token")
    query = _mapping(event, "queryStringParameters")
    # A parameter repeated in the URL: the multi-value map lists every value, the other keeps one.
    multi = event.get("multiValueQueryStringParameters")
    values = multi.get(query_parameter) if isinstance(multi, dict) else None
    if isinstance(values, list) and len(values) > 1:
        raise Denied("ambiguous_query_parameter")
    token = query.get(query_parameter) if query else None
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
    if not isinstance(method_arn, str):
        raise Denied("bad_method_arn")
    api_id = _CONNECT_ARNS.get(method_arn)
    if api_id is None:
        match = _CONNECT_ARN.fullmatch(method_arn)
        if match is None or match["partition"] not in PARTITIONS:
            raise Denied("bad_method_arn")
        api_id = remember(_CONNECT_ARNS, method_arn, match["api_id"], MAX_REMEMBERED_ARNS)
    headers = event.get("headers")
    if headers is not None and not isinstance(headers, dict):
        raise Denied("bad_event")
    authorization, origin, ambiguous_origin = _connect_headers(headers, event.get("multiValueHeaders"))
    # What request_token does, with the header already found.
    token = bearer_token(authorization) if authorization is not None else _query_token(event, query_parameter)
    identity = context.get("identity")
    source_ip = identity.get("sourceIp") if isinstance(identity, dict) else None
    if ambiguous_origin:
        raise Denied("ambiguous_header")
    # A non-string Origin is no allowed origin: it compares unequal to every entry.
    origin = None if origin is None else origin if isinstance(origin, str) else ""
    source_ip = source_ip if isinstance(source_ip, str) else None
    return new_record(ConnectRequest, (method_arn, api_id, token, origin, source_ip))


def connect_refusal(config: ConnectConfig, request: ConnectRequest, scopes: tuple[str, ...]) -> str | None:
    """Why a verified token may still not connect (a short loggable code), or None to allow."""
    origins = config.allowed_origins
    if origins is not None and request.origin is not None and request.origin not in origins:
        return "origin_not_allowed"
    refusal = address_refusal(config, request.source_ip)
    if refusal is not None:
        return refusal
    if not config.scopes.issubset(scopes):
        return "missing_connect_scope"
    return None


def connect_policy(resource: str, effect: str) -> dict[str, Any]:
    """``Allow`` or ``Deny`` on exactly one resource: the ``$connect`` method ARN (the only route AWS
    authorizes on a WebSocket API), or an HTTP API stage's every route."""
    statement = {"Action": "execute-api:Invoke", "Effect": effect, "Resource": [resource]}
    return {"Version": "2012-10-17", "Statement": [statement]}
