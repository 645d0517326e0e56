"""``secure-api verify``: a read-only check that a deployed REST API keeps the library's promises.

Importable without ``aws_cdk``: gathering (:mod:`.gather`), the AWS-side checks (:mod:`.checks`), the
network probes (:mod:`.probes`) and the HTTP-side checks (:mod:`.http_checks`) are separate modules;
:mod:`.command` runs them and :mod:`.report` prints the result.
"""

from __future__ import annotations

from secure_api.verify.model import CHECK_IDS, FAIL, PASS, SKIP, WARN, CheckResult, Report

__all__ = ["CHECK_IDS", "FAIL", "PASS", "SKIP", "WARN", "CheckResult", "Report"]
