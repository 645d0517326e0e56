"""Stack outputs and the keys' KMS key tag (``secure_api/outputs.py``)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from constructs import Construct

from secure_api import Consumer, SecureRestApi, UsageTier
from secure_api.keys import stack_outputs
from tests.unit.helpers import BARE, inline_function, new_stack, only


def outputs(template: Template) -> dict[str, Any]:
    found: dict[str, Any] = template.to_json().get("Outputs", {})
    return found


@pytest.fixture(scope="module")
def plain() -> tuple[cdk.Stack, Any]:
    """No domain, no tiers, nested one construct deep (the prefix is the path inside the stack)."""
    _, stack = new_stack()
    group = Construct(stack, "Team")
    api = SecureRestApi(group, "Orders-Api", stage_name="v1", **BARE)
    api.add_route("GET", "/items", inline_function(stack), auth="iam")
    return stack, api


def test_outputs_of_an_api_without_tiers(plain: tuple[cdk.Stack, Any]) -> None:
    stack, api = plain
    template = Template.from_stack(stack)
    found = outputs(template)
    assert set(found) >= {"TeamOrdersApiRestApiId", "TeamOrdersApiUrl", "TeamOrdersApiStageName"}
    assert not any(k.endswith(("KeySecretsPrefix", "KeysKmsKeyArn")) for k in found)
    assert found["TeamOrdersApiRestApiId"]["Value"] == {
        "Ref": stack.get_logical_id(api.rest_api.node.default_child)
    }
    assert found["TeamOrdersApiStageName"]["Value"] == {
        "Ref": stack.get_logical_id(api.stage.node.default_child)
    }
    assert "execute-api" in str(found["TeamOrdersApiUrl"]["Value"])
    # The execute-api endpoint is live here: CDK's own Endpoint output stays.
    assert any(k.startswith("TeamOrdersApiEndpoint") for k in found)
    assert set(api.outputs) == {stack_outputs.REST_API_ID, stack_outputs.URL, stack_outputs.STAGE_NAME}
    props = only(template, "AWS::ApiGateway::RestApi")["Properties"]
    assert stack_outputs.KEYS_KMS_KEY_TAG not in {t["Key"] for t in props.get("Tags", [])}


def test_example_outputs_with_domain_and_tiers(example_stack: Any, example_template: Template) -> None:
    found = outputs(example_template)
    api = example_stack.api
    # The custom domain disables execute-api: no output advertises that URL.
    assert not any(k.startswith("OrdersApiEndpoint") for k in found)
    assert found["OrdersApiUrl"]["Value"] == "https://api.example.com/"
    keys_key_id = example_stack.get_logical_id(api.usage_tiers.keys_key.node.default_child)
    assert found["OrdersApiKeysKmsKeyArn"]["Value"] == {"Fn::GetAtt": [keys_key_id, "Arn"]}
    api_id = example_stack.get_logical_id(api.rest_api.node.default_child)
    assert found["OrdersApiKeySecretsPrefix"]["Value"] == {
        "Fn::Join": ["", ["secure-api/", {"Ref": api_id}, "/"]]
    }
    assert found["OrdersApiRestApiId"]["Value"] == {"Ref": api_id}
    tags = {
        t["Key"]: t["Value"] for t in only(example_template, "AWS::ApiGateway::RestApi")["Properties"]["Tags"]
    }
    assert tags[stack_outputs.KEYS_KMS_KEY_TAG] == {"Fn::GetAtt": [keys_key_id, "Arn"]}
    # Only the REST API carries the tag (not its stage or deployment).
    stage_tags = only(example_template, "AWS::ApiGateway::Stage")["Properties"].get("Tags", [])
    assert stack_outputs.KEYS_KMS_KEY_TAG not in {t["Key"] for t in stage_tags}


def test_two_apis_in_one_stack_have_their_own_outputs() -> None:
    _, stack = new_stack()
    tiers = {"usage_tiers": [UsageTier("gold")], "consumers": [Consumer("app", tier="gold")]}
    for name in ("OrdersApi", "BillingApi"):
        api = SecureRestApi(stack, name, **BARE, **tiers)
        api.add_route("GET", "/items", inline_function(stack, f"{name}Fn"), auth="iam")
    found = outputs(Template.from_stack(stack))
    for name in ("OrdersApi", "BillingApi"):
        for key in ("RestApiId", "Url", "StageName", "KeySecretsPrefix", "KeysKmsKeyArn"):
            assert f"{name}{key}" in found
    assert found["OrdersApiKeysKmsKeyArn"] != found["BillingApiKeysKmsKeyArn"]
