"""Reading one window of access logs with CloudWatch Logs Insights, and parsing the results.

Two kinds of query keep every result under Logs Insights' 10,000-row cap:

1. one *key query*: one row per API key id (requests, 4XX, 5XX, distinct IPs, distinct networks), sorted
   by requests, so at most 10,000 keys per window are seen;
2. *prefix queries*: one row per (key, network) pair. The keys are split into partitions by a regular
   expression on the leading characters of their id, sized from the distinct-network counts of the key
   query so that each partition stays under ``MAX_ROWS``; at most ``MAX_PREFIX_QUERIES`` run per window.
   Keys left out get ``prefixes=None`` and are skipped by the unusual-place check for that window.

Only characters ``[0-9A-Za-z]`` from key ids ever reach a query string. A log line is data, not API
Gateway's word: a row counts only when its ``apiKeyId`` is exactly an API key id (:func:`is_api_key_id`),
never trimmed or case-folded, so no crafted form of one key's id adds traffic or networks to that key.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from key_guard_model import KeyWindow

MAX_RESULT_ROWS = 10_000
# Below the cap, because count_distinct is approximate for high cardinalities.
MAX_ROWS = 8_000
_ID_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# API Gateway's API key ids: 10 lower-case ASCII letters and digits.
API_KEY_ID = re.compile(r"[a-z0-9]{10}")

_NETWORK_FIELDS = (
    r"| parse ip /^(?<net4>[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})\.[0-9]{1,3}$/"
    "\n"
    r"| parse ip /^(?<net6>[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}):/"
    "\n| fields coalesce(net4, net6, ip) as net"
)


class QueryError(RuntimeError):
    """A Logs Insights query failed, was cancelled or did not finish in time."""


def _window_filter(start_ms: int, end_ms: int) -> str:
    return (
        f"filter requestTimeEpoch >= {int(start_ms)} and requestTimeEpoch < {int(end_ms)}"
        ' and ispresent(apiKeyId) and apiKeyId != "-" and apiKeyId != ""'
    )


def key_query(start_ms: int, end_ms: int) -> str:
    """The per-key aggregation query for the window ``[start_ms, end_ms)`` (request time, ms)."""
    return (
        f"{_window_filter(start_ms, end_ms)}\n"
        f"{_NETWORK_FIELDS}\n"
        "| stats count(*) as requests, sum(status >= 400) as errors, sum(status >= 500) as errors5xx,"
        " count_distinct(ip) as ips, count_distinct(net) as nets by apiKeyId\n"
        "| sort requests desc\n"
        f"| limit {MAX_RESULT_ROWS}"
    )


def prefix_query(start_ms: int, end_ms: int, partition: str) -> str:
    """The (key, network) query for keys whose id matches the anchored regex ``partition``."""
    if not set(partition) <= set(_ID_CHARS + "^$|()"):
        raise ValueError(f"unsafe partition pattern {partition!r}")
    return (
        f"{_window_filter(start_ms, end_ms)} and apiKeyId like /{partition}/\n"
        f"{_NETWORK_FIELDS}\n"
        "| stats count(*) as n by apiKeyId, net\n"
        f"| limit {MAX_RESULT_ROWS}"
    )


def plan_partitions(
    network_counts: Mapping[str, int], *, max_rows: int = MAX_ROWS, max_queries: int = 20
) -> tuple[list[str], set[str]]:
    """Split keys into id-prefix partitions of at most ``max_rows`` (key, network) rows each.

    Returns the partition patterns (at most ``max_queries``; the busiest first) and the key ids they
    cover. A single key with more networks than ``max_rows`` gets its own (truncated) partition.
    """
    groups: list[tuple[str, list[str], int]] = []

    def split(prefix: str, keys: list[str]) -> None:
        rows = sum(network_counts[k] for k in keys)
        if rows <= max_rows or len(keys) == 1 or len(prefix) >= 12:
            groups.append((prefix, keys, rows))
            return
        by_char: dict[str, list[str]] = {}
        exact: list[str] = []
        for k in keys:
            if len(k) > len(prefix):
                by_char.setdefault(k[len(prefix)], []).append(k)
            else:
                exact.append(k)
        if exact:
            groups.append((prefix + "$", exact, sum(network_counts[k] for k in exact)))
        for char in sorted(by_char):
            split(prefix + char, by_char[char])

    safe = sorted(k for k in network_counts if k and all(c in _ID_CHARS for c in k))
    if safe:
        split("", safe)
    # Pack groups greedily (largest first) into alternations, so few queries cover many keys.
    groups.sort(key=lambda g: -g[2])
    packs: list[_Pack] = []
    for prefix, keys, rows in groups:
        pack = next((p for p in packs if p.rows + rows <= max_rows and len(p.prefixes) < 200), None)
        if pack is None:
            pack = _Pack()
            packs.append(pack)
        pack.prefixes.append(prefix)
        pack.keys.extend(keys)
        pack.rows += rows
    patterns: list[str] = []
    covered: set[str] = set()
    for pack in packs[:max_queries]:
        patterns.append("^(" + "|".join(pack.prefixes) + ")" if any(pack.prefixes) else "^")
        covered.update(pack.keys)
    return patterns, covered


@dataclass
class _Pack:
    prefixes: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    rows: int = 0


def network_prefix(value: str) -> str | None:
    """Normalise an IP address or a query-side partial network to ``a.b.c.0/24`` or ``x:y:z::/48``."""
    value = value.strip()
    if not value or value == "-":
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        parts = value.split(".")
        if len(parts) == 3 and all(p.isascii() and p.isdigit() and int(p) < 256 for p in parts):
            return f"{int(parts[0])}.{int(parts[1])}.{int(parts[2])}.0/24"
        hextets = value.split(":")
        if len(hextets) == 3:
            try:
                return str(ipaddress.IPv6Network(f"{value}::/48", strict=False))
            except ValueError:
                return None
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if isinstance(address, ipaddress.IPv4Address):
        return str(ipaddress.IPv4Network(f"{address}/24", strict=False))
    return str(ipaddress.IPv6Network(f"{address}/48", strict=False))


def rows_to_dicts(results: Iterable[Sequence[Mapping[str, str]]]) -> list[dict[str, str]]:
    """Turn Logs Insights ``results`` (lists of ``{"field", "value"}``) into plain dicts."""
    return [{cell["field"]: cell.get("value", "") for cell in row} for row in results]


def is_api_key_id(value: object) -> bool:
    """True when ``value`` is exactly an API Gateway API key id (no surrounding space, no other case)."""
    return isinstance(value, str) and API_KEY_ID.fullmatch(value) is not None


def _int(value: str | None) -> int:
    try:
        return int(float(value or 0))
    except ValueError:
        return 0


@dataclass(frozen=True, kw_only=True)
class KeyCounts:
    """One row of the key query."""

    api_key_id: str
    requests: int
    errors_4xx: int
    errors_5xx: int
    distinct_ips: int
    distinct_prefixes: int


def parse_key_rows(rows: Iterable[Mapping[str, str]]) -> dict[str, KeyCounts]:
    """Parse the key query's rows, keyed by API key id."""
    out: dict[str, KeyCounts] = {}
    for row in rows:
        key_id = row.get("apiKeyId", "")
        if not is_api_key_id(key_id):
            continue
        errors = _int(row.get("errors"))
        errors_5xx = _int(row.get("errors5xx"))
        out[key_id] = KeyCounts(
            api_key_id=key_id,
            requests=_int(row.get("requests")),
            errors_4xx=max(0, errors - errors_5xx),
            errors_5xx=errors_5xx,
            distinct_ips=_int(row.get("ips")),
            distinct_prefixes=_int(row.get("nets")),
        )
    return out


