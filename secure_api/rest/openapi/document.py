"""Loading an OpenAPI 3.0 document and reading its operations (pure; no aws_cdk).

Anything in the document that could change the API's security behind the library's back is refused
here: API Gateway's own ``x-amazon-apigateway-*`` extensions (auth, integrations, policies, endpoint
configuration, key source, gateway responses, ``any-method``...), path items written as ``$ref`` and
references outside the document. The library renders every such extension itself.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secure_api.errors import SecureApiConfigError
from secure_api.rest.routes import RouteKey

OPERATION_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_PATH_ITEM_FIELDS = frozenset({"summary", "description", "servers", "parameters", *OPERATION_METHODS})
AWS_EXTENSION = "x-amazon-apigateway-"


@dataclass(frozen=True)
class Parameter:
    """A request parameter: API Gateway location (``path``, ``querystring``, ``header``), name, required."""

    location: str
    name: str
    required: bool


@dataclass(frozen=True)
class Operation:
    """One operation of the document, as the library needs it."""

    route: RouteKey
    operation_id: str | None
    """``None`` when the document gives none: the operation is then known by its route key."""
    security: list[dict[str, list[str]]] | None
    """The effective requirement: the operation's own, else the document's, else ``None`` (none at all)."""
    parameters: tuple[Parameter, ...] = ()
    body: Mapping[str, Any] = field(default_factory=dict)
    """Request body content type -> schema (as written, ``$ref`` included)."""
    body_required: bool = False
    responses: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """The keys ``integrations`` and ``throttles`` may use for it: its route key, its operationId."""
        return (self.route.key, *((self.operation_id,) if self.operation_id else ()))

    @property
    def label(self) -> str:
        """How offenders and model names refer to it: ``GET /a (getA)`` or ``GET /a``."""
        return f"{self.route.key} ({self.operation_id})" if self.operation_id else self.route.key


@dataclass
class Document:
    """A loaded, structurally checked OpenAPI 3.0 document."""

    raw: dict[str, Any]
    operations: list[Operation]

    @property
    def title(self) -> str:
        """``info.title``."""
        return str(self.raw.get("info", {}).get("title", "secure_api"))

    @property
    def version(self) -> str:
        """``info.version``."""
        return str(self.raw.get("info", {}).get("version", "1"))

    @property
    def schemas(self) -> Mapping[str, Any]:
        """``components.schemas``."""
        schemas = self.raw.get("components", {}).get("schemas", {})
        return schemas if isinstance(schemas, Mapping) else {}

    @property
    def security_schemes(self) -> Mapping[str, Any]:
        """``components.securitySchemes``."""
        schemes = self.raw.get("components", {}).get("securitySchemes", {})
        return schemes if isinstance(schemes, Mapping) else {}


def load(document: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """The document as a dict: ``document`` is a path to a YAML or JSON file, or an already-loaded dict."""
    if isinstance(document, Mapping):
        return copy.deepcopy(dict(document))
    if not isinstance(document, str | Path):
        raise SecureApiConfigError("document", document, "a path to an OpenAPI 3.0 YAML/JSON file, or a dict")
    path = Path(document)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SecureApiConfigError("document", str(document), f"a readable file ({error.strerror})") from None
    try:
        if path.suffix.lower() == ".json":
            loaded = json.loads(text)
        else:
            import yaml

            loaded = yaml.safe_load(text)
    except ValueError as error:  # json.JSONDecodeError and yaml.YAMLError's subclasses alike
        raise SecureApiConfigError("document", str(document), f"valid JSON or YAML ({error})") from None
    except Exception as error:  # yaml.YAMLError is not a ValueError
        raise SecureApiConfigError("document", str(document), f"valid JSON or YAML ({error})") from None
    if not isinstance(loaded, dict):
        raise SecureApiConfigError("document", str(document), "an OpenAPI 3.0 document (a mapping)")
    return loaded


def parse(raw: dict[str, Any], offenders: list[str]) -> Document:
    """Read every operation; append one line per refused construct to ``offenders``."""
    version = raw.get("openapi")
    if not isinstance(version, str) or not version.startswith("3.0."):
        raise SecureApiConfigError(
            "document.openapi", version, "an OpenAPI 3.0.x document ('3.0.0' to '3.0.4')"
        )
    paths = raw.get("paths")
    if not isinstance(paths, Mapping):
        raise SecureApiConfigError("document.paths", paths, "an object of path items")
    for key in raw:
        if isinstance(key, str) and key.startswith(AWS_EXTENSION):
            offenders.append(f"{key}: refused (the library renders API Gateway's extensions itself)")
    schemes = (
        raw.get("components", {}).get("securitySchemes", {})
        if isinstance(raw.get("components"), Mapping)
        else {}
    )
    for name, scheme in (schemes or {}).items():
        for key in scheme if isinstance(scheme, Mapping) else ():
            if isinstance(key, str) and key.startswith(AWS_EXTENSION):
                offenders.append(
                    f"components.securitySchemes.{name}.{key}: refused (the library's authorizer is used)"
                )
    global_security = raw.get("security")
    operations: list[Operation] = []
    seen_ids: dict[str, str] = {}
    for path, item in paths.items():
        where = f"paths.{path}"
        if not isinstance(item, Mapping):
            offenders.append(f"{where}: expected a path item object")
            continue
        if "$ref" in item:
            offenders.append(
                f"{where}.$ref: refused (write the path item in place: a reference could bring in operations unchecked)"
            )
            continue
        for key in item:
            if key in _PATH_ITEM_FIELDS or (key.startswith("x-") and not key.startswith(AWS_EXTENSION)):
                continue
            if key.startswith(AWS_EXTENSION):
                offenders.append(
                    f"{where}.{key}: refused (operations are declared one method at a time; the library renders API Gateway's extensions)"
                )
            elif key == "trace":
                offenders.append(f"{where}.trace: refused (API Gateway has no TRACE method)")
            else:
                offenders.append(f"{where}.{key}: not a path item field")
        shared = _parameters(raw, item.get("parameters", []), where, offenders)
        for method in OPERATION_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            op_where = f"{where}.{method}"
            if not isinstance(operation, Mapping):
                offenders.append(f"{op_where}: expected an operation object")
                continue
            for key in operation:
                if isinstance(key, str) and key.startswith(AWS_EXTENSION):
                    offenders.append(
                        f"{op_where}.{key}: refused (the library renders auth, integration and validation itself)"
                    )
            op_id = operation.get("operationId")
            if op_id is not None and (not isinstance(op_id, str) or not op_id):
                offenders.append(f"{op_where}.operationId: expected a non-empty string, got {op_id!r}")
                continue
            if op_id is not None and op_id in seen_ids:
                offenders.append(f"{op_where}: operationId {op_id!r} already used by {seen_ids[op_id]}")
                continue
            if op_id is not None:
                seen_ids[op_id] = op_where
            try:
                route = RouteKey.parse(method, path, field=op_where)
            except SecureApiConfigError as error:
                offenders.append(str(error))
                continue
            own = _parameters(raw, operation.get("parameters", []), op_where, offenders)
            merged = {
                (p.location, p.name.lower() if p.location == "header" else p.name): p for p in (*shared, *own)
            }
            security = operation.get("security", global_security)
            if security is not None and not _is_requirement_list(security):
                offenders.append(f"{op_where}.security: expected a list of security requirement objects")
                continue
            body, body_required = _request_body(raw, operation.get("requestBody"), op_where, offenders)
            responses = operation.get("responses", {})
            codes = (
                tuple(str(c) for c in responses if str(c).isascii() and str(c).isdigit())
                if isinstance(responses, Mapping)
                else ()
            )
            operations.append(
                Operation(
                    route=route,
                    operation_id=op_id,
                    security=security,
                    parameters=tuple(merged.values()),
                    body=body,
                    body_required=body_required,
                    responses=codes,
                )
            )
    _check_path_tree([op.route.path for op in operations], offenders)
    return Document(raw, operations)


def resolve(raw: Mapping[str, Any], value: Any, where: str, offenders: list[str]) -> Any:
    """Follow local ``#/components/...`` references (at most 32 hops); refuse any other."""
    for _ in range(32):
        if not (isinstance(value, Mapping) and "$ref" in value):
            return value
        ref = value["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/components/"):
            offenders.append(
                f"{where}.$ref: {ref!r} refused (only references inside the document, '#/components/...')"
            )
            return None
        target: Any = raw
        for token in ref[2:].split("/"):
            part = token.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, Mapping) else None
        if target is None:
            offenders.append(f"{where}.$ref: {ref!r} does not exist in the document")
            return None
        value = target
    offenders.append(f"{where}.$ref: a reference cycle")
    return None


