"""Synth cost: the example stack against a plain aws-cdk-lib app with the same three routes.

Each app runs in a fresh Python process (what ``cdk synth`` does), bundling skipped in both, and the
process's wall time is measured, start to exit; the two are interleaved and each is run ``RUNS`` times;
the medians and their ratio go to ``bench/results/synth.json``. ``--profile`` also writes where the
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
    for _ in range(RUNS):
        for name in APPS:
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


if __name__ == "__main__":
    main(sys.argv[1:])
