"""Loading documents, the security mapping, and every offender refused at once (no CDK synth here)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from secure_api.errors import SecureApiConfigError
from secure_api.rest.openapi.body import OpenApiDocumentError, prepare
from secure_api.rest.openapi.document import load, parse
from secure_api.rest.openapi.security import RouteSecurity, route_security
from tests.fixtures.openapi_documents import PETSTORE


class _Function:
    """Stands in for an aws_lambda.IFunction (prepare only checks the members it uses)."""

    function_arn = "arn:aws:lambda:eu-west-1:123456789012:function:f"

    def add_permission(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("prepare never touches a function")


FN = _Function()
BEARER = {"auth": object()}
SCHEMES = {
    "oauth": {"type": "oauth2", "flows": {}},
    "oidc": {
        "type": "openIdConnect",
        "openIdConnectUrl": "https://login.example.com/.well-known/openid-configuration",
    },
    "jwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "key": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "queryKey": {"type": "apiKey", "in": "query", "name": "api_key"},
    "cookieKey": {"type": "apiKey", "in": "cookie", "name": "session"},
    "otherHeader": {"type": "apiKey", "in": "header", "name": "api_key"},
    "basic": {"type": "http", "scheme": "basic"},
    "mtls": {"type": "mutualTLS"},
}


def doc(paths: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A minimal OpenAPI 3.0 document."""
    return {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": paths,
            "components": {"securitySchemes": copy.deepcopy(SCHEMES)}, **extra}  # fmt: skip


def op(op_id: str, **extra: Any) -> dict[str, Any]:
    """An operation."""
    return {"operationId": op_id, "responses": {"200": {"description": "ok"}}, **extra}


def offenders(
    document: dict[str, Any], integrations: dict[str, Any] | None = None, **options: Any
) -> list[str]:
    """Every offender ``prepare`` lists (none: an empty list)."""
    ids = [
        o["operationId"]
        for item in document["paths"].values()
        for o in item.values()
        if isinstance(o, dict) and "operationId" in o
    ]
    try:
        prepare(document, integrations=integrations if integrations is not None else dict.fromkeys(ids, FN),
                throttles=options.pop("throttles", None), options={**BEARER, **options})  # fmt: skip
    except OpenApiDocumentError as error:
        return error.offenders
    return []


# -- loading ----------------------------------------------------------------------------------------
def test_loads_yaml_json_and_dicts(tmp_path: Path) -> None:
    from_yaml = load(PETSTORE)
    json_file = tmp_path / "petstore.json"
    json_file.write_text(json.dumps(from_yaml))
    assert load(json_file) == from_yaml == load(str(json_file))
    assert load(from_yaml) == from_yaml and load(from_yaml) is not from_yaml


@pytest.mark.parametrize("bad", ["/nonexistent/openapi.yaml", 42])
def test_fails_on_unreadable_documents(bad: Any) -> None:
    with pytest.raises(SecureApiConfigError) as error:
        load(bad)
    assert error.value.field == "document"


def test_fails_on_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("openapi: [unclosed")
    with pytest.raises(SecureApiConfigError):
        load(path)


@pytest.mark.parametrize("version", ["2.0", "3.1.0", None])
def test_fails_on_other_openapi_versions(version: Any) -> None:
    with pytest.raises(SecureApiConfigError) as error:
        parse({"openapi": version, "paths": {}}, [])
    assert error.value.field == "document.openapi"


def test_petstore_operations() -> None:
    problems: list[str] = []
    parsed = parse(load(PETSTORE), problems)
    assert problems == []
    assert [(o.route.key, o.operation_id) for o in parsed.operations] == [
        ("GET /pets", "listPets"),
        ("POST /pets", "createPets"),
        ("GET /pets/{petId}", "showPetById"),
    ]
    assert parsed.operations[1].body_required
    assert parsed.operations[2].parameters[0].location == "path"


# -- security mapping -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        (None, RouteSecurity("bearer")),
        ([], RouteSecurity("none", api_key_required=False, public=True)),
        (
            [{"oauth": ["orders:read", "orders:write"]}],
            RouteSecurity("bearer", ("orders:read", "orders:write")),
        ),
        ([{"oidc": ["openid"]}], RouteSecurity("bearer", ("openid",))),
        ([{"jwt": []}], RouteSecurity("bearer")),
        ([{"oauth": ["a"], "key": []}], RouteSecurity("bearer", ("a",), True)),
        ([{"key": []}], RouteSecurity("none", (), True, public=True)),
        ([{"oauth": ["a"]}, {"oauth": ["a"]}], RouteSecurity("bearer", ("a",))),
    ],
)
def test_security_mapping(requirement: Any, expected: RouteSecurity) -> None:
    problems: list[str] = []
    assert route_security(requirement, SCHEMES, "op", problems) == expected
    assert problems == []


