"""How a finding is reported: a structured log line, an embedded-metric-format line, an SNS message.

None of them ever contains an API key value: a finding only carries the key id, which identifies the key
in API Gateway without granting access.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from key_guard_model import Finding

NAMESPACE = "SecureApi/KeyGuard"
_REASONS = {
    "spike": "request spike",
    "error_burst": "error burst",
    "unusual_time": "activity at an unusual time",
    "unusual_place": "traffic from unusual networks",
    "unknown_key": "unknown API key",
}


def _iso(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def finding_record(
    finding: Finding, *, api_id: str, quarantined: bool, window_minutes: int
) -> dict[str, Any]:
    """The finding as a JSON-safe dict (shared by the log line and the SNS message)."""
    return {
        "source": "secure-api/key-guard",
        "apiId": api_id,
        "reason": finding.kind,
        "consumer": finding.consumer,
        "apiKeyId": finding.api_key_id,
        "window": {
            "start": _iso(finding.window_start),
            "end": _iso(finding.window_start + window_minutes * 60),
        },
        "incidentStart": _iso(finding.incident_start),
        "newIncident": finding.notify,
        "quarantined": quarantined,
        "numbers": dict(finding.numbers),
    }


def log_line(record: Mapping[str, Any]) -> str:
    """A one-line JSON log entry for a finding."""
    return json.dumps({"level": "WARNING", "message": "key guard finding", **record}, sort_keys=True)


def emf_line(
    finding: Finding, *, api_id: str, timestamp_ms: int, extra: Mapping[str, Any] | None = None
) -> str:
    """An embedded-metric-format line: metric ``Findings`` (Count) by ``ApiId`` and ``Reason``."""
    document: dict[str, Any] = {
        "_aws": {
            "Timestamp": timestamp_ms,
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [["ApiId", "Reason"]],
                    "Metrics": [{"Name": "Findings", "Unit": "Count"}],
                }
            ],
        },
        "ApiId": api_id,
        "Reason": finding.kind,
        "Findings": 1,
        "apiKeyId": finding.api_key_id,
    }
    if extra:
        document.update(extra)
    return json.dumps(document, sort_keys=True)


def sns_message(record: Mapping[str, Any]) -> tuple[str, str]:
    """``(subject, message)`` for SNS: a short ASCII subject (< 100 chars) and a JSON body with a summary."""
    reason = _REASONS.get(str(record["reason"]), str(record["reason"]))
    who = f"consumer {record['consumer']}" if record.get("consumer") else "no known consumer"
    numbers = record.get("numbers", {})
    details = ", ".join(f"{k}={v}" for k, v in numbers.items() if not isinstance(v, list | dict))
    action = " The key was disabled (quarantined)." if record.get("quarantined") else ""
    summary = (
        f"Key guard: {reason} on API {record['apiId']}, {who}, key id {record['apiKeyId']}, "
        f"window {record['window']['start']}-{record['window']['end']} ({details}).{action}"
    )
    subject = f"[secure-api] {reason}: {record.get('consumer') or record['apiKeyId']}"
    subject = subject.encode("ascii", "replace").decode("ascii")[:99]
    body = {"summary": summary, **record}
    return subject, json.dumps(body, indent=2, sort_keys=True)
