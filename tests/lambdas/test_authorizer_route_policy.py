"""The route-scope policy never gives a wrong answer for a declared route (issue 27, item 6).

The authorizer's policy is cached per token and reused for every route, and in an execute-api ARN ``*``
matches across ``/``: a Deny written for ``GET /orders/{id}`` (``GET/orders/*``) also matches
``GET /orders/mine``. These tests evaluate the emitted policy the way API Gateway does (explicit Deny over
Allow, IAM wildcards) on concrete requests, each sent to the declared route API Gateway would route it
to (literal over parameter over greedy), independently of the authorizer's own reasoning.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.lambdas.conftest import lambda_root

lambda_root("authorizer")

import authorizer_config  # noqa: E402
import authorizer_policy  # noqa: E402

PREFIX = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod"
STAGE = authorizer_policy.parse_method_arn(f"{PREFIX}/GET/x")
METHODS = ("GET", "POST", "DELETE")
LITERALS = ("orders", "mine")
FRESH = ("v1",)
"""A value no route names: what a parameter usually takes."""


# --- an independent model of API Gateway ----------------------------------------------------------


def arn_matches(pattern: str, arn: str) -> bool:
    """IAM's wildcard match: ``*`` any sequence (``/`` included), ``?`` one character, case-sensitive."""
    return _regex(pattern).fullmatch(arn) is not None


@functools.lru_cache(maxsize=4096)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL
    )


def allows(policy: dict[str, Any], arn: str) -> bool:
    """An explicit Deny wins; otherwise an Allow is needed (no statement: implicit deny)."""
    matching = [s["Effect"] for s in policy["Statement"] if any(arn_matches(r, arn) for r in s["Resource"])]
    return "Deny" not in matching and "Allow" in matching


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/")[1:] if s]


def _template_matches(template: list[str], segments: list[str]) -> bool:
    if not template:
        return not segments
    head = template[0]
    if head.endswith("+}"):
        return any(_template_matches(template[1:], segments[n:]) for n in range(1, len(segments) + 1))
    if not segments:
        return False
    return (head.startswith("{") or head == segments[0]) and _template_matches(template[1:], segments[1:])


def _specificity(method: str, path: str) -> tuple[int, ...]:
    kinds = tuple(0 if s.endswith("+}") else 1 if s.startswith("{") else 2 for s in _segments(path))
    return (*kinds, 0 if method == "ANY" else 1)


def route_of(table: dict[str, list[str]], method: str, segments: list[str]) -> set[str]:
    """The route keys API Gateway sends ``method /segments`` to: the most specific match."""
    matching = [
        key
        for key in table
        if key.split(" ")[0] in (method, "ANY") and _template_matches(_segments(key.split(" ")[1]), segments)
    ]
    if not matching:
        return set()
    best = max(_specificity(*key.split(" ")) for key in matching)
    return {key for key in matching if _specificity(*key.split(" ")) == best}


def requests(table: dict[str, list[str]]) -> Iterator[tuple[str, list[str]]]:
    """Concrete requests for every route: each parameter takes every literal of the table and a fresh
    value; a greedy parameter takes one segment to three more than the longest route has."""
    longest = max(len(_segments(key.split(" ")[1])) for key in table)
    pool = sorted({s for key in table for s in _segments(key.split(" ")[1]) if not s.startswith("{")})
    values = [*pool, *FRESH]
    for key in table:
        method, path = key.split(" ")
        choices: list[list[tuple[str, ...]]] = []
        for segment in _segments(path):
            if segment.endswith("+}"):
                choices.append(
                    [p for n in range(1, longest + 4) for p in itertools.product(values, repeat=n)]
                )
            elif segment.startswith("{"):
                choices.append([(v,) for v in values])
            else:
                choices.append([(segment,)])
        for method_ in METHODS if method == "ANY" else (method,):
            for parts in itertools.product(*choices):
                yield method_, [s for part in parts for s in part]


def policy_for(table: dict[str, list[str]], scopes: set[str]) -> dict[str, Any]:
    import json

    routes = authorizer_config.parse_route_scopes(json.dumps(table))
    return authorizer_policy.build_policy(STAGE, routes, scopes)


def _arn(method: str, segments: list[str]) -> str:
    return f"{PREFIX}/{method}/{'/'.join(segments)}"


def wrong_answers(table: dict[str, list[str]], scopes: set[str]) -> list[str]:
    """Every concrete request whose answer differs from "allowed iff the token holds its route's scopes"."""
    policy = policy_for(table, scopes)
    wrong = []
    for method, segments in requests(table):
        routed = route_of(table, method, segments)
        if not routed:
            continue
        expected = all(set(table[key]) <= scopes for key in routed)
        if allows(policy, _arn(method, segments)) != expected:
            wrong.append(f"{method} /{'/'.join(segments)} (routed to {sorted(routed)}): expected {expected}")
    return wrong


# --- the cases of the issue --------------------------------------------------------------------------


