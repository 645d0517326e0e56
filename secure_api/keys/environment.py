"""The ``secure-api`` command's environment variables (no ``aws_cdk`` import)."""

from __future__ import annotations

import os
from collections.abc import Mapping

API_ID_ENV = "SECURE_API_API_ID"
"""The id of the API (REST, WebSocket or HTTP) the command works on, when neither ``--api-id`` nor
``--stack`` is given."""
API_ID_ENV_ALIASES = ("SECURE_API_REST_API_ID",)
"""Older names of :data:`API_ID_ENV`, still read (after it)."""
KMS_KEY_ENV = "SECURE_API_KMS_KEY_ID"


def env_api_id(environ: Mapping[str, str] | None = None) -> str | None:
    """The API id from :data:`API_ID_ENV`, else from its older names, else None."""
    environ = os.environ if environ is None else environ
    for name in (API_ID_ENV, *API_ID_ENV_ALIASES):
        value = environ.get(name, "").strip()
        if value:
            return value
    return None
