"""An HTTP API stage's alarms, insight rules and dashboard (``apply_monitoring`` on an HTTP ``ApiTarget``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from secure_api import Monitoring
from secure_api.api_target import ApiTarget
from secure_api.monitoring import apply_monitoring
from tests.unit.helpers import inline_function, new_stack, resources


def build(authorizer: bool) -> Template:
    _, stack = new_stack()
    api = apigwv2.HttpApi(stack, "Api", create_default_stage=False)
    stage = apigwv2.HttpStage(stack, "Stage", http_api=api, stage_name="prod")
    function: lambda_.IFunction | None = inline_function(stack, "Authorizer") if authorizer else None
    apply_monitoring(
        stack,
        Monitoring(),
        target=ApiTarget.http(api, stage),
        access_log_group=logs.LogGroup(stack, "Logs"),
        logs_key=kms.Key(stack, "Key"),
        topic=sns.Topic(stack, "Topic"),
        authorizer_function=function,
    )
    return Template.from_stack(stack)


@pytest.fixture(scope="module")
def with_lambda() -> Template:
    return build(authorizer=True)


def test_http_metrics_and_dimensions(with_lambda: Template) -> None:
    text = json.dumps(resources(with_lambda, "AWS::CloudWatch::Alarm"))
    assert '"MetricName": "5xx"' in text
    assert '"MetricName": "4xx"' in text
    assert "5XXError" not in text and "4XXError" not in text
    assert '"Name": "Stage", "Value": "prod"' in text


def test_alarms(with_lambda: Template) -> None:
    ids = sorted(resources(with_lambda, "AWS::CloudWatch::Alarm"))
    for expected in (
        "ServerErrorRateAlarm",
        "ClientErrorRateAlarm",
        "LatencyP99Alarm",
        "IntegrationLatencyP99Alarm",
        "ThrottledRequestsAlarm",
        "AuthorizerErrorsAlarm",
        "AuthorizerThrottlesAlarm",
    ):
        assert any(i.startswith(expected) for i in ids), (expected, ids)
    assert not any(i.startswith(("WafBlocked", "KeyGuard")) for i in ids)
    assert resources(with_lambda, "AWS::DynamoDB::Table") == {}  # no key guard: HTTP APIs have no keys


def test_no_authorizer_alarms_without_lambda() -> None:
    ids = sorted(resources(build(authorizer=False), "AWS::CloudWatch::Alarm"))
    assert not any(i.startswith("Authorizer") for i in ids)


def test_insight_rules_on_client_ips_only(with_lambda: Template) -> None:
    rules: dict[str, Any] = resources(with_lambda, "AWS::CloudWatch::InsightRule")
    assert sorted(i[:12] for i in rules) == ["TopClientIps", "TopUnauthori"]
    assert "apiKeyId" not in json.dumps(rules)
    assert len(rules) == 2


def test_dashboard_without_key_guard(with_lambda: Template) -> None:
    (board,) = resources(with_lambda, "AWS::CloudWatch::Dashboard").values()
    body = json.dumps(board["Properties"])
    assert "Key guard" not in body
    assert "Authorizer" in body
