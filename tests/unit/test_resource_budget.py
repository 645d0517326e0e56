"""How many routes fit in CloudFormation's 500 resources: all of them, whichever way they are declared.

Routes live in the REST API's OpenAPI body: a route costs no ``AWS::ApiGateway::Resource`` or
``Method``, with or without CORS or throttles. The 3,000-route stack of ``bench/openapi_scale.py``
(every protection on, two usage tiers with method throttles) is built here both ways, and the README's
route-budget table is kept equal to the benchmark's results file.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from secure_api import CorsPolicy, Throttle
from tests.cdk_context import app_context
from tests.unit.helpers import api_stack, inline_function, operations

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 500


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("openapi_scale", ROOT / "bench" / "openapi_scale.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _count(stack: cdk.Stack) -> int:
    return len(Template.from_stack(stack).to_json()["Resources"])


def _path(i: int, depth: int) -> str:
    # /items{i}/{id}/parts/{partId}...: a fresh first segment, then alternating params and words.
    tail = ["{id}", "parts", "{partId}", "notes", "{noteId}"][: depth - 1]
    return "/" + "/".join([f"items{i}", *tail])


@pytest.mark.parametrize("depth", [1, 3])
@pytest.mark.parametrize("cors", [False, True])
def test_a_route_costs_no_resource_at_any_depth_with_or_without_cors(depth: int, cors: bool) -> None:
    def build(n: int) -> tuple[int, Template]:
        stack, api = api_stack(cors=CorsPolicy(["https://app.example.com"]) if cors else None)
        backend = inline_function(stack, "More")
        for i in range(n + 1):
            api.add_route(
                "GET",
                _path(i, depth),
                backend,
                auth="iam",
                throttle=Throttle(rate_limit=10, burst_limit=20) if i else None,
            )
        template = Template.from_stack(stack)
        return len(template.to_json()["Resources"]), template

    (few, _), (many, template) = build(0), build(20)
    assert many == few
    assert sum(1 for key in operations(template) if key.startswith("OPTIONS ")) == (22 if cors else 0)


@pytest.mark.parametrize("mode", ["add_route", "from_openapi"])
def test_3000_routes_with_every_protection_fit_in_one_stack(mode: str) -> None:
    bench = _bench()
    app = cdk.App(context=app_context())
    stack = cdk.Stack(app, "Scale")
    api = bench.build(stack, 3_000, mode=mode)
    template = Template.from_stack(stack).to_json()
    assert len(template["Resources"]) < LIMIT
    assert len(api.routes) == 3_000
    assert api._openapi.storage == "s3"
    assert not [r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::Method"]


def test_readme_route_budget_table_is_the_benchmarks() -> None:
    bench = _bench()
    results = json.loads((ROOT / "bench" / "results" / "openapi_scale.json").read_text())
    assert {(row["mode"], row["operations"]) for row in results["results"]} == {
        (mode, size) for mode in bench.MODES for size in bench.SIZES
    }
    text = (ROOT / "README.md").read_text()
    start = text.index(bench.MARKERS[0]) + len(bench.MARKERS[0])
    assert text[start : text.index(bench.MARKERS[1])].strip() == bench.readme_table(results)
