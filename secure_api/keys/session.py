"""The one way the ``secure-api`` command opens AWS: a boto3 session and client settings.

Honours the standard AWS environment (``AWS_PROFILE``, ``AWS_REGION`` / ``AWS_DEFAULT_REGION``,
``AWS_ENDPOINT_URL``, which boto3 reads itself). Importable without ``aws_cdk``.
"""

from __future__ import annotations

import os
from typing import Any


def aws_session(*, region: str | None = None, profile: str | None = None) -> Any:
    """A boto3 session for ``profile`` (default ``$AWS_PROFILE``) in ``region`` (default ``$AWS_REGION``)."""
    import boto3

    return boto3.session.Session(
        profile_name=profile or None,
        region_name=region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION") or None,
    )


def client_config(agent: str) -> Any:
    """botocore's client settings for one part of the command: standard retries, a user-agent suffix."""
    from botocore.config import Config

    return Config(retries={"mode": "standard", "max_attempts": 3}, user_agent_extra=agent)
