"""The scheduled functions (the key guard, the key expiry) send a run that fails every attempt to the
API's alarm topic: an on-failure destination their own roles may publish to (AWS serverless rule
ES1007), once (no dead-letter queue as well)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template


@pytest.fixture(scope="module")
def templates(example_template: Template) -> dict[str, dict[str, Any]]:
    """The REST example's resources, and the WebSocket example's (both kinds share the schedules)."""
    import aws_cdk as cdk

    from example.websocket_stack import WebSocketExampleStack
    from tests.cdk_context import app_context

    websocket = WebSocketExampleStack(cdk.App(context=app_context()), "Chat")
    return {
        "rest": example_template.to_json()["Resources"],
        "websocket": Template.from_stack(websocket).to_json()["Resources"],
    }


def _of_type(resources_: dict[str, Any], type_: str) -> dict[str, Any]:
    return {k: v for k, v in resources_.items() if v["Type"] == type_}


def _scheduled_functions(resources_: dict[str, Any]) -> dict[str, str]:
    """Rule logical id -> logical id of the function it targets."""
    out = {}
    for rule_id, rule in _of_type(resources_, "AWS::Events::Rule").items():
        if "ScheduleExpression" not in rule["Properties"]:
            continue
        (target,) = rule["Properties"]["Targets"]
        out[rule_id] = target["Arn"]["Fn::GetAtt"][0]
    return out


def _alarm_topic(resources_: dict[str, Any]) -> str:
    (topic,) = _of_type(resources_, "AWS::SNS::Topic")
    return topic


def _statements(resources_: dict[str, Any], function_id: str) -> list[dict[str, Any]]:
    role = resources_[resources_[function_id]["Properties"]["Role"]["Fn::GetAtt"][0]]
    assert "Policies" not in role["Properties"]  # every permission is in the managed policy
    out: list[dict[str, Any]] = []
    for ref in role["Properties"]["ManagedPolicyArns"]:
        out += resources_[ref["Ref"]]["Properties"]["PolicyDocument"]["Statement"]
    return out


def _allows(statements: list[dict[str, Any]], action: str, resource: Any) -> list[dict[str, Any]]:
    found = []
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        targets = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        if statement["Effect"] == "Allow" and action in actions and resource in targets:
            found.append(statement)
    return found


@pytest.mark.parametrize("kind", ["rest", "websocket"])
def test_scheduled_functions_send_failures_to_the_alarm_topic(
    templates: dict[str, dict[str, Any]], kind: str
) -> None:
    resources_ = templates[kind]
    scheduled = _scheduled_functions(resources_)
    assert len(scheduled) == 2, scheduled  # the key guard and the key expiry
    topic = _alarm_topic(resources_)
    configs = _of_type(resources_, "AWS::Lambda::EventInvokeConfig")
    for rule_id, function_id in scheduled.items():
        # Named exactly as the schedule's permission names the function (the rule compares them).
        (permission,) = [
            p
            for p in _of_type(resources_, "AWS::Lambda::Permission").values()
            if p["Properties"].get("SourceArn") == {"Fn::GetAtt": [rule_id, "Arn"]}
        ]
        (config,) = [
            c["Properties"]
            for c in configs.values()
            if c["Properties"]["FunctionName"] == permission["Properties"]["FunctionName"]
        ]
        assert config["FunctionName"] == {"Fn::GetAtt": [function_id, "Arn"]}
        assert config["Qualifier"] == "$LATEST"
        assert config["DestinationConfig"] == {"OnFailure": {"Destination": {"Ref": topic}}}
        assert config["MaximumRetryAttempts"] == 2
        assert 60 <= config["MaximumEventAgeInSeconds"] <= 3600
        # Each failed run reaches the topic once: no dead-letter queue besides the destination.
        assert "DeadLetterConfig" not in resources_[function_id]["Properties"], function_id


@pytest.mark.parametrize("kind", ["rest", "websocket"])
def test_scheduled_functions_may_publish_to_the_alarm_topic(
    templates: dict[str, dict[str, Any]], kind: str
) -> None:
    """Lambda publishes a destination record with the function's execution role (the role has no
    policy updates from CDK, so the library grants it): sns:Publish on the topic and its KMS key through
    SNS, which the key policy lets IAM decide (the account's root statement)."""
    resources_ = templates[kind]
    topic = _alarm_topic(resources_)
    topic_key = resources_[topic]["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    for function_id in _scheduled_functions(resources_).values():
        statements = _statements(resources_, function_id)
        assert _allows(statements, "sns:Publish", {"Ref": topic}), function_id
        for action in ("kms:GenerateDataKey", "kms:Decrypt"):
            (grant, *_) = _allows(statements, action, {"Fn::GetAtt": [topic_key, "Arn"]})
            via = json.dumps(grant["Condition"]["StringEquals"]["kms:ViaService"])
            assert via.startswith('{"Fn::Join": ["", ["sns.",'), via
    key_policy = resources_[topic_key]["Properties"]["KeyPolicy"]["Statement"]
    (root,) = [s for s in key_policy if ":root" in json.dumps(s.get("Principal", {}))]
    assert (root["Effect"], root["Action"]) == ("Allow", "kms:*")
