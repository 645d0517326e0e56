"""The argument checks every root (REST, WebSocket, HTTP) runs the same way before any resource exists:
the stage name, the type of each option object, the log retention and the description, and that an API
whose kind has no default authentication gets one. Pure functions, no resources; what only one kind
checks lives in its package (``rest/option_checks.py``, ``websocket/option_checks.py``, ...), what the
v2 kinds share in ``v2/option_checks.py``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import aws_logs as logs

from secure_api.authorizer import BearerAuth
from secure_api.errors import SecureApiConfigError, is_token

# API Gateway: "Stage names can only contain alphanumeric characters, hyphens, and underscores.
# Maximum length is 128 characters."
STAGE_NAME = re.compile(r"[A-Za-z0-9_-]{1,128}")


def check_stage_name(stage_name: Any) -> None:
    """Exactly what API Gateway accepts: 1-128 letters, digits, '-' or '_'."""
    if is_token(stage_name):
        return
    if not isinstance(stage_name, str) or not STAGE_NAME.fullmatch(stage_name):
        raise SecureApiConfigError(
            "stage_name", stage_name, "1-128 letters, digits, hyphens or underscores (e.g. 'prod-eu')"
        )


def check_option_types(options: Mapping[str, Any], option_types: Sequence[tuple[str, type]]) -> None:
    """Each option object of ``options`` (by argument name) is None or of its type in ``option_types``."""
    for name, type_ in option_types:
        value = options.get(name)
        if value is not None and not isinstance(value, type_):
            raise SecureApiConfigError(name, value, f"a {type_.__name__} or None")


def check_retention_and_description(log_retention: Any, description: Any) -> None:
    """``log_retention`` an ``aws_logs.RetentionDays``; ``description`` a string (or token) or None."""
    if not isinstance(log_retention, logs.RetentionDays):
        raise SecureApiConfigError("log_retention", log_retention, "an aws_logs.RetentionDays")
    if description is not None and not is_token(description) and not isinstance(description, str):
        raise SecureApiConfigError("description", description, "a string or None")


def bearer_of(auth: BearerAuth | str | None) -> BearerAuth | None:
    """The ``BearerAuth`` of a checked ``auth`` option, or None (``auth="iam"``)."""
    return auth if isinstance(auth, BearerAuth) else None


def check_auth_required(auth: Any, *, api: str, hint: str = "") -> None:
    """``BearerAuth(...)`` or ``"iam"``: ``api`` (``"a WebSocket API"``) without authentication is never
    the default; ``hint`` follows the refusal of a missing ``auth`` (how to make a public route)."""
    if auth is None:
        raise SecureApiConfigError(
            "auth", None, f"BearerAuth(...) or 'iam': {api} without authentication is never the default{hint}"
        )
    if not (isinstance(auth, BearerAuth) or auth == "iam"):
        raise SecureApiConfigError("auth", auth, "a BearerAuth or 'iam'")