@pytest.mark.parametrize(
    ("requirement", "why"),
    [
        ([{"queryKey": []}], "query"),
        ([{"cookieKey": []}], "cookie"),
        ([{"otherHeader": []}], "'x-api-key'"),
        ([{"basic": []}], "basic"),
        ([{"mtls": []}], "mutual TLS"),
        ([{"unknown": []}], "not in components.securitySchemes"),
        ([{"oauth": ["a"]}, {"key": []}], "alternatives"),
        ([{}, {"oauth": []}], "optional auth"),
        ([{"oauth": ["has space"]}], "not a scope name"),
    ],
)
def test_fails_on_requirements_the_library_cannot_enforce(requirement: Any, why: str) -> None:
    problems: list[str] = []
    assert route_security(requirement, SCHEMES, "GET /x", problems) is None
    assert len(problems) == 1 and why in problems[0] and problems[0].startswith("GET /x")


# -- every offender at once ---------------------------------------------------------------------------
def test_fails_listing_every_offender_at_once() -> None:
    document = doc(
        {
            "/a": {"get": op("a", security=[{"queryKey": []}]), "post": op("b", security=[{"basic": []}])},
            "/b": {"get": op("c", security=[{"mtls": []}]), "put": op("d")},
        }
    )
    found = offenders(document, {"a": FN, "b": FN, "c": FN, "ghost": FN})
    assert any("integrations['ghost']" in o for o in found)
    assert any("PUT /b (d): no integration" in o for o in found)
    assert any("GET /a" in o and "query" in o for o in found)
    assert any("POST /a" in o and "basic" in o for o in found)
    assert any("GET /b" in o and "mutual TLS" in o for o in found)
    assert len(found) == 5
    with pytest.raises(SecureApiConfigError) as error:
        prepare(document, integrations={}, throttles=None, options=BEARER)
    assert error.value.field == "from_openapi(document)"


def test_fails_without_bearer_auth_for_operations_that_need_it() -> None:
    document = doc({"/a": {"get": op("a"), "post": op("b", security=[])}})
    found = offenders(document, auth=None)
    assert found == ["GET /a (a): needs the bearer authorizer: pass auth=BearerAuth(...)"]


def test_fails_on_bad_integrations_and_throttles() -> None:
    from secure_api import Throttle

    document = doc({"/a": {"get": op("a"), "post": op("b")}})
    found = offenders(
        document,
        {"a": "not-a-function", "b": FN},
        throttles={"GET /nope": Throttle(), "b": 5, "a": Throttle(), "GET /a": Throttle()},
    )
    assert any("integrations['a']: expected" in o for o in found)
    assert any("throttles['GET /nope']" in o for o in found)
    assert any("throttles['b']: expected a Throttle" in o for o in found)
    assert len(found) == 3


def test_fails_on_duplicate_operation_ids_and_unwired_operations() -> None:
    document = doc({"/a": {"get": {"responses": {}}, "post": op("x")}, "/b": {"get": op("x")}})
    found = offenders(document, {"x": FN})
    # An operation without an operationId is wired by its route key; here it is not wired at all.
    assert "GET /a: no integration (integrations['GET /a'] is missing)" in found
    assert any("operationId 'x' already used" in o for o in found)


def test_an_operation_without_an_operation_id_is_wired_by_its_route_key() -> None:
    document = doc({"/a": {"get": {"responses": {}}, "post": op("x")}})
    assert offenders(document, {"GET /a": FN, "POST /a": FN}) == []
    assert offenders(document, {"GET /a": FN, "x": FN}) == []


def test_fails_with_an_operation_wired_twice_or_an_unknown_key() -> None:
    document = doc({"/a": {"post": op("x")}})
    found = offenders(document, {"POST /a": FN, "x": FN, "GET /nope": FN})
    assert "POST /a (x): two integrations ('POST /a' and 'x'): give one" in found
    assert any(
        o.startswith("integrations['GET /nope']: neither an operationId nor a route key") for o in found
    )


def test_fails_on_a_non_string_operation_id() -> None:
    found = offenders(doc({"/a": {"get": {"operationId": 7, "responses": {}}}}), {})
    assert any("paths./a.get.operationId: expected a non-empty string, got 7" in o for o in found)