def _is_requirement_list(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(req, Mapping)
        and all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(s, str) for s in v)
            for k, v in req.items()
        )
        for req in value
    )


def _parameters(raw: Mapping[str, Any], values: Any, where: str, offenders: list[str]) -> list[Parameter]:
    from secure_api.rest.openapi.parameters import OPENAPI_LOCATIONS

    if not isinstance(values, Sequence) or isinstance(values, str):
        offenders.append(f"{where}.parameters: expected a list")
        return []
    out = []
    for i, value in enumerate(values):
        param = resolve(raw, value, f"{where}.parameters[{i}]", offenders)
        if param is None:
            continue
        if not isinstance(param, Mapping) or not isinstance(param.get("name"), str):
            offenders.append(f"{where}.parameters[{i}]: expected a parameter with a name")
            continue
        location = param.get("in")
        if location == "cookie":
            continue  # API Gateway cannot validate cookies; the backend reads them as it likes
        if location not in OPENAPI_LOCATIONS:
            offenders.append(f"{where}.parameters[{i}].in: {location!r} is not path, query, header or cookie")
            continue
        out.append(
            Parameter(
                OPENAPI_LOCATIONS[location], param["name"], bool(param.get("required", location == "path"))
            )
        )
    return out


def _request_body(
    raw: Mapping[str, Any], value: Any, where: str, offenders: list[str]
) -> tuple[dict[str, Any], bool]:
    if value is None:
        return {}, False
    body = resolve(raw, value, f"{where}.requestBody", offenders)
    if not isinstance(body, Mapping):
        return {}, False
    content = body.get("content", {})
    if not isinstance(content, Mapping):
        offenders.append(f"{where}.requestBody.content: expected an object of media types")
        return {}, False
    schemas = {
        str(ct): media.get("schema", {}) if isinstance(media, Mapping) else {}
        for ct, media in content.items()
    }
    return schemas, bool(body.get("required", False))


def _check_path_tree(paths: list[str], offenders: list[str]) -> None:
    """API Gateway allows one variable segment among siblings (``/a/{id}`` and ``/a/{name}`` clash)."""
    variables: dict[str, set[str]] = {}
    for path in set(paths):
        parent = ""
        for part in [p for p in path.split("/") if p]:
            if part.startswith("{"):
                variables.setdefault(parent or "/", set()).add(part)
            parent = f"{parent}/{part}"
    for parent, names in sorted(variables.items()):
        if len(names) > 1:
            offenders.append(
                f"paths under {parent!r}: sibling variable segments {sorted(names)} (API Gateway allows one per level)"
            )
