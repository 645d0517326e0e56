"""Request models: OpenAPI 3.0 schemas (or plain JSON schemas) converted to JSON Schema draft 4.

API Gateway validates bodies against draft 4 only. OpenAPI 3.0 writes a few things differently
(``nullable``, annotations such as ``readOnly`` or ``example``); later drafts add keywords draft 4 has
no equivalent for. Everything convertible is converted; everything else is refused with the schema's
location, so that no keyword is silently dropped from validation.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from secure_api.errors import SecureApiConfigError

DRAFT4 = "http://json-schema.org/draft-04/schema#"

# Keywords that only describe (no validation effect): dropped, so API Gateway never sees unknown ones.
_ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "example",
        "examples",
        "readOnly",
        "writeOnly",
        "xml",
        "externalDocs",
        "deprecated",
        "discriminator",
        "$comment",
        "contentMediaType",
        "contentEncoding",
    }
)
# Draft 4 validation keywords kept as they are (their sub-schemas are converted).
_KEEP = frozenset(
    {
        "type",
        "format",
        "enum",
        "default",
        "multipleOf",
        "maximum",
        "minimum",
        "exclusiveMaximum",
        "exclusiveMinimum",
        "maxLength",
        "minLength",
        "pattern",
        "maxItems",
        "minItems",
        "uniqueItems",
        "maxProperties",
        "minProperties",
        "required",
        "$schema",
        "id",
    }
)
_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "definitions"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf"})
# Keywords of later drafts that draft 4 cannot express.
_REFUSED = {
    "if": "conditional schemas (if/then/else)",
    "then": "conditional schemas (if/then/else)",
    "else": "conditional schemas (if/then/else)",
    "contains": "'contains'",
    "propertyNames": "'propertyNames'",
    "dependentRequired": "'dependentRequired'",
    "dependentSchemas": "'dependentSchemas'",
    "unevaluatedProperties": "'unevaluatedProperties'",
    "unevaluatedItems": "'unevaluatedItems'",
    "prefixItems": "'prefixItems'",
    "$dynamicRef": "'$dynamicRef'",
    "$recursiveRef": "'$recursiveRef'",
    "minContains": "'minContains'",
    "maxContains": "'maxContains'",
}
_TYPES = ("string", "number", "integer", "boolean", "array", "object", "null")

RefRewriter = Callable[[str, str], str]
"""``(ref, location) -> ref``: rewrites (or refuses) a ``$ref`` found at ``location``."""


def local_refs_only(ref: str, location: str) -> str:
    """Accept ``#/definitions/...`` references inside the schema itself (a standalone draft-4 model)."""
    if not ref.startswith("#/definitions/"):
        raise SecureApiConfigError(
            f"{location}.$ref", ref, "a reference inside the schema, '#/definitions/<name>'"
        )
    return ref


def to_draft4(
    schema: Any, location: str, *, refs: RefRewriter = local_refs_only, top_level: bool = True
) -> dict[str, Any]:
    """Convert ``schema`` (OpenAPI 3.0 Schema Object or JSON schema) into a draft-4 schema.

    ``location`` names the schema in errors (e.g. ``components.schemas.Pet``). ``refs`` rewrites
    each ``$ref``. The top level carries ``$schema`` draft-04 (what API Gateway expects of a model).
    """
    converted = _convert(schema, location, refs)
    if top_level:
        converted = {"$schema": DRAFT4, **{k: v for k, v in converted.items() if k != "$schema"}}
    return converted


