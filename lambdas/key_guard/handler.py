"""Key guard Lambda entry point: scheduled per-key anomaly detection with optional quarantine.

Configured only through environment variables (see ``key_guard_config``). The event is the scheduler's
and is ignored, except for an optional ``{"windowStart": "<ISO-8601>"}`` to (re-)evaluate one window.
"""

from __future__ import annotations

import os
import time
from functools import cache
from typing import Any

from key_guard_config import load_settings
from key_guard_run import Clients, run, window_start_for


@cache
def _clients() -> Clients:
    # Created on first use (once per container) so that importing this module needs no AWS setup.
    import boto3

    return Clients(
        logs=boto3.client("logs"),
        dynamodb=boto3.client("dynamodb"),
        sns=boto3.client("sns"),
        apigateway=boto3.client("apigateway"),
    )


def handler(event: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    """Evaluate the last complete window of access logs; return a summary of what was found and done."""
    settings = load_settings(os.environ)
    window_start = window_start_for(time.time(), settings, event)
    return run(settings, _clients(), window_start=window_start).to_dict()
