"""How many routes fit in CloudFormation's 500 resources: the rule, measured on synthesized templates.

A route costs one ``AWS::ApiGateway::Resource`` per path segment that does not exist yet, its
``AWS::ApiGateway::Method``, and, with CORS, one ``OPTIONS`` method on a resource that gets its first
method. Throttles (stage method settings, usage-plan method limits) are properties and cost nothing.
The README states the rule and the example stack's room per path depth; this test keeps both true.
"""

from __future__ import annotations

import re
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from example.stack import ExampleStack
from secure_api import CorsPolicy, Throttle
from tests.cdk_context import app_context
from tests.unit.helpers import api_stack, inline_function

README = Path(__file__).resolve().parents[2] / "README.md"
LIMIT = 500


def _count(stack: cdk.Stack) -> int:
    return len(Template.from_stack(stack).to_json()["Resources"])


def _path(i: int, depth: int) -> str:
    # /items{i}/{id}/parts/{partId}...: a fresh first segment, then alternating params and words.
    tail = ["{id}", "parts", "{partId}", "notes", "{noteId}"][: depth - 1]
    return "/" + "/".join([f"items{i}", *tail])


def _cost(depth: int, *, cors: bool, routes: int = 3, throttle: bool = False) -> float:
    def build(n: int) -> int:
        stack, api = api_stack(cors=CorsPolicy(["https://app.example.com"]) if cors else None)
        backend = inline_function(stack, "More")
        for i in range(n + 1):
            api.add_route(
                "GET",
                _path(i, depth),
                backend,
                auth="iam",
                throttle=Throttle(rate_limit=10, burst_limit=20) if throttle and i else None,
            )
        return _count(stack)

    return (build(routes) - build(0)) / routes


def rule(depth: int, *, cors: bool) -> int:
    """Resources a route with ``depth`` new path segments costs."""
    return depth + 1 + (1 if cors else 0)


@pytest.mark.parametrize("depth", [1, 2, 3])
@pytest.mark.parametrize("cors", [False, True])
def test_the_cost_of_a_route_is_its_new_segments_its_method_and_options(depth: int, cors: bool) -> None:
    assert _cost(depth, cors=cors) == rule(depth, cors=cors)


def test_throttles_and_a_second_method_on_a_resource_cost_no_resource() -> None:
    assert _cost(2, cors=True, throttle=True) == rule(2, cors=True)

    def build(methods: tuple[str, ...]) -> int:
        stack, api = api_stack(cors=CorsPolicy(["https://app.example.com"]))
        backend = inline_function(stack, "More")
        for method in methods:
            api.add_route(method, "/orders/{id}", backend, auth="iam")
        return _count(stack)

    # The second method's resource and OPTIONS exist already: it adds its method only.
    assert build(("GET", "PUT")) - build(("GET",)) == 1


@pytest.fixture(scope="module")
def example_room() -> tuple[int, dict[int, int]]:
    """The example stack's resources (with one more backend function) and its room per path depth."""
    stack = ExampleStack(cdk.App(context=app_context()), "Room")
    stack.api.add_route("GET", _path(0, 1), inline_function(stack, "Many"))
    base = _count(stack)
    return base, {d: (LIMIT - base) // rule(d, cors=True) for d in (1, 2, 3)}


def test_readme_states_the_rule_and_the_example_stacks_room(example_room: tuple[int, dict[int, int]]) -> None:
    _, room = example_room
    text = " ".join(README.read_text().split())
    assert "one resource per new path segment" in text
    stated = re.search(
        r"room for (\d+) routes one segment deep \(`/items1`\), (\d+) two deep \(`/items1/\{id\}`\) "
        r"and (\d+) three deep",
        text,
    )
    assert stated is not None, "the README states the example stack's room per depth"
    assert [int(g) for g in stated.groups()] == [room[1], room[2], room[3]]


def test_the_stated_room_fits_and_one_more_route_does_not(example_room: tuple[int, dict[int, int]]) -> None:
    _, room = example_room

    def build(routes: int) -> int:
        stack = ExampleStack(cdk.App(context=app_context()), "Full")
        backend = inline_function(stack, "Many")
        stack.api.add_route("GET", _path(0, 1), backend)
        for i in range(1, routes + 1):
            stack.api.add_route("GET", _path(i, 2), backend)
        return _count(stack)

    assert build(room[2]) <= LIMIT
    with pytest.raises(RuntimeError, match="TooManyResourcesInStack"):
        build(room[2] + 1)
