"""The REST API's own execute-api endpoint: TLS 1.2+ (``SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09`` with the
STRICT endpoint access mode) on every ``SecureRestApi``, both back ends, whatever the app's feature flags.

AWS's default for a Regional REST API without a policy is ``TLS_1_0``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk.assertions import Template

from secure_api import AccessPolicy, BearerAuth, SecureRestApi, defaults
from secure_api.rest.rest_api import security_policy_name
from tests.unit.helpers import inline_function, new_stack, only

POLICY = "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09"
README = Path(__file__).resolve().parents[2] / "README.md"


def _first_app_code() -> str:
    """The README's first app: the first ```python block of the "Install" section."""
    install = README.read_text().split("\n## Install\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", install, re.DOTALL)
    assert match is not None, "README.md: no python block in the Install section"
    return match.group(1)


def _rest_api(template: dict[str, Any]) -> dict[str, Any]:
    [api] = [r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGateway::RestApi"]
    props: dict[str, Any] = api["Properties"]
    return props


def test_readme_first_app_in_a_bare_app_sets_the_endpoint_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The ten-line app of the README, its ``cdk.App()`` given no context at all (no feature flag, no
    ``cdk.json``); only bundling is skipped (it changes no template property) and the output directory
    is a temporary one."""
    real_app = cdk.App
    apps: list[cdk.App] = []

    def bare_app(**kwargs: Any) -> cdk.App:
        assert not kwargs, kwargs
        app = real_app(context={"aws:cdk:bundling-stacks": []}, outdir=str(tmp_path))
        apps.append(app)
        return app

    monkeypatch.setattr(cdk, "App", bare_app)
    exec(compile(_first_app_code(), "README.md first app", "exec"), {"__name__": "readme_first_app"})
    [app] = apps
    template = app.synth().get_stack_by_name("OrdersStack").template
    props = _rest_api(template)
    assert props["SecurityPolicy"] == POLICY
    assert props["EndpointAccessMode"] == "STRICT"


def test_defaults_name_the_endpoint_policy() -> None:
    assert security_policy_name(defaults.REST_API_SECURITY_POLICY) == POLICY
    assert defaults.REST_API_ENDPOINT_ACCESS_MODE.value == "STRICT"


@pytest.mark.parametrize(
    ("policy", "name"),
    [
        (apigw.SecurityPolicy.TLS_1_2, "TLS_1_2"),
        (apigw.SecurityPolicy.TLS_1_0, "TLS_1_0"),
        (apigw.SecurityPolicy.TLS13_1_3_2025_09, "SecurityPolicy_TLS13_1_3_2025_09"),
        (apigw.SecurityPolicy.TLS13_2025_EDGE, "SecurityPolicy_TLS13_2025_EDGE"),
    ],
)
def test_security_policy_names_are_api_gateways(policy: apigw.SecurityPolicy, name: str) -> None:
    assert security_policy_name(policy) == name


def test_private_api_gets_the_policy_too() -> None:
    """PRIVATE REST APIs accept the same enhanced policies as REGIONAL ones."""
    _, stack = new_stack()
    api = SecureRestApi(
        stack, "Api", access=AccessPolicy.private(vpc_endpoint_ids=["vpce-0123456789abcdef0"]),
        firewall=None, audit=None, monitoring=None,
    )  # fmt: skip
    api.add_route("GET", "/items", inline_function(stack), auth="iam")
    props = only(Template.from_stack(stack), "AWS::ApiGateway::RestApi")["Properties"]
    assert props["EndpointConfiguration"]["Types"] == ["PRIVATE"]
    assert (props["SecurityPolicy"], props["EndpointAccessMode"]) == (POLICY, "STRICT")


def test_openapi_body_extensions_agree_with_the_properties() -> None:
    """A body-defined API is imported in overwrite mode: the body's extensions say the same as the
    properties, so an import never resets the policy."""
    _, stack = new_stack()
    document = {
        "openapi": "3.0.1",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/items": {"get": {"operationId": "listItems", "responses": {"200": {"description": "ok"}}}}
        },
    }
    SecureRestApi.from_openapi(
        stack, "Api", document, integrations={"listItems": inline_function(stack)},
        auth=BearerAuth(issuer="https://login.example.com/", audience=["a"]),
        firewall=None, audit=None, monitoring=None,
    )  # fmt: skip
    props = only(Template.from_stack(stack), "AWS::ApiGateway::RestApi")["Properties"]
    assert (props["SecurityPolicy"], props["EndpointAccessMode"]) == (POLICY, "STRICT")
    body = props["Body"]
    assert body["x-amazon-apigateway-security-policy"] == POLICY
    assert body["x-amazon-apigateway-endpoint-access-mode"] == "STRICT"


def test_example_stacks_carry_the_endpoint_policy(example_template: Template) -> None:
    """The example's API has a custom domain (its execute-api endpoint disabled): the API's own policy
    is set all the same, since a domain's handshake can follow the API's policy."""
    props = only(example_template, "AWS::ApiGateway::RestApi")["Properties"]
    assert props["DisableExecuteApiEndpoint"] is True
    assert (props["SecurityPolicy"], props["EndpointAccessMode"]) == (POLICY, "STRICT")


def test_openapi_example_stack_carries_the_endpoint_policy(make_app: Any) -> None:
    from example.openapi_stack import OpenApiExampleStack

    app = make_app()
    stack = OpenApiExampleStack(app, "OpenApiExample")
    props = only(Template.from_stack(stack), "AWS::ApiGateway::RestApi")["Properties"]
    assert (props["SecurityPolicy"], props["EndpointAccessMode"]) == (POLICY, "STRICT")
    body = props["Body"]
    assert (
        body["x-amazon-apigateway-security-policy"],
        body["x-amazon-apigateway-endpoint-access-mode"],
    ) == (
        POLICY,
        "STRICT",
    )
