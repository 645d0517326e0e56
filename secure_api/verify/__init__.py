"""``secure-api verify``: a read-only check that a deployed REST, WebSocket or HTTP API keeps the
library's promises.

Importable without ``aws_cdk``. One registry (:mod:`.kinds`) gives each kind of API its gatherer
(:mod:`.gather` for REST APIs, :mod:`.v2_gather` for WebSocket and HTTP APIs), its AWS-side checks
(:mod:`.checks`, :mod:`.v2_checks`) and its live probes (:mod:`.observe` over :mod:`.probes`, judged by
:mod:`.http_checks` or :mod:`.websocket_checks`); :mod:`.command` picks the kind and :mod:`.report`
prints the result.
"""

from __future__ import annotations

from secure_api.verify.model import CHECK_IDS, FAIL, PASS, SKIP, WARN, CheckResult, Report

__all__ = ["CHECK_IDS", "FAIL", "PASS", "SKIP", "WARN", "CheckResult", "Report"]
