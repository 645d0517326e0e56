"""Trail sharing: APIs in one stack with equal ``AuditTrail`` settings use the first one's trail."""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from constructs import Construct

from secure_api.audit.options import AuditTrail


def find_trail_owner(api: Construct, audit: AuditTrail) -> Any:
    """The API (of any kind) declared earlier in ``api``'s stack whose trail ``api`` shares: one with
    equal trail settings (``_trail_settings``) that made a trail. None when ``audit`` creates no
    shareable trail or no such API exists. Every root (``SecureApiBase``) carries ``_trail_settings``,
    ``trail`` and ``audit_log_group``."""
    if not (audit.create_trail and audit.shared):
        return None
    settings = getattr(api, "_trail_settings", None)
    for construct in Stack.of(api).node.find_all():
        if (
            construct is not api
            and getattr(construct, "_trail_settings", None) == settings
            and getattr(construct, "trail", None) is not None
            and getattr(construct, "audit_log_group", None) is not None
        ):
            return construct
    return None
