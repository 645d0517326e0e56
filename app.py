#!/usr/bin/env python3
"""The example app: ``make synth`` (or ``npx cdk synth``) writes cdk.out/SecureApiExample.template.json
for the same API declared from an OpenAPI document, cdk.out/SecureApiOpenApiExample.template.json, and
for a chat WebSocket API, cdk.out/SecureApiWebSocketExample.template.json, and for the orders API as
an HTTP API, cdk.out/SecureApiHttpExample.template.json."""

from __future__ import annotations

import aws_cdk as cdk

from example.http_stack import HttpExampleStack
from example.openapi_stack import OpenApiExampleStack
from example.stack import ExampleStack
from example.websocket_stack import WebSocketExampleStack

app = cdk.App()
ExampleStack(app, "SecureApiExample", description="secure_api example: an orders REST API")
OpenApiExampleStack(
    app, "SecureApiOpenApiExample", description="secure_api example: the orders API from an OpenAPI document"
)
WebSocketExampleStack(
    app, "SecureApiWebSocketExample", description="secure_api example: a chat WebSocket API"
)
HttpExampleStack(app, "SecureApiHttpExample", description="secure_api example: the orders API as an HTTP API")
app.synth()
