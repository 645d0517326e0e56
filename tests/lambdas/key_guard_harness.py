"""The key guard tests' shared harness (``lambdas/key_guard``): a moto world (``Env``: DynamoDB, SNS, SQS,
API Gateway with taggable API keys) and a fake Logs Insights client (``FakeLogs``). The fixture that
builds the world (``aws``) is in ``conftest.py``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import pytest

from tests.lambdas.code_roots import lambda_root

lambda_root("key_guard")

import key_guard_baseline as kb  # noqa: E402
import key_guard_detect as kd  # noqa: E402
import key_guard_run as kr  # noqa: E402
from key_guard_config import load_settings  # noqa: E402

REGION = "us-east-1"
API_ID = "a1b2c3d4e5"
WINDOW = 1_704_888_000  # 2024-01-10T12:00:00Z
W = 300


class FakeLogs:
    """Answers the key guard's Logs Insights queries from in-memory access-log records."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.queries: list[str] = []
        self._pending: dict[str, str] = {}

    def add(
        self, key_id: str, *, count: int, ip: str = "198.51.100.7", status: int = 200, at: int = WINDOW
    ) -> None:
        for i in range(count):
            self.records.append(
                {"apiKeyId": key_id, "ip": ip, "status": status, "requestTimeEpoch": at * 1000 + i}
            )

    def start_query(self, **kwargs: Any) -> dict[str, str]:
        query_id = f"q{len(self.queries)}"
        self.queries.append(kwargs["queryString"])
        self._pending[query_id] = kwargs["queryString"]
        return {"queryId": query_id}

    def get_query_results(self, *, queryId: str) -> dict[str, Any]:
        query = self._pending[queryId]
        low, high = (int(x) for x in re.findall(r"requestTimeEpoch [<>]=? (\d+)", query))
        rows = [r for r in self.records if low <= r["requestTimeEpoch"] < high]
        pattern = re.search(r"apiKeyId like /(.+?)/\n", query)
        if pattern:
            rows = [r for r in rows if re.match(pattern.group(1), r["apiKeyId"])]
            by_pair: dict[tuple[str, str], int] = {}
            for r in rows:
                net = ".".join(r["ip"].split(".")[:3]) if "." in r["ip"] else r["ip"]
                by_pair[(r["apiKeyId"], net)] = by_pair.get((r["apiKeyId"], net), 0) + 1
            results = [
                [
                    {"field": "apiKeyId", "value": k},
                    {"field": "net", "value": n},
                    {"field": "n", "value": str(c)},
                ]
                for (k, n), c in by_pair.items()
            ]
        else:
            per_key: dict[str, list[dict[str, Any]]] = {}
            for r in rows:
                per_key.setdefault(r["apiKeyId"], []).append(r)
            results = [
                [
                    {"field": "apiKeyId", "value": k},
                    {"field": "requests", "value": str(len(rs))},
                    {"field": "errors", "value": str(sum(r["status"] >= 400 for r in rs))},
                    {"field": "errors5xx", "value": str(sum(r["status"] >= 500 for r in rs))},
                    {"field": "ips", "value": str(len({r["ip"] for r in rs}))},
                    {"field": "nets", "value": str(len({".".join(r["ip"].split(".")[:3]) for r in rs}))},
                ]
                for k, rs in per_key.items()
            ]
        return {"status": "Complete", "results": results}

    def stop_query(self, *, queryId: str) -> dict[str, bool]:
        return {"success": True}


class Env:
    """The moto world of one test."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.apigw = boto3.client("apigateway", region_name=REGION)
        self.ddb = boto3.client("dynamodb", region_name=REGION)
        self.sns = boto3.client("sns", region_name=REGION)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.logs = FakeLogs()
        self.ddb.create_table(
            TableName="baselines",
            KeySchema=[{"AttributeName": "apiKeyId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "apiKeyId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.topic = self.sns.create_topic(Name="key-guard")["TopicArn"]
        self.queue = self.sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(QueueUrl=self.queue, AttributeNames=["QueueArn"])[
            "Attributes"
        ]["QueueArn"]
        self.sns.subscribe(TopicArn=self.topic, Protocol="sqs", Endpoint=queue_arn)
        self.lines: list[str] = []
        # The guard finds the API's keys through its usage plans (never the account's whole key list).
        self.plan = self.apigw.create_usage_plan(name="gold")["id"]
        self.env = {
            "USAGE_PLAN_IDS": self.plan,
            "REST_API_ID": API_ID,
            "LOG_GROUP_NAME": "/aws/apigateway/orders/access",
            "TABLE_NAME": "baselines",
            "TOPIC_ARN": self.topic,
            "LEARNING_WINDOWS": "288",
        }
        self.values: list[str] = []

    def key(self, consumer: str, api_id: str = API_ID) -> str:
        created = self.apigw.create_api_key(
            name=consumer, enabled=True, tags={"secure-api:api": api_id, "secure-api:consumer": consumer}
        )
        self.values.append(created["value"])
        if api_id == API_ID:
            self.apigw.create_usage_plan_key(usagePlanId=self.plan, keyId=created["id"], keyType="API_KEY")
        return str(created["id"])

    def warm(self, key_id: str, *, level: int = 100) -> None:
        """Store a baseline of two quiet days at ``level`` requests per window from one network."""
        config = kd.DetectorConfig(learning_windows=288)
        baseline = kd.Baseline(api_key_id=key_id)
        ctx = kd.KeyContext(consumer="x")
        start = WINDOW - 2 * 86400
        for i in range(2 * 288):
            window = kd.KeyWindow(
                api_key_id=key_id, requests=level + i % 5, prefixes=frozenset({"198.51.100.0/24"})
            )
            kd.evaluate_key(window, baseline, ctx, start + i * W, config)
        kb.BaselineStore(self.ddb, "baselines").save([baseline])

    def run(self, window: int = WINDOW, **env: str) -> kr.RunResult:
        settings = load_settings({**self.env, **env})
        clients = kr.Clients(logs=self.logs, dynamodb=self.ddb, sns=self.sns, apigateway=self.apigw)
        return kr.run(settings, clients, window_start=window, emit=self.lines.append, sleep=lambda _: None)

    def messages(self) -> list[dict[str, Any]]:
        out = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return out
            for m in got:
                envelope = json.loads(m["Body"])
                out.append({"Subject": envelope.get("Subject"), **json.loads(envelope["Message"])})
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=m["ReceiptHandle"])

    def assert_no_key_values(self, *texts: str) -> None:
        blob = "\n".join([*self.lines, *texts])
        for value in self.values:
            assert value not in blob
