"""What the key functions' roles may do to API keys: no role both tags an existing key with this API's
tags and changes or deletes keys; no role reads every key (values included); the rotation function is
invoked by Secrets Manager for this API's secrets only."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Template

from secure_api import Consumer, SecureRestApi, UsageTier
from secure_api.monitoring import Monitoring
from tests.unit.helpers import inline_function, new_stack, resources

_KEY_FUNCTIONS = ("KeyRotation", "KeyProvisionerFunction", "KeyCreator", "KeyGuard")
_OWN_TAGS = {"secure-api:api", "secure-api:consumer"}


@pytest.fixture(scope="module")
def template() -> Template:
    _, stack = new_stack()
    api = SecureRestApi(
        stack,
        "Api",
        usage_tiers=[UsageTier("gold"), UsageTier("silver")],
        consumers=[Consumer("mobile-app", tier="gold")],
        monitoring=Monitoring(auto_quarantine=True),
    )
    api.add_route("GET", "/orders", inline_function(stack), auth="iam")
    return Template.from_stack(stack)


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _roles(template: Template) -> dict[str, list[dict[str, Any]]]:
    """Each key function's statements (its managed policy), by function."""
    policies = resources(template, "AWS::IAM::ManagedPolicy")
    out: dict[str, list[dict[str, Any]]] = {}
    for name in _KEY_FUNCTIONS:
        found = [p for k, p in policies.items() if k.startswith(f"Api{name}") or f"{name}Policy" in k]
        if found:
            out[name] = [s for p in found for s in p["Properties"]["PolicyDocument"]["Statement"]]
    return out


def _gateway(statement: dict[str, Any], *verbs: str) -> bool:
    return statement.get("Effect", "Allow") == "Allow" and any(
        f"apigateway:{v}" in _listed(statement["Action"]) for v in verbs
    )


def _tags_existing_keys_as_ours(statement: dict[str, Any]) -> bool:
    """PUT on API keys' tags (TagResource) that may set secure-api:api or secure-api:consumer."""
    if not _gateway(statement, "PUT", "POST") or "/tags/" not in json.dumps(statement["Resource"]):
        return False
    allowed = (statement.get("Condition") or {}).get("ForAllValues:StringEquals", {}).get("aws:TagKeys")
    return allowed is None or bool(_OWN_TAGS & set(_listed(allowed)))


def _changes_keys(statement: dict[str, Any]) -> bool:
    return _gateway(statement, "PATCH", "DELETE") and "/apikeys" in json.dumps(statement["Resource"])


def test_key_functions_found(template: Template) -> None:
    assert set(_roles(template)) == set(_KEY_FUNCTIONS)


@pytest.mark.parametrize("function", _KEY_FUNCTIONS)
def test_no_key_role_can_tag_an_existing_key_as_ours_and_change_keys(
    template: Template, function: str
) -> None:
    statements = _roles(template)[function]
    tags = [s for s in statements if _tags_existing_keys_as_ours(s)]
    changes = [s for s in statements if _changes_keys(s)]
    assert not (tags and changes), f"{function} may tag an existing key as this API's and change keys"


def test_only_the_creator_tags_and_it_changes_nothing(template: Template) -> None:
    roles = _roles(template)
    taggers = {
        name for name, statements in roles.items() if any(map(_tags_existing_keys_as_ours, statements))
    }
    assert taggers == {"KeyCreator"}
    creator = roles["KeyCreator"]
    assert not any(_gateway(s, "PATCH", "DELETE") for s in creator)
    # It reads no key value: GET only to check a key's tags before attaching it (this API's keys only).
    for statement in creator:
        if _gateway(statement, "GET"):
            assert statement["Condition"]["StringEquals"].keys() == {"aws:ResourceTag/secure-api:api"}


@pytest.mark.parametrize("function", _KEY_FUNCTIONS)
def test_no_key_role_reads_every_key(template: Template, function: str) -> None:
    for statement in _roles(template)[function]:
        if not _gateway(statement, "GET"):
            continue
        for resource in _listed(statement["Resource"]):
            text = json.dumps(resource)
            # GetApiKeys (with includeValues) on the collection cannot be conditioned: never granted.
            assert not text.rstrip('"]}').endswith("/apikeys"), f"{function}: GET /apikeys"
            assert "/usageplans/*" not in text, f"{function}: every usage plan's keys"
            if "/apikeys/" in text:
                condition = (statement.get("Condition") or {}).get("StringEquals", {})
                assert "aws:ResourceTag/secure-api:api" in condition, f"{function}: any key's value"


def test_rotation_invocation_names_this_apis_secrets(template: Template) -> None:
    (permission,) = [
        p["Properties"]
        for p in resources(template, "AWS::Lambda::Permission").values()
        if p["Properties"]["Principal"] == "secretsmanager.amazonaws.com"
    ]
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    source = json.dumps(permission["SourceArn"])
    assert ":secretsmanager:" in source and ":secret:secure-api/" in source
    assert "AWS::Partition" in source and "AWS::Region" in source and "AWS::AccountId" in source
