"""What the API Gateway v2 kinds (WebSocket and HTTP APIs) share, as aws-cdk's ``aws-apigatewayv2/lib/common``
does: the stage with its default and per-route-key ``RouteSettings`` (``stage.py``), the route
integrations with one invoke permission per function and API (``integrations.py``), the Lambda REQUEST
authorizer (``authorizer.py``) and the custom domain (``domain.py``). What one kind alone has lives in
``secure_api.websocket`` or ``secure_api.http``."""

from __future__ import annotations

from secure_api.v2.authorizer import lambda_request_authorizer
from secure_api.v2.domain import apply_v2_domain
from secure_api.v2.integrations import Integrations
from secure_api.v2.stage import V2Stage, create_v2_stage, route_settings, set_route_settings

__all__ = [
    "Integrations",
    "V2Stage",
    "apply_v2_domain",
    "create_v2_stage",
    "lambda_request_authorizer",
    "route_settings",
    "set_route_settings",
]
