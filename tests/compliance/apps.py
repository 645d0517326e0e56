"""The stacks the compliance gate checks."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw

from example.openapi_stack import OpenApiExampleStack
from example.stack import ExampleStack, orders_function
from secure_api import (
    AuditTrail,
    BearerAuth,
    Consumer,
    CorsPolicy,
    CustomDomain,
    Firewall,
    Monitoring,
    SecureRestApi,
    UsageTier,
)
from secure_api.firewall import ManagedRuleGroup
from tests.fixtures.openapi_documents import github_hostable, operation_ids


def example(app: cdk.App) -> cdk.Stack:
    """The example app's stack, exactly as ``make synth`` builds it."""
    return ExampleStack(app, "SecureApiExample")


def variants(app: cdk.App) -> cdk.Stack:
    """The branches the example does not take: an imported certificate with a TLS 1.3 policy and a
    multi-level base path, an organization trail, every optional WAF rule, keys from the authorizer, auto-quarantine."""
    stack = cdk.Stack(app, "SecureApiVariants")
    api = SecureRestApi(
        stack,
        "VariantsApi",
        domain=CustomDomain(
            domain_name="api.example.org",
            certificate_arn="arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012",
            security_policy=apigw.SecurityPolicy.TLS13_1_3_2025_09,
            base_path="v2/orders",
        ),
        firewall=Firewall(
            rule_groups=[
                ManagedRuleGroup(
                    name="AWSManagedRulesCommonRuleSet", excluded_rules=["SizeRestrictions_BODY"]
                ),
                ManagedRuleGroup(name="AWSManagedRulesKnownBadInputsRuleSet"),
                ManagedRuleGroup(name="AWSManagedRulesAmazonIpReputationList", count_only=True),
            ],
            sql_injection=True,
            anonymous_ip=True,
            bot_control=True,
            # No rate_limit_per_api_key: with api_key_claim clients send no x-api-key header.
            evaluation_window_sec=60,
            allow_ip_ranges=["198.51.100.0/24", "2001:db8:1::/48"],
            block_ip_ranges=["192.0.2.0/24"],
            block_countries=["KP"],
        ),
        audit=AuditTrail.existing("aws-controltower/CloudTrailLogs"),
        auth=BearerAuth(
            issuer="https://id.example.org/", audience=["orders"], api_key_claim="custom:api_key_consumer"
        ),
        usage_tiers=[UsageTier("standard")],
        consumers=[Consumer("batch", tier="standard"), Consumer("legacy", tier="standard", enabled=False)],
        monitoring=Monitoring(auto_quarantine=True, quarantine_exempt=["batch"]),
    )
    api.add_route("GET", "/orders/{id}", orders_function(stack), scopes=["orders:read"])
    return stack


def openapi(app: cdk.App) -> cdk.Stack:
    """The example app's second stack: the orders API from an OpenAPI document."""
    return OpenApiExampleStack(app, "SecureApiOpenApiExample")


def github(app: cdk.App) -> cdk.Stack:
    """A real published document with 1,200 operations (GitHub's REST API), every protection on."""
    stack = cdk.Stack(app, "SecureApiGitHub")
    document, _ = github_hostable()
    backend = orders_function(stack)
    SecureRestApi.from_openapi(
        stack,
        "GitHubApi",
        document,
        integrations=dict.fromkeys(operation_ids(document), backend),
        cors=CorsPolicy(["https://app.example.com"]),
        auth=BearerAuth(issuer="https://login.example.com/", audience=["github"]),
        usage_tiers=[UsageTier("standard")],
        consumers=[Consumer("ci", tier="standard")],
        monitoring=Monitoring(alarm_email="oncall@example.com"),
    )
    return stack


STACKS = {"example": example, "variants": variants, "openapi": openapi, "github": github}
