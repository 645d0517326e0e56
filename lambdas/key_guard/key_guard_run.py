"""One key-guard run: query a window, evaluate every key, persist baselines, report and quarantine.

All AWS clients are passed in, so this module is exercised with moto and stubbed Logs Insights.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from key_guard_baseline import BaselineStore
from key_guard_config import Settings
from key_guard_detect import evaluate_window, should_quarantine
from key_guard_model import Finding, KeyContext
from key_guard_notify import emf_line, finding_record, log_line, sns_message
from key_guard_query import (
    key_query,
    key_windows,
    parse_key_rows,
    parse_prefix_rows,
    plan_partitions,
    prefix_query,
    run_queries,
)

from secure_api.keys.quarantine import quarantine


@dataclass(kw_only=True)
class Clients:
    """The AWS clients a run uses (boto3 low-level clients)."""

    logs: Any
    dynamodb: Any
    sns: Any
    apigateway: Any


@dataclass(kw_only=True)
class RunResult:
    """What one run did; returned by the handler."""

    window_start: str
    keys: int = 0
    evaluated: int = 0
    skipped: int = 0
    findings: int = 0
    notified: int = 0
    quarantined: list[str] = field(default_factory=list)
    unknown_keys: int = 0
    prefix_coverage: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {
            "windowStart": self.window_start,
            "keys": self.keys,
            "evaluated": self.evaluated,
            "skipped": self.skipped,
            "findings": self.findings,
            "notified": self.notified,
            "quarantined": list(self.quarantined),
            "unknownKeys": self.unknown_keys,
            "prefixCoverage": round(self.prefix_coverage, 3),
        }


def window_start_for(now_s: float, settings: Settings, event: Mapping[str, Any] | None = None) -> int:
    """Start (epoch s) of the window to evaluate: the last complete one before ``now - delay``.

    An event ``{"windowStart": "2024-05-01T12:00:00Z"}`` evaluates that window instead (re-runs, tests);
    it is aligned down to the window length.
    """
    size = settings.detector.window_seconds
    requested = (event or {}).get("windowStart")
    if requested:
        text = str(requested).replace("Z", "+00:00")
        start = int(datetime.fromisoformat(text).astimezone(UTC).timestamp())
        return start - start % size
    end = int(now_s) - settings.ingestion_delay_seconds
    end -= end % size
    return end - size


def api_keys(apigw: Any, usage_plan_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The API's keys by id (``{"id", "name"}``, never a value), found through its own usage plans.

    Never ``GetApiKeys``: that list covers every key of the account, values included with
    ``includeValues``, and IAM cannot condition it; the guard's role may list these plans' keys only.
    """
    out: dict[str, dict[str, Any]] = {}
    paginator = apigw.get_paginator("get_usage_plan_keys")
    for plan_id in usage_plan_ids:
        for page in paginator.paginate(usagePlanId=plan_id, PaginationConfig={"PageSize": 500}):
            for item in page.get("items", []):
                out[str(item["id"])] = {"id": str(item["id"]), "name": item.get("name")}
    return out


