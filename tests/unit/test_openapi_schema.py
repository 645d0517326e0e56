"""OpenAPI 3.0 / JSON schemas -> JSON Schema draft 4 (API Gateway models), and required parameters."""

from __future__ import annotations

from typing import Any

import pytest

from secure_api.errors import SecureApiConfigError
from secure_api.rest.openapi.parameters import required_parameters
from secure_api.rest.openapi.schema import DRAFT4, to_draft4
from secure_api.rest.routes import RouteKey


def test_top_level_is_draft4_and_annotations_dropped() -> None:
    out = to_draft4(
        {
            "type": "object",
            "description": "d",
            "example": {},
            "x-internal": 1,
            "properties": {"a": {"type": "string", "readOnly": True}},
        },
        "s",
    )
    assert out == {"$schema": DRAFT4, "type": "object", "properties": {"a": {"type": "string"}}}


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string", "nullable": True}, {"type": ["string", "null"]}),
        (
            {"type": "string", "enum": ["a"], "nullable": True},
            {"type": ["string", "null"], "enum": ["a", None]},
        ),
        (
            {"$ref": "#/definitions/X", "nullable": True},
            {"anyOf": [{"type": "null"}, {"$ref": "#/definitions/X"}]},
        ),
        (
            {"oneOf": [{"type": "string"}], "nullable": True},
            {"anyOf": [{"type": "null"}, {"oneOf": [{"type": "string"}]}]},
        ),
        ({"type": "integer", "nullable": False}, {"type": "integer"}),
    ],
)
def test_nullable(schema: dict[str, Any], expected: dict[str, Any]) -> None:
    assert to_draft4(schema, "s", top_level=False) == expected


def test_exclusive_bounds_in_both_styles() -> None:
    assert to_draft4({"type": "number", "minimum": 0, "exclusiveMinimum": True}, "s", top_level=False) == {
        "type": "number",
        "minimum": 0,
        "exclusiveMinimum": True,
    }
    # draft 6+ / OpenAPI 3.1 style
    assert to_draft4({"type": "number", "exclusiveMaximum": 10}, "s", top_level=False) == {
        "type": "number",
        "maximum": 10,
        "exclusiveMaximum": True,
    }


def test_const_becomes_enum_and_ref_siblings_are_dropped() -> None:
    assert to_draft4({"const": "x"}, "s", top_level=False) == {"enum": ["x"]}
    assert to_draft4({"$ref": "#/definitions/A", "description": "ignored"}, "s", top_level=False) == {
        "$ref": "#/definitions/A"
    }


def test_nested_schemas_are_converted() -> None:
    out = to_draft4(
        {
            "type": "array",
            "items": {"type": "object", "additionalProperties": {"type": "string", "nullable": True}},
            "definitions": {"A": {"allOf": [{"type": "object"}, {"not": {"const": 1}}]}},
        },
        "s",
        top_level=False,
    )
    assert out["items"]["additionalProperties"] == {"type": ["string", "null"]}
    assert out["definitions"]["A"]["allOf"][1] == {"not": {"enum": [1]}}


@pytest.mark.parametrize(
    ("schema", "where"),
    [
        ({"if": {"type": "string"}, "then": {"minLength": 1}}, "s.if"),
        (
            {"type": "object", "properties": {"a": {"contains": {"type": "string"}}}},
            "s.properties.a.contains",
        ),
        ({"propertyNames": {"pattern": "^a"}}, "s.propertyNames"),
        ({"prefixItems": [{"type": "string"}]}, "s.prefixItems"),
        ({"unevaluatedProperties": False}, "s.unevaluatedProperties"),
        ({"$defs": {}}, "s.$defs"),
        ({"type": "number", "minimum": 1, "exclusiveMinimum": 2}, "s.exclusiveMinimum"),
        ({"type": "number", "exclusiveMinimum": True}, "s.exclusiveMinimum"),
        ({"type": "uuid"}, "s.type"),
        ({"properties": {"a": True}}, "s.properties.a"),
        ({"madeUp": 1}, "s.madeUp"),
        ({"$ref": "https://example.com/schema.json"}, "s.$ref"),
        ({"type": "string", "nullable": "yes"}, "s.nullable"),
    ],
)
def test_fails_on_what_draft4_cannot_express(schema: dict[str, Any], where: str) -> None:
    with pytest.raises(SecureApiConfigError) as error:
        to_draft4(schema, "s")
    assert error.value.field == where


def test_required_parameters() -> None:
    route = RouteKey.parse("GET", "/orders/{id}")
    assert required_parameters(["querystring.limit", "header.X-Tenant", "path.id"], route, field="f") == {
        "method.request.querystring.limit": True,
        "method.request.header.X-Tenant": True,
        "method.request.path.id": True,
    }


@pytest.mark.parametrize(
    "values",
    [
        ["query.limit"],
        ["querystring."],
        ["limit"],
        ["path.order"],
        ["header.a b"],
        "querystring.limit",
        ["header.A", "header.A"],
    ],
)
def test_fails_on_bad_required_parameters(values: Any) -> None:
    with pytest.raises(SecureApiConfigError) as error:
        required_parameters(
            values, RouteKey.parse("GET", "/orders/{id}"), field="add_route.required_parameters"
        )
    assert error.value.field == "add_route.required_parameters"
