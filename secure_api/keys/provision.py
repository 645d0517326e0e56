"""Declared consumers at deploy time, in bounded slices that resume where the last one stopped.

The provisioner custom resource can outlast one Lambda invocation: at API Gateway's 5 ``CreateApiKey``
calls per second, 10,000 consumers need more than half an hour. CDK's provider framework therefore calls
the provisioner's ``is_complete`` again and again (every query interval, until CloudFormation's one-hour
limit for a custom resource); each call runs :func:`run_slice`, which works through the request's task
list for a time budget well under Lambda's 15 minutes and returns.

Where it stopped is kept in a small progress record (an SSM parameter per API, holding a cursor and
counts, never a name or a key): the task list is a pure function of the request, so the cursor
``next`` says that tasks ``[0, next)`` are done. Tasks run in batches on a few worker threads that share
the rate limits; the cursor moves only past whole batches and is saved every few seconds, so a slice
killed at any point redoes at most one checkpoint's worth of tasks, and every task is idempotent.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.exceptions import ClientError

from secure_api.keys.errors import KeyOpsError
from secure_api.keys.ops import ConsumerSpec, KeyOps, new_counts
from secure_api.keys.retry import AwsCaller, error_code

log = logging.getLogger(__name__)

ENSURE = "ensure"
REMOVE = "remove"

DEFAULT_WORKERS = 4
"""Worker threads per slice: enough to hide call latency behind the 5/s CreateApiKey limit."""
DEFAULT_CHECKPOINT_SECONDS = 15.0

Clock = Callable[[], float]


@dataclass(frozen=True)
class Task:
    """One unit of provisioning work: converge a declared consumer, or remove a dropped one."""

    kind: str
    name: str
    tier: str = ""
    enabled: bool = True


def plan_tasks(request: str, consumers: Sequence[ConsumerSpec], removed: Sequence[str] = ()) -> list[Task]:
    """The deterministic task list of one custom resource request.

    Create/Update: every declared consumer, then every dropped one; Delete: remove every declared one.
    """
    if request == "Delete":
        return [Task(REMOVE, spec.name) for spec in consumers]
    keep = {spec.name for spec in consumers}
    return [Task(ENSURE, spec.name, spec.tier, spec.enabled) for spec in consumers] + [
        Task(REMOVE, name) for name in sorted(set(removed) - keep)
    ]


def fingerprint(tasks: Sequence[Task], *settings: str) -> str:
    """A digest of the task list and settings: a saved cursor is only valid for the same work."""
    digest = hashlib.sha256()
    for task in tasks:
        digest.update(f"{task.kind}\0{task.name}\0{task.tier}\0{int(task.enabled)}\n".encode())
    digest.update("\0".join(settings).encode())
    return digest.hexdigest()


@dataclass
class Progress:
    """How far one request got: tasks ``[0, next)`` are done; ``counts`` sums their outcomes."""

    request_id: str
    fingerprint: str
    total: int
    next: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    slices: int = 0

    @property
    def done(self) -> bool:
        """Whether every task of the request is done."""
        return self.next >= self.total

    def to_json(self) -> str:
        """The record as stored (a cursor and counts only)."""
        return json.dumps(
            {
                "requestId": self.request_id,
                "fingerprint": self.fingerprint,
                "total": self.total,
                "next": self.next,
                "counts": self.counts,
                "slices": self.slices,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> Progress:
        """Parse a stored record."""
        data = json.loads(text)
        return cls(
            request_id=str(data["requestId"]),
            fingerprint=str(data["fingerprint"]),
            total=int(data["total"]),
            next=int(data["next"]),
            counts={str(k): int(v) for k, v in dict(data.get("counts") or {}).items()},
            slices=int(data.get("slices", 0)),
        )


class ProgressStore(Protocol):
    """Where a request's progress survives between invocations."""

    def load(self) -> Progress | None: ...

    def save(self, progress: Progress) -> None: ...

    def delete(self) -> None: ...


def progress_parameter(rest_api_id: str) -> str:
    """The SSM parameter that holds the provisioner's progress for one API."""
    return f"/secure-api/{rest_api_id}/key-provisioner"


class SsmProgressStore:
    """Progress in one standard SSM parameter (a few hundred bytes, no secret in it)."""

    def __init__(self, client: Any, name: str, caller: AwsCaller | None = None) -> None:
        self.client = client
        self.name = name
        self.caller = caller or AwsCaller()

    def load(self) -> Progress | None:
        """The saved progress, or None when there is none (or it is unreadable)."""
        try:
            response = self.caller.call(self.client, "get_parameter", Name=self.name)
        except ClientError as exc:
            if error_code(exc) == "ParameterNotFound":
                return None
            raise
        try:
            return Progress.from_json(str(response["Parameter"]["Value"]))
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring unreadable progress record %s", self.name)
            return None

    def save(self, progress: Progress) -> None:
        """Write the progress (overwriting the previous record)."""
        self.caller.call(
            self.client,
            "put_parameter",
            Name=self.name,
            Value=progress.to_json(),
            Type="String",
            Overwrite=True,
            Description="secure_api: progress of the API key provisioner (cursor and counts only)",
        )

    def delete(self) -> None:
        """Remove the record (the API's keys are gone)."""
        try:
            self.caller.call(self.client, "delete_parameter", Name=self.name)
        except ClientError as exc:
            if error_code(exc) != "ParameterNotFound":
                raise


