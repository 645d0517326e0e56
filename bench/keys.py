"""Benchmark: provisioning 10,000 declared consumers through the provisioner's slices, against moto.

The provisioner works in slices (``secure_api.keys.provision.run_slice``): CDK's provider framework calls
``isComplete`` every 15 s until the work is done, and each call works for at most ``WORK_SECONDS`` (300 s)
and resumes from the progress saved in SSM. This benchmark runs that protocol phase by phase (one custom
resource request each) and reports, per phase: the AWS calls per operation (botocore ``before-call`` hook),
the time API Gateway's rate limits imply (CreateApiKey 5/s, 10/s for its other calls, run in virtual time
through the limiter's injectable clock and sleep) plus the 15 s between isComplete calls, the number of
isComplete invocations and the longest one (each slice's budget runs on that virtual clock), and the wall
time against moto. API latency is not modeled by default (``BENCH_KEYS_LATENCY_S`` adds it per call, on one
worker): the deployed function runs 4 workers that share the limiter, so latency overlaps the rate limits.
Writes ``bench/results/keys.json``.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONSUMERS = int(os.environ.get("BENCH_KEYS_CONSUMERS", "10000"))
LATENCY_S = float(os.environ.get("BENCH_KEYS_LATENCY_S", "0"))
WORK_SECONDS = 300.0  # defaults.KEY_PROVISIONER_WORK_SECONDS (not imported: that pulls in aws_cdk)
QUERY_INTERVAL_S = 15.0  # defaults.KEY_PROVISIONER_QUERY_INTERVAL
CLOUDFORMATION_LIMIT_S = 3600.0
RESULT = ROOT / "bench" / "results" / "keys.json"


class VirtualClock:
    """Time that advances only when the limiter sleeps or a call's modeled latency passes."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.slept += seconds


def count_calls(client: Any, counts: dict[str, int], virtual: VirtualClock) -> None:
    def before_call(model: Any, **_kwargs: Any) -> None:
        counts[model.name] = counts.get(model.name, 0) + 1
        virtual.now += LATENCY_S

    client.meta.events.register("before-call.*.*", before_call)