def run(
    settings: Settings,
    clients: Clients,
    *,
    window_start: int,
    emit: Callable[[str], None] = print,
    sleep: Callable[[float], None] = time.sleep,
    now: Callable[[], float] = time.time,
) -> RunResult:
    """Evaluate the window starting at ``window_start`` (epoch seconds)."""
    config = settings.detector
    window_end = window_start + config.window_seconds
    result = RunResult(window_start=datetime.fromtimestamp(window_start, tz=UTC).isoformat())
    start_ms, end_ms = window_start * 1000, window_end * 1000
    # Events are stamped when API Gateway logs them; a little slack catches the stragglers.
    query_from, query_to = window_start - 60, window_end + 60

    (key_rows,) = run_queries(
        clients.logs,
        log_group_name=settings.log_group_name,
        queries=[key_query(start_ms, end_ms)],
        start_s=query_from,
        end_s=query_to,
        timeout_s=settings.query_timeout_seconds,
        sleep=sleep,
    )
    counts = parse_key_rows(key_rows)
    result.keys = len(counts)
    if not counts:
        return result

    partitions, covered = plan_partitions(
        {k: max(1, c.distinct_prefixes) for k, c in counts.items()},
        max_queries=settings.max_prefix_queries,
    )
    prefixes: dict[str, set[str]] = {}
    if partitions:
        for rows in run_queries(
            clients.logs,
            log_group_name=settings.log_group_name,
            queries=[prefix_query(start_ms, end_ms, p) for p in partitions],
            start_s=query_from,
            end_s=query_to,
            timeout_s=settings.query_timeout_seconds,
            sleep=sleep,
        ):
            for key_id, nets in parse_prefix_rows(rows).items():
                prefixes.setdefault(key_id, set()).update(nets)
    result.prefix_coverage = len(covered) / len(counts)

    known = api_keys(clients.apigateway, settings.usage_plan_ids)
    hours = settings.active_hours or {}
    contexts = {
        key_id: KeyContext(consumer=item.get("name"), active_hours=hours.get(item.get("name", "")))
        for key_id, item in known.items()
    }
    store = BaselineStore(clients.dynamodb, settings.table_name, sleep=sleep)
    stored = store.load(counts)
    previous_notified = {k: dict(b.notified) for k, b in stored.items()}
    outcome = evaluate_window(key_windows(counts, prefixes, covered), stored, contexts, window_start, config)
    result.evaluated, result.skipped = outcome.evaluated, outcome.skipped
    result.findings = len(outcome.findings)

    timestamp_ms = int(now() * 1000)
    for finding in outcome.findings:
        if finding.kind == "unknown_key":
            result.unknown_keys += 1
        quarantined = False
        if finding.notify:
            before = previous_notified.get(finding.api_key_id, {}).get(finding.kind)
            if store.claim(finding.api_key_id, finding.kind, finding.incident_start):
                try:
                    quarantined = _maybe_quarantine(settings, clients, finding, emit)
                    _publish(settings, clients, finding, quarantined)
                except Exception:
                    store.release(finding.api_key_id, finding.kind, finding.incident_start, before)
                    _forget(outcome.baselines[finding.api_key_id].notified, finding.kind, before)
                    raise
                result.notified += 1
                if quarantined:
                    result.quarantined.append(finding.api_key_id)
            else:
                finding = _already_notified(finding)  # noqa: PLW2901 - report what this run did
        record = finding_record(
            finding,
            api_id=settings.rest_api_id,
            quarantined=quarantined,
            window_minutes=config.window_minutes,
        )
        emit(log_line(record))
        emit(emf_line(finding, api_id=settings.rest_api_id, timestamp_ms=timestamp_ms))

    store.save(outcome.baselines.values())
    emit(json.dumps({"level": "INFO", "message": "key guard run", **result.to_dict()}, sort_keys=True))
    return result


def _iso(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _already_notified(finding: Finding) -> Finding:
    return Finding(
        kind=finding.kind,
        api_key_id=finding.api_key_id,
        consumer=finding.consumer,
        window_start=finding.window_start,
        incident_start=finding.incident_start,
        notify=False,
        numbers=finding.numbers,
    )


def _forget(notified: dict[str, int], kind: str, before: int | None) -> None:
    if before is None:
        notified.pop(kind, None)
    else:
        notified[kind] = before


def _maybe_quarantine(
    settings: Settings, clients: Clients, finding: Finding, emit: Callable[[str], None]
) -> bool:
    """Quarantine the finding's key if the policy says so; True when the key is (now) quarantined.

    A failure is logged and the finding still notified: a missed quarantine must not also lose the alert.
    """
    if not should_quarantine(
        finding,
        enabled=settings.auto_quarantine,
        kinds=settings.quarantine_on,
        exempt=settings.quarantine_exempt,
    ):
        return False
    try:
        quarantine(
            clients.apigateway,
            rest_api_id=settings.rest_api_id,
            api_key_id=finding.api_key_id,
            reason=f"key-guard {finding.kind} since {_iso(finding.incident_start)}",
        )
    except Exception as exc:  # reported below; the notification goes out regardless
        emit(
            json.dumps(
                {
                    "level": "ERROR",
                    "message": "key guard quarantine failed",
                    "apiId": settings.rest_api_id,
                    "apiKeyId": finding.api_key_id,
                    "reason": finding.kind,
                    "error": type(exc).__name__,
                },
                sort_keys=True,
            )
        )
        return False
    return True


def _publish(settings: Settings, clients: Clients, finding: Finding, quarantined: bool) -> None:
    record = finding_record(
        finding,
        api_id=settings.rest_api_id,
        quarantined=quarantined,
        window_minutes=settings.detector.window_minutes,
    )
    subject, message = sns_message(record)
    clients.sns.publish(
        TopicArn=settings.topic_arn,
        Subject=subject,
        Message=message,
        MessageAttributes={
            "reason": {"DataType": "String", "StringValue": finding.kind},
            "apiId": {"DataType": "String", "StringValue": settings.rest_api_id},
        },
    )
