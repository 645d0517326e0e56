"""What a WebSocket API shares with REST APIs: one audit trail per stack, control-plane alarms narrowed
to this API, and WebSocket metrics on this API's stage."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from secure_api import BearerAuth, SecureRestApi, SecureWebSocketApi
from tests.unit.helpers import inline_function, new_stack

AUTH = BearerAuth(issuer="https://login.example.com/", audience=["chat"])


def of_type(template: dict[str, Any], type_: str) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in template["Resources"].items() if v["Type"] == type_}


def logical_id(template: dict[str, Any], type_: str, prefix: str) -> str:
    (found,) = [k for k, v in template["Resources"].items() if v["Type"] == type_ and k.startswith(prefix)]
    return found


@pytest.fixture(scope="module")
def mixed() -> dict[str, Any]:
    """A REST API and a WebSocket API in one stack, defaults on; synthesized once."""
    _, stack = new_stack()
    orders = SecureRestApi(stack, "Orders")
    orders.add_route("GET", "/items", inline_function(stack), auth="iam")
    SecureWebSocketApi(stack, "Chat", auth=AUTH)
    template: dict[str, Any] = Template.from_stack(stack).to_json()
    return template


def test_one_trail_serves_the_rest_and_the_websocket_api(mixed: dict[str, Any]) -> None:
    assert len(of_type(mixed, "AWS::CloudTrail::Trail")) == 1
    log_groups = {
        json.dumps(props["LogGroupName"], sort_keys=True)
        for lid, props in of_type(mixed, "AWS::Logs::MetricFilter").items()
        if "Audit" in lid
    }
    assert len(log_groups) == 1  # every audit filter, REST's and WebSocket's, reads the same trail log


def test_websocket_control_plane_alarm_is_narrowed_to_this_api(mixed: dict[str, Any]) -> None:
    api = logical_id(mixed, "AWS::ApiGatewayV2::Api", "Chat")
    filters = of_type(mixed, "AWS::Logs::MetricFilter")
    (pattern,) = [
        p["FilterPattern"] for lid, p in filters.items() if lid.startswith("ChatAuditWebSocketApiChanges")
    ]
    text = json.dumps(pattern)
    for event in ("UpdateRoute", "DeleteRoute", "UpdateAuthorizer", "UpdateStage", "DeleteApi"):
        assert f'\\"{event}\\"' in text
    assert "$.requestParameters.apiId" in text and {"Ref": api} in pattern["Fn::Join"][1]
    alarms = of_type(mixed, "AWS::CloudWatch::Alarm")
    (alarm,) = [a for lid, a in alarms.items() if lid.startswith("ChatAuditWebSocketApiChanges")]
    assert alarm["Dimensions"] == [{"Name": "ApiId", "Value": {"Ref": api}}]
    # The REST API's own alarm is not the WebSocket one's: it still names its REST API.
    (rest_alarm,) = [a for lid, a in alarms.items() if lid.startswith("OrdersAuditApiChanges")]
    assert rest_alarm["Dimensions"][0]["Name"] == "RestApiId"


def _metrics_of(alarm: dict[str, Any]) -> list[dict[str, Any]]:
    if "MetricName" in alarm:
        return [
            {
                "MetricName": alarm["MetricName"],
                "Namespace": alarm["Namespace"],
                "Dimensions": alarm["Dimensions"],
            }
        ]
    return [q["MetricStat"]["Metric"] for q in alarm.get("Metrics", []) if "MetricStat" in q]


def test_websocket_alarms_watch_this_apis_stage(mixed: dict[str, Any]) -> None:
    api = logical_id(mixed, "AWS::ApiGatewayV2::Api", "Chat")
    alarms = {
        lid: a
        for lid, a in of_type(mixed, "AWS::CloudWatch::Alarm").items()
        if lid.startswith("Chat") and not lid.startswith("ChatAudit")
    }
    gateway = [
        metric
        for alarm in alarms.values()
        for metric in _metrics_of(alarm)
        if metric["Namespace"] == "AWS/ApiGateway"
    ]
    assert {m["MetricName"] for m in gateway} >= {"ExecutionError", "IntegrationError", "ClientError"}
    for metric in gateway:
        dims = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
        assert dims["ApiId"] == {"Ref": api}, metric
        assert "Stage" in dims, metric
        assert "ApiName" not in dims  # REST's dimension: a WebSocket API publishes none under it


def test_the_key_guard_reads_fields_the_websocket_access_logs_write() -> None:
    import re

    from secure_api.access_logs import WEBSOCKET_ACCESS_LOG_FIELDS
    from tests.lambdas.conftest import lambda_root

    lambda_root("key_guard")
    import key_guard_query

    queries = key_guard_query.key_query(0, 1) + key_guard_query.prefix_query(0, 1, "^a")
    read = set(re.findall(r"\b(requestTimeEpoch|apiKeyId|ip|status)\b", queries))
    assert read == {"requestTimeEpoch", "apiKeyId", "ip", "status"}
    assert read <= set(WEBSOCKET_ACCESS_LOG_FIELDS)


def test_a_websocket_api_gets_the_key_guard_on_its_own_logs(mixed: dict[str, Any]) -> None:
    api = logical_id(mixed, "AWS::ApiGatewayV2::Api", "Chat")
    stage = of_type(mixed, "AWS::ApiGatewayV2::Stage")
    (chat_stage,) = [s for lid, s in stage.items() if lid.startswith("Chat")]
    log_group = chat_stage["AccessLogSettings"]["DestinationArn"]["Fn::GetAtt"][0]
    guards = {
        lid: f
        for lid, f in of_type(mixed, "AWS::Lambda::Function").items()
        if lid.startswith("ChatKeyGuard")
        and "REST_API_ID" in (f.get("Environment") or {}).get("Variables", {})
    }
    (guard,) = guards.values()
    env = guard["Environment"]["Variables"]
    assert env["REST_API_ID"] == {"Ref": api}
    assert env["LOG_GROUP_NAME"] == {"Ref": log_group}
    schedules = [lid for lid in of_type(mixed, "AWS::Events::Rule") if lid.startswith("ChatKeyGuardSchedule")]
    assert len(schedules) == 1