def test_offenders_are_listed_one_per_line() -> None:
    document = doc({"/a": {"get": op("a")}, "/b": {"get": op("b")}})
    with pytest.raises(OpenApiDocumentError) as raised:
        prepare(document, integrations={}, throttles=None, options=BEARER)
    lines = str(raised.value).splitlines()
    assert lines[0].startswith("from_openapi(document): a document the library can secure; 2 offender(s):")
    assert lines[1:] == [
        "  - GET /a (a): no integration (integrations['a'] or integrations['GET /a'] is missing)",
        "  - GET /b (b): no integration (integrations['b'] or integrations['GET /b'] is missing)",
    ]


def test_a_non_json_body_schema_is_recorded_as_unvalidated() -> None:
    form = {"content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}},
                        "application/json": {"schema": {"type": "object"}}}}  # fmt: skip
    document = doc({"/a": {"post": op("a", requestBody=form)}})
    body, *_ = prepare(document, integrations={"a": FN}, throttles=None, options=BEARER)
    assert body.unvalidated == ["POST /a (a) requestBody application/x-www-form-urlencoded"]


def test_fails_on_unconvertible_request_bodies_naming_the_schema() -> None:
    document = doc(
        {
            "/a": {
                "post": op(
                    "a",
                    requestBody={
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Bad"}}}
                    },
                )
            }
        },
    )
    document["components"]["schemas"] = {
        "Bad": {"type": "object", "properties": {"v": {"if": {"type": "string"}}}}
    }
    found = offenders(document)
    assert len(found) == 1 and "components.schemas.Bad.properties.v.if" in found[0]


def test_fails_on_sibling_variables_and_bad_paths() -> None:
    document = doc(
        {"/u/{id}": {"get": op("a")}, "/u/{name}/x": {"get": op("b")}, "/c/{a}...{b}": {"get": op("c")}}
    )
    found = offenders(document)
    assert any("sibling variable segments ['{id}', '{name}']" in o for o in found)
    assert any("{a}...{b}" in o for o in found)


# -- adversarial documents ----------------------------------------------------------------------------
SMUGGLERS = {
    "auth NONE on an operation": lambda d: d["paths"]["/a"]["get"].update(
        {"x-amazon-apigateway-auth": {"type": "NONE"}}
    ),
    "own integration": lambda d: d["paths"]["/a"]["get"].update(
        {"x-amazon-apigateway-integration": {"type": "http_proxy", "uri": "https://evil.example.com"}}
    ),
    "validator off": lambda d: d["paths"]["/a"]["get"].update(
        {"x-amazon-apigateway-request-validator": "none"}
    ),
    "any-method": lambda d: d["paths"]["/a"].update(
        {"x-amazon-apigateway-any-method": op("any", security=[])}
    ),
    "path-level $ref": lambda d: d["paths"].update({"/b": {"$ref": "#/components/pathItems/Open"}}),
    "resource policy": lambda d: d.update({"x-amazon-apigateway-policy": {"Statement": []}}),
    "endpoint configuration": lambda d: d.update(
        {"x-amazon-apigateway-endpoint-configuration": {"disableExecuteApiEndpoint": False}}
    ),
    "key source": lambda d: d.update({"x-amazon-apigateway-api-key-source": "AUTHORIZER"}),
    "gateway responses": lambda d: d.update({"x-amazon-apigateway-gateway-responses": {}}),
    "own authorizer": lambda d: d["components"]["securitySchemes"].update(
        {
            "evil": {
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "x-amazon-apigateway-authorizer": {"type": "token"},
            }
        }
    ),
    "external parameter $ref": lambda d: d["paths"]["/a"]["get"].update(
        {"parameters": [{"$ref": "https://evil.example.com/p.json"}]}
    ),
    "trace method": lambda d: d["paths"]["/a"].update({"trace": op("t")}),
}


@pytest.mark.parametrize("name", sorted(SMUGGLERS))
def test_fails_on_documents_smuggling_an_unauthenticated_operation(name: str) -> None:
    document = doc({"/a": {"get": op("a")}})
    assert offenders(copy.deepcopy(document)) == []
    SMUGGLERS[name](document)
    assert offenders(document) != []


def test_options_operation_refused_with_cors_and_secured_without() -> None:
    document = doc({"/a": {"options": op("preflight", security=[]), "get": op("a")}})
    from secure_api import CorsPolicy

    found = offenders(document, cors=CorsPolicy(["https://app.example.com"]))
    assert found == ["OPTIONS /a (preflight): an OPTIONS operation refused (CorsPolicy owns the preflight)"]
    # Without CORS an OPTIONS operation is an operation like any other: its requirement applies.
    document["paths"]["/a"]["options"] = op("preflight")
    _, _, secured, _ = prepare(
        document, integrations={"preflight": FN, "a": FN}, throttles=None, options=BEARER
    )
    assert [s.auth for _, s in secured] == ["bearer", "bearer"]