class MemoryProgressStore:
    """Progress in memory (tests, benchmarks, and the ``converge`` of a single run)."""

    def __init__(self) -> None:
        self.text: str | None = None
        self.saves = 0

    def load(self) -> Progress | None:
        """The saved progress, if any."""
        return Progress.from_json(self.text) if self.text is not None else None

    def save(self, progress: Progress) -> None:
        """Keep a copy of the progress."""
        self.text = progress.to_json()
        self.saves += 1

    def delete(self) -> None:
        """Forget the progress."""
        self.text = None


@dataclass
class Budget:
    """The time one slice may spend: it starts no batch once ``seconds`` have passed since ``start``."""

    seconds: float
    clock: Clock = time.monotonic
    start: float = field(default=-1.0)

    def __post_init__(self) -> None:
        if self.start < 0:
            self.start = self.clock()

    def elapsed(self) -> float:
        """Seconds since the slice started."""
        return self.clock() - self.start

    def spent(self) -> bool:
        """Whether the slice should stop starting work."""
        return self.elapsed() >= self.seconds


def resume(store: ProgressStore, request_id: str, tasks: Sequence[Task], *settings: str) -> Progress:
    """The saved progress of this request, or a fresh one (another request's or other work's is dropped)."""
    digest = fingerprint(tasks, *settings)
    saved = store.load()
    if saved is not None and saved.request_id == request_id and saved.fingerprint == digest:
        return saved
    return Progress(request_id=request_id, fingerprint=digest, total=len(tasks), counts=new_counts(0))


def run_slice(
    key_ops: KeyOps,
    tasks: Sequence[Task],
    progress: Progress,
    *,
    store: ProgressStore,
    budget: Budget,
    rotation_lambda_arn: str = "",
    rotation_days: int = 0,
    workers: int = DEFAULT_WORKERS,
    checkpoint_seconds: float = DEFAULT_CHECKPOINT_SECONDS,
) -> Progress:
    """Work through ``tasks`` from ``progress.next`` until done or the budget is spent; save and return.

    Each batch of ``workers`` tasks runs concurrently (distinct consumers; the rate limits are shared);
    the cursor moves past a batch once all of it succeeded. An error stops the slice after saving the
    cursor of the last whole batch, and is raised (the provider framework calls again).
    """
    progress.slices += 1
    progress.counts.setdefault("consumers", 0)
    progress.counts["consumers"] = sum(1 for t in tasks if t.kind == ENSURE)
    if progress.done:
        store.save(progress)
        return progress
    inventory = key_ops.inventory()
    last_save = budget.clock()

    def work(task: Task) -> tuple[str, bool]:
        if task.kind == ENSURE:
            return key_ops.converge_consumer(
                ConsumerSpec(task.name, task.tier, task.enabled),
                inventory,
                rotation_lambda_arn=rotation_lambda_arn,
                rotation_days=rotation_days,
            )
        if task.kind == REMOVE:
            return ("removed" if key_ops.remove(task.name, inventory) else "absent"), False
        raise KeyOpsError(f"unknown task {task.kind!r}")

    pool = ThreadPoolExecutor(max_workers=workers) if workers > 1 else None
    try:
        while not progress.done and not budget.spent():
            batch = list(tasks[progress.next : progress.next + max(1, workers)])
            results = list(pool.map(work, batch)) if pool is not None else [work(t) for t in batch]
            for outcome, configured in results:
                if outcome in progress.counts:
                    progress.counts[outcome] += 1
                progress.counts["rotationConfigured"] += int(configured)
            progress.next += len(batch)
            if budget.clock() - last_save >= checkpoint_seconds:
                store.save(progress)
                last_save = budget.clock()
    finally:
        if pool is not None:
            pool.shutdown(wait=True)
        store.save(progress)
    log.info(
        "slice %d: %d of %d tasks done in %.1f s",
        progress.slices,
        progress.next,
        progress.total,
        budget.elapsed(),
    )
    return progress


# --------------------------------------------------------------------------------------------------
# the consumers property: inline JSON, or gzip+base64 once it is large
# --------------------------------------------------------------------------------------------------


def encode_consumers(items: Sequence[Sequence[str]]) -> str:
    """Compress ``[[name, tier, "true"|"false"], ...]`` for the ``ConsumersGzip`` property."""
    raw = json.dumps([list(i) for i in items], separators=(",", ":")).encode()
    return base64.b64encode(gzip.compress(raw, compresslevel=9, mtime=0)).decode()


def decode_consumers(text: str) -> list[list[str]]:
    """Inverse of :func:`encode_consumers`."""
    try:
        data = json.loads(gzip.decompress(base64.b64decode(text, validate=True)))
    except (ValueError, OSError, EOFError) as exc:
        raise KeyOpsError(f"ConsumersGzip is not gzip+base64 JSON: {exc}") from None
    if not isinstance(data, list) or not all(isinstance(i, list) and len(i) == 3 for i in data):
        raise KeyOpsError("ConsumersGzip must hold [[name, tier, enabled], ...]")
    return [[str(v) for v in item] for item in data]