def parse_prefix_rows(rows: Iterable[Mapping[str, str]]) -> dict[str, set[str]]:
    """Parse prefix-query rows into ``{key id: {network, ...}}``."""
    out: dict[str, set[str]] = {}
    for row in rows:
        key_id = row.get("apiKeyId", "")
        prefix = network_prefix(row.get("net", ""))
        if is_api_key_id(key_id) and prefix:
            out.setdefault(key_id, set()).add(prefix)
    return out


def key_windows(
    counts: Mapping[str, KeyCounts], prefixes: Mapping[str, set[str]], covered: set[str]
) -> list[KeyWindow]:
    """Combine both queries into the detector's input; keys outside ``covered`` get ``prefixes=None``."""
    return [
        KeyWindow(
            api_key_id=c.api_key_id,
            requests=c.requests,
            errors_4xx=c.errors_4xx,
            errors_5xx=c.errors_5xx,
            distinct_ips=c.distinct_ips,
            distinct_prefixes=c.distinct_prefixes,
            prefixes=frozenset(prefixes.get(c.api_key_id, ())) if c.api_key_id in covered else None,
        )
        for c in counts.values()
    ]


def run_queries(
    logs: Any,
    *,
    log_group_name: str,
    queries: Sequence[str],
    start_s: int,
    end_s: int,
    timeout_s: float = 120.0,
    poll_s: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> list[list[dict[str, str]]]:
    """Start ``queries`` together over ``[start_s, end_s]`` and poll until all complete (bounded).

    ``start_s``/``end_s`` bound the events by ingestion timestamp; the query strings filter by
    request time exactly. Raises :class:`QueryError` on failure or timeout (stopping what still runs).
    """
    ids = [
        logs.start_query(
            logGroupName=log_group_name,
            startTime=int(start_s),
            endTime=int(end_s),
            queryString=query,
            limit=MAX_RESULT_ROWS,
        )["queryId"]
        for query in queries
    ]
    results: dict[str, list[dict[str, str]]] = {}
    deadline = clock() + timeout_s
    while True:
        for query_id in ids:
            if query_id in results:
                continue
            response = logs.get_query_results(queryId=query_id)
            status = response.get("status")
            if status == "Complete":
                results[query_id] = rows_to_dicts(response.get("results", []))
            elif status in ("Failed", "Cancelled", "Timeout", "Unknown"):
                _stop(logs, [i for i in ids if i not in results and i != query_id])
                raise QueryError(f"Logs Insights query {query_id} ended with status {status}")
        if len(results) == len(ids):
            return [results[i] for i in ids]
        if clock() >= deadline:
            _stop(logs, [i for i in ids if i not in results])
            raise QueryError(f"Logs Insights queries did not complete within {timeout_s:g} s")
        sleep(poll_s)


def _stop(logs: Any, query_ids: Iterable[str]) -> None:
    for query_id in query_ids:
        # Best effort: a query that cannot be stopped times out on its own.
        with contextlib.suppress(Exception):
            logs.stop_query(queryId=query_id)
