"""The authorizer's answer: an IAM policy that depends on the token alone, and the request context.

API Gateway caches an authorizer's result per token and reuses it for every route of the stage, so the
policy is built from the token's scopes and the API/stage taken from ``methodArn`` -- never from the
invoked method or path.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any, NamedTuple

from authorizer_config import Route
from authorizer_jwt import Denied
from authorizer_memo import remember

PARTITIONS = frozenset(
    {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)
EXECUTE_API_PREFIX = (
    r"arn:(?P<partition>[a-z-]+):execute-api:(?P<region>[a-z]{2,4}(?:-[a-z]+)+-[0-9]{1,2}):(?P<account>[0-9]{12}):"
    r"(?P<api_id>[a-z0-9]{1,64})/"
)
"""The pattern of an execute-api ARN up to its API id and the ``/`` after it (every event's ARN)."""
STAGE_NAME = r"[A-Za-z0-9_-]{1,128}"
"""The pattern of a stage name in an execute-api ARN."""
REST_STAGE_ARN = re.compile(EXECUTE_API_PREFIX + rf"(?P<stage>{STAGE_NAME})")
"""The pattern of a REST API stage's ARN (``methodArn`` up to its stage)."""
MAX_REMEMBERED_STAGES = 256
SCOPE_CLAIMS = frozenset({"scope", "scp", "scopes"})
"""The claims scopes are read from (in the order ``scope``, ``scp``, ``scopes``)."""
_SCALARS = frozenset({str, int, float, bool})


class BadMethodArn(ValueError):
    """``methodArn`` is not an execute-api ARN of a REST API stage."""


class StageArn(NamedTuple):
    """The parts of ``methodArn`` a policy may use: the stage's ARN prefix and the REST API id, and the
    resource of every route of the stage (built once per stage, not per answer)."""

    prefix: str
    api_id: str
    every_route: str


def stage_arn(prefix: str, api_id: str) -> StageArn:
    """The :class:`StageArn` of a validated stage ARN prefix and its API id."""
    return StageArn(prefix, api_id, f"{prefix}/*/*")


def parse_method_arn(method_arn: object) -> StageArn:
    """Keep partition, region, account, API id and stage of ``methodArn``; drop method and path
    (:func:`stage_of` with the REST rules, remembering nothing)."""
    try:
        return stage_of(method_arn, "bad_method_arn", REST_STAGE_ARN, None, {}, {})
    except Denied as error:
        raise BadMethodArn("methodArn is not an execute-api method ARN") from error


def stage_of(  # noqa: PLR0917 -- called positionally on every event (no keyword matching)
    arn: object,
    reason: str,
    stage_pattern: re.Pattern[str],
    default_route: str | None,
    stages: dict[str, StageArn],
    arns: dict[str, StageArn],
) -> StageArn:
    """The stage of an execute-api ARN ``<...>:<apiId>/<stage>/<route>`` (a REST ``methodArn``, an HTTP
    API ``routeArn``), or :class:`Denied` with ``reason``. ``<...>:<apiId>/<stage>`` must match
    ``stage_pattern`` (whose groups name the ``partition`` and ``api_id``); the route, ``<METHOD>``
    optionally followed by ``/`` and a path, or ``default_route``, is checked for shape and dropped.

    Remembered (bounded): each accepted stage in ``stages``, each accepted whole ARN in ``arns`` (a
    client calls the same few routes again and again).
    """
    if not isinstance(arn, str):
        raise Denied(reason)
    stage = arns.get(arn)
    if stage is not None:
        return stage
    head, _, rest = arn.partition("/")
    stage_name, separator, route = rest.partition("/")
    if not separator:
        raise Denied(reason)
    if route != default_route:
        method = route.partition("/")[0]
        if not (method.isascii() and method.isalpha() and method.isupper()):
            raise Denied(reason)
    key = f"{head}/{stage_name}"
    stage = stages.get(key)
    if stage is None:
        match = stage_pattern.fullmatch(key)
        if match is None or match["partition"] not in PARTITIONS:
            raise Denied(reason)
        stage = remember(stages, key, stage_arn(key, match["api_id"]), MAX_REMEMBERED_STAGES)
    return remember(arns, arn, stage, MAX_REMEMBERED_STAGES)


MAX_REMEMBERED_SCOPE_STRINGS = 256
# The scopes of a ``scope`` string (a pure function of its text), for the tokens that carry only that.
_SCOPE_STRINGS: dict[str, tuple[str, ...]] = {}


def token_scopes(claims: dict[str, Any]) -> tuple[str, ...]:
    """Scopes from ``scope`` (space-separated) and ``scp``/``scopes`` (lists), in order, deduplicated."""
    scope = claims.get("scope")
    if type(scope) is str and "scp" not in claims and "scopes" not in claims:
        # The usual token: one space-separated ``scope`` string, which a client sends again and again.
        scopes = _SCOPE_STRINGS.get(scope)
        if scopes is None:
            only = dict.fromkeys(scope.split(" "))
            only.pop("", None)
            scopes = remember(_SCOPE_STRINGS, scope, tuple(only), MAX_REMEMBERED_SCOPE_STRINGS)
        return scopes
    found: dict[str, None] = {}
    for name in ("scope", "scp", "scopes"):
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
    """Allow the whole stage, or with ``routes`` allow the routes whose scopes are held and deny the
    denied routes that an Allow would reach (see ``route_resources``)."""
    if routes is None:  # the usual answer, built in one expression
        return {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": [stage.every_route]}
            ],
        }
    held = frozenset(scopes)
    allowed, denied = route_resources(routes, tuple(route.scopes <= held for route in routes))
    statements = []
    if allowed:
        statements.append(_statement("Allow", [f"{stage.prefix}/{suffix}" for suffix in allowed]))
    if denied:
        statements.append(_statement("Deny", [f"{stage.prefix}/{suffix}" for suffix in denied]))
    return {"Version": "2012-10-17", "Statement": statements}


