"""Key guard Lambda with moto (DynamoDB, SNS, SQS, API Gateway) and a fake Logs Insights client."""

from __future__ import annotations

import json
import re
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.stub import Stubber

from tests.lambdas.conftest import lambda_root, load_event, load_handler
from tests.lambdas.key_guard_harness import API_ID, REGION, WINDOW, Env, W

lambda_root("key_guard")

import key_guard_baseline as kb  # noqa: E402
import key_guard_detect as kd  # noqa: E402
import key_guard_query as kq  # noqa: E402
import key_guard_run as kr  # noqa: E402
from key_guard_config import KeyGuardConfigError, load_settings  # noqa: E402

from secure_api.keys.quarantine import (  # noqa: E402
    QUARANTINED_AT_TAG,
    QUARANTINED_TAG,
    QuarantineError,
    quarantine,
    reinstate,
    tag_safe,
)


def _findings(env: Env) -> list[dict[str, Any]]:
    return [json.loads(line) for line in env.lines if '"key guard finding"' in line]


def test_spike_quarantines_the_key_and_notifies_once(aws: Env) -> None:
    key = aws.key("mobile-app")
    aws.warm(key)
    aws.logs.add(key, count=3000)
    result = aws.run(AUTO_QUARANTINE="true")
    assert result.quarantined == [key] and result.notified == 1
    stored = aws.apigw.get_api_key(apiKey=key)
    assert stored["enabled"] is False
    assert stored["tags"][QUARANTINED_TAG].startswith("key-guard spike")
    assert QUARANTINED_AT_TAG in stored["tags"]
    (message,) = aws.messages()
    assert message["reason"] == "spike" and message["consumer"] == "mobile-app"
    assert message["apiKeyId"] == key and message["quarantined"] is True
    assert message["numbers"]["requests"] == 3000
    assert "mobile-app" in message["Subject"] and "disabled" in message["summary"]
    emf = [json.loads(line) for line in aws.lines if '"_aws"' in line]
    assert emf[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "SecureApi/KeyGuard"
    assert emf[0]["Reason"] == "spike" and emf[0]["ApiId"] == API_ID
    aws.assert_no_key_values(json.dumps(message))


def test_exempt_consumer_is_notified_but_not_quarantined(aws: Env) -> None:
    key = aws.key("payments")
    aws.warm(key)
    aws.logs.add(key, count=3000)
    result = aws.run(AUTO_QUARANTINE="true", QUARANTINE_EXEMPT="other, payments")
    assert result.quarantined == [] and result.notified == 1
    assert aws.apigw.get_api_key(apiKey=key)["enabled"] is True
    assert aws.messages()[0]["quarantined"] is False


def test_quarantine_is_off_by_default(aws: Env) -> None:
    key = aws.key("mobile-app")
    aws.warm(key)
    aws.logs.add(key, count=3000)
    assert aws.run().quarantined == []
    assert aws.apigw.get_api_key(apiKey=key)["enabled"] is True


def test_rerun_and_continuing_incident_do_not_notify_twice(aws: Env) -> None:
    key = aws.key("mobile-app")
    aws.warm(key)
    aws.logs.add(key, count=3000)
    aws.logs.add(key, count=3100, at=WINDOW + W)
    assert aws.run().notified == 1
    rerun = aws.run()
    assert rerun.notified == 0 and rerun.skipped == 1
    continuing = aws.run(WINDOW + W)
    assert continuing.findings == 1 and continuing.notified == 0
    assert len(aws.messages()) == 1
    assert [f["newIncident"] for f in _findings(aws)] == [True, False]


def test_a_lost_baseline_write_still_does_not_notify_twice(aws: Env) -> None:
    key = aws.key("mobile-app")
    aws.warm(key)
    aws.logs.add(key, count=3000)
    with (
        mock.patch.object(kb.BaselineStore, "save", side_effect=RuntimeError("crash")),
        pytest.raises(RuntimeError),
    ):
        aws.run()
    assert aws.run().notified == 0
    assert len(aws.messages()) == 1


def test_failed_publish_releases_the_claim(aws: Env) -> None:
    key = aws.key("mobile-app")
    aws.warm(key)
    aws.logs.add(key, count=3000)
    with mock.patch.object(kr, "_publish", side_effect=RuntimeError("sns down")), pytest.raises(RuntimeError):
        aws.run()
    assert aws.run().notified == 1
    assert len(aws.messages()) == 1


def test_unknown_key_is_reported(aws: Env) -> None:
    mine = aws.key("mobile-app")
    foreign = aws.key("elsewhere", api_id="zzzzzzzzzz")
    aws.logs.add(mine, count=20)
    aws.logs.add(foreign, count=7)
    aws.logs.add("deadbeef00", count=3)
    result = aws.run(AUTO_QUARANTINE="true", QUARANTINE_ON="spike,unusual_place,unknown_key")
    assert result.unknown_keys == 2 and result.quarantined == []
    messages = {m["apiKeyId"]: m for m in aws.messages()}
    assert set(messages) == {foreign, "deadbeef00"}
    assert messages["deadbeef00"]["reason"] == "unknown_key"
    assert messages["deadbeef00"]["consumer"] is None
    assert aws.apigw.get_api_key(apiKey=foreign)["enabled"] is True
    aws.assert_no_key_values(*(json.dumps(m) for m in messages.values()))


def test_unusual_place_with_networks_from_the_prefix_query(aws: Env) -> None:
    key = aws.key("partner")
    aws.warm(key)
    aws.logs.add(key, count=90)
    for i in range(12):
        aws.logs.add(key, count=2, ip=f"203.0.{i}.9")
    result = aws.run(AUTO_QUARANTINE="true")
    assert result.quarantined == [key]
    (message,) = aws.messages()
    assert message["reason"] == "unusual_place" and message["numbers"]["newPrefixes"] == 12
    assert any("apiKeyId like" in q for q in aws.logs.queries)


def test_nothing_in_the_window(aws: Env) -> None:
    result = aws.run()
    assert result.keys == 0 and result.findings == 0


def test_handler_reads_env_and_event(aws: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    key = aws.key("mobile-app")
    aws.warm(key)
    aws.logs.add(key, count=3000)
    for name, value in aws.env.items():
        monkeypatch.setenv(name, value)
    module = load_handler("key_guard")
    clients = kr.Clients(logs=aws.logs, dynamodb=aws.ddb, sns=aws.sns, apigateway=aws.apigw)
    monkeypatch.setattr(module, "_clients", lambda: clients)
    out = module.handler(load_event("key_guard_rerun.json"), None)
    assert out["windowStart"] == "2024-01-10T12:00:00+00:00"
    assert out["notified"] == 1 and out["quarantined"] == []


def test_scheduled_event_evaluates_the_last_complete_window() -> None:
    settings = load_settings(
        {"REST_API_ID": "a", "LOG_GROUP_NAME": "g", "TABLE_NAME": "t", "TOPIC_ARN": "arn:aws:sns:x"}
    )
    # 12:07 minus the 2-minute ingestion delay is 12:05: the window 12:00-12:05 is complete.
    assert kr.window_start_for(WINDOW + 7 * 60, settings, load_event("key_guard_scheduled.json")) == WINDOW
    # At 12:06 it is not yet: 11:55-12:00 is evaluated.
    assert kr.window_start_for(WINDOW + 6 * 60, settings, None) == WINDOW - W
    now = WINDOW + 7 * 60
    assert kr.window_start_for(now, settings, {"windowStart": "2024-01-10T12:03:00Z"}) == WINDOW


def test_quarantine_and_reinstate_round_trip(aws: Env) -> None:
    key = aws.key("mobile-app")
    assert reinstate(aws.apigw, rest_api_id=API_ID, api_key_id=key) is False
    reason = "spike: 3000 requests <script> " + "x" * 300
    assert quarantine(aws.apigw, rest_api_id=API_ID, api_key_id=key, reason=reason) is True
    stored = aws.apigw.get_api_key(apiKey=key)
    assert stored["enabled"] is False
    assert stored["tags"][QUARANTINED_TAG] == tag_safe(reason)
    assert len(stored["tags"][QUARANTINED_TAG]) <= 128 and "<" not in stored["tags"][QUARANTINED_TAG]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stored["tags"][QUARANTINED_AT_TAG])
    assert quarantine(aws.apigw, rest_api_id=API_ID, api_key_id=key, reason="again") is False
    assert reinstate(aws.apigw, rest_api_id=API_ID, api_key_id=key) is True
    stored = aws.apigw.get_api_key(apiKey=key)
    assert stored["enabled"] is True
    assert QUARANTINED_TAG not in stored["tags"] and QUARANTINED_AT_TAG not in stored["tags"]
    assert stored["tags"]["secure-api:api"] == API_ID
    assert reinstate(aws.apigw, rest_api_id=API_ID, api_key_id=key) is False


def test_fails_quarantine_of_another_apis_key(aws: Env) -> None:
    key = aws.key("elsewhere", api_id="zzzzzzzzzz")
    with pytest.raises(QuarantineError, match="zzzzzzzzzz"):
        quarantine(aws.apigw, rest_api_id=API_ID, api_key_id=key, reason="spike")
    assert aws.apigw.get_api_key(apiKey=key)["enabled"] is True


def test_run_queries_polls_until_complete_with_stubber() -> None:
    logs = boto3.client("logs", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
    with Stubber(logs) as stub:
        stub.add_response("start_query", {"queryId": "q1"})
        stub.add_response("get_query_results", {"status": "Running", "results": []}, {"queryId": "q1"})
        stub.add_response(
            "get_query_results",
            {"status": "Complete", "results": [[{"field": "apiKeyId", "value": "k1"}]]},
            {"queryId": "q1"},
        )
        sleeps: list[float] = []
        (rows,) = kq.run_queries(
            logs, log_group_name="g", queries=["q"], start_s=0, end_s=300, sleep=sleeps.append
        )
    assert rows == [{"apiKeyId": "k1"}] and sleeps == [1.0]


def test_fails_run_queries_after_timeout_and_stops_the_query() -> None:
    logs = boto3.client("logs", region_name=REGION, aws_access_key_id="x", aws_secret_access_key="y")
    ticks = iter(range(100))
    with Stubber(logs) as stub:
        stub.add_response("start_query", {"queryId": "q1"})
        for _ in range(2):  # at t=1 and t=2; the deadline is t=2
            stub.add_response("get_query_results", {"status": "Running", "results": []}, {"queryId": "q1"})
        stub.add_response("stop_query", {"success": True}, {"queryId": "q1"})
        with pytest.raises(kq.QueryError, match="did not complete"):
            kq.run_queries(
                logs,
                log_group_name="g",
                queries=["q"],
                start_s=0,
                end_s=300,
                timeout_s=2,
                sleep=lambda _: None,
                clock=lambda: float(next(ticks)),
            )
        stub.assert_no_pending_responses()


def test_partitions_stay_under_the_row_cap() -> None:
    counts = {f"{c}{i:09d}": 30 for c in "abc" for i in range(400)}
    counts["zbig000000"] = 50_000
    patterns, covered = kq.plan_partitions(counts, max_rows=8000, max_queries=20)
    assert set(counts) == covered
    for pattern in patterns:
        matched = [k for k in counts if re.match(pattern, k)]
        assert sum(counts[k] for k in matched) <= 8000 or matched == ["zbig000000"]
        assert kq.prefix_query(0, 1, pattern).count("like") == 1
    few, partial = kq.plan_partitions(counts, max_rows=8000, max_queries=1)
    assert len(few) == 1 and len(partial) < len(counts)


@pytest.mark.parametrize(
    ("value", "prefix"),
    [
        ("198.51.100.7", "198.51.100.0/24"),
        ("198.51.100", "198.51.100.0/24"),
        ("2001:db8:abcd:1::5", "2001:db8:abcd::/48"),
        ("2001:db8::1", "2001:db8::/48"),
        ("2001:db8:abcd", "2001:db8:abcd::/48"),
        ("::ffff:203.0.113.9", "203.0.113.0/24"),
        ("-", None),
        ("not-an-ip", None),
    ],
)
def test_network_prefix(value: str, prefix: str | None) -> None:
    assert kq.network_prefix(value) == prefix


def test_fails_bad_settings() -> None:
    base = {"REST_API_ID": "a", "LOG_GROUP_NAME": "g", "TABLE_NAME": "t", "TOPIC_ARN": "arn"}
    with pytest.raises(KeyGuardConfigError, match="TOPIC_ARN"):
        load_settings({k: v for k, v in base.items() if k != "TOPIC_ARN"})
    with pytest.raises(KeyGuardConfigError, match="WINDOW_MINUTES"):
        load_settings({**base, "WINDOW_MINUTES": "7"})
    with pytest.raises(KeyGuardConfigError, match="QUARANTINE_ON"):
        load_settings({**base, "QUARANTINE_ON": "spike,bogus"})
    with pytest.raises(KeyGuardConfigError, match="ACTIVE_HOURS"):
        load_settings({**base, "ACTIVE_HOURS": '{"app": [9]}'})
    with pytest.raises(KeyGuardConfigError, match="AUTO_QUARANTINE"):
        load_settings({**base, "AUTO_QUARANTINE": "maybe"})
    settings = load_settings({**base, "ACTIVE_HOURS": '{"app": [22, 6]}', "QUARANTINE_EXEMPT": " a, b ,"})
    assert settings.active_hours == {"app": (22, 6)}
    assert settings.quarantine_exempt == frozenset({"a", "b"})
    assert settings.auto_quarantine is False
    assert settings.quarantine_on == frozenset({"spike", "unusual_place"})


def test_baseline_item_round_trip() -> None:
    baseline = kd.Baseline(api_key_id="k1", windows_seen=3, last_window=WINDOW, hours_mask=0b101)
    baseline.notified["spike"] = WINDOW
    baseline.prefixes["198.51.100.0/24"] = None
    item = kb.to_item(baseline, now=WINDOW)
    assert item["notified_spike"] == {"N": str(WINDOW)}
    assert kb.from_item(item).to_dict() == baseline.to_dict()


def test_failed_quarantine_is_logged_and_still_notified(aws: Env) -> None:
    key = aws.key("mobile-app")
    aws.warm(key)
    aws.logs.add(key, count=3000)
    with mock.patch.object(kr, "quarantine", side_effect=RuntimeError("throttled")):
        result = aws.run(AUTO_QUARANTINE="true")
    assert result.notified == 1 and result.quarantined == []
    assert aws.messages()[0]["quarantined"] is False
    errors = [json.loads(line) for line in aws.lines if '"ERROR"' in line]
    assert errors[0]["message"] == "key guard quarantine failed" and errors[0]["apiKeyId"] == key


def test_activity_outside_declared_hours_is_unusual_time(aws: Env) -> None:
    key = aws.key("nightly-batch")
    aws.warm(key)
    for i in range(3):
        aws.logs.add(key, count=100, at=WINDOW + i * W)
    declared = {"ACTIVE_HOURS": '{"nightly-batch": [0, 6]}'}
    results = [aws.run(WINDOW + i * W, **declared) for i in range(3)]
    assert [r.findings for r in results] == [0, 0, 1]
    (message,) = aws.messages()
    assert message["reason"] == "unusual_time"
    assert message["numbers"]["declaredActiveHoursUtc"] == [0, 6]
    assert message["numbers"]["sustainedWindows"] == 3


def test_keys_are_found_through_the_apis_own_plans_only(aws: Env) -> None:
    """The guard never lists the account's keys (GetApiKeys, values included with includeValues): it
    reads this API's plans' keys, and keeps no value."""
    own = aws.key("mobile-app")
    foreign = aws.key("other", api_id="otherapi")
    calls: list[str] = []
    proxy = mock.Mock(wraps=aws.apigw)
    proxy.get_paginator.side_effect = lambda name: (calls.append(name), aws.apigw.get_paginator(name))[1]
    known = kr.api_keys(proxy, load_settings(aws.env).usage_plan_ids)
    assert set(known) == {own} and foreign not in known
    assert known[own] == {"id": own, "name": "mobile-app"}
    assert calls == ["get_usage_plan_keys"]
    assert not proxy.get_api_keys.called
