"""Benchmark: provisioning 1,000 consumers through the provisioner logic against moto.

Counts the AWS calls per operation (botocore ``before-call`` hook) and measures two times: the wall time
against moto, and the time API Gateway's rate limits imply (CreateApiKey 5/s, 10/s for the other calls),
run in virtual time through the limiter's injectable clock and sleep. Writes ``bench/results/keys.json``.
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

CONSUMERS = int(os.environ.get("BENCH_KEYS_CONSUMERS", "1000"))
RESULT = ROOT / "bench" / "results" / "keys.json"


class VirtualClock:
    """Time that advances only when the limiter sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def count_calls(client: Any, counts: dict[str, int]) -> None:
    def before_call(model: Any, **_kwargs: Any) -> None:
        counts[model.name] = counts.get(model.name, 0) + 1

    client.meta.events.register("before-call.*.*", before_call)


def run_phase(key_ops: Any, counts: dict[str, int], virtual: VirtualClock, action: Any) -> dict[str, Any]:
    counts.clear()
    start_virtual = virtual.now
    start = time.perf_counter()
    data = action()
    wall = time.perf_counter() - start
    return {
        "wall_seconds": round(wall, 2),
        "rate_limited_seconds": round(virtual.now - start_virtual, 2),
        "aws_calls": sum(counts.values()),
        "calls_by_operation": dict(sorted(counts.items())),
        "result": data,
    }


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

    from secure_api.keys import ops
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
        count_calls(ag, counts)
        count_calls(sm, counts)
        virtual = VirtualClock()
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

        key_ops = ops.KeyOps(
            ops.Clients(ag, NoRotationCalls(sm)),
            api_id,
            caller=caller,
            tier_plans={t: [p] for t, p in plans.items()},
        )
        specs = [
            ops.ConsumerSpec(f"consumer-{i:04d}", "gold" if i % 2 else "silver") for i in range(CONSUMERS)
        ]
        arn = "arn:aws:lambda:us-east-1:123456789012:function:rotation"
        phases = {
            f"create_{CONSUMERS}": run_phase(
                key_ops,
                counts,
                virtual,
                lambda: key_ops.converge(specs, rotation_lambda_arn=arn, rotation_days=30),
            ),
            f"rerun_unchanged_{CONSUMERS}": run_phase(
                key_ops,
                counts,
                virtual,
                lambda: key_ops.converge(specs, rotation_lambda_arn=arn, rotation_days=30),
            ),
        }
        moved = [ops.ConsumerSpec(s.name, "gold") if i < 100 else s for i, s in enumerate(specs)]
        phases["move_tier_100"] = run_phase(
            key_ops,
            counts,
            virtual,
            lambda: key_ops.converge(moved, rotation_lambda_arn=arn, rotation_days=30),
        )
        phases["rotate_1"] = run_phase(
            key_ops, counts, virtual, lambda: key_ops.rotate("consumer-0001").api_key_id != ""
        )
        phases["remove_100"] = run_phase(
            key_ops,
            counts,
            virtual,
            lambda: key_ops.converge(
                moved[100:], removed=[s.name for s in moved[:100]], rotation_lambda_arn=arn, rotation_days=30
            ),
        )

    results = {
        "consumers": CONSUMERS,
        "limits": {"CreateApiKey_per_second": 5, "other_apigateway_per_second": 10, "apigateway_burst": 40},
        "lambda_timeout_seconds": 900,
        "phases": phases,
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(results, indent=2) + "\n")
    print(f"{'phase':<22} {'aws calls':>9} {'moto wall s':>11} {'rate-limited s':>14}")
    for name, phase in phases.items():
        print(
            f"{name:<22} {phase['aws_calls']:>9} {phase['wall_seconds']:>11} {phase['rate_limited_seconds']:>14}"
        )
    print(f"wrote {RESULT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
