"""Synth cost: the example stack against a plain aws-cdk-lib app with the same three routes, and the
route engine at 10, 100, 1,000 and 3,000 routes against plain aws-cdk-lib apps with the same routes.

Each app runs in a fresh Python process (what ``cdk synth`` does), bundling skipped in both, and the
process's wall time is measured, start to exit; the apps are interleaved and each is run ``RUNS``
times (``ROUTE_RUNS`` for the route counts); the medians and their ratios go to
``bench/results/synth.json``. At each route count the secure app is ``bench/openapi_scale.py``'s
(``add_route``, every protection on); the plain apps declare the same routes with aws-cdk-lib alone,
as a ``RestApi`` with a resource and method per route (only while it fits in 500 resources) and as a
``SpecRestApi`` with the same routes in an inline OpenAPI body. ``--profile`` also writes where the
example's process spends its time (import of each top-level module, construction, synth).

    .venv/bin/python bench/synth.py [--profile]
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
ROUTE_RUNS = 3
ROUTE_COUNTS = (10, 100, 1_000, 3_000)
PLAIN_RESOURCES_MAX_ROUTES = 100  # a RestApi with a resource and a method per route: 1,000 exceed 500

_TIMED = """
import time, json, sys
t0 = time.perf_counter()
import aws_cdk as cdk
{imports}
t1 = time.perf_counter()
from tests.cdk_context import app_context
app = cdk.App(context=app_context(), outdir=sys.argv[1])
{body}
t2 = time.perf_counter()
app.synth()
t3 = time.perf_counter()
print(json.dumps({{"import_s": t1 - t0, "construct_s": t2 - t1, "synth_s": t3 - t2}}))
"""

APPS = {
    "example": {
        "imports": "from example.stack import ExampleStack",
        "body": 'ExampleStack(app, "SecureApiExample")',
    },
    "plain": {
        "imports": "from aws_cdk import aws_apigateway as apigw, aws_lambda as lambda_",
        "body": """
stack = cdk.Stack(app, "Plain")
fn = lambda_.Function(stack, "Orders", runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler",
                      code=lambda_.Code.from_asset("example/orders"))
api = apigw.RestApi(stack, "Api", deploy_options=apigw.StageOptions(stage_name="prod"))
orders = api.root.add_resource("orders")
integration = apigw.LambdaIntegration(fn)
orders.add_method("GET", integration)
orders.add_resource("{id}").add_method("GET", integration)
orders.add_method("POST", integration)
""",
    },
}


_PLAIN_ROUTES = """
stack = cdk.Stack(app, "Plain")
fn = lambda_.Function(stack, "Backend", runtime=lambda_.Runtime.PYTHON_3_13, handler="index.handler",
                      code=lambda_.Code.from_inline("def handler(event, context):\\n    return {{}}\\n"))
n_routes = {routes}
"""

for _n in ROUTE_COUNTS:
    APPS[f"secure_{_n}"] = {
        "imports": "sys.path.insert(0, 'bench')\nfrom openapi_scale import build",
        "body": f'build(cdk.Stack(app, "Scale"), {_n}, mode="add_route")',
    }
    APPS[f"plain_body_{_n}"] = {
        "imports": "from aws_cdk import aws_apigateway as apigw, aws_lambda as lambda_",
        "body": _PLAIN_ROUTES.format(routes=_n)
        + """
uri = cdk.Fn.sub("arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${F}/invocations",
                 {"F": fn.function_arn})
integration = {"type": "aws_proxy", "httpMethod": "POST", "uri": uri}
paths = {}
for n in range(n_routes):
    if n % 2 == 0:
        paths[f"/items{n // 2}/{{id}}"] = {"get": {"responses": {"200": {"description": "ok"}},
                                                 "x-amazon-apigateway-integration": integration}}
    else:
        paths[f"/items{n // 2}"] = {"post": {"responses": {"200": {"description": "ok"}},
                                           "x-amazon-apigateway-integration": integration}}
api = apigw.SpecRestApi(stack, "Api", api_definition=apigw.ApiDefinition.from_inline(
    {"openapi": "3.0.1", "info": {"title": "plain", "version": "1"}, "paths": paths}))
