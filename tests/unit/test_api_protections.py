"""How ``SecureRestApi`` wires the custom domain, the audit trail and monitoring (on by default)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import assertions
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Template

from secure_api import AccessPolicy, AuditTrail, CustomDomain, Monitoring, SecureRestApi
from secure_api.errors import SecureApiConfigError
from tests.unit.helpers import BARE, api_stack, bare_api_stack, inline_function, new_stack, only, resources

CERTIFICATE = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"


@pytest.fixture(scope="module")
def default_api() -> tuple[Any, SecureRestApi, Template]:
    stack, api = api_stack()
    return stack, api, Template.from_stack(stack)


def _warnings(stack: Any) -> str:
    found = assertions.Annotations.from_stack(stack).find_warning("*", assertions.Match.any_value())
    return " ".join(json.dumps(w.entry.data) for w in found)


def _ref(stack: Any, construct: Any) -> dict[str, str]:
    return {"Ref": stack.get_logical_id(construct.node.default_child)}


def test_defaults_create_trail_dashboard_and_one_encrypted_topic(
    default_api: tuple[Any, SecureRestApi, Template],
) -> None:
    stack, api, template = default_api
    assert api.trail is not None and api.dashboard is not None and api.alarm_topic is not None
    only(template, "AWS::CloudTrail::Trail")
    only(template, "AWS::CloudWatch::Dashboard")
    topic = only(template, "AWS::SNS::Topic")["Properties"]
    assert "KmsMasterKeyId" in topic
    key_id = topic["KmsMasterKeyId"]["Fn::GetAtt"][0]
    statements = resources(template, "AWS::KMS::Key")[key_id]["Properties"]["KeyPolicy"]["Statement"]
    services = {s["Principal"]["Service"] for s in statements if "Service" in s.get("Principal", {})}
    assert services == {"cloudwatch.amazonaws.com"}  # only alarms publish as a service
    warnings = _warnings(stack)
    assert not any(f"secure-api:{name}-disabled" in warnings for name in ("firewall", "audit", "monitoring"))


_ALARMS_OF_THIS_ACCOUNT = {
    "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
    "ArnLike": {
        "aws:SourceArn": {
            "Fn::Join": [
                "",
                [
                    "arn:",
                    {"Ref": "AWS::Partition"},
                    ":cloudwatch:",
                    {"Ref": "AWS::Region"},
                    ":",
                    {"Ref": "AWS::AccountId"},
                    ":alarm:*",
                ],
            ]
        }
    },
}


def test_cloudwatch_alarms_of_this_account_may_publish_to_the_topic_and_use_its_key(
    default_api: tuple[Any, SecureRestApi, Template],
) -> None:
    """The topic policy replaces SNS's default one: without this Allow no alarm could notify."""
    stack, api, template = default_api
    topic = _ref(stack, api.alarm_topic)
    policy = only(template, "AWS::SNS::TopicPolicy")["Properties"]
    assert policy["Topics"] == [topic]
    by_sid = {s.pop("Sid"): s for s in policy["PolicyDocument"]["Statement"]}
    assert by_sid == {
        "AllowPublishThroughSSLOnly": {
            "Action": "sns:Publish",
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            "Effect": "Deny",
            "Principal": "*",
            "Resource": topic,
        },
        "AllowCloudwatchAlarmsToPublish": {
            "Action": "sns:Publish",
            "Condition": _ALARMS_OF_THIS_ACCOUNT,
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Resource": topic,
        },
    }
    key_id = only(template, "AWS::SNS::Topic")["Properties"]["KmsMasterKeyId"]["Fn::GetAtt"][0]
    statements = resources(template, "AWS::KMS::Key")[key_id]["Properties"]["KeyPolicy"]["Statement"]
    (cloudwatch,) = [s for s in statements if s.get("Sid") == "AllowCloudwatchToPublish"]
    assert cloudwatch == {
        "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
        "Condition": _ALARMS_OF_THIS_ACCOUNT,
        "Effect": "Allow",
        "Principal": {"Service": "cloudwatch.amazonaws.com"},
        "Resource": "*",
        "Sid": "AllowCloudwatchToPublish",
    }
    # The key guard publishes through its role: the key policy must leave IAM policies in effect.
    assert any(
        s["Effect"] == "Allow" and s["Action"] == "kms:*" and "AWS" in s["Principal"] for s in statements
    )


def test_every_alarm_notifies_the_topic_on_alarm_and_ok(
    default_api: tuple[Any, SecureRestApi, Template],
) -> None:
    stack, api, template = default_api
    alarms = resources(template, "AWS::CloudWatch::Alarm")
    topic = _ref(stack, api.alarm_topic)
    assert len(alarms) > 10  # the audit trail's and monitoring's
    for logical_id, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [topic], logical_id
        assert alarm["Properties"]["OKActions"] == [topic], logical_id
    assert any("Audit" in logical_id for logical_id in alarms)


def test_each_api_has_its_own_name_so_metrics_never_mix() -> None:
    _, stack = new_stack()
    names = set()
    for id_ in ("Orders", "Billing"):
        api = SecureRestApi(stack, id_, **BARE)
        api.add_route("GET", "/x", inline_function(stack, f"F{id_}"), auth="iam")
        names.add(stack.resolve(api.rest_api.rest_api_name))
    assert len(names) == 2


