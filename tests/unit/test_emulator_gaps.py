"""The end-to-end suite's one list of emulator gaps (tests/e2e/emulator_gaps.py): each entry explains
itself, and the template translation removes and rewrites exactly what it says."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e import emulator_gaps as gaps
from tests.e2e.conftest import Response


def _template() -> dict[str, Any]:
    return {
        "Resources": {
            "Api": {"Type": "AWS::ApiGateway::RestApi", "Properties": {"Name": "a"}},
            "Trail": {"Type": "AWS::CloudTrail::Trail", "Properties": {}},
            "TrailAlarm": {
                "Type": "AWS::SNS::Topic",
                "Properties": {"Name": {"Fn::GetAtt": ["Trail", "Arn"]}},
            },
            "Math": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"Metrics": []}},
            "Plain": {"Type": "AWS::CloudWatch::Alarm", "Properties": {"MetricName": "Count"}},
            "Waits": {"Type": "AWS::SNS::Topic", "DependsOn": ["Trail", "Api"], "Properties": {}},
            "Plan": {
                "Type": "AWS::ApiGateway::UsagePlan",
                "Properties": {
                    "UsagePlanName": "p",
                    "ApiStages": [{"Throttle": {"/orders/POST": {"RateLimit": 5, "BurstLimit": 10}}}],
                },
            },
            "Stage": {
                "Type": "AWS::ApiGateway::Stage",
                "Properties": {
                    "MethodSettings": [
                        {"ResourcePath": "/*", "HttpMethod": "*"},
                        {"ResourcePath": "/~1orders~1{id}", "HttpMethod": "GET"},
                    ]
                },
            },
        },
        "Outputs": {
            "TrailArn": {"Value": {"Fn::GetAtt": ["Trail", "Arn"]}},
            "Api": {"Value": {"Ref": "Api"}},
        },
    }


def test_every_gap_names_its_reason_and_every_emulator_defect_its_upstream_report() -> None:
    assert all(gaps.DROPPED_TYPES.values()) and all(gaps.DROPPED_FORMS.values())
    for gap in (*gaps.TRANSLATIONS, *gaps.SKIPS.values()):
        assert gap.name and len(gap.reason) > 40
    defects = [*gaps.TRANSLATIONS, *(g for k, g in gaps.SKIPS.items())]
    assert all(len(g.report) > 80 for g in defects), [g.name for g in defects if len(g.report) <= 80]
    assert all(gaps.VERIFY_FACTS_NOT_KEPT.values())


def test_for_emulator_drops_refused_resources_and_what_references_them() -> None:
    original = _template()
    result = gaps.for_emulator(original)
    assert set(result["Resources"]) == {"Api", "Plain", "Waits", "Plan", "Stage"}
    assert result["Resources"]["Waits"]["DependsOn"] == ["Api"]
    assert set(result["Outputs"]) == {"Api"}
    assert "Trail" in original["Resources"]  # the input is left as it was


def test_for_emulator_translates_throttle_casing_and_escaped_method_paths() -> None:
    result = gaps.for_emulator(_template())["Resources"]
    throttle = result["Plan"]["Properties"]["ApiStages"][0]["Throttle"]
    assert throttle == {"/orders/POST": {"rateLimit": 5, "burstLimit": 10}}
    paths = [s["ResourcePath"] for s in result["Stage"]["Properties"]["MethodSettings"]]
    assert paths == ["/*", "/orders/{id}"]


def test_for_emulator_translates_http_api_cors_casing() -> None:
    template = {
        "Resources": {
            "Http": {
                "Type": "AWS::ApiGatewayV2::Api",
                "Properties": {
                    "ProtocolType": "HTTP",
                    "CorsConfiguration": {"AllowOrigins": ["https://app.example.com"], "MaxAge": 600},
                },
            },
            "Ws": {"Type": "AWS::ApiGatewayV2::Api", "Properties": {"ProtocolType": "WEBSOCKET"}},
        }
    }
    result = gaps.for_emulator(template)["Resources"]
    assert result["Http"]["Properties"]["CorsConfiguration"] == {
        "allowOrigins": ["https://app.example.com"],
        "maxAge": 600,
    }
    assert result["Ws"]["Properties"] == {"ProtocolType": "WEBSOCKET"}
    assert "AllowOrigins" in template["Resources"]["Http"]["Properties"]["CorsConfiguration"]


@pytest.mark.parametrize(
    ("name", "status", "headers", "skipped"),
    [
        ("openapi.gateway_responses", 401, {}, True),
        ("openapi.gateway_responses", 401, {"access-control-allow-origin": "https://a.example"}, False),
        ("openapi.integration_responses", 200, {}, True),
        ("openapi.integration_responses", 204, {}, False),
        ("openapi.integration_responses", 200, {"access-control-allow-origin": "https://a.example"}, False),
    ],
)
def test_skip_unless_applied_skips_with_the_recorded_reason_only_without_a_marker(
    name: str, status: int, headers: dict[str, str], skipped: bool
) -> None:
    assert set(gaps.MARKERS) <= set(gaps.SKIPS)
    answer = Response(status, headers, b"")
    if skipped:
        with pytest.raises(pytest.skip.Exception) as raised:
            gaps.skip_unless_applied(answer, name)
        assert raised.value.msg == gaps.skip_reason(name)
    else:
        gaps.skip_unless_applied(answer, name)