def main() -> None:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        os.environ[name] = value
    os.environ.pop("AWS_ENDPOINT_URL", None)
    import boto3
    from moto import mock_aws

    from secure_api.keys import ops, provision
    from secure_api.keys.retry import AwsCaller

    with mock_aws():
        ag = boto3.client("apigateway", region_name="us-east-1")
        sm = boto3.client("secretsmanager", region_name="us-east-1")
        api_id = ag.create_rest_api(name="bench")["id"]
        plans = {
            tier: ag.create_usage_plan(
                name=tier, apiStages=[{"apiId": api_id, "stage": "prod"}], tags={"secure-api:tier": tier}
            )["id"]
            for tier in ("gold", "silver")
        }
        counts: dict[str, int] = {}
        virtual = VirtualClock()
        ssm = boto3.client("ssm", region_name="us-east-1")
        for client in (ag, sm, ssm):
            count_calls(client, counts, virtual)
        caller = AwsCaller(clock=virtual.clock, sleep=virtual.sleep)

        class NoRotationCalls:
            """rotate_secret is counted and remembered, not sent (moto would invoke a real Lambda for it);
            list_secrets reports the remembered settings, as Secrets Manager would."""

            def __init__(self, client: Any) -> None:
                self._client = client
                self._rotation: dict[str, dict[str, Any]] = {}

            def __getattr__(self, name: str) -> Any:
                return getattr(self._client, name)

            def rotate_secret(self, *, SecretId: str, **kwargs: Any) -> dict[str, Any]:
                counts["RotateSecret"] = counts.get("RotateSecret", 0) + 1
                virtual.now += LATENCY_S
                self._rotation[SecretId] = {
                    "RotationEnabled": True,
                    "RotationLambdaARN": kwargs["RotationLambdaARN"],
                    "RotationRules": kwargs["RotationRules"],
                }
                return {}

            def list_secrets(self, **kwargs: Any) -> dict[str, Any]:
                response: dict[str, Any] = self._client.list_secrets(**kwargs)
                for item in response.get("SecretList") or []:
                    item.update(self._rotation.get(item.get("Name", ""), {}))
                return response

        clients = ops.Clients(ag, NoRotationCalls(sm))
        tier_plans = {t: [p] for t, p in plans.items()}
        store = provision.SsmProgressStore(ssm, provision.progress_parameter(api_id), caller)
        arn = "arn:aws:lambda:us-east-1:123456789012:function:rotation"

        def provision_request(
            request_id: str, request: str, specs: list[Any], removed: list[str]
        ) -> dict[str, Any]:
            """One custom resource request: isComplete invocations until done, as the waiter runs them."""
            tasks = provision.plan_tasks(request, specs, removed)
            counts.clear()
            start_virtual, start_slept, start_wall = virtual.now, virtual.slept, time.perf_counter()
            longest = 0.0
            invocations = 0
            while True:
                invocations += 1
                began = virtual.now
                progress = provision.resume(store, request_id, tasks, request, arn, "30")
                key_ops = ops.KeyOps(clients, api_id, caller=caller, tier_plans=tier_plans)
                progress = provision.run_slice(
                    key_ops,
                    tasks,
                    progress,
                    store=store,
                    budget=provision.Budget(WORK_SECONDS, clock=virtual.clock),
                    rotation_lambda_arn=arn,
                    rotation_days=30,
                    workers=1,
                )
                longest = max(longest, virtual.now - began)
                if progress.done:
                    break
                virtual.now += QUERY_INTERVAL_S
            modeled = virtual.now - start_virtual
            return {
                "tasks": len(tasks),
                "isComplete_invocations": invocations,
                "max_invocation_modeled_seconds": round(longest, 1),
                "rate_limited_seconds": round(virtual.slept - start_slept, 1),
                "modeled_seconds_with_query_intervals": round(modeled, 1),
                "fits_cloudformation_hour": modeled <= CLOUDFORMATION_LIMIT_S,
                "wall_seconds_moto": round(time.perf_counter() - start_wall, 1),
                "aws_calls": sum(counts.values()),
                "calls_by_operation": dict(sorted(counts.items())),
                "result": dict(progress.counts),
            }

        specs = [
            ops.ConsumerSpec(f"consumer-{i:05d}", "gold" if i % 2 else "silver") for i in range(CONSUMERS)
        ]
        phases: dict[str, Any] = {}
        phases[f"create_{CONSUMERS}"] = provision_request("create", "Create", specs, [])
        phases[f"rerun_unchanged_{CONSUMERS}"] = provision_request("rerun", "Update", specs, [])
        moved = [ops.ConsumerSpec(s.name, "gold") if i < 100 else s for i, s in enumerate(specs)]
        phases["move_tier_100"] = provision_request("move", "Update", moved, [])
        counts.clear()
        rotate_start, rotate_slept = virtual.now, virtual.slept
        key_ops = ops.KeyOps(clients, api_id, caller=caller, tier_plans=tier_plans)
        rotated = key_ops.rotate("consumer-00001").api_key_id != ""
        phases["rotate_1"] = {
            "rate_limited_seconds": round(virtual.slept - rotate_slept, 2),
            "modeled_seconds": round(virtual.now - rotate_start, 2),
            "aws_calls": sum(counts.values()),
            "calls_by_operation": dict(sorted(counts.items())),
            "result": rotated,
        }
        phases["remove_100"] = provision_request(
            "remove", "Update", moved[100:], [s.name for s in moved[:100]]
        )
        phases[f"delete_{CONSUMERS - 100}"] = provision_request("delete", "Delete", moved[100:], [])

    results = {
        "consumers": CONSUMERS,
        "limits": {"CreateApiKey_per_second": 5, "other_apigateway_per_second": 10, "apigateway_burst": 40},
        "model": {
            "latency_seconds_per_call": LATENCY_S,
            "work_seconds_per_invocation": WORK_SECONDS,
            "query_interval_seconds": QUERY_INTERVAL_S,
            "workers": 1,
        },
        "lambda_timeout_seconds": 600,
        "cloudformation_custom_resource_limit_seconds": CLOUDFORMATION_LIMIT_S,
        "phases": phases,
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(results, indent=2) + "\n")
    print(
        f"{'phase':<22} {'calls':>7} {'rate-lim s':>10} {'modeled s':>9} {'invocations':>11} {'max inv s':>9}"
    )
    for name, phase in phases.items():
        print(
            f"{name:<22} {phase['aws_calls']:>7} {phase['rate_limited_seconds']:>10} "
            f"{phase.get('modeled_seconds_with_query_intervals', phase.get('modeled_seconds')):>9} "
            f"{phase.get('isComplete_invocations', '-'):>11} {phase.get('max_invocation_modeled_seconds', '-'):>9}"
        )
    print(f"wrote {RESULT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
