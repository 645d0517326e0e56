"""API Gateway's and CloudFormation's limits, reported by the library before either service (or CDK)
meets them: the path-resource quota (a warning: AWS raises it on request), the 6 MB import limit of
a definition, and a stack's 500 resources and 1 MB template (refusals)."""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from aws_cdk import Annotations, CfnResource, Stack
from constructs import Construct

from secure_api import defaults
from secure_api.errors import SecureApiConfigError
from secure_api.rest.routes import RouteKey


def path_resources(routes: Iterable[RouteKey]) -> int:
    """How many API Gateway resources the routes' paths make (every distinct prefix, the root included)."""
    prefixes = {"/"}
    for route in routes:
        parts = [p for p in route.path.split("/") if p]
        prefixes.update("/" + "/".join(parts[: i + 1]) for i in range(len(parts)))
    return len(prefixes)


def warn_path_resources(api: Construct, routes: Iterable[RouteKey]) -> int:
    """Warn on ``api`` when its paths need more resources than API Gateway's default quota."""
    count = path_resources(routes)
    quota = defaults.API_GATEWAY_DEFAULT_RESOURCES_PER_API
    if count > quota:
        Annotations.of(api).add_warning_v2(
            "secure-api:path-resource-quota",
            f"secure_api: the routes' paths make {count} API Gateway resources, more than the default "
            f"quota of {quota} resources per REST API: the import would fail until AWS raises "
            "'Resources per API' for the account (Service Quotas, API Gateway) or paths are merged",
        )
    return count


def check_definition_size(where: str, size: int) -> None:
    """Refuse an OpenAPI definition API Gateway would not import."""
    limit = defaults.OPENAPI_MAX_DEFINITION_BYTES
    if size > limit:
        raise SecureApiConfigError(
            f"{where} OpenAPI body",
            f"{size} bytes",
            f"at most {limit} bytes (API Gateway's import limit): split the routes over several APIs, "
            "or shorten request schemas and integration templates",
        )


def stack_resources(stack: Stack) -> int:
    """The CloudFormation resources ``stack`` will synthesize (CDK's metadata resource included)."""
    count = sum(1 for c in stack.node.find_all() if isinstance(c, CfnResource) and Stack.of(c) is stack)
    reporting = stack.node.try_get_context("aws:cdk:version-reporting")
    return count + (0 if reporting is False or str(reporting).lower() == "false" else 1)


_TEMPLATE_PARTS: weakref.WeakKeyDictionary[Stack, dict[str | None, Mapping[str, Any]]] = (
    weakref.WeakKeyDictionary()
)
"""Per stack: each API's template parts that grow with routes, by the API's path (see check_stack)."""


def stack_template_parts(stack: Stack) -> dict[str | None, Mapping[str, Any]]:
    """The template parts each API has reported for ``stack`` so far, by the API's path."""
    return dict(_TEMPLATE_PARTS.get(stack, {}))


def template_size(stack: Stack, parts_by_owner: Mapping[str | None, Mapping[str, Any]]) -> int:
    """The estimated size of ``stack``'s template: the parts' indented JSON plus
    ``defaults.TEMPLATE_BYTES_PER_RESOURCE`` for each resource."""
    grown = sum(
        len(json.dumps(value, indent=1, default=str))
        for parts in parts_by_owner.values()
        for value in parts.values()
    )
    return grown + stack_resources(stack) * defaults.TEMPLATE_BYTES_PER_RESOURCE


def check_stack(stack: Stack, *, template_parts: Mapping[str, Any], owner: str | None = None) -> None:
    """Refuse a stack over CloudFormation's resource or template-size limit.

    ``template_parts`` are ``owner``'s values that grow with routes, as the template will hold them (the
    inline body, stage method settings, usage-plan method throttles). The stack keeps each owner's latest
    parts, and its template holds them all: every API's parts count, so the last API of a stack to be
    checked sees the whole estimate (their indented JSON plus ``defaults.TEMPLATE_BYTES_PER_RESOURCE``
    for each resource).
    """
    count = stack_resources(stack)
    limit = defaults.CLOUDFORMATION_MAX_RESOURCES
    if count > limit:
        raise SecureApiConfigError(
            f"stack {stack.node.path}",
            f"{count} CloudFormation resources",
            f"at most {limit} (CloudFormation's limit per stack): routes cost none, so move other "
            "constructs (backend functions, other APIs) into a second stack",
        )
    known = _TEMPLATE_PARTS.setdefault(stack, {})
    known[owner] = template_parts
    size = template_size(stack, known)
    max_bytes = defaults.CLOUDFORMATION_MAX_TEMPLATE_BYTES
    if size > max_bytes:
        named = {
            (f"{who}: {name}" if len(known) > 1 else name): value
            for who, parts in known.items()
            for name, value in parts.items()
        }
        largest = max(named, key=lambda k: len(json.dumps(named[k], default=str)))
        raise SecureApiConfigError(
            f"stack {stack.node.path}",
            f"a template of about {size} bytes ({largest} the largest part)",
            f"at most {max_bytes} bytes (CloudFormation's template limit): throttle fewer routes one by "
            "one (a usage tier's throttle covers every route), or split the routes over several APIs "
            "or stacks",
        )