def test_literal_sibling_of_a_denied_parameter_route_is_allowed() -> None:
    table = {"GET /orders/{id}": ["orders:read"], "GET /orders/mine": []}
    policy = policy_for(table, set())
    assert allows(policy, f"{PREFIX}/GET/orders/mine")
    assert not allows(policy, f"{PREFIX}/GET/orders/42")
    assert wrong_answers(table, set()) == []
    # No Deny at all: the missing Allow denies /orders/{id} without touching /orders/mine.
    assert [s["Effect"] for s in policy["Statement"]] == ["Allow"]


def test_literal_route_under_a_denied_greedy_route_is_allowed() -> None:
    table = {"ANY /{proxy+}": ["admin"], "GET /health": []}
    policy = policy_for(table, set())
    assert allows(policy, f"{PREFIX}/GET/health")
    assert not allows(policy, f"{PREFIX}/GET/anything/else")
    assert not allows(policy, f"{PREFIX}/POST/health")
    assert wrong_answers(table, set()) == []


def test_denied_literal_under_an_allowed_parameter_route_is_denied() -> None:
    table = {"GET /orders/{id}": [], "GET /orders/mine": ["orders:mine"]}
    policy = policy_for(table, set())
    assert not allows(policy, f"{PREFIX}/GET/orders/mine")
    assert allows(policy, f"{PREFIX}/GET/orders/42")
    assert {
        "Effect": "Deny",
        "Action": "execute-api:Invoke",
        "Resource": [f"{PREFIX}/GET/orders/mine"],
    } in policy["Statement"]


def test_denied_child_of_an_allowed_parameter_route_is_denied() -> None:
    """``GET/orders/*`` also matches ``GET/orders/1/items``: the child needs its Deny."""
    table = {"GET /orders/{id}": [], "GET /orders/{id}/items": ["items:read"]}
    assert wrong_answers(table, set()) == []
    assert not allows(policy_for(table, set()), f"{PREFIX}/GET/orders/1/items")


def test_inexpressible_table_fails_closed() -> None:
    """``ANY /{proxy+}`` allowed, ``GET /orders/{id}`` denied, ``GET /orders/mine`` allowed: no ARN patterns
    allow every path but ``GET /orders/<not mine>``, so the Deny stays (a 403, never a wrong allow)."""
    table = {"ANY /{proxy+}": [], "GET /orders/{id}": ["orders:read"], "GET /orders/mine": []}
    policy = policy_for(table, set())
    assert not allows(policy, f"{PREFIX}/GET/orders/42")
    assert allows(policy, f"{PREFIX}/GET/health")
    wrong = wrong_answers(table, set())
    assert any("routed to ['GET /orders/mine']" in w for w in wrong)
    assert all(w.endswith("expected True") for w in wrong)  # only refusals


def test_nothing_allowed_is_an_explicit_deny() -> None:
    policy = policy_for({"GET /orders/{id}": ["a"], "GET /orders/mine": ["b"]}, set())
    assert [s["Effect"] for s in policy["Statement"]] == ["Deny"]


# --- the property ------------------------------------------------------------------------------------

_SEGMENT = st.sampled_from([*LITERALS, "{id}"])
_PATH = st.tuples(st.lists(_SEGMENT, min_size=0, max_size=2), st.booleans()).map(
    lambda t: "/" + "/".join([*t[0], *(["{proxy+}"] if t[1] else [])])
)
_KEY = st.tuples(st.sampled_from([*METHODS, "ANY"]), _PATH).map(lambda t: f"{t[0]} {t[1]}")
_SCOPES = st.lists(st.sampled_from(["a", "b"]), unique=True, max_size=2)
_TABLE = st.dictionaries(_KEY, _SCOPES, min_size=1, max_size=5)


def _separable(table: dict[str, list[str]], scopes: set[str]) -> bool:
    """Whether no allowed route's ARN pattern reaches a request of a denied route whose own pattern
    matches a request of an allowed route (then no set of ARN patterns can tell them apart)."""
    allowed_keys = {key for key in table if set(table[key]) <= scopes}
    reach: dict[str, set[str]] = {key: set() for key in table}  # pattern of key -> routes it matches
    for method, segments in requests(table):
        arn = _arn(method, segments)
        for routed in route_of(table, method, segments):
            for key in table:
                if arn_matches(f"{PREFIX}/{_suffix(key)}", arn):
                    reach[key].add(routed)
    denied = set(table) - allowed_keys
    return not any(reach[a] & {d} and reach[d] & allowed_keys for a in allowed_keys for d in denied)


def _suffix(key: str) -> str:
    method, path = key.split(" ")
    return (
        ("*" if method == "ANY" else method)
        + "/"
        + "/".join("*" if s.startswith("{") else s for s in path.split("/")[1:])
    )


@settings(max_examples=150, deadline=None, derandomize=True)
@given(table=_TABLE, scopes=_SCOPES)
def test_every_declared_route_is_allowed_iff_the_token_holds_its_scopes(
    table: dict[str, list[str]], scopes: list[str]
) -> None:
    held = set(scopes)
    wrong = wrong_answers(table, held)
    policy = policy_for(table, held)
    # Never a wrong allow, whatever the table.
    for method, segments in requests(table):
        routed = route_of(table, method, segments)
        if routed and not all(set(table[key]) <= held for key in routed):
            assert not allows(policy, _arn(method, segments)), (table, held, method, segments)
    if _separable(table, held):
        assert wrong == [], (table, held, policy)
