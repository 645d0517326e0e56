from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from secure_api import AccessPolicy
from secure_api.errors import SecureApiConfigError
from tests.unit.helpers import api_stack, only


def test_example_policy_allows_this_api_and_denies_outside_ranges(example_template: Template) -> None:
    policy = only(example_template, "AWS::ApiGateway::RestApi")["Properties"]["Policy"]
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["AllowInvoke"]["Effect"] == "Allow"
    assert by_sid["AllowInvoke"]["Resource"] == "execute-api:/*"
    deny = by_sid["DenyOutsideAllowedIpRanges"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}}
    assert by_sid["DenyBlockedIpRanges"]["Condition"] == {"IpAddress": {"aws:SourceIp": ["203.0.113.128/25"]}}
    # The short form never references the API itself, so there is no dependency cycle.
    assert "Ref" not in json.dumps(policy)


def test_default_endpoint_is_regional(example_template: Template) -> None:
    api = only(example_template, "AWS::ApiGateway::RestApi")["Properties"]
    assert api["EndpointConfiguration"]["Types"] == ["REGIONAL"]


def test_private_api_only_admits_its_vpc_endpoints() -> None:
    stack, _ = api_stack(access=AccessPolicy.private(vpc_endpoint_ids=["vpce-0123456789abcdef0"]))
    api = only(Template.from_stack(stack), "AWS::ApiGateway::RestApi")["Properties"]
    assert api["EndpointConfiguration"] == {
        "Types": ["PRIVATE"],
        "VpcEndpointIds": ["vpce-0123456789abcdef0"],
    }
    deny = [s for s in api["Policy"]["Statement"] if s["Effect"] == "Deny"]
    assert deny == [
        {
            "Sid": "DenyOutsideAllowedVpcEndpoints",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
            "Condition": {"StringNotEquals": {"aws:SourceVpce": ["vpce-0123456789abcdef0"]}},
        }
    ]


def test_accounts_vpcs_and_denies() -> None:
    policy = AccessPolicy.private(
        vpc_endpoint_ids=["vpce-0123456789abcdef0"],
        allow_accounts=["111111111111"],
        deny_accounts=["222222222222"],
        allow_vpc_ids=["vpc-0123456789abcdef0"],
    )
    stack, _ = api_stack(access=policy)
    statements = only(Template.from_stack(stack), "AWS::ApiGateway::RestApi")["Properties"]["Policy"][
        "Statement"
    ]
    by_sid = {s["Sid"]: s for s in statements}
    assert "111111111111" in json.dumps(by_sid["AllowInvoke"]["Principal"])
    assert "222222222222" in json.dumps(by_sid["DenyBlockedAccounts"]["Principal"])
    assert by_sid["DenyOutsideAllowedVpcs"]["Condition"] == {
        "StringNotEquals": {"aws:SourceVpc": ["vpc-0123456789abcdef0"]}
    }


