"""``Monitoring`` and ``apply_monitoring``: alarms, Contributor Insights, dashboard, key guard."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_sns as sns
from aws_cdk import aws_wafv2 as wafv2
from aws_cdk.assertions import Template

from secure_api import BearerAuth, SecureRestApi
from secure_api.encryption import secure_key
from secure_api.errors import SecureApiConfigError
from secure_api.monitoring import Monitoring, apply_monitoring
from secure_api.notifications import alarm_topic
from tests.cdk_context import app_context
from tests.lambdas.conftest import lambda_root
from tests.unit.helpers import BARE, inline_function, only, resources

COMMON_ALARMS = {
    "ServerErrorRateAlarm",
    "ClientErrorRateAlarm",
    "LatencyP99Alarm",
    "IntegrationLatencyP99Alarm",
    "ThrottledRequestsAlarm",
    "RequestCountAnomalyAlarm",
}
RULES = ("TopApiKeysRule", "TopApiKeyErrorsRule", "TopClientIpsRule", "TopUnauthorizedIpsRule")


@dataclass
class Built:
    stack: cdk.Stack
    api: SecureRestApi
    topic: sns.Topic
    dashboard: Any
    template: Template

    def logical_id(self, construct_id: str) -> str:
        child = self.api.node.find_child(construct_id)
        cfn = child if isinstance(child, cdk.CfnElement) else child.node.default_child
        return str(self.stack.get_logical_id(cfn))  # type: ignore[arg-type]

    def resource(self, construct_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.template.to_json()["Resources"][self.logical_id(construct_id)]
        return found

    def props(self, construct_id: str) -> dict[str, Any]:
        props: dict[str, Any] = self.resource(construct_id)["Properties"]
        return props

    def topic_ref(self) -> dict[str, str]:
        return {"Ref": self.stack.get_logical_id(self.topic.node.default_child)}  # type: ignore[arg-type]


def build(monitoring: Monitoring, *, bearer: bool, waf: bool) -> Built:
    app = cdk.App(context=app_context())
    stack = cdk.Stack(app, "Test")
    auth = BearerAuth(issuer="https://login.example.com/", audience=["orders"]) if bearer else None
    api = SecureRestApi(stack, "Api", auth=auth, **BARE)
    backend = inline_function(stack)
    api.add_route("GET", "/items", backend, auth="iam")
    if bearer:
        api.add_route("GET", "/orders", backend)
    if waf:
        api.web_acl = wafv2.CfnWebACL(
            stack,
            "Acl",
            name="orders-acl",
            scope="REGIONAL",
            default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
            visibility_config=wafv2.CfnWebACL.VisibilityConfigProperty(
                cloud_watch_metrics_enabled=True, metric_name="acl", sampled_requests_enabled=True
            ),
        )
    topic = alarm_topic(stack, "AlarmTopic", key=secure_key(stack, "TopicKey", description="alarms"))
    dashboard = apply_monitoring(
        api,
        monitoring,
        rest_api=api.rest_api,
        stage=api.stage,
        access_log_group=api.access_log_group,
        logs_key=api.logs_key,
        topic=topic,
        authorizer_function=api.authorizer_function,
        web_acl=api.web_acl,
    )
    return Built(stack, api, topic, dashboard, Template.from_stack(stack))


@pytest.fixture(scope="module")
def full() -> Built:
    """Bearer auth, a WebACL, automatic quarantine with an exempt consumer and declared hours."""
    return build(
        Monitoring(
            auto_quarantine=True,
            quarantine_exempt=["mobile-app", "batch"],
            active_hours={"batch": (1, 5)},
        ),
        bearer=True,
        waf=True,
    )


@pytest.fixture(scope="module")
def minimal() -> Built:
    """No authorizer, no WebACL, thresholds overridden, key guard on without quarantine."""
    return build(
        Monitoring(
            alarm_period=Duration.minutes(5),
            evaluation_periods=3,
            datapoints_to_alarm=2,
            error_5xx_rate=2.5,
            error_4xx_rate=20,
            error_4xx_min_requests=500,
            p99_latency=Duration.seconds(5),
            p99_integration_latency=Duration.seconds(4),
            throttled_requests=7,
            anomaly_band_width=2,
            key_guard_schedule=Duration.minutes(1),
        ),
        bearer=False,
        waf=False,
    )


@pytest.fixture(scope="module")
def no_guard() -> Built:
    return build(Monitoring(key_guard=False), bearer=False, waf=False)


def joined(value: Any) -> str:
    """An ``Fn::Join`` as text, each token replaced by ``<LogicalId>`` (or ``<Pseudo>``)."""
    if isinstance(value, str):
        return value
    sep, parts = value["Fn::Join"]
    out = []
    for part in parts:
        if isinstance(part, str):
            out.append(part)
        elif "Ref" in part:
            out.append(f"<{part['Ref']}>")
        elif "Fn::GetAtt" in part:
            out.append(f"<{'.'.join(part['Fn::GetAtt'])}>")
        else:
            out.append(f"<{next(iter(part))}>")
    return str(sep).join(out)


# -- alarms -----------------------------------------------------------------------------------------


def alarm_ids(built: Built) -> set[str]:
    ids = {c.node.id for c in built.api.node.children if c.node.id.endswith("Alarm")}
    return {i for i in ids if isinstance(built.api.node.find_child(i).node.default_child, cdk.CfnResource)}


def test_alarm_sets(full: Built, minimal: Built, no_guard: Built) -> None:
    assert alarm_ids(full) == COMMON_ALARMS | {
        "AuthorizerErrorsAlarm",
        "AuthorizerThrottlesAlarm",
        "WafBlockedRequestsAlarm",
        "KeyGuardErrorsAlarm",
    }
    assert alarm_ids(minimal) == COMMON_ALARMS | {"KeyGuardErrorsAlarm"}
    assert alarm_ids(no_guard) == COMMON_ALARMS
    assert len(resources(full.template, "AWS::CloudWatch::Alarm")) == len(alarm_ids(full))


@pytest.mark.parametrize("config", ["full", "minimal", "no_guard"])
def test_every_alarm_notifies_on_alarm_and_ok(config: str, request: pytest.FixtureRequest) -> None:
    built: Built = request.getfixturevalue(config)
    for logical_id, alarm in resources(built.template, "AWS::CloudWatch::Alarm").items():
        props = alarm["Properties"]
        assert props["AlarmActions"] == [built.topic_ref()], logical_id
        assert props["OKActions"] == [built.topic_ref()], logical_id
        assert props.get("ActionsEnabled", True) is True
        assert props["TreatMissingData"] == "notBreaching"
        assert props["AlarmDescription"].startswith("secure_api Test/Api: ")


def metrics_by_id(props: dict[str, Any]) -> dict[str, Any]:
    return {m["Id"]: m for m in props["Metrics"]}


def single_metric(props: dict[str, Any]) -> dict[str, Any]:
    """An alarm's one metric as namespace/name/dimensions/stat/period (labelled metrics render as ``Metrics``)."""
    if "Metrics" not in props:
        return {
            "Namespace": props["Namespace"],
            "MetricName": props["MetricName"],
            "Dimensions": props.get("Dimensions", []),
            "Stat": props.get("ExtendedStatistic") or props["Statistic"],
            "Period": props["Period"],
        }
    (metric,) = props["Metrics"]
    stat = metric["MetricStat"]
    return {
        **stat["Metric"],
        "Dimensions": stat["Metric"].get("Dimensions", []),
        "Stat": stat["Stat"],
        "Period": stat["Period"],
    }


