"""Errors of the API key operations, each carrying the exit code of the ``secure-api`` command."""

from __future__ import annotations

EXIT_ERROR = 2
"""Exit code of every expected failure (unknown API, tier or consumer, throttling, credentials, bad CSV)."""


class KeyOpsError(Exception):
    """An expected failure of an API key operation, reported as one line and an exit code."""

    def __init__(self, message: str, *, exit_code: int = EXIT_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    def __str__(self) -> str:
        return self.message


class UnknownApiError(KeyOpsError):
    """The REST API does not exist (or is not visible to the caller)."""


class UnknownTierError(KeyOpsError):
    """No usage plan of the API carries the requested tier."""


class UnknownConsumerError(KeyOpsError):
    """The consumer has no key of this API."""


class ConsumerStateError(KeyOpsError):
    """The consumer exists but its state forbids the operation (revoked, other tier, ...)."""


class ThrottledError(KeyOpsError):
    """AWS kept throttling a call after every retry."""


class RotationError(KeyOpsError):
    """A step of the Secrets Manager rotation protocol cannot complete (yet)."""


class CsvError(KeyOpsError):
    """The import file is missing or malformed."""


class ForeignKeyError(KeyOpsError):
    """A record names an API key whose ``secure-api:api``/``secure-api:consumer`` tags are not its own."""


class RecordChangedError(KeyOpsError):
    """The record changed between the read and the write; the operation retries from a fresh read."""


class RecordConflictError(KeyOpsError):
    """The record kept changing under an operation after every retry."""
