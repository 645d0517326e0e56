"""``ApiTarget``: what a shared protection needs to know about the API it works on, whatever its kind.

The audit alarms, usage tiers, monitoring, outputs and custom domains take one ``ApiTarget`` instead of
``rest_api=``/``web_socket_api=`` branches: the kind (REST, WebSocket, HTTP), the API and stage
constructs, their ids, the ARNs of the API's execute-api resources, where CloudWatch publishes the
stage's metrics, the audit event groups and how each is narrowed to this API, and the API id's stack
output.
Build one with ``ApiTarget.rest``, ``ApiTarget.websocket`` or ``ApiTarget.http``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from aws_cdk import Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from constructs import Construct

from secure_api.audit.events import (
    API_CHANGES,
    AUDIT_EVENT_GROUPS,
    HTTP_API_CHANGES,
    HTTP_AUDIT_EVENT_GROUPS,
    WAF_ASSOCIATION_CHANGES,
    WEBSOCKET_API_CHANGES,
    WEBSOCKET_AUDIT_EVENT_GROUPS,
    AuditEventGroup,
)
from secure_api.keys import stack_outputs

METRICS_NAMESPACE = "AWS/ApiGateway"
"""Where API Gateway publishes the metrics of every kind of API."""


def v2_metric_dimensions(api_id: str, stage_name: str) -> dict[str, str]:
    """The dimensions of a v2 (WebSocket or HTTP) stage's metrics in ``METRICS_NAMESPACE``."""
    return {"ApiId": api_id, "Stage": stage_name}


class ApiKind(enum.Enum):
    """The three kinds of API Gateway API."""

    REST = "REST"
    WEBSOCKET = "WEBSOCKET"
    HTTP = "HTTP"

    @property
    def v2(self) -> bool:
        """True for the API Gateway v2 kinds (WebSocket and HTTP)."""
        return self is not ApiKind.REST


@dataclass(frozen=True, kw_only=True, eq=False)
class ApiTarget:
    """The API a shared protection works on (see the module docstring).

    ``audit_narrowing`` maps an audit event group's id to (request parameter, metric dimension, value)
    that restrict its alarm to this API; ``metric_dimensions`` are the stage metrics' dimensions in
    ``METRICS_NAMESPACE`` (a REST stage's own ``metric()`` is used for REST APIs: same dimensions).
    """

    kind: ApiKind
    api: Construct
    """The API construct (``apigw.RestApiBase``, ``apigwv2.WebSocketApi`` or ``apigwv2.HttpApi``)."""
    api_id: str
    stage: Construct
    """The stage construct (``apigw.Stage``, ``apigwv2.WebSocketStage`` or ``apigwv2.HttpStage``)."""
    stage_name: str
    metric_dimensions: Mapping[str, str] = field(default_factory=dict)
    audit_event_groups: tuple[AuditEventGroup, ...] = ()
    audit_narrowing: Mapping[str, tuple[str, str, str]] = field(default_factory=dict)
    output_id_name: str = stack_outputs.REST_API_ID
    output_id_description: str = "The REST API id (secure-api --api-id)"
    url_description: str = "The URL to call"

    @property
    def cfn_api(self) -> apigw.CfnRestApi | apigwv2.CfnApi:
        """The API's CloudFormation resource (``AWS::ApiGateway::RestApi`` or ``AWS::ApiGatewayV2::Api``)."""
        child = self.api.node.default_child
        assert isinstance(child, (apigw.CfnRestApi, apigwv2.CfnApi))
        return child

    def execute_api_arn(self, resource_name: str = "*") -> str:
        """``arn:<partition>:execute-api:<region>:<account>:<api id>/<resource_name>``."""
        return Stack.of(self.api).format_arn(
            service="execute-api", resource=self.api_id, resource_name=resource_name
        )

    @classmethod
    def rest(cls, rest_api: apigw.RestApiBase, stage: apigw.Stage) -> ApiTarget:
        """A REST API and its stage."""
        return cls(
            kind=ApiKind.REST,
            api=rest_api,
            api_id=rest_api.rest_api_id,
            stage=stage,
            stage_name=stage.stage_name,
            metric_dimensions={"ApiName": rest_api.rest_api_name, "Stage": stage.stage_name},
            audit_event_groups=AUDIT_EVENT_GROUPS,
            audit_narrowing={
                API_CHANGES.id: ("restApiId", "RestApiId", rest_api.rest_api_id),
                WAF_ASSOCIATION_CHANGES.id: ("resourceArn", "ResourceArn", stage.stage_arn),
            },
            output_id_name=stack_outputs.REST_API_ID,
            output_id_description="The REST API id (secure-api --api-id)",
            url_description="The URL to call",
        )

    @classmethod
    def websocket(cls, web_socket_api: apigwv2.WebSocketApi, stage: apigwv2.WebSocketStage) -> ApiTarget:
        """A WebSocket API and its stage."""
        return cls._v2(
            ApiKind.WEBSOCKET,
            web_socket_api,
            stage,
            audit_event_groups=WEBSOCKET_AUDIT_EVENT_GROUPS,
            own_changes=WEBSOCKET_API_CHANGES,
            output_id_name=stack_outputs.WEB_SOCKET_API_ID,
            name="WebSocket",
            url_description="The wss:// URL to connect to",
        )

    @classmethod
    def http(cls, http_api: apigwv2.HttpApi, stage: apigwv2.HttpStage) -> ApiTarget:
        """An HTTP API and its stage."""
        return cls._v2(
            ApiKind.HTTP,
            http_api,
            stage,
            audit_event_groups=HTTP_AUDIT_EVENT_GROUPS,
            own_changes=HTTP_API_CHANGES,
            output_id_name=stack_outputs.HTTP_API_ID,
            name="HTTP",
            url_description="The URL to call",
        )

    @classmethod
    def _v2(
        cls,
        kind: ApiKind,
        api: apigwv2.WebSocketApi | apigwv2.HttpApi,
        stage: apigwv2.WebSocketStage | apigwv2.HttpStage,
        *,
        audit_event_groups: tuple[AuditEventGroup, ...],
        own_changes: AuditEventGroup,
        output_id_name: str,
        name: str,
        url_description: str,
    ) -> ApiTarget:
        """A v2 API of ``kind`` (called ``name`` in its id output's description): metrics by ``ApiId``
        and ``Stage``, ``own_changes`` (its own audit event group) narrowed by ``requestParameters.apiId``."""
        api_id = api.api_id
        return cls(
            kind=kind,
            api=api,
            api_id=api_id,
            stage=stage,
            stage_name=stage.stage_name,
            metric_dimensions=v2_metric_dimensions(api_id, stage.stage_name),
            audit_event_groups=audit_event_groups,
            audit_narrowing={own_changes.id: ("apiId", "ApiId", api_id)},
            output_id_name=output_id_name,
            output_id_description=f"The {name} API id (secure-api --api-id)",
            url_description=url_description,
        )