def stage_dims(built: Built) -> list[dict[str, Any]]:
    stage = built.stack.get_logical_id(built.api.stage.node.default_child)  # type: ignore[arg-type]
    api_name = built.resource("Api")["Properties"]["Name"]
    assert api_name == "Test-Api-17E32BCB"  # unique per API: APIs never share their stage metrics
    return [{"Name": "ApiName", "Value": api_name}, {"Name": "Stage", "Value": {"Ref": stage}}]


def test_error_rate_alarms_use_metric_math(full: Built) -> None:
    props = full.props("ServerErrorRateAlarm")
    assert (props["Threshold"], props["ComparisonOperator"]) == (1, "GreaterThanThreshold")
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (5, 3)
    metrics = metrics_by_id(props)
    assert metrics["expr_1"]["Expression"] == "IF(requests > 0, 100 * e5xx / requests, 0)"
    assert metrics["e5xx"]["MetricStat"] == {
        "Metric": {"Dimensions": stage_dims(full), "MetricName": "5XXError", "Namespace": "AWS/ApiGateway"},
        "Period": 60,
        "Stat": "Sum",
    }
    assert metrics["requests"]["MetricStat"]["Metric"]["MetricName"] == "Count"
    assert metrics["e5xx"]["ReturnData"] is False

    props = full.props("ClientErrorRateAlarm")
    assert (props["Threshold"], props["ComparisonOperator"]) == (10, "GreaterThanThreshold")
    metrics = metrics_by_id(props)
    assert metrics["expr_1"]["Expression"] == "IF(requests >= 50, 100 * e4xx / requests, 0)"
    assert metrics["e4xx"]["MetricStat"]["Metric"]["MetricName"] == "4XXError"