# --- which resources to allow and deny -------------------------------------------------------------
#
# The policy is cached per token and reused for every route, and in an execute-api ARN ``*`` matches
# any text, ``/`` included: the Deny ``GET/orders/*`` written for ``GET /orders/{id}`` also matches
# ``GET/orders/mine``, a literal sibling the token may call. So a denied route gets an explicit Deny only
# when an Allow would otherwise reach a request API Gateway routes to it; else the absence of an Allow
# denies it (implicitly) without touching any other route. When an Allow reaches a denied route AND that
# route's Deny covers an allowed one (``ANY /{proxy+}`` allowed, ``GET /orders/{id}`` denied,
# ``GET /orders/mine`` allowed), no set of ARN patterns separates them: the Deny stays (fail closed).

_PARAM = "{"
_PROXY = "{+"
_STAR = "*"
_FRESH = "\x00"
"""A path segment equal to no literal segment (a stand-in for any value a parameter takes)."""
_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_LITERAL_RANK, _PARAM_RANK, _PROXY_RANK = 2, 1, 0


class _Template(NamedTuple):
    """A route as API Gateway matches requests against it, and its ARN pattern split at ``/``.

    A request is ``(METHOD, segment, ...)`` split the same way, so that the root ``GET /`` is
    ``("GET", "")`` like its ARN ``GET/``; the pattern's ``*`` (method included) may take several
    segments, as it matches ``/``.
    """

    method: str
    pieces: tuple[str, ...]
    glob: tuple[str, ...]
    rank: tuple[int, ...]


def _template(route: Route) -> _Template:
    pieces = tuple(
        (_PROXY if s.endswith("+}") else _PARAM) if s.startswith("{") else s
        for s in route.path.split("/")[1:]
    )
    rank = tuple(
        _PROXY_RANK if p == _PROXY else _PARAM_RANK if p == _PARAM else _LITERAL_RANK for p in pieces
    )
    return _Template(
        method=route.method,
        pieces=pieces,
        glob=tuple(route.resource_suffix.split("/")),
        rank=(*rank, 0 if route.method == "ANY" else 1),
    )


def _matches(pieces: tuple[str, ...], segments: tuple[str, ...]) -> bool:
    """Whether API Gateway's path template ``pieces`` matches the request path ``segments``."""
    if not pieces:
        return not segments
    head, rest = pieces[0], pieces[1:]
    if head == _PROXY:
        return any(_matches(rest, segments[n:]) for n in range(1, len(segments) - len(rest) + 1))
    if not segments:
        return False
    return (head == _PARAM or head == segments[0]) and _matches(rest, segments[1:])


def _routed_to(templates: tuple[_Template, ...], method: str, segments: tuple[str, ...]) -> set[int]:
    """The declared routes API Gateway sends ``method segments`` to: the most specific match (literal
    over parameter over greedy, segment by segment; a method over ``ANY``), ties all kept."""
    matching = [
        i for i, t in enumerate(templates) if t.method in (method, "ANY") and _matches(t.pieces, segments)
    ]
    if not matching:
        return set()
    best = max(templates[i].rank for i in matching)
    return {i for i in matching if templates[i].rank == best}