@pytest.mark.parametrize("off", ["firewall", "audit", "monitoring"])
def test_disabling_a_protection_leaves_a_named_warning(off: str) -> None:
    stack, api = api_stack(**{off: None})
    assert f"secure-api:{off}-disabled" in _warnings(stack)
    template = Template.from_stack(stack)
    counts = {
        "firewall": len(resources(template, "AWS::WAFv2::WebACL")),
        "audit": len(resources(template, "AWS::CloudTrail::Trail")),
        "monitoring": len(resources(template, "AWS::CloudWatch::Dashboard")),
    }
    assert counts[off] == 0
    assert all(n == 1 for name, n in counts.items() if name != off)


def test_audit_alone_still_gets_an_encrypted_topic() -> None:
    stack, api = api_stack(monitoring=None)
    template = Template.from_stack(stack)
    assert "KmsMasterKeyId" in only(template, "AWS::SNS::Topic")["Properties"]
    for alarm in resources(template, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [_ref(stack, api.alarm_topic)]


def test_no_topic_when_nothing_alarms() -> None:
    stack, api = api_stack(monitoring=None, audit=None)
    assert api.alarm_topic is None
    assert not resources(Template.from_stack(stack), "AWS::SNS::Topic")


def test_existing_trail_without_log_group_warns_and_creates_nothing() -> None:
    stack, api = api_stack(monitoring=None, audit=AuditTrail.existing())
    template = Template.from_stack(stack)
    assert api.trail is None
    assert not resources(template, "AWS::CloudTrail::Trail")
    assert not resources(template, "AWS::CloudWatch::Alarm")
    assert "AuditTrail.existing() without log_group_name" in _warnings(stack)


def test_second_api_reuses_the_first_apis_trail() -> None:
    _, stack = new_stack()
    first = SecureRestApi(stack, "First", firewall=None, monitoring=None)
    assert first.audit_log_group is not None
    second = SecureRestApi(
        stack,
        "Second",
        firewall=None,
        monitoring=None,
        audit=AuditTrail.existing(first.audit_log_group.log_group_name),
    )
    for api, id_ in ((first, "F1"), (second, "F2")):
        api.add_route("GET", "/x", inline_function(stack, id_), auth="iam")
    template = Template.from_stack(stack)
    only(template, "AWS::CloudTrail::Trail")
    groups = {
        json.dumps(f["Properties"]["LogGroupName"])
        for f in resources(template, "AWS::Logs::MetricFilter").values()
    }
    assert len(groups) == 1
    assert (
        len(resources(template, "AWS::Logs::MetricFilter")) == 12
    )  # six filters per API (the ApiKeyTagged one among them), both on the one trail log group


def test_existing_trail_log_group_gets_the_alarms_but_no_trail() -> None:
    stack, _ = api_stack(monitoring=None, audit=AuditTrail.existing("aws-controltower/CloudTrailLogs"))
    template = Template.from_stack(stack)
    assert not resources(template, "AWS::CloudTrail::Trail")
    filters = resources(template, "AWS::Logs::MetricFilter").values()
    assert {f["Properties"]["LogGroupName"] for f in filters} == {"aws-controltower/CloudTrailLogs"}


def test_user_topic_is_used_and_none_created() -> None:
    _, stack = new_stack()
    topic = sns.Topic.from_topic_arn(stack, "Ops", "arn:aws:sns:eu-west-1:123456789012:ops")
    api = SecureRestApi(stack, "Api", firewall=None, monitoring=Monitoring(alarm_topic=topic))
    api.add_route("GET", "/x", inline_function(stack), auth="iam")
    template = Template.from_stack(stack)
    assert api.alarm_topic is topic
    assert not resources(template, "AWS::SNS::Topic")
    for alarm in resources(template, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == ["arn:aws:sns:eu-west-1:123456789012:ops"]


def test_alarm_email_subscribes_to_the_topic() -> None:
    stack, _ = bare_api_stack(monitoring=Monitoring(alarm_email="oncall@example.com"))
    subscription = only(Template.from_stack(stack), "AWS::SNS::Subscription")["Properties"]
    assert subscription["Protocol"] == "email" and subscription["Endpoint"] == "oncall@example.com"


def test_custom_domain_disables_the_execute_api_endpoint() -> None:
    stack, api = bare_api_stack(
        domain=CustomDomain(domain_name="api.example.com", certificate_arn=CERTIFICATE, base_path="v1"),
    )
    template = Template.from_stack(stack)
    assert only(template, "AWS::ApiGateway::RestApi")["Properties"]["DisableExecuteApiEndpoint"] is True
    domain = only(template, "AWS::ApiGateway::DomainName")["Properties"]
    # The default passes Security Hub's APIGateway.11; TLS 1.2 clients still connect (forward-secret only).
    assert domain["SecurityPolicy"] == "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09"
    assert domain["EndpointAccessMode"] == "STRICT"
    assert api.domain_name is not None
    assert api.url == "https://api.example.com/v1"


def test_without_domain_the_execute_api_endpoint_stays(
    default_api: tuple[Any, SecureRestApi, Template],
) -> None:
    _, api, template = default_api
    assert only(template, "AWS::ApiGateway::RestApi")["Properties"].get("DisableExecuteApiEndpoint") in (
        None,
        False,
    )
    assert api.domain_name is None


def test_fails_custom_domain_on_private_api() -> None:
    _, stack = new_stack()
    with pytest.raises(SecureApiConfigError, match=r"^domain: got 'api\.example\.com'; .*PRIVATE"):
        SecureRestApi(
            stack,
            "Api",
            access=AccessPolicy.private(vpc_endpoint_ids=["vpce-0123456789abcdef0"]),
            domain=CustomDomain(domain_name="api.example.com", certificate_arn=CERTIFICATE),
        )
    assert not stack.node.children  # checked before any resource exists