def test_overridden_thresholds(minimal: Built) -> None:
    props = minimal.props("ServerErrorRateAlarm")
    assert (props["Threshold"], props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (2.5, 3, 2)
    assert metrics_by_id(props)["e5xx"]["MetricStat"]["Period"] == 300
    props = minimal.props("ClientErrorRateAlarm")
    assert props["Threshold"] == 20
    assert metrics_by_id(props)["expr_1"]["Expression"] == "IF(requests >= 500, 100 * e4xx / requests, 0)"
    assert minimal.props("LatencyP99Alarm")["Threshold"] == 5000
    assert minimal.props("IntegrationLatencyP99Alarm")["Threshold"] == 4000
    assert minimal.props("ThrottledRequestsAlarm")["Threshold"] == 7
    band = metrics_by_id(minimal.props("RequestCountAnomalyAlarm"))["expr_1"]
    assert band["Expression"] == "ANOMALY_DETECTION_BAND(m0, 2)"


def test_latency_alarms(full: Built) -> None:
    for construct_id, metric_name, threshold in (
        ("LatencyP99Alarm", "Latency", 2000),
        ("IntegrationLatencyP99Alarm", "IntegrationLatency", 1500),
    ):
        props = full.props(construct_id)
        assert single_metric(props) == {
            "Namespace": "AWS/ApiGateway",
            "MetricName": metric_name,
            "Dimensions": stage_dims(full),
            "Stat": "p99",
            "Period": 60,
        }
        assert (props["Threshold"], props["ComparisonOperator"]) == (threshold, "GreaterThanThreshold")


def test_throttled_requests_from_access_log_filter(full: Built) -> None:
    access_logs = full.stack.get_logical_id(full.api.access_log_group.node.default_child)  # type: ignore[arg-type]
    api_id = full.stack.get_logical_id(full.api.rest_api.node.default_child)  # type: ignore[arg-type]
    flt = full.props("ThrottledRequestsFilter")
    assert flt["FilterPattern"] == '{ $.status = "429" }'
    assert flt["LogGroupName"] == {"Ref": access_logs}
    (transform,) = flt["MetricTransformations"]
    assert transform["MetricNamespace"] == "SecureApi"
    assert joined(transform["MetricName"]) == f"ThrottledRequests-<{api_id}>"
    assert (transform["MetricValue"], transform["DefaultValue"]) == ("1", 0)
    props = full.props("ThrottledRequestsAlarm")
    assert single_metric(props) == {
        "Namespace": "SecureApi",
        "MetricName": transform["MetricName"],
        "Dimensions": [],
        "Stat": "Sum",
        "Period": 60,
    }
    assert props["Threshold"] == 100
    assert props["ComparisonOperator"] == "GreaterThanThreshold"


def test_authorizer_alarms(full: Built) -> None:
    failures = full.props("AuthorizerFailuresFilter")
    assert failures["FilterPattern"] == (
        '{ ($.errorResponseType = "AUTHORIZER_FAILURE") || ($.errorResponseType = "AUTHORIZER_CONFIGURATION_ERROR") }'
    )
    faults = full.props("AuthorizerFaultsFilter")
    assert faults["FilterPattern"] == '?"internal_error" ?"invalid_config" ?"jwks_unavailable"'
    assert "AuthorizerFunctionLogs" in faults["LogGroupName"]["Ref"]

    props = full.props("AuthorizerErrorsAlarm")
    assert (props["Threshold"], props["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    metrics = metrics_by_id(props)
    assert metrics["expr_1"]["Expression"] == "FILL(failures, 0) + FILL(faults, 0)"
    assert (
        metrics["failures"]["MetricStat"]["Metric"]["MetricName"]
        == failures["MetricTransformations"][0]["MetricName"]
    )
    assert (
        metrics["faults"]["MetricStat"]["Metric"]["MetricName"]
        == faults["MetricTransformations"][0]["MetricName"]
    )

    props = full.props("AuthorizerThrottlesAlarm")
    metric = single_metric(props)
    assert (metric["Namespace"], metric["MetricName"], metric["Stat"]) == ("AWS/Lambda", "Throttles", "Sum")
    assert (props["Threshold"], props["ComparisonOperator"]) == (1, "GreaterThanOrEqualToThreshold")
    assert "AuthorizerFunction" in metric["Dimensions"][0]["Value"]["Ref"]


def test_waf_blocked_requests_alarm(full: Built) -> None:
    props = full.props("WafBlockedRequestsAlarm")
    metric = single_metric(props)
    assert (metric["Namespace"], metric["MetricName"], metric["Stat"]) == (
        "AWS/WAFV2",
        "BlockedRequests",
        "Sum",
    )
    assert metric["Dimensions"] == [
        {"Name": "Region", "Value": {"Ref": "AWS::Region"}},
        {"Name": "Rule", "Value": "ALL"},
        {"Name": "WebACL", "Value": "orders-acl"},
    ]
    assert (props["Threshold"], props["ComparisonOperator"]) == (100, "GreaterThanThreshold")


def test_request_count_anomaly_alarm(full: Built) -> None:
    props = full.props("RequestCountAnomalyAlarm")
    assert props["ComparisonOperator"] == "GreaterThanUpperThreshold"
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (3, 3)
    assert "Threshold" not in props
    metrics = metrics_by_id(props)
    assert props["ThresholdMetricId"] == "expr_1"
    assert metrics["expr_1"]["Expression"] == "ANOMALY_DETECTION_BAND(m0, 3)"
    assert metrics["m0"]["MetricStat"] == {
        "Metric": {"Dimensions": stage_dims(full), "MetricName": "Count", "Namespace": "AWS/ApiGateway"},
        "Period": 300,
        "Stat": "Sum",
    }


def test_key_guard_errors_alarm(full: Built) -> None:
    props = full.props("KeyGuardErrorsAlarm")
    metric = single_metric(props)
    assert (metric["Namespace"], metric["MetricName"], metric["Stat"], metric["Period"]) == (
        "AWS/Lambda",
        "Errors",
        "Sum",
        300,
    )
    assert (props["Threshold"], props["ComparisonOperator"]) == (0, "GreaterThanThreshold")
    assert (props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (2, 2)


# -- Contributor Insights ----------------------------------------------------------------------------


def test_contributor_insights_rules(full: Built) -> None:
    access_logs = full.stack.get_logical_id(full.api.access_log_group.node.default_child)  # type: ignore[arg-type]
    key_present = {"Match": "$.apiKeyId", "NotIn": ["-", ""]}
    expected = {
        "TopApiKeysRule": ("top-api-keys", "$.apiKeyId", [key_present]),
        "TopApiKeyErrorsRule": (
            "top-api-key-errors",
            "$.apiKeyId",
            [key_present, {"Match": "$.status", "StartsWith": ["4", "5"]}],
        ),
        "TopClientIpsRule": ("top-client-ips", "$.ip", []),
        "TopUnauthorizedIpsRule": (
            "top-unauthorized-ips",
            "$.ip",
            [{"Match": "$.status", "In": ["401", "403"]}],
        ),
    }
    assert len(resources(full.template, "AWS::CloudWatch::InsightRule")) == 4
    names = set()
    for construct_id, (suffix, key, filters) in expected.items():
        props = full.props(construct_id)
        assert props["RuleState"] == "ENABLED"
        assert props["RuleName"].endswith(f"-{suffix}")
        names.add(props["RuleName"])
        assert json.loads(joined(props["RuleBody"])) == {
            "Schema": {"Name": "CloudWatchLogRule", "Version": 1},
            "LogGroupNames": [f"<{access_logs}>"],
            "LogFormat": "JSON",
            "Contribution": {"Keys": [key], "Filters": filters},
            "AggregateOn": "Count",
        }
    assert len(names) == 4


# -- dashboard ---------------------------------------------------------------------------------------


def dashboard_body(built: Built) -> dict[str, Any]:
    props = only(built.template, "AWS::CloudWatch::Dashboard")["Properties"]
    body: dict[str, Any] = json.loads(joined(props["DashboardBody"]))
    return body


def titles(body: dict[str, Any]) -> list[str]:
    return [w["properties"].get("title", "") for w in body["widgets"]]


def test_dashboard_layout(full: Built) -> None:
    assert full.logical_id("Dashboard").startswith("ApiDashboard")
    body = dashboard_body(full)
    assert titles(body) == [
        "",
        "Requests (5 min) and anomaly band",
        "4XX / 5XX",
        "Latency",
        "Throttled (429)",
        "WAF allowed / blocked",
        "Authorizer",
        "Key guard findings",
        "Top API keys (requests)",
        "Top API keys (4XX/5XX)",
        "Top client IPs (requests)",
        "Top client IPs (401/403)",
        "Alarms",
    ]
    widgets = {w["properties"].get("title"): w for w in body["widgets"]}
    for title, rule in zip(titles(body)[8:12], RULES, strict=True):
        insight = widgets[title]["properties"]["insightRule"]
        assert insight == {
            "maxContributorCount": 10,
            "orderBy": "Sum",
            "ruleName": full.props(rule)["RuleName"],
        }
        assert widgets[title]["width"] == 6
    assert len(widgets["Alarms"]["properties"]["alarms"]) == len(alarm_ids(full))
    findings = widgets["Key guard findings"]["properties"]["metrics"]
    assert [m[0:2] for m in findings] == [["SecureApi/KeyGuard", "Findings"]] * 5
    assert [m[5] for m in findings] == [
        "spike",
        "error_burst",
        "unusual_time",
        "unusual_place",
        "unknown_key",
    ]
    assert {"Requests (5 min) and anomaly band", "Latency"} <= set(widgets)
    # Every widget fits the 24-column grid.
    assert all(w["x"] + w["width"] <= 24 for w in body["widgets"])


def test_dashboard_without_optional_parts(no_guard: Built) -> None:
    body = dashboard_body(no_guard)
    assert "WAF allowed / blocked" not in titles(body)
    assert "Authorizer" not in titles(body)
    assert "Key guard findings" not in titles(body)
    assert "Top API keys (requests)" in titles(body)


# -- key guard ---------------------------------------------------------------------------------------


def test_key_guard_table(full: Built) -> None:
    props = full.props("KeyGuardTable")
    logs_key = full.stack.get_logical_id(full.api.logs_key.node.default_child)  # type: ignore[arg-type]
    assert props["KeySchema"] == [{"AttributeName": "apiKeyId", "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": "apiKeyId", "AttributeType": "S"}]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["SSESpecification"] == {
        "KMSMasterKeyId": {"Fn::GetAtt": [logs_key, "Arn"]},
        "SSEEnabled": True,
        "SSEType": "KMS",
    }
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expiresAt", "Enabled": True}
    assert props["DeletionProtectionEnabled"] is True
    assert full.resource("KeyGuardTable")["DeletionPolicy"] == "Retain"


def guard_function(built: Built) -> dict[str, Any]:
    fn = built.api.node.find_child("KeyGuard").node.find_child("Function")
    found: dict[str, Any] = built.template.to_json()["Resources"][
        built.stack.get_logical_id(fn.node.default_child)
    ]  # type: ignore[arg-type]
    return found["Properties"]


def test_key_guard_function(full: Built) -> None:
    props = guard_function(full)
    env = props["Environment"]["Variables"]
    assert set(env) == {
        "REST_API_ID", "LOG_GROUP_NAME", "TABLE_NAME", "TOPIC_ARN", "QUERY_TIMEOUT_SECONDS", "WINDOW_MINUTES",
        "AUTO_QUARANTINE", "QUARANTINE_EXEMPT", "QUARANTINE_ON", "SPIKE_MULTIPLIER", "SPIKE_MIN_Z",
        "SPIKE_MIN_REQUESTS", "ERROR_RATIO", "ERROR_MIN_REQUESTS", "LEARNING_WINDOWS", "NEW_PREFIX_THRESHOLD",
        "ACTIVE_HOURS", "USAGE_PLAN_IDS",
    }  # fmt: skip
    assert env["REST_API_ID"] == {"Ref": full.logical_id("Api")}
    assert env["TABLE_NAME"] == {"Ref": full.logical_id("KeyGuardTable")}
    assert env["TOPIC_ARN"] == full.topic_ref()
    assert (env["WINDOW_MINUTES"], env["AUTO_QUARANTINE"], env["QUARANTINE_EXEMPT"]) == (
        "5",
        "true",
        "mobile-app,batch",
    )
    assert (env["QUARANTINE_ON"], env["ACTIVE_HOURS"], env["QUERY_TIMEOUT_SECONDS"]) == (
        "spike,unusual_place",
        '{"batch":[1,5]}',
        "120",
    )
    assert (props["Timeout"], props["MemorySize"], props["TracingConfig"]) == (300, 512, {"Mode": "Active"})
    # A failed run goes to the alarm topic once: through its on-failure destination
    # (tests/unit/test_failure_destinations.py), not a dead-letter queue as well.
    assert "DeadLetterConfig" not in props
    assert "KmsKeyArn" in props


def test_key_guard_environment_is_what_the_lambda_reads(full: Built) -> None:
    lambda_root("key_guard")
    from key_guard_config import load_settings

    env = {k: v for k, v in guard_function(full)["Environment"]["Variables"].items() if isinstance(v, str)}
    settings = load_settings(
        {**env, "REST_API_ID": "a1", "LOG_GROUP_NAME": "g", "TABLE_NAME": "t", "TOPIC_ARN": "arn"}
    )
    assert settings.auto_quarantine is True
    assert settings.quarantine_exempt == {"mobile-app", "batch"}
    assert settings.active_hours == {"batch": (1, 5)}
    assert settings.detector.window_minutes == 5
    assert settings.detector.spike_min_requests == 50


def test_key_guard_short_schedule(minimal: Built) -> None:
    props = guard_function(minimal)
    env = props["Environment"]["Variables"]
    assert (props["Timeout"], env["WINDOW_MINUTES"], env["QUERY_TIMEOUT_SECONDS"]) == (60, "1", "30")
    assert env["AUTO_QUARANTINE"] == "false"
    assert "ACTIVE_HOURS" not in env
    assert minimal.props("KeyGuardSchedule")["ScheduleExpression"] == "rate(1 minute)"


def test_key_guard_schedule(full: Built) -> None:
    props = full.props("KeyGuardSchedule")
    fn = full.api.node.find_child("KeyGuard").node.find_child("Function")
    assert props["ScheduleExpression"] == "rate(5 minutes)"
    assert props["State"] == "ENABLED"
    (target,) = props["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [full.stack.get_logical_id(fn.node.default_child), "Arn"]}  # type: ignore[arg-type]
    assert target["RetryPolicy"] == {"MaximumEventAgeInSeconds": 300, "MaximumRetryAttempts": 2}


def guard_statements(built: Built) -> dict[str, dict[str, Any]]:
    """The key guard policy's statements by Sid (the function recipe's own three get names here)."""
    policy = built.api.node.find_child("KeyGuard").node.find_child("Policy")
    props = built.template.to_json()["Resources"][built.stack.get_logical_id(policy.node.default_child)]  # type: ignore[arg-type]
    out: dict[str, dict[str, Any]] = {}
    for i, statement in enumerate(props["Properties"]["PolicyDocument"]["Statement"]):
        assert statement["Effect"] == "Allow"
        out[statement.get("Sid", f"recipe{i}")] = statement
    return out


def actions(statement: dict[str, Any]) -> set[str]:
    value = statement["Action"]
    return {value} if isinstance(value, str) else set(value)


def resource_texts(statement: dict[str, Any]) -> list[str]:
    value = statement["Resource"]
    values = value if isinstance(value, list) else [value]
    return [
        joined(v) if isinstance(v, str) or "Fn::Join" in v else joined({"Fn::Join": ["", [v]]})
        for v in values
    ]


APIKEYS = "arn:<AWS::Partition>:apigateway:<AWS::Region>::/apikeys"


def test_key_guard_least_privilege(full: Built) -> None:
    statements = guard_statements(full)
    access_logs = full.stack.get_logical_id(full.api.access_log_group.node.default_child)  # type: ignore[arg-type]
    logs_key = full.stack.get_logical_id(full.api.logs_key.node.default_child)  # type: ignore[arg-type]
    topic_key = full.stack.get_logical_id(full.topic.master_key.node.default_child)  # type: ignore[union-attr, arg-type]
    table = full.logical_id("KeyGuardTable")
    own_logs = full.stack.get_logical_id(
        full.api.node.find_child("KeyGuard").node.find_child("Logs").node.default_child
    )  # type: ignore[arg-type]
    expected = {
        "recipe0": ({"logs:CreateLogStream", "logs:PutLogEvents"}, [f"<{own_logs}.Arn>"]),
        "recipe1": ({"xray:PutTraceSegments", "xray:PutTelemetryRecords"}, ["*"]),
        "recipe2": ({"kms:Decrypt"}, [f"<{logs_key}.Arn>"]),
        "QueryAccessLogs": ({"logs:StartQuery"}, [f"<{access_logs}.Arn>"]),
        "ReadQueryResults": ({"logs:GetQueryResults", "logs:StopQuery"}, ["*"]),
        "Baselines": (
            {
                f"dynamodb:{a}"
                for a in ("GetItem", "PutItem", "UpdateItem", "BatchGetItem", "BatchWriteItem", "Query")
            },
            [f"<{table}.Arn>"],
        ),
        "BaselinesKey": (
            {"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"},
            [f"<{logs_key}.Arn>"],
        ),
        # Also what Lambda needs to publish a failed run's record to the on-failure destination (the same
        # topic) with this role: granted once.
        "Notify": ({"sns:Publish"}, [f"<{full.topic_ref()['Ref']}>"]),
        "NotifyKey": ({"kms:Decrypt", "kms:GenerateDataKey"}, [f"<{topic_key}.Arn>"]),
        # Never GET /apikeys (every key's value with includeValues): one key at a time, by its tag.
        "ReadApiKeys": ({"apigateway:GET"}, [f"{APIKEYS}/*"]),
        "QuarantineApiKeys": ({"apigateway:PATCH"}, [f"{APIKEYS}/*"]),
        "TagQuarantinedKeys": (
            {"apigateway:PUT"},
            ["arn:<AWS::Partition>:apigateway:<AWS::Region>::/tags/*"],
        ),
    }
    assert {sid: (actions(s), resource_texts(s)) for sid, s in statements.items()} == expected
    # '*' only where the service has no resource-level permission (X-Ray, Logs Insights query results).
    assert {sid for sid, s in statements.items() if "*" in resource_texts(s)} == {
        "recipe1",
        "ReadQueryResults",
    }
    api_id = full.logical_id("Api")
    assert statements["ReadApiKeys"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/secure-api:api": {"Ref": api_id}}
    }
    assert statements["QuarantineApiKeys"]["Condition"] == {
        "StringEquals": {"aws:ResourceTag/secure-api:api": {"Ref": api_id}},
        "StringNotEquals": {"aws:ResourceTag/secure-api:consumer": ["mobile-app", "batch"]},
    }
    assert statements["TagQuarantinedKeys"]["Condition"] == {
        "ForAllValues:StringEquals": {"aws:TagKeys": ["secure-api:quarantined", "secure-api:quarantined-at"]}
    }
    via = {
        k: joined(v["Condition"]["StringEquals"]["kms:ViaService"])
        for k, v in statements.items()
        if k.endswith("Key")
    }
    assert via == {
        "BaselinesKey": "dynamodb.<AWS::Region>.<AWS::URLSuffix>",
        "NotifyKey": "sns.<AWS::Region>.<AWS::URLSuffix>",
    }
    # No inline policies: the role has exactly the function recipe's managed policy.
    roles = {
        k: v for k, v in resources(full.template, "AWS::IAM::Role").items() if k.startswith("ApiKeyGuardRole")
    }
    (role_props,) = (v["Properties"] for v in roles.values())
    assert "Policies" not in role_props
    assert len(role_props["ManagedPolicyArns"]) == 1
    assert not [k for k in resources(full.template, "AWS::IAM::Policy") if "KeyGuard" in k]


def test_key_guard_cannot_quarantine_without_auto_quarantine(minimal: Built) -> None:
    statements = guard_statements(minimal)
    granted = set().union(*(actions(s) for s in statements.values()))
    assert not granted & {"apigateway:PATCH", "apigateway:PUT", "apigateway:POST", "apigateway:DELETE"}
    assert set(statements) == {
        "recipe0", "recipe1", "recipe2", "QueryAccessLogs", "ReadQueryResults", "Baselines", "BaselinesKey",
        "Notify", "NotifyKey", "ReadApiKeys",
    }  # fmt: skip


def test_no_key_guard(no_guard: Built) -> None:
    assert not resources(no_guard.template, "AWS::DynamoDB::Table")
    assert not resources(no_guard.template, "AWS::Events::Rule")
    assert no_guard.api.node.try_find_child("KeyGuard") is None


# -- validation --------------------------------------------------------------------------------------


def test_defaults() -> None:
    m = Monitoring()
    assert (m.error_5xx_rate, m.error_4xx_rate, m.error_4xx_min_requests) == (1.0, 10.0, 50)
    assert (m.p99_latency.to_milliseconds(), m.p99_integration_latency.to_milliseconds()) == (2000, 1500)
    assert (m.key_guard, m.auto_quarantine, m.quarantine_on) == (True, False, ("spike", "unusual_place"))
    assert m.key_guard_schedule.to_minutes() == 5
    assert Monitoring(quarantine_exempt=["a"]).quarantine_exempt == ("a",)


BAD_OPTIONS: list[tuple[str, dict[str, Any]]] = [
    ("alarm_email", {"alarm_email": "not-an-address"}),
    ("alarm_topic", {"alarm_topic": "arn:aws:sns:eu-west-1:123456789012:t"}),
    ("alarm_period", {"alarm_period": Duration.seconds(90)}),
    ("alarm_period", {"alarm_period": 60}),
    ("evaluation_periods", {"evaluation_periods": 0}),
    ("evaluation_periods", {"alarm_period": Duration.hours(1), "evaluation_periods": 25}),
    ("datapoints_to_alarm", {"datapoints_to_alarm": 6}),
    ("error_5xx_rate", {"error_5xx_rate": 101}),
    ("error_4xx_rate", {"error_4xx_rate": -1}),
    ("error_4xx_min_requests", {"error_4xx_min_requests": 0}),
    ("p99_latency", {"p99_latency": Duration.seconds(30)}),
    ("p99_integration_latency", {"p99_integration_latency": Duration.millis(0)}),
    ("throttled_requests", {"throttled_requests": 0}),
    ("authorizer_errors", {"authorizer_errors": 1.5}),
    ("authorizer_throttles", {"authorizer_throttles": True}),
    ("waf_blocked_requests", {"waf_blocked_requests": 0}),
    ("anomaly_band_width", {"anomaly_band_width": 0}),
    ("key_guard", {"key_guard": "yes"}),
    ("key_guard_schedule", {"key_guard_schedule": Duration.minutes(7)}),
    ("key_guard_schedule", {"key_guard_schedule": Duration.seconds(30)}),
    ("auto_quarantine", {"auto_quarantine": True, "key_guard": False}),
    ("quarantine_exempt", {"quarantine_exempt": "mobile-app"}),
    ("quarantine_exempt[0]", {"quarantine_exempt": ["a,b"]}),
    ("quarantine_exempt", {"quarantine_exempt": ["a", "a"]}),
    ("quarantine_on[0]", {"quarantine_on": ["flood"]}),
    ("quarantine_on", {"quarantine_on": [], "auto_quarantine": True}),
    ("spike_multiplier", {"spike_multiplier": 0.5}),
    ("spike_min_z", {"spike_min_z": -1}),
    ("spike_min_requests", {"spike_min_requests": 0}),
    ("key_error_ratio", {"key_error_ratio": 1.5}),
    ("key_error_min_requests", {"key_error_min_requests": 0}),
    ("learning_windows", {"learning_windows": -1}),
    ("new_prefix_threshold", {"new_prefix_threshold": 0}),
    ("active_hours", {"active_hours": [("batch", (1, 5))]}),
    ("active_hours['batch']", {"active_hours": {"batch": (1, 25)}}),
    ("active_hours['batch']", {"active_hours": {"batch": (3, 3)}}),
]


@pytest.mark.parametrize(
    ("field", "kwargs"), BAD_OPTIONS, ids=[f"{f}-{i}" for i, (f, _) in enumerate(BAD_OPTIONS)]
)
def test_fails_bad_option(field: str, kwargs: dict[str, Any]) -> None:
    with pytest.raises(SecureApiConfigError) as error:
        Monitoring(**kwargs)
    assert error.value.field == f"Monitoring.{field}"
    assert str(error.value).startswith(f"Monitoring.{field}: got ")


def test_fails_email_with_own_topic() -> None:
    stack = cdk.Stack()
    topic = sns.Topic(stack, "T")
    with pytest.raises(
        SecureApiConfigError, match=r"^Monitoring\.alarm_email: .*None when alarm_topic is given"
    ):
        Monitoring(alarm_topic=topic, alarm_email="ops@example.com")
    assert Monitoring(alarm_topic=topic).alarm_topic is topic