def _witnesses(pieces: tuple[str, ...], glob: tuple[str, ...], limit: int) -> set[tuple[str, ...]]:
    """Requests (split at ``/``) that both the template ``pieces`` (literals, ``_PARAM``, ``_PROXY``)
    and the ARN pattern ``glob`` (literals, ``*``: one or more segments) match, up to ``limit`` segments.
    Every value is a literal of either or ``_FRESH``: enough to decide routing and matching for any
    value, since both compare a segment with literals only."""
    found: set[tuple[str, ...]] = set()
    seen: set[tuple[int, int, bool, bool, tuple[str, ...]]] = set()

    def walk(i: int, j: int, in_proxy: bool, in_star: bool, path: tuple[str, ...]) -> None:
        # i, j: the next template and pattern pieces; in_proxy, in_star: the greedy piece (or ``*``)
        # just before them has taken a segment and may take more.
        state = (i, j, in_proxy, in_star, path)
        if state in seen:
            return
        seen.add(state)
        if i == len(pieces) and j == len(glob):
            found.add(path)
        if len(path) >= limit:
            return
        t_options = [(i, _PROXY)] if in_proxy else []
        if i < len(pieces):
            t_options.append((i + 1, pieces[i]))
        g_options = [(j, _STAR)] if in_star else []
        if j < len(glob):
            g_options.append((j + 1, glob[j]))
        for t_next, t_piece in t_options:
            for g_next, g_piece in g_options:
                t_literal = t_piece not in (_PARAM, _PROXY)
                g_literal = g_piece != _STAR
                if t_literal and g_literal and t_piece != g_piece:
                    continue
                segment = t_piece if t_literal else g_piece if g_literal else _FRESH
                walk(t_next, g_next, t_piece == _PROXY, g_piece == _STAR, (*path, segment))

    walk(0, 0, False, False, ())
    return found


def _reaches(templates: tuple[_Template, ...], pattern: int, target: int, limit: int) -> bool:
    """Whether the ARN pattern of route ``pattern`` matches a request API Gateway routes to ``target``."""
    glob, route = templates[pattern].glob, templates[target]
    if glob[0] != _STAR and route.method not in ("ANY", glob[0]):
        return False
    if (
        glob[0] != _STAR
        and glob[1] not in (_STAR, route.pieces[0])
        and route.pieces[0] not in (_PARAM, _PROXY)
    ):
        return False  # different first segments: nothing in common (the common case, decided fast)
    for method in _METHODS if route.method == "ANY" else (route.method,):
        for request in _witnesses((method, *route.pieces), glob, limit):
            if target in _routed_to(templates, method, request[1:]):
                return True
    return False


@functools.lru_cache(maxsize=64)
def route_resources(routes: tuple[Route, ...], allowed: tuple[bool, ...]) -> tuple[list[str], list[str]]:
    """The ``<METHOD>/<path>`` resources to Allow and to Deny when ``allowed[i]`` says whether the
    token may call ``routes[i]``: every allowed route's pattern is allowed, and a denied route's pattern
    is denied only when an allowed pattern reaches a request of that route (else no Allow covers it).
    Cached: a table has few distinct scope sets."""
    templates = tuple(_template(route) for route in routes)
    limit = max((len(t.pieces) for t in templates), default=0) + 3  # the method, and a greedy tail
    allow_ids = [i for i, ok in enumerate(allowed) if ok]
    deny_ids = [i for i, ok in enumerate(allowed) if not ok]
    allow: list[str] = []
    for i in allow_ids:
        if routes[i].resource_suffix not in allow:
            allow.append(routes[i].resource_suffix)
    deny: list[str] = []
    for d in deny_ids:
        suffix = routes[d].resource_suffix
        if suffix in deny:
            continue
        # Nothing allowed: the Deny covers no allowed route, and keeps the answer an explicit refusal.
        if not allow_ids or any(_reaches(templates, a, d, limit) for a in allow_ids):
            deny.append(suffix)
    return allow, deny


def build_context(
    claims: dict[str, Any], scopes: tuple[str, ...], omit: frozenset[str] = SCOPE_CLAIMS
) -> dict[str, str | int | float | bool]:
    """Scalar claims only (API Gateway rejects nested values), none named in ``omit`` (which must hold
    :data:`SCOPE_CLAIMS`); ``scope`` is the normalised scope list."""
    context = claims.copy()
    # Exact types (the JSON parser makes no subclasses), checked in C; a loop only for a nested claim.
    if not _SCALARS.issuperset(map(type, claims.values())):
        context = {name: value for name, value in claims.items() if type(value) in _SCALARS}
    for name in omit.intersection(context):
        del context[name]
    if scopes:
        context["scope"] = " ".join(scopes)
    return context
