"""The example chat backend: one function for $connect, sendMessage, $default and $disconnect."""

from __future__ import annotations

import json
import os
from typing import Any


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Accept connections; echo ``sendMessage`` payloads back to the sender through the management API."""
    request = event.get("requestContext") or {}
    if request.get("routeKey") == "sendMessage":
        import boto3  # in the Lambda runtime

        endpoint = os.environ.get("CALLBACK_URL") or f"https://{request['domainName']}/{request['stage']}"
        client = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
        body = json.loads(event.get("body") or "{}")
        client.post_to_connection(
            ConnectionId=request["connectionId"], Data=json.dumps({"echo": body.get("message")}).encode()
        )
    return {"statusCode": 200}