def test_policy_change_redeploys_the_stage() -> None:
    def deployment_id(policy: AccessPolicy) -> str:
        stack, _ = api_stack(access=policy)
        return next(iter(Template.from_stack(stack).find_resources("AWS::ApiGateway::Deployment")))

    assert deployment_id(AccessPolicy(allow_ip_ranges=["10.0.0.0/8"])) != deployment_id(
        AccessPolicy(allow_ip_ranges=["10.0.0.0/16"])
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"allow_ip_ranges": ["10.0.0.1/8"]}, "AccessPolicy.allow_ip_ranges[0]"),
        ({"deny_ip_ranges": ["not-a-cidr"]}, "AccessPolicy.deny_ip_ranges[0]"),
        ({"allow_ip_ranges": "10.0.0.0/8"}, "AccessPolicy.allow_ip_ranges"),
        ({"allow_accounts": ["12345"]}, "AccessPolicy.allow_accounts[0]"),
        ({"allow_vpc_ids": ["vpc-xyz"]}, "AccessPolicy.allow_vpc_ids[0]"),
        ({"allow_vpc_endpoint_ids": ["vpc-0123456789abcdef0"]}, "AccessPolicy.allow_vpc_endpoint_ids[0]"),
        # REGIONAL APIs are never called through a VPC endpoint: these Denies would match everyone.
        ({"allow_vpc_ids": ["vpc-0123456789abcdef0"]}, "AccessPolicy.allow_vpc_ids"),
        ({"allow_vpc_endpoint_ids": ["vpce-0123456789abcdef0"]}, "AccessPolicy.allow_vpc_endpoint_ids"),
        ({"private_endpoint": "yes"}, "AccessPolicy.private_endpoint"),
        (
            {"allow_ip_ranges": ["10.0.0.0/8"], "deny_ip_ranges": ["10.0.0.0/8"]},
            "AccessPolicy.deny_ip_ranges",
        ),
        (
            {"allow_accounts": ["111111111111"], "deny_accounts": ["111111111111"]},
            "AccessPolicy.deny_accounts",
        ),
    ],
)
def test_fails_invalid_access_policy(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(SecureApiConfigError) as info:
        AccessPolicy(**kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(field + ":")


def test_fails_private_without_endpoints() -> None:
    with pytest.raises(SecureApiConfigError, match="AccessPolicy.allow_vpc_endpoint_ids"):
        AccessPolicy.private(vpc_endpoint_ids=[])


def _ip_denies(policy: AccessPolicy) -> dict[str, Any]:
    """The IP Deny statements of ``policy``'s resource policy, by Sid."""
    statements = policy.policy_document().to_json()["Statement"]
    return {s["Sid"]: s["Condition"] for s in statements if "Ip" in s["Sid"]}


def test_deny_ip_ranges_on_a_private_api_use_the_vpc_source_address() -> None:
    """Requests through a VPC endpoint carry no aws:SourceIp: a Deny on it never matches there."""
    same = AccessPolicy(
        allow_vpc_endpoint_ids=["vpce-0123456789abcdef0"],
        deny_ip_ranges=["10.1.2.0/24"],
        private_endpoint=True,
    )
    assert _ip_denies(same) == {"DenyBlockedIpRanges": {"IpAddress": {"aws:VpcSourceIp": ["10.1.2.0/24"]}}}
    policy = AccessPolicy.private(
        vpc_endpoint_ids=["vpce-0123456789abcdef0"], deny_ip_ranges=["10.1.2.0/24", "fd00::/8"]
    )
    assert _ip_denies(policy) == {
        "DenyBlockedIpRanges": {"IpAddress": {"aws:VpcSourceIp": ["10.1.2.0/24", "fd00::/8"]}}
    }
    assert "aws:SourceIp" not in json.dumps(policy.policy_document().to_json())


def test_ip_ranges_on_a_regional_api_use_the_source_address() -> None:
    policy = AccessPolicy(allow_ip_ranges=["203.0.113.0/24"], deny_ip_ranges=["198.51.100.0/24"])
    assert _ip_denies(policy) == {
        "DenyOutsideAllowedIpRanges": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}},
        "DenyBlockedIpRanges": {"IpAddress": {"aws:SourceIp": ["198.51.100.0/24"]}},
    }
    assert "aws:VpcSourceIp" not in json.dumps(policy.policy_document().to_json())


def test_private_api_resource_policy_denies_blocked_vpc_addresses() -> None:
    """The same statement reaches the RestApi's Policy (secure_api.rest)."""
    policy = AccessPolicy.private(vpc_endpoint_ids=["vpce-0123456789abcdef0"], deny_ip_ranges=["10.1.2.0/24"])
    stack, _ = api_stack(access=policy)
    statements = only(Template.from_stack(stack), "AWS::ApiGateway::RestApi")["Properties"]["Policy"][
        "Statement"
    ]
    by_sid = {s["Sid"]: s for s in statements}
    assert by_sid["DenyBlockedIpRanges"] == {
        "Sid": "DenyBlockedIpRanges",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "execute-api:Invoke",
        "Resource": "execute-api:/*",
        "Condition": {"IpAddress": {"aws:VpcSourceIp": ["10.1.2.0/24"]}},
    }
