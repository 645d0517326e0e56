"""How far a ``SecureRestApi`` scales in one stack, every protection on, whichever way its routes are
declared (one route engine: both render the same OpenAPI body).

For 10, 100, 1,000 and 3,000 routes (half GETs on ``/items{n}/{id}`` with a required header, half
POSTs with a JSON body on ``/items{n}``, bearer scopes and the API key), declared with ``add_route``
and from an OpenAPI document, synthesizes one stack with CORS, a custom domain, the WAF, the audit
trail, two usage tiers with method throttles and consumers, and monitoring, and records the stack's
CloudFormation resources, the template's and the OpenAPI definition's size, where the definition
went (inline ``Body`` or an S3 asset included with ``AWS::Include``) and the seconds to build and
synthesize (in one process, after a discarded warm-up run). Writes
``bench/results/openapi_scale.json`` and the README's route-budget table (between its
``route-budget`` markers) from it.

    .venv/bin/python bench/openapi_scale.py [--sizes 10,100]
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aws_cdk as cdk  # noqa: E402

from secure_api import (  # noqa: E402
    AccessPolicy,
    AuditTrail,
    BearerAuth,
    Consumer,
    CorsPolicy,
    CustomDomain,
    Firewall,
    Monitoring,
    SecureRestApi,
    Throttle,
    UsageTier,
    defaults,
)
from secure_api.rest.limits import path_resources  # noqa: E402
from tests.cdk_context import app_context  # noqa: E402
from tests.unit.helpers import inline_function  # noqa: E402

SIZES = (10, 100, 1_000, 3_000)
MODES = ("add_route", "from_openapi")
OUT = ROOT / "bench" / "results" / "openapi_scale.json"
README = ROOT / "README.md"
MARKERS = (
    "<!-- route-budget:start (bench/openapi_scale.py writes this table) -->",
    "<!-- route-budget:end -->",
)
ITEM_SCHEMA = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "maxLength": 100},
        "note": {"type": "string", "nullable": True},
    },
}


def document(operations: int) -> dict[str, Any]:
    """A document with ``operations`` operations."""
    paths: dict[str, Any] = {}
    for n in range(operations):
        if n % 2 == 0:
            paths[f"/items{n // 2}/{{id}}"] = {
                "get": {
                    "operationId": f"get{n}",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                        {"name": "X-Tenant", "in": "header", "required": True, "schema": {"type": "string"}},
                    ],
                    "responses": {"200": {"description": "ok"}},
                }
            }
        else:
            paths[f"/items{n // 2}"] = {
                "post": {
                    "operationId": f"post{n}",
                    "security": [{"oauth": [f"items{n // 2}:write"], "key": []}],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
                    },
                    "responses": {"201": {"description": "created"}},
                }
            }
    return {
        "openapi": "3.0.3",
        "info": {"title": "scale", "version": "1"},
        "security": [{"oauth": ["items:read"], "key": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "oauth": {
                    "type": "oauth2",
                    "flows": {"clientCredentials": {"tokenUrl": "https://login.example.com/t", "scopes": {}}},
                },
                "key": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            },
            "schemas": {"Item": ITEM_SCHEMA},
        },
    }


def options() -> dict[str, Any]:
    """Every protection on."""
    return {
        "access": AccessPolicy(allow_ip_ranges=["203.0.113.0/24"]),
        "cors": CorsPolicy(["https://app.example.com"]),
        "domain": CustomDomain(
            domain_name="api.example.com",
            hosted_zone_id="Z0123456789ABCDEFGHIJ",
            hosted_zone_name="example.com",
        ),
        "firewall": Firewall(),
        "audit": AuditTrail(),
        "auth": BearerAuth(issuer="https://login.example.com/", audience=["scale"]),
        "throttle": Throttle(rate_limit=1000, burst_limit=2000),
        "usage_tiers": [
            UsageTier(
                name,
                throttle=Throttle(rate_limit=rate, burst_limit=2 * rate),
                method_throttles={
                    "GET /items0/{id}": Throttle(rate_limit=rate // 10, burst_limit=rate // 5),
                    "POST /items0": Throttle(rate_limit=rate // 10, burst_limit=rate // 5),
                },
            )
            for name, rate in (("gold", 500), ("silver", 50))
        ],
        "consumers": [Consumer("app", tier="gold"), Consumer("partner", tier="silver")],
        "monitoring": Monitoring(alarm_email="oncall@example.com"),
    }


def build(stack: cdk.Stack, operations: int, *, mode: str) -> SecureRestApi:
    """The benchmark's API in ``stack``: ``operations`` routes declared one way or the other."""
    backend = inline_function(stack)
    if mode == "from_openapi":
        doc = document(operations)
        ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
        return SecureRestApi.from_openapi(
            stack, "Api", doc, integrations=dict.fromkeys(ids, backend), **options()
        )
    api = SecureRestApi(stack, "Api", **options())
    for n in range(operations):
        if n % 2 == 0:
            api.add_route(
                "GET",
                f"/items{n // 2}/{{id}}",
                backend,
                scopes=["items:read"],
                required_parameters=["header.X-Tenant"],
            )
        else:
            api.add_route(
                "POST",
                f"/items{n // 2}",
                backend,
                scopes=[f"items{n // 2}:write"],
                request_schema=ITEM_SCHEMA,
            )
    return api