def _convert(schema: Any, location: str, refs: RefRewriter) -> dict[str, Any]:
    if isinstance(schema, bool):
        raise SecureApiConfigError(location, schema, "a schema object (boolean schemas are not draft 4)")
    if not isinstance(schema, Mapping):
        raise SecureApiConfigError(location, schema, "a JSON schema object")
    if "$ref" in schema:
        ref = schema["$ref"]
        if not isinstance(ref, str):
            raise SecureApiConfigError(f"{location}.$ref", ref, "a reference string")
        # In OpenAPI 3.0 and draft 4 alike, keywords beside $ref are ignored: keep only the reference,
        # wrapped so that nullable still applies.
        out: dict[str, Any] = {"$ref": refs(ref, location)}
        return _nullable(out, schema, location)
    out = {}
    for key, value in schema.items():
        where = f"{location}.{key}"
        if key in _REFUSED:
            raise SecureApiConfigError(
                where, value, f"no {_REFUSED[key]}: API Gateway validates with JSON Schema draft 4"
            )
        if key in _ANNOTATIONS or key == "nullable" or (isinstance(key, str) and key.startswith("x-")):
            continue
        if key in _KEEP:
            out[key] = value
        elif key in _SCHEMA_MAPS:
            if not isinstance(value, Mapping):
                raise SecureApiConfigError(where, value, "an object of schemas")
            out[key] = {name: _convert(sub, f"{where}.{name}", refs) for name, sub in value.items()}
        elif key in _SCHEMA_LISTS:
            if not isinstance(value, list) or not value:
                raise SecureApiConfigError(where, value, "a non-empty list of schemas")
            out[key] = [_convert(sub, f"{where}[{i}]", refs) for i, sub in enumerate(value)]
        elif key in ("not", "additionalItems", "additionalProperties", "items"):
            if isinstance(value, bool) and key in ("additionalProperties", "additionalItems"):
                out[key] = value
            elif key == "items" and isinstance(value, list):
                out[key] = [_convert(sub, f"{where}[{i}]", refs) for i, sub in enumerate(value)]
            else:
                out[key] = _convert(value, where, refs)
        elif key == "dependencies":
            if not isinstance(value, Mapping):
                raise SecureApiConfigError(where, value, "an object")
            out[key] = {
                name: dep if isinstance(dep, list) else _convert(dep, f"{where}.{name}", refs)
                for name, dep in value.items()
            }
        elif key == "const":
            out["enum"] = [value]
        elif key == "$defs":
            raise SecureApiConfigError(where, "$defs", "'definitions' (draft 4 has no '$defs')")
        else:
            raise SecureApiConfigError(where, key, "a JSON Schema draft 4 or OpenAPI 3.0 schema keyword")
    _check_types(out, location)
    _exclusive_bounds(out, location)
    return _nullable(out, schema, location)


def _check_types(out: dict[str, Any], location: str) -> None:
    types = out.get("type")
    if types is None:
        return
    listed = types if isinstance(types, list) else [types]
    if not listed or not all(t in _TYPES for t in listed):
        raise SecureApiConfigError(f"{location}.type", types, f"one or more of {', '.join(_TYPES)}")


def _exclusive_bounds(out: dict[str, Any], location: str) -> None:
    """OpenAPI 3.0 and draft 4 write ``exclusiveMinimum: true`` beside ``minimum``; draft 6+ writes a number."""
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        value = out.get(exclusive)
        if value is None or isinstance(value, bool):
            if value is True and bound not in out:
                raise SecureApiConfigError(f"{location}.{exclusive}", True, f"'{bound}' beside it")
            continue
        if isinstance(value, int | float):
            if bound in out:
                raise SecureApiConfigError(
                    f"{location}.{exclusive}",
                    value,
                    f"either a numeric {exclusive} or '{bound}', not both (ambiguous in draft 4)",
                )
            out[bound] = value
            out[exclusive] = True
        else:
            raise SecureApiConfigError(f"{location}.{exclusive}", value, "a boolean or a number")


def _nullable(out: dict[str, Any], schema: Mapping[str, Any], location: str) -> dict[str, Any]:
    nullable = schema.get("nullable", False)
    if not isinstance(nullable, bool):
        raise SecureApiConfigError(f"{location}.nullable", nullable, "true or false")
    if not nullable:
        return out
    types = out.get("type")
    if isinstance(types, str):
        out["type"] = [types, "null"] if types != "null" else "null"
    elif isinstance(types, list):
        out["type"] = types if "null" in types else [*types, "null"]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    if types is None and ("$ref" in out or any(k in out for k in _SCHEMA_LISTS)):
        return {"anyOf": [{"type": "null"}, out]}
    return out
