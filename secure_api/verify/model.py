"""What ``secure-api verify`` reports: check ids, statuses, one result per check, and the report."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

REST = "REST"
WEBSOCKET = "WEBSOCKET"
HTTP = "HTTP"
"""The three kinds of API Gateway API, as ``GetApi``'s ``ProtocolType`` names the two of v2."""

PASS = "pass"  # noqa: S105 - a check status, not a password
FAIL = "fail"
WARN = "warn"
SKIP = "skip"
STATUSES = (PASS, FAIL, WARN, SKIP)

POLICY_RESOURCE_POLICY = "policy.resource_policy"
ENDPOINT_EXECUTE_API_DISABLED = "endpoint.execute_api_disabled"
ENDPOINT_TLS_POLICY = "endpoint.tls_policy"
DOMAIN_TLS_POLICY = "domain.tls_policy"
DOMAIN_MTLS = "domain.mtls"
DOMAIN_CERTIFICATE = "domain.certificate"
WAF_ASSOCIATED = "waf.associated"
STAGE_THROTTLING = "stage.throttling"
STAGE_ACCESS_LOGS = "stage.access_logs"
STAGE_EXECUTION_LOGS = "stage.execution_logs"
STAGE_DATA_TRACE = "stage.data_trace"
STAGE_TRACING = "stage.tracing"
STAGE_VARIABLES = "stage.variables"
STAGE_CACHE_ENCRYPTION = "stage.cache_encryption"
METHODS_AUTH = "methods.auth"
METHODS_API_KEYS = "methods.api_keys"
METHODS_REQUEST_VALIDATION = "methods.request_validation"
AUDIT_TRAIL = "audit.trail"
HTTP_TLS_MIN_VERSION = "http.tls_min_version"
HTTP_UNAUTHENTICATED = "http.unauthenticated"
HTTP_CORS_FOREIGN_ORIGIN = "http.cors_foreign_origin"
HTTP_EXECUTE_API_URL = "http.execute_api_url"

ROUTES_AUTH = "routes.auth"
ROUTES_CONNECT_AUTH = "routes.connect_auth"
ROUTES_API_KEYS = "routes.api_keys"
WS_TLS_MIN_VERSION = "ws.tls_min_version"
WS_UNAUTHENTICATED = "ws.unauthenticated"
WS_EXECUTE_API_URL = "ws.execute_api_url"

AWS_CHECK_IDS = (
    POLICY_RESOURCE_POLICY,
    ENDPOINT_EXECUTE_API_DISABLED,
    ENDPOINT_TLS_POLICY,
    DOMAIN_TLS_POLICY,
    DOMAIN_MTLS,
    DOMAIN_CERTIFICATE,
    WAF_ASSOCIATED,
    STAGE_THROTTLING,
    STAGE_ACCESS_LOGS,
    STAGE_EXECUTION_LOGS,
    STAGE_DATA_TRACE,
    STAGE_TRACING,
    STAGE_VARIABLES,
    STAGE_CACHE_ENCRYPTION,
    METHODS_AUTH,
    METHODS_API_KEYS,
    METHODS_REQUEST_VALIDATION,
    AUDIT_TRAIL,
)
"""The checks made through the AWS APIs, in report order."""
HTTP_CHECK_IDS = (
    HTTP_TLS_MIN_VERSION,
    HTTP_UNAUTHENTICATED,
    HTTP_CORS_FOREIGN_ORIGIN,
    HTTP_EXECUTE_API_URL,
)
"""The checks made over HTTPS (with ``--url``), in report order."""
CHECK_IDS = AWS_CHECK_IDS + HTTP_CHECK_IDS

WS_AWS_CHECK_IDS = (
    ENDPOINT_EXECUTE_API_DISABLED,
    DOMAIN_TLS_POLICY,
    STAGE_THROTTLING,
    STAGE_ACCESS_LOGS,
    STAGE_EXECUTION_LOGS,
    ROUTES_CONNECT_AUTH,
    ROUTES_API_KEYS,
    AUDIT_TRAIL,
)
"""The checks of a WebSocket API made through the AWS APIs, in report order."""
WS_URL_CHECK_IDS = (WS_TLS_MIN_VERSION, WS_UNAUTHENTICATED, WS_EXECUTE_API_URL)
"""The checks of a WebSocket API made with ``--url wss://...``, in report order."""
WS_CHECK_IDS = WS_AWS_CHECK_IDS + WS_URL_CHECK_IDS


@dataclass(frozen=True)
class CheckResult:
    """One row of the report: a check id, its status and one line of detail naming what was found."""

    id: str
    status: str
    detail: str

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r} is not one of {', '.join(STATUSES)}")
        # The detail is one line whatever AWS or a server put into it.
        object.__setattr__(self, "detail", " ".join(self.detail.split()))

    def to_dict(self) -> dict[str, str]:
        """``{"id", "status", "detail"}``."""
        return {"id": self.id, "status": self.status, "detail": self.detail}


@dataclass(frozen=True)
class Report:
    """The outcome of ``secure-api verify`` for one API stage."""

    api_id: str
    stage: str
    checks: Sequence[CheckResult]

    def summary(self) -> dict[str, int]:
        """How many checks ended in each status."""
        return {status: sum(c.status == status for c in self.checks) for status in STATUSES}

    @property
    def failed(self) -> bool:
        """True when at least one check failed."""
        return any(c.status == FAIL for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` document: ``{"apiId", "stage", "checks", "summary"}``."""
        return {
            "apiId": self.api_id,
            "stage": self.stage,
            "checks": [c.to_dict() for c in self.checks],
            "summary": self.summary(),
        }
