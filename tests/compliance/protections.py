"""A synthesized stack reduced to what protects it, so that two syntheses can be compared.

What stays: every resource (named by its construct path, not its logical id) with its type,
properties, dependencies and metadata, and the outputs. What goes: the spelling differences CDK's
feature flags make without changing a protection: logical ids (and the deployment's hash suffix),
the grouping and order of IAM statements and of their actions and resources
(``@aws-cdk/aws-iam:minimizePolicies``), and statement ids.
"""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk as cdk

_DEPLOYMENT_HASH = re.compile(r"(Deployment[0-9A-F]{8})[0-9a-f]{32,}$")


def logical_id_paths(stack: cdk.Stack) -> dict[str, str]:
    """``logical id -> construct path`` (relative to the stack) of every CloudFormation element."""
    paths: dict[str, str] = {}
    for construct in stack.node.find_all():
        if isinstance(construct, cdk.CfnElement) and cdk.Stack.of(construct) is stack:
            logical_id = str(stack.resolve(stack.get_logical_id(construct)))
            paths[_unhashed(logical_id)] = construct.node.path.removeprefix(stack.node.path + "/")
    return paths


def protections(stack: cdk.Stack, template: dict[str, Any]) -> dict[str, Any]:
    """The comparable form of ``template`` (synthesized from ``stack``)."""
    paths = logical_id_paths(stack)
    renamed = _rename(template, paths)
    resources = {
        _path(logical_id, paths): _normalise(resource)
        for logical_id, resource in renamed.get("Resources", {}).items()
    }
    outputs = {
        _path(logical_id, paths): _normalise(output)
        for logical_id, output in renamed.get("Outputs", {}).items()
    }
    return {"Resources": resources, "Outputs": outputs}


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Where two ``protections`` differ: one line per resource or output, for assertion messages."""
    out: list[str] = []
    for section in ("Resources", "Outputs"):
        for key in sorted(set(a[section]) | set(b[section])):
            left, right = a[section].get(key), b[section].get(key)
            if left != right:
                out.append(f"{section}/{key}: {json.dumps(left, sort_keys=True)[:400]} != "
                           f"{json.dumps(right, sort_keys=True)[:400]}")  # fmt: skip
    return out


def _unhashed(logical_id: str) -> str:
    """A deployment's logical id without the hash CDK appends (it covers the API's definition)."""
    return _DEPLOYMENT_HASH.sub(r"\1", logical_id)


def _path(logical_id: str, paths: dict[str, str]) -> str:
    return paths.get(_unhashed(logical_id), logical_id)


def _rename(value: Any, paths: dict[str, str]) -> Any:
    """Logical ids inside ``Ref``, ``Fn::GetAtt`` and ``DependsOn`` replaced by construct paths."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key == "Ref" and isinstance(item, str):
                out[key] = _path(item, paths)
            elif key == "Fn::GetAtt" and isinstance(item, list):
                out[key] = [_path(item[0], paths), *item[1:]]
            elif key == "DependsOn":
                items = item if isinstance(item, list) else [item]
                out[key] = sorted(_path(i, paths) for i in items)
            else:
                out[key] = _rename(item, paths)
        return out
    if isinstance(value, list):
        return [_rename(item, paths) for item in value]
    return value


def _normalise(value: Any) -> Any:
    """IAM policy documents as sorted sets of single-action, single-resource statements."""
    if isinstance(value, dict):
        if isinstance(value.get("Statement"), list):
            return {**{k: _normalise(v) for k, v in value.items() if k != "Statement"},
                    "Statement": _atoms(value["Statement"])}  # fmt: skip
        return {key: _normalise(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_normalise(item) for item in value]
    return value


def _atoms(statements: list[dict[str, Any]]) -> list[str]:
    atoms: set[str] = set()
    for statement in statements:
        rest = {k: v for k, v in statement.items() if k not in ("Sid", "Action", "Resource")}
        for action in _listed(statement.get("Action")):
            for resource in _listed(statement.get("Resource")):
                atoms.add(json.dumps({**rest, "Action": action, "Resource": resource}, sort_keys=True))
    return sorted(atoms)


def _listed(value: Any) -> list[Any]:
    if value is None:
        return [None]
    return value if isinstance(value, list) else [value]
