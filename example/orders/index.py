"""The example app's orders backend: a tiny Lambda proxy integration."""

from __future__ import annotations

import json
from typing import Any

CORS_ORIGIN = "https://app.example.com"


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    """Answer ``GET /orders``, ``GET /orders/{id}`` and ``POST /orders`` with JSON."""
    method = event.get("httpMethod")
    order_id = (event.get("pathParameters") or {}).get("id")
    if method == "POST":
        status, body = 201, {"created": True}
    elif order_id:
        status, body = 200, {"id": order_id, "status": "shipped"}
    else:
        status, body = 200, {"orders": []}
    return {
        "statusCode": status,
        "headers": {
            "Content-Type": "application/json",
            "Access-Control-Allow-Origin": CORS_ORIGIN,
            "Vary": "Origin",
        },
        "body": json.dumps(body),
    }