fn.add_permission("Invoke", principal=cdk.aws_iam.ServicePrincipal("apigateway.amazonaws.com"),
                  source_arn=api.arn_for_execute_api())
""",
    }
    if _n <= PLAIN_RESOURCES_MAX_ROUTES:
        APPS[f"plain_resources_{_n}"] = {
            "imports": "from aws_cdk import aws_apigateway as apigw, aws_lambda as lambda_",
            "body": _PLAIN_ROUTES.format(routes=_n)
            + """
api = apigw.RestApi(stack, "Api")
integration = apigw.LambdaIntegration(fn)
for n in range(n_routes):
    if n % 2 == 0:
        api.root.resource_for_path(f"/items{n // 2}/{{id}}").add_method("GET", integration)
    else:
        api.root.resource_for_path(f"/items{n // 2}").add_method("POST", integration)
""",
        }


def run_once(name: str) -> dict[str, float]:
    """One fresh process synthesizing app ``name``: its wall time and its own phase times."""
    app = APPS[name]
    code = _TIMED.format(imports=app["imports"], body=app["body"])
    env = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    with tempfile.TemporaryDirectory(prefix="secure-api-synth-bench-") as outdir:
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", code, outdir],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        wall = time.perf_counter() - start
    phases: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"wall_s": wall, **phases}


def profile_imports() -> dict[str, float]:
    """``python -X importtime`` of the example's imports: cumulative seconds of the heaviest modules."""
    code = "import aws_cdk\nfrom example.stack import ExampleStack"
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    cumulative: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        parts = [p.strip() for p in line.split("|")]
        if len(parts) == 3 and parts[1].isdigit():
            cumulative[parts[2].strip()] = int(parts[1]) / 1e6
    top = sorted(cumulative.items(), key=lambda kv: -kv[1])[:15]
    return {name: round(seconds, 3) for name, seconds in top}


def main(argv: list[str]) -> None:
    """Measure, write the JSON and print the medians and the ratio."""
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in APPS}
    run_once("plain")  # warm the OS file cache once; not counted
    for run in range(RUNS):
        for name in APPS:
            if name in ("example", "plain") or run < ROUTE_RUNS:
                samples[name].append(run_once(name))
    medians = {
        name: {key: round(statistics.median(s[key] for s in runs), 3) for key in runs[0]}
        for name, runs in samples.items()
    }
    result: dict[str, Any] = {
        "what": "process wall time of synthesizing each app in a fresh Python process, bundling skipped",
        "runs": RUNS,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
        "median": medians,
        "ratio_example_to_plain": round(medians["example"]["wall_s"] / medians["plain"]["wall_s"], 2),
        "routes": {
            str(n): {
                "secure_add_route_wall_s": medians[f"secure_{n}"]["wall_s"],
                "plain_spec_rest_api_wall_s": medians[f"plain_body_{n}"]["wall_s"],
                "ratio_secure_to_plain_spec_rest_api": round(
                    medians[f"secure_{n}"]["wall_s"] / medians[f"plain_body_{n}"]["wall_s"], 2
                ),
                **(
                    {
                        "plain_rest_api_wall_s": medians[f"plain_resources_{n}"]["wall_s"],
                        "ratio_secure_to_plain_rest_api": round(
                            medians[f"secure_{n}"]["wall_s"] / medians[f"plain_resources_{n}"]["wall_s"], 2
                        ),
                    }
                    if n <= PLAIN_RESOURCES_MAX_ROUTES
                    else {"plain_rest_api": f"more than 500 resources: CDK refuses {n} routes"}
                ),
            }
            for n in ROUTE_COUNTS
        },
        "samples": samples,
    }
    if "--profile" in argv:
        result["example_import_profile_s"] = profile_imports()
    out = ROOT / "bench" / "results" / "synth.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    for name, m in medians.items():
        print(f"{name}: {m}")
    print(f"ratio example/plain: {result['ratio_example_to_plain']}")
    print(json.dumps(result["routes"], indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
