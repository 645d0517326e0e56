"""How far ``SecureRestApi.from_openapi`` scales in one stack, every protection on.

For 10, 100, 1,000 and 3,000 generated operations (half GETs on ``/items{n}/{id}``, half POSTs with a
JSON body on ``/items{n}``, bearer scopes and the API key as in a real document), synthesizes one
stack with CORS, a custom domain, the WAF, the audit trail, usage tiers and consumers and monitoring,
and records the stack's CloudFormation resources, the template's and the OpenAPI definition's size,
where the definition went (inline ``Body`` or an S3 asset included with ``AWS::Include``) and the
seconds to build and synthesize (in one process, after a discarded warm-up run). ``add_route`` is measured beside it for 10 and 100 routes (one
resource, method and CORS preflight each). Writes ``bench/results/openapi_scale.json``.

    .venv/bin/python bench/openapi_scale.py
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
)
from tests.cdk_context import app_context  # noqa: E402
from tests.unit.helpers import inline_function  # noqa: E402

SIZES = (10, 100, 1_000, 3_000)
ADD_ROUTE_SIZES = (10, 100)
OUT = ROOT / "bench" / "results" / "openapi_scale.json"


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
            "schemas": {
                "Item": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "maxLength": 100},
                        "note": {"type": "string", "nullable": True},
                    },
                }
            },
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
        "usage_tiers": [UsageTier("gold")],
        "consumers": [Consumer("app", tier="gold")],
        "monitoring": Monitoring(alarm_email="oncall@example.com"),
    }


def measure(operations: int, *, mode: str) -> dict[str, Any]:
    """Build and synthesize one stack."""
    app = cdk.App(context=app_context())
    stack = cdk.Stack(app, "Scale")
    started = time.perf_counter()
    backend = inline_function(stack)
    if mode == "from_openapi":
        doc = document(operations)
        ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
        api = SecureRestApi.from_openapi(
            stack, "Api", doc, integrations=dict.fromkeys(ids, backend), **options()
        )
    else:
        api = SecureRestApi(stack, "Api", **options())
        for n in range(operations):
            api.add_route("GET" if n % 2 == 0 else "POST", f"/items{n // 2}", backend, scopes=["items:read"])
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
    del api
    return {
        "mode": mode,
        "operations": operations,
        "cloudformation_resources": len(template["Resources"]),
        "api_gateway_methods": types.get("AWS::ApiGateway::Method", 0),
        "api_gateway_resources": types.get("AWS::ApiGateway::Resource", 0),
        "template_bytes": len(template_text.encode()),
        "definition_bytes": body_meta["bytes"] if body_meta else None,
        "definition_storage": body_meta["storage"] if body_meta else "resources",
        "build_seconds": round(built - started, 2),
        "synth_seconds": round(synthesized - built, 2),
        "total_seconds": round(synthesized - started, 2),
    }


def main() -> None:
    """Run every size and write the results."""
    measure(SIZES[0], mode="from_openapi")  # warm-up: the first synth in a process loads jsii and the CDK
    rows = []
    for size in SIZES:
        rows.append(measure(size, mode="from_openapi"))
        print(json.dumps(rows[-1]), flush=True)
    for size in ADD_ROUTE_SIZES:
        rows.append(measure(size, mode="add_route"))
        print(json.dumps(rows[-1]), flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps(
            {
                "benchmark": "bench/openapi_scale.py",
                "protections": sorted(options()),
                "limits": {
                    "cloudformation_resources_per_stack": 500,
                    "cloudformation_template_bytes": 1_000_000,
                    "api_gateway_definition_bytes": 6 * 1024 * 1024,
                    "api_gateway_resources_per_api_default_quota": 300,
                },
                "results": rows,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
