"""Firewall: the REGIONAL WAF WebACL, its rules, IP sets, logging and association."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Template

from secure_api.errors import SecureApiConfigError
from secure_api.rest.firewall import Firewall, ManagedRuleGroup, apply_firewall
from tests.unit.helpers import bare_api_stack, only, resources

EXISTING_ARN = (
    "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/shared/0123abcd-0123-4567-89ab-0123456789ab"
)


def _apply(firewall: Firewall) -> tuple[Template, Any]:
    stack, api = bare_api_stack()
    result = apply_firewall(
        api, firewall, stage=api.stage, key=api.logs_key, retention=logs.RetentionDays.ONE_YEAR
    )
    return Template.from_stack(stack), result


@pytest.fixture(scope="module")
def default() -> tuple[Template, Any]:
    return _apply(Firewall())


@pytest.fixture(scope="module")
def maximal() -> Template:
    firewall = Firewall(
        rule_groups=[
            ManagedRuleGroup(name="AWSManagedRulesCommonRuleSet", excluded_rules=["SizeRestrictions_BODY"]),
            ManagedRuleGroup(name="AWSManagedRulesKnownBadInputsRuleSet", count_only=True),
        ],
        sql_injection=True,
        anonymous_ip=True,
        bot_control=True,
        rate_limit_per_ip=500,
        rate_limit_per_api_key=300,
        evaluation_window_sec=60,
        allow_ip_ranges=["198.51.100.0/24", "2001:db8:1::/48"],
        block_ip_ranges=["203.0.113.0/24", "2001:db8:2::/48"],
        allow_countries=["DE", "FR"],
    )
    return _apply(firewall)[0]


@pytest.fixture(scope="module")
def blocked_countries() -> Template:
    return _apply(Firewall(block_countries=["KP"]))[0]


@pytest.fixture(scope="module")
def existing() -> tuple[Template, Any]:
    return _apply(Firewall.existing(EXISTING_ARN))


def _rules(template: Template) -> dict[str, Any]:
    acl = only(template, "AWS::WAFv2::WebACL")["Properties"]
    return {r["Name"]: r for r in acl["Rules"]}


def test_default_web_acl_is_regional_and_allows_by_default(default: tuple[Template, Any]) -> None:
    template, web_acl = default
    assert web_acl is not None
    acl = only(template, "AWS::WAFv2::WebACL")["Properties"]
    assert acl["Scope"] == "REGIONAL"
    assert acl["DefaultAction"] == {"Allow": {}}
    assert acl["VisibilityConfig"] == {
        "CloudWatchMetricsEnabled": True,
        "MetricName": acl["Name"],
        "SampledRequestsEnabled": True,
    }
    assert not resources(template, "AWS::WAFv2::IPSet")


def test_default_managed_rule_groups_in_order(default: tuple[Template, Any]) -> None:
    rules = _rules(default[0])
    managed = sorted(
        (r["Priority"], r["Statement"]["ManagedRuleGroupStatement"]["Name"])
        for r in rules.values()
        if "ManagedRuleGroupStatement" in r["Statement"]
    )
    assert managed == [
        (100, "AWSManagedRulesCommonRuleSet"),
        (101, "AWSManagedRulesKnownBadInputsRuleSet"),
        (102, "AWSManagedRulesAmazonIpReputationList"),
    ]
    for rule in rules.values():
        if "ManagedRuleGroupStatement" in rule["Statement"]:
            assert rule["OverrideAction"] == {"None": {}}
            assert rule["Statement"]["ManagedRuleGroupStatement"]["VendorName"] == "AWS"
            assert "RuleActionOverrides" not in rule["Statement"]["ManagedRuleGroupStatement"]


def test_default_rate_rule_per_ip(default: tuple[Template, Any]) -> None:
    rules = _rules(default[0])
    assert set(rules) == {
        "RateLimitPerIp",
        "AWS-AWSManagedRulesCommonRuleSet",
        "AWS-AWSManagedRulesKnownBadInputsRuleSet",
        "AWS-AWSManagedRulesAmazonIpReputationList",
    }
    rate = rules["RateLimitPerIp"]
    assert rate["Action"] == {"Block": {}}
    assert rate["Priority"] == 20
    assert rate["Statement"] == {
        "RateBasedStatement": {"AggregateKeyType": "IP", "Limit": 2000, "EvaluationWindowSec": 300}
    }


def test_every_rule_has_metrics_and_sampled_requests(
    default: tuple[Template, Any], maximal: Template
) -> None:
    for template in (default[0], maximal):
        for name, rule in _rules(template).items():
            assert rule["VisibilityConfig"] == {
                "CloudWatchMetricsEnabled": True,
                "MetricName": name,
                "SampledRequestsEnabled": True,
            }


def test_association_with_the_stage(default: tuple[Template, Any]) -> None:
    template = default[0]
    stage_id = next(iter(resources(template, "AWS::ApiGateway::Stage")))
    acl_id = next(iter(resources(template, "AWS::WAFv2::WebACL")))
    assoc = only(template, "AWS::WAFv2::WebACLAssociation")
    assert assoc["Properties"]["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    # The stage's ARN refers to the stage, so CloudFormation creates the stage first.
    arn = json.dumps(assoc["Properties"]["ResourceArn"])
    assert "::/restapis/" in arn
    assert {"Ref": stage_id} in assoc["Properties"]["ResourceArn"]["Fn::Join"][1]


def test_logging_to_encrypted_waf_log_group_with_redacted_headers(default: tuple[Template, Any]) -> None:
    template = default[0]
    acl_id = next(iter(resources(template, "AWS::WAFv2::WebACL")))
    config = only(template, "AWS::WAFv2::LoggingConfiguration")["Properties"]
    assert config["ResourceArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert config["RedactedFields"] == [
        {"SingleHeader": {"Name": "authorization"}},
        {"SingleHeader": {"Name": "x-api-key"}},
    ]
    groups = {
        k: v
        for k, v in resources(template, "AWS::Logs::LogGroup").items()
        if "aws-waf-logs-" in json.dumps(v["Properties"].get("LogGroupName", ""))
    }
    assert len(groups) == 1
    group_id, group = next(iter(groups.items()))
    assert group["Properties"]["LogGroupName"]["Fn::Join"][1][0].startswith("aws-waf-logs-")
    key_id = next(iter(resources(template, "AWS::KMS::Key")))
    assert group["Properties"]["KmsKeyId"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert group["Properties"]["RetentionInDays"] == 365
    # The destination is the log group's ARN without the ":*" suffix WAF rejects.
    destination = json.dumps(config["LogDestinationConfigs"])
    assert group_id in destination
    assert ":*" not in destination


@pytest.mark.parametrize("fixture", ["default", "maximal"])
def test_web_acl_data_protection_hides_key_and_token_headers(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    # Logging redaction does not cover the rate-based rule details (rateBasedRuleList): the
    # per-key rule would log the x-api-key value it aggregates on. Data protection on the web ACL
    # applies to logs, sampled requests and those details.
    found = request.getfixturevalue(fixture)
    template = found[0] if isinstance(found, tuple) else found
    acl = only(template, "AWS::WAFv2::WebACL")["Properties"]
    assert acl["DataProtectionConfig"] == {
        "DataProtections": [
            {
                "Action": "SUBSTITUTION",
                "Field": {"FieldType": "SINGLE_HEADER", "FieldKeys": ["authorization", "x-api-key"]},
                "ExcludeRateBasedDetails": False,
                "ExcludeRuleMatchDetails": False,
            }
        ]
    }
    # The logging configuration's own redaction stays.
    redacted = only(template, "AWS::WAFv2::LoggingConfiguration")["Properties"]["RedactedFields"]
    assert {f["SingleHeader"]["Name"] for f in redacted} == {"authorization", "x-api-key"}


def test_ip_sets_for_both_ip_versions(maximal: Template) -> None:
    sets = {
        (s["Properties"]["Description"].split()[-1], s["Properties"]["IPAddressVersion"]): s["Properties"]
        for s in resources(maximal, "AWS::WAFv2::IPSet").values()
    }
    assert {k: v["Addresses"] for k, v in sets.items()} == {
        ("BlockIpv4", "IPV4"): ["203.0.113.0/24"],
        ("BlockIpv6", "IPV6"): ["2001:db8:2::/48"],
        ("AllowIpv4", "IPV4"): ["198.51.100.0/24"],
        ("AllowIpv6", "IPV6"): ["2001:db8:1::/48"],
    }
    assert all(v["Scope"] == "REGIONAL" for v in sets.values())
    rules = _rules(maximal)
    assert rules["BlockIpv4"]["Action"] == {"Block": {}}
    assert rules["AllowIpv6"]["Action"] == {"Allow": {}}
    assert "IPSetReferenceStatement" in rules["AllowIpv4"]["Statement"]


def test_priorities_unique_and_ordered(maximal: Template) -> None:
    acl = only(maximal, "AWS::WAFv2::WebACL")["Properties"]
    order = [r["Name"] for r in sorted(acl["Rules"], key=lambda r: r["Priority"])]
    priorities = [r["Priority"] for r in acl["Rules"]]
    assert len(set(priorities)) == len(priorities)
    assert order == [
        "BlockIpv4",
        "BlockIpv6",
        "AllowCountriesOnly",
        "AllowIpv4",
        "AllowIpv6",
        "RateLimitPerIp",
        "RateLimitPerApiKey",
        "AWS-AWSManagedRulesCommonRuleSet",
        "AWS-AWSManagedRulesKnownBadInputsRuleSet",
        "AWS-AWSManagedRulesSQLiRuleSet",
        "AWS-AWSManagedRulesAnonymousIpList",
        "AWS-AWSManagedRulesBotControlRuleSet",
    ]


def test_rate_rule_per_api_key_header(maximal: Template) -> None:
    rules = _rules(maximal)
    assert rules["RateLimitPerIp"]["Statement"]["RateBasedStatement"] == {
        "AggregateKeyType": "IP",
        "Limit": 500,
        "EvaluationWindowSec": 60,
    }
    assert rules["RateLimitPerApiKey"]["Action"] == {"Block": {}}
    assert rules["RateLimitPerApiKey"]["Statement"]["RateBasedStatement"] == {
        "AggregateKeyType": "CUSTOM_KEYS",
        "CustomKeys": [
            {"Header": {"Name": "x-api-key", "TextTransformations": [{"Priority": 0, "Type": "NONE"}]}}
        ],
        "Limit": 300,
        "EvaluationWindowSec": 60,
    }


def test_overrides_count_and_excluded_rules(maximal: Template) -> None:
    rules = _rules(maximal)
    common = rules["AWS-AWSManagedRulesCommonRuleSet"]
    assert common["OverrideAction"] == {"None": {}}
    assert common["Statement"]["ManagedRuleGroupStatement"]["RuleActionOverrides"] == [
        {"Name": "SizeRestrictions_BODY", "ActionToUse": {"Count": {}}}
    ]
    assert rules["AWS-AWSManagedRulesKnownBadInputsRuleSet"]["OverrideAction"] == {"Count": {}}


def test_bot_control_has_an_inspection_level(maximal: Template) -> None:
    bot = _rules(maximal)["AWS-AWSManagedRulesBotControlRuleSet"]["Statement"]["ManagedRuleGroupStatement"]
    assert bot["ManagedRuleGroupConfigs"] == [
        {"AWSManagedRulesBotControlRuleSet": {"InspectionLevel": "COMMON"}}
    ]


def test_country_allow_list_blocks_everyone_else(maximal: Template) -> None:
    rule = _rules(maximal)["AllowCountriesOnly"]
    assert rule["Action"] == {"Block": {}}
    assert rule["Statement"] == {
        "NotStatement": {"Statement": {"GeoMatchStatement": {"CountryCodes": ["DE", "FR"]}}}
    }


def test_country_block_list(blocked_countries: Template) -> None:
    rule = _rules(blocked_countries)["BlockCountries"]
    assert rule["Priority"] == 2
    assert rule["Action"] == {"Block": {}}
    assert rule["Statement"] == {"GeoMatchStatement": {"CountryCodes": ["KP"]}}


def test_existing_web_acl_is_only_associated(existing: tuple[Template, Any]) -> None:
    template, result = existing
    assert result is None
    assert not resources(template, "AWS::WAFv2::WebACL")
    assert not resources(template, "AWS::WAFv2::LoggingConfiguration")
    assoc = only(template, "AWS::WAFv2::WebACLAssociation")["Properties"]
    assert assoc["WebACLArn"] == EXISTING_ARN


# --- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"rate_limit_per_ip": 9}, "Firewall.rate_limit_per_ip"),
        ({"rate_limit_per_ip": 2_000_000_001}, "Firewall.rate_limit_per_ip"),
        ({"rate_limit_per_ip": "100"}, "Firewall.rate_limit_per_ip"),
        ({"rate_limit_per_api_key": 5}, "Firewall.rate_limit_per_api_key"),
        ({"evaluation_window_sec": 30}, "Firewall.evaluation_window_sec"),
        ({"evaluation_window_sec": True}, "Firewall.evaluation_window_sec"),
    ],
)
def test_fails_limits_outside_waf_ranges(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(SecureApiConfigError, match=field):
        Firewall(**kwargs)


def test_fails_invalid_cidr() -> None:
    with pytest.raises(SecureApiConfigError, match=r"Firewall\.block_ip_ranges\[0\]"):
        Firewall(block_ip_ranges=["203.0.113.5/24"])
    with pytest.raises(SecureApiConfigError, match=r"Firewall\.allow_ip_ranges\[1\]"):
        Firewall(allow_ip_ranges=["198.51.100.0/24", "not-an-ip"])


def test_fails_range_both_allowed_and_blocked() -> None:
    with pytest.raises(SecureApiConfigError, match=r"Firewall\.block_ip_ranges"):
        Firewall(allow_ip_ranges=["198.51.100.0/24"], block_ip_ranges=["198.51.100.0/24"])


def test_fails_duplicate_rule_groups() -> None:
    with pytest.raises(SecureApiConfigError, match=r"Firewall\.rule_groups.*appears twice"):
        Firewall(rule_groups=["AWSManagedRulesCommonRuleSet", "AWSManagedRulesCommonRuleSet"])


def test_fails_opt_in_group_already_listed() -> None:
    with pytest.raises(SecureApiConfigError, match=r"Firewall\.sql_injection"):
        Firewall(rule_groups=["AWSManagedRulesSQLiRuleSet"], sql_injection=True)


def test_fails_bad_rule_group() -> None:
    with pytest.raises(SecureApiConfigError, match=r"Firewall\.rule_groups\[0\]"):
        Firewall(rule_groups=["not a group"])
    with pytest.raises(SecureApiConfigError, match=r"Firewall\.rule_groups"):
        Firewall(rule_groups="AWSManagedRulesCommonRuleSet")
    with pytest.raises(SecureApiConfigError, match=r"Firewall\.rule_groups\[0\]"):
        Firewall(rule_groups=[42])  # type: ignore[list-item]


def test_fails_bad_managed_rule_group_options() -> None:
    with pytest.raises(SecureApiConfigError, match=r"ManagedRuleGroup\.excluded_rules"):
        ManagedRuleGroup(name="AWSManagedRulesCommonRuleSet", excluded_rules="SizeRestrictions_BODY")
    with pytest.raises(SecureApiConfigError, match=r"ManagedRuleGroup\.excluded_rules"):
        ManagedRuleGroup(name="AWSManagedRulesCommonRuleSet", excluded_rules=["A", "A"])
    with pytest.raises(SecureApiConfigError, match=r"ManagedRuleGroup\.vendor"):
        ManagedRuleGroup(name="AWSManagedRulesCommonRuleSet", vendor="")
    with pytest.raises(SecureApiConfigError, match=r"ManagedRuleGroup\.version"):
        ManagedRuleGroup(name="AWSManagedRulesCommonRuleSet", version="v 1")
    with pytest.raises(SecureApiConfigError, match=r"ManagedRuleGroup\.count_only"):
        ManagedRuleGroup(name="AWSManagedRulesCommonRuleSet", count_only="yes")  # type: ignore[arg-type]


def test_fails_bad_country_codes() -> None:
    with pytest.raises(SecureApiConfigError, match=r"Firewall\.allow_countries\[0\]"):
        Firewall(allow_countries=["de"])
    with pytest.raises(SecureApiConfigError, match=r"Firewall\.block_countries\[1\]"):
        Firewall(block_countries=["KP", "ZZ"])
    with pytest.raises(SecureApiConfigError, match=r"Firewall\.block_countries"):
        Firewall(block_countries="KP")
    with pytest.raises(SecureApiConfigError, match=r"Firewall\.block_countries"):
        Firewall(block_countries=["KP", "KP"])


def test_fails_allow_and_block_countries_together() -> None:
    with pytest.raises(SecureApiConfigError, match=r"Firewall\.block_countries"):
        Firewall(allow_countries=["DE"], block_countries=["KP"])


def test_fails_flags_not_bool() -> None:
    with pytest.raises(SecureApiConfigError, match=r"Firewall\.bot_control"):
        Firewall(bot_control="yes")  # type: ignore[arg-type]


def test_fails_bad_existing_web_acl_arn() -> None:
    with pytest.raises(SecureApiConfigError, match=r"Firewall\.web_acl_arn"):
        Firewall.existing(
            "arn:aws:wafv2:us-east-1:123456789012:global/webacl/x/0123abcd-0123-4567-89ab-0123456789ab"
        )
    with pytest.raises(SecureApiConfigError, match=r"Firewall\.web_acl_arn"):
        Firewall.existing("my-acl")
