"""The synthesized template as AWS Config sees the API Gateway resources it creates: REST stages (explicit
``AWS::ApiGateway::Stage`` resources and the stages a ``Deployment`` with a ``StageName`` creates), and the
references between resources (``Ref``, ``Fn::GetAtt``, ``Fn::Join``, ``Fn::Sub``) flattened to comparable text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

Template = dict[str, Any]


def resources(template: Template, type_: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(logical id, properties)`` of every resource of ``type_``."""
    for logical_id, resource in template.get("Resources", {}).items():
        if resource.get("Type") == type_:
            yield logical_id, resource.get("Properties", {}) or {}


def flatten(value: Any) -> str:
    """``value`` as text: literals as they are, ``{"Ref": "X"}`` as ``${X}``, ``{"Fn::GetAtt": ["X", "Y"]}``
    as ``${X.Y}``, joins joined and ``Fn::Sub`` strings with their variables substituted."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref":
            return "${" + str(arg) + "}"
        if key == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else arg
            return "${" + ".".join(map(str, parts)) + "}"
        if key == "Fn::Join":
            delimiter, items = arg
            return str(delimiter).join(flatten(item) for item in items)
        if key == "Fn::Sub":
            text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
            for name, sub in variables.items():
                text = text.replace("${" + name + "}", flatten(sub))
            return str(text)
    return repr(value)


def literal(value: Any) -> Any:
    """``value`` when it is a plain value (no intrinsic function), else None: a control never takes an
    unresolved setting for a compliant one."""
    if isinstance(value, dict) and any(key == "Ref" or key.startswith("Fn::") for key in value):
        return None
    return value


@dataclass(frozen=True)
class RestStage:
    """A REST API stage: the resource that declares it and its settings, with the stage-wide
    execution settings as the ``*/*`` method setting (what API Gateway stores)."""

    logical_id: str
    rest_api: str
    """The REST API id, flattened (``${LogicalId}`` for a REST API of the template)."""
    names: frozenset[str]
    """What a reference to this stage's name flattens to: ``${StageLogicalId}`` and the literal name."""
    method_settings: tuple[dict[str, Any], ...]
    tracing_enabled: Any
    client_certificate_id: Any
    cache_cluster_enabled: Any


def is_stage_wide(setting: dict[str, Any]) -> bool:
    """The ``*/*`` entry: every method of every resource."""
    return setting.get("HttpMethod") == "*" and setting.get("ResourcePath") == "/*"


def rest_stages(template: Template) -> list[RestStage]:
    """Every REST API stage the template creates."""
    stages = []
    for logical_id, props in resources(template, "AWS::ApiGateway::Stage"):
        name = literal(props.get("StageName"))
        stages.append(
            RestStage(
                logical_id=logical_id,
                rest_api=flatten(props.get("RestApiId")),
                names=frozenset({"${" + logical_id + "}", *([name] if isinstance(name, str) else [])}),
                method_settings=tuple(props.get("MethodSettings") or ()),
                tracing_enabled=props.get("TracingEnabled"),
                client_certificate_id=props.get("ClientCertificateId"),
                cache_cluster_enabled=props.get("CacheClusterEnabled"),
            )
        )
    for logical_id, props in resources(template, "AWS::ApiGateway::Deployment"):
        name = props.get("StageName")
        if name is None:
            continue
        description = props.get("StageDescription") or {}
        stage_wide = {
            "HttpMethod": "*",
            "ResourcePath": "/*",
            **{
                key: description[key]
                for key in ("LoggingLevel", "CachingEnabled", "CacheDataEncrypted", "DataTraceEnabled")
                if key in description
            },
        }
        stages.append(
            RestStage(
                logical_id=logical_id,
                rest_api=flatten(props.get("RestApiId")),
                names=frozenset({flatten(name)}),
                method_settings=(stage_wide, *(description.get("MethodSettings") or ())),
                tracing_enabled=description.get("TracingEnabled"),
                client_certificate_id=description.get("ClientCertificateId"),
                cache_cluster_enabled=description.get("CacheClusterEnabled"),
            )
        )
    return stages


_STAGE_ARN = re.compile(r":apigateway:.*::/restapis/(?P<api>[^/]+)/stages/(?P<stage>[^/]+)$")


def web_acl_targets(template: Template) -> set[tuple[str, str]]:
    """``(REST API id, stage name)``, flattened, of every stage a WAFv2 ``WebACLAssociation`` protects."""
    targets = set()
    for _, props in resources(template, "AWS::WAFv2::WebACLAssociation"):
        match = _STAGE_ARN.search(flatten(props.get("ResourceArn")))
        if match is not None:
            targets.add((match["api"], match["stage"]))
    return targets


def v2_protocol(template: Template, api_id: Any) -> str | None:
    """The ``ProtocolType`` of the API Gateway v2 API that ``api_id`` refers to; None when the API is not
    in the template (imported) or its protocol is not a literal."""
    match = re.fullmatch(r"\$\{([^.}]+)\}", flatten(api_id))
    if match is None:
        return None
    api = template.get("Resources", {}).get(match[1], {})
    if api.get("Type") != "AWS::ApiGatewayV2::Api":
        return None
    protocol = literal(api.get("Properties", {}).get("ProtocolType"))
    return protocol if isinstance(protocol, str) else None
