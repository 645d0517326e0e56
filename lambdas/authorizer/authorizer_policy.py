"""The authorizer's answer: an IAM policy that depends on the token alone, and the request context.

API Gateway caches an authorizer's result per token and reuses it for every route of the stage, so the
policy is built from the token's scopes and the API/stage taken from ``methodArn`` -- never from the
invoked method or path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from authorizer_config import Route

PARTITIONS = frozenset(
    {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)
_METHOD_ARN = re.compile(
    r"arn:(?P<partition>[a-z-]+):execute-api:(?P<region>[a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2}):(?P<account>[0-9]{12}):"
    r"(?P<api_id>[a-z0-9]{1,64})/(?P<stage>[A-Za-z0-9_-]{1,128})/[A-Z]+(?:/.*)?",
    re.DOTALL,
)
_SCOPE_CLAIMS = ("scope", "scp", "scopes")
_SCALARS = (str, int, float)  # bool is an int


class BadMethodArn(ValueError):
    """``methodArn`` is not an execute-api ARN of a REST API stage."""


class StageArn(NamedTuple):
    """The parts of ``methodArn`` a policy may use: the stage's ARN prefix and the REST API id."""

    prefix: str
    api_id: str


def parse_method_arn(method_arn: object) -> StageArn:
    """Keep partition, region, account, API id and stage of ``methodArn``; drop method and path."""
    match = _METHOD_ARN.fullmatch(method_arn) if isinstance(method_arn, str) else None
    if match is None or match["partition"] not in PARTITIONS:
        raise BadMethodArn("methodArn is not an execute-api method ARN")
    prefix = (
        f"arn:{match['partition']}:execute-api:{match['region']}:{match['account']}:"
        f"{match['api_id']}/{match['stage']}"
    )
    return StageArn(prefix=prefix, api_id=match["api_id"])


def token_scopes(claims: dict[str, Any]) -> tuple[str, ...]:
    """Scopes from ``scope`` (space-separated) and ``scp``/``scopes`` (lists), in order, deduplicated."""
    found: dict[str, None] = {}
    for name in _SCOPE_CLAIMS:
        value = claims.get(name)
        items: Iterable[object] = (
            value.split(" ") if isinstance(value, str) else value if isinstance(value, list) else ()
        )
        for item in items:
            if isinstance(item, str) and item:
                found[item] = None
    return tuple(found)


def _statement(effect: str, resources: list[str]) -> dict[str, Any]:
    return {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resources}


def build_policy(stage: StageArn, routes: tuple[Route, ...] | None, scopes: Iterable[str]) -> dict[str, Any]:
    """Allow the whole stage, or with ``routes`` allow the routes whose scopes are held and deny the rest."""
    if routes is None:
        statements = [_statement("Allow", [f"{stage.prefix}/*/*"])]
    else:
        held = frozenset(scopes)
        allowed: list[str] = []
        denied: list[str] = []
        for route in routes:
            resource = f"{stage.prefix}/{route.resource_suffix}"
            target = allowed if route.scopes <= held else denied
            if resource not in target:
                target.append(resource)
        statements = []
        if allowed:
            statements.append(_statement("Allow", allowed))
        if denied:
            statements.append(_statement("Deny", denied))
    return {"Version": "2012-10-17", "Statement": statements}


def build_context(claims: dict[str, Any], scopes: tuple[str, ...]) -> dict[str, str | int | float | bool]:
    """Scalar claims only (API Gateway rejects nested values); ``scope`` is the normalised scope list."""
    context: dict[str, str | int | float | bool] = {}
    for name, value in claims.items():
        if isinstance(value, _SCALARS) and name not in _SCOPE_CLAIMS:
            context[name] = value
    if scopes:
        context["scope"] = " ".join(scopes)
    return context
