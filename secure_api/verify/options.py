"""What ``secure-api verify`` is asked to do, once the command line is read: :class:`VerifyOptions`."""

from __future__ import annotations

from dataclasses import dataclass

from secure_api.verify.probes import DEFAULT_TIMEOUT
from secure_api.verify.public import PublicRoute

DEFAULT_STAGE = "prod"
MAX_PROBED_ROUTES = 50
"""At most this many GET routes are probed without credentials (the detail says when more exist)."""


@dataclass(frozen=True)
class VerifyOptions:
    """What to verify: the API stage, and with ``url`` the HTTPS (or ``wss://``) probes."""

    api_id: str
    stage: str = DEFAULT_STAGE
    url: str | None = None
    public: tuple[PublicRoute, ...] = ()
    ca_bundle: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    execute_api_url: str | None = None
    """Overrides the stage's execute-api URL (computed from the API id, region and stage by default)."""
    protocol: str | None = None
    """``REST``, ``WEBSOCKET`` or ``HTTP`` when known (from ``--stack``); None: asked of API Gateway."""