def measure(operations: int, *, mode: str) -> dict[str, Any]:
    """Build and synthesize one stack."""
    app = cdk.App(context=app_context())
    stack = cdk.Stack(app, "Scale")
    started = time.perf_counter()
    api = build(stack, operations, mode=mode)
    built = time.perf_counter()
    assembly = app.synth()
    synthesized = time.perf_counter()
    artifact = assembly.get_stack_artifact(stack.artifact_id)
    template_text = Path(artifact.template_full_path).read_text()
    template = json.loads(template_text)
    body_meta = None
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::ApiGateway::RestApi":
            body_meta = resource.get("Metadata", {}).get("secure-api:openapi")
    types: dict[str, int] = {}
    for resource in template["Resources"].values():
        types[resource["Type"]] = types.get(resource["Type"], 0) + 1
    return {
        "mode": mode,
        "operations": operations,
        "cloudformation_resources": len(template["Resources"]),
        "api_gateway_methods": types.get("AWS::ApiGateway::Method", 0),
        "api_gateway_resources": types.get("AWS::ApiGateway::Resource", 0),
        "path_resources": path_resources(api._openapi.routes),
        "template_bytes": len(template_text.encode()),
        "definition_bytes": body_meta["bytes"] if body_meta else None,
        "definition_storage": body_meta["storage"] if body_meta else "resources",
        "build_seconds": round(built - started, 2),
        "synth_seconds": round(synthesized - built, 2),
        "total_seconds": round(synthesized - started, 2),
    }


def readme_table(results: dict[str, Any]) -> str:
    """The README's route-budget table, from ``bench/results/openapi_scale.json``'s content."""
    lines = [
        "| declared with | routes | CloudFormation resources | template | OpenAPI definition | stored | "
        "API Gateway path resources | build + synth |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for row in results["results"]:
        lines.append(
            f"| `{row['mode']}` | {row['operations']:,} | {row['cloudformation_resources']} | "
            f"{row['template_bytes'] / 1000:.0f} KB | {row['definition_bytes'] / 1000:.0f} KB | "
            f"{row['definition_storage']} | {row['path_resources']:,} | {row['total_seconds']:.1f} s |"
        )
    return "\n".join(lines)


def write_readme(results: dict[str, Any]) -> None:
    """Replace the README's table between ``MARKERS`` with ``readme_table(results)``."""
    text = README.read_text()
    start, end = text.index(MARKERS[0]) + len(MARKERS[0]), text.index(MARKERS[1])
    README.write_text(text[:start] + "\n" + readme_table(results) + "\n" + text[end:])


def main(argv: list[str]) -> None:
    """Run every size both ways and write the results and the README's table."""
    sizes = SIZES
    if "--sizes" in argv:
        sizes = tuple(int(n) for n in argv[argv.index("--sizes") + 1].split(","))
    measure(10, mode="from_openapi")  # warm-up: the first synth in a process loads jsii and the CDK
    rows = []
    for mode in MODES:
        for size in sizes:
            rows.append(measure(size, mode=mode))
            print(json.dumps(rows[-1]), flush=True)
    results = {
        "benchmark": "bench/openapi_scale.py",
        "protections": sorted(options()),
        "limits": {
            "cloudformation_resources_per_stack": defaults.CLOUDFORMATION_MAX_RESOURCES,
            "cloudformation_template_bytes": defaults.CLOUDFORMATION_MAX_TEMPLATE_BYTES,
            "api_gateway_definition_bytes": defaults.OPENAPI_MAX_DEFINITION_BYTES,
            "api_gateway_resources_per_api_default_quota": defaults.API_GATEWAY_DEFAULT_RESOURCES_PER_API,
        },
        "results": rows,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2) + "\n")
    write_readme(results)
    print(f"wrote {OUT.relative_to(ROOT)} and README.md's route-budget table")


if __name__ == "__main__":
    main(sys.argv[1:])
