"""A user's app with no CDK feature flags (``cdk.json`` holding only ``app``) synthesizes the defaults."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template

from secure_api import BearerAuth, SecureRestApi
from tests.unit.helpers import inline_function, resources


def test_defaults_synthesize_without_feature_flags() -> None:
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    stack = cdk.Stack(app, "NoFlags")
    api = SecureRestApi(stack, "Api", auth=BearerAuth(issuer="https://login.example.com/", audience=["a"]))
    fn: lambda_.Function = inline_function(stack)
    api.add_route("GET", "/items", fn)
    template = Template.from_stack(stack)  # synthesizes: CDK's validations run
    buckets = resources(template, "AWS::S3::Bucket")
    # The trail's access-log bucket keeps ACLs disabled; log delivery is admitted by its bucket policy.
    assert all("AccessControl" not in b["Properties"] for b in buckets.values())
    assert all(
        b["Properties"]["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
        for b in buckets.values()
    )
    statements = [
        s
        for policy in resources(template, "AWS::S3::BucketPolicy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    assert any(s.get("Principal") == {"Service": "logging.s3.amazonaws.com"} for s in statements)


def test_no_warning_about_the_access_log_policy(example_stack: object) -> None:
    from aws_cdk.assertions import Annotations, Match

    warnings = Annotations.from_stack(example_stack).find_warning(
        "*", Match.string_like_regexp("logging permissions")
    )  # type: ignore[arg-type]
    assert warnings == []
