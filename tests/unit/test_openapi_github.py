"""A real published document with 1,223 operations: GitHub's REST API description (OpenAPI 3.0.3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from secure_api import BearerAuth, Consumer, CorsPolicy, SecureRestApi, UsageTier
from secure_api.rest.openapi.body import METADATA_KEY, OpenApiDocumentError, prepare
from secure_api.rest.openapi.check import check_body
from tests.fixtures.openapi_documents import github_document, github_hostable, operation_ids
from tests.unit.helpers import inline_function, new_stack, only

AUTH = BearerAuth(issuer="https://login.example.com/", audience=["github"])


def test_fails_on_the_published_document_listing_every_path_api_gateway_cannot_host() -> None:
    document = github_document()
    with pytest.raises(OpenApiDocumentError) as error:
        prepare(document, integrations=dict.fromkeys(operation_ids(document), object()), throttles=None,
                options={"auth": AUTH})  # fmt: skip
    offenders = error.value.offenders
    # Not an integration problem: a plain object is refused, but the lines below are about the paths.
    paths = [o for o in offenders if not o.startswith("integrations[")]
    assert any("{enterprise-team}" in o for o in paths)
    assert any("{base}...{head}" in o for o in paths)
    assert any("sibling variable segments ['{owner}', '{template_owner}']" in o for o in paths)
    assert len(paths) == 19


@pytest.fixture(scope="module")
def github() -> tuple[Template, dict[str, Any], Any]:
    document, dropped = github_hostable()
    assert len(dropped) < 20 and len(operation_ids(document)) >= 1200
    app, stack = new_stack()
    backend = inline_function(stack)
    SecureRestApi.from_openapi(
        stack,
        "GitHub",
        document,
        integrations=dict.fromkeys(operation_ids(document), backend),
        cors=CorsPolicy(["https://app.example.com"]),
        auth=AUTH,
        usage_tiers=[UsageTier("standard")],
        consumers=[Consumer("ci", tier="standard")],
    )
    template = Template.from_stack(stack)
    assembly = app.synth()
    return template, document, assembly


def test_no_per_operation_resources_and_the_body_in_s3(github: tuple[Template, dict[str, Any], Any]) -> None:
    template, _, _ = github
    types = [r["Type"] for r in template.to_json()["Resources"].values()]
    assert not {"AWS::ApiGateway::Method", "AWS::ApiGateway::Resource", "AWS::ApiGateway::Model"} & set(types)
    assert len(types) < 120
    rest_api = only(template, "AWS::ApiGateway::RestApi")
    assert rest_api["Metadata"][METADATA_KEY]["storage"] == "s3"
    include = rest_api["Properties"]["Body"]["Fn::Transform"]
    assert include["Name"] == "AWS::Include"
    assert len(json.dumps(template.to_json())) < 200_000


def test_every_operation_secured_and_validated(github: tuple[Template, dict[str, Any], Any]) -> None:
    template, document, assembly = github
    rest_api = only(template, "AWS::ApiGateway::RestApi")
    location = json.dumps(rest_api["Properties"]["Body"]["Fn::Transform"]["Parameters"]["Location"])
    asset = location.rsplit("/", 1)[1].split('"')[0]
    body = json.loads((Path(assembly.directory) / f"asset.{asset}").read_text())
    meta = rest_api["Metadata"][METADATA_KEY]
    assert check_body(body, public=meta["public"], key_exempt=meta["keyExempt"], tiers=True, cors=True) == []
    rendered = [(p, m) for p, item in body["paths"].items() for m in item if m != "options"]
    assert len(rendered) == len(operation_ids(document))
    json_bodies = [
        (p, m)
        for p, item in document["paths"].items()
        for m, op in item.items()
        if isinstance(op, dict) and "application/json" in op.get("requestBody", {}).get("content", {})
    ]
    assert len(json_bodies) > 300
    for path, method in json_bodies:
        assert "requestBody" in body["paths"][path][method], (path, method)
    for model in body["components"]["schemas"].values():
        assert model["$schema"] == "http://json-schema.org/draft-04/schema#"
        assert "nullable" not in json.dumps(model)
