"""Key creator Lambda: creates this API's keys (tagged at creation) and attaches keys to its usage plans.

Invoked only by the key rotation and provisioner functions (``lambda:InvokeFunction`` on this function)
with ``{"action": "create", "consumer", "enabled", "keyLength"}`` (answers ``{"key", "value"}``: the new
key without its value, and the value, which the caller stores in the consumer's secret) or
``{"action": "attach", "usagePlanId", "keyId"}``. Its role alone may tag keys, and it may not read a key's
value, change or delete a key (``secure_api.keys.creator``). Nothing it logs names a value.

Environment: ``REST_API_ID``, the API whose keys it creates.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import boto3

from secure_api.keys.creator import handle
from secure_api.keys.errors import KeyOpsError
from secure_api.keys.retry import AwsCaller

log = logging.getLogger()
log.setLevel(logging.INFO)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Create a key or attach one, for ``REST_API_ID`` only."""
    rest_api_id = os.environ.get("REST_API_ID", "")
    if not rest_api_id:
        raise KeyOpsError("REST_API_ID is not set")
    client = boto3.client("apigateway")
    caller = AwsCaller()

    def call(method: str, **kwargs: Any) -> Any:
        return caller.call(client, method, **kwargs)

    log.info(
        "key creator: %s (consumer %s, key %s)",
        event.get("action"),
        event.get("consumer"),
        event.get("keyId"),
    )
    return handle(event, call, rest_api_id)
