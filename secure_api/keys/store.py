"""The ground floor of the key operations: boto3 clients, the record states and the secret store.

One secret per consumer (``secure-api/<restApiId>/<consumer>``) holds the JSON record that says which
key is current and which one is the previous key still inside its grace period (see ``ops.py``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from secure_api.keys.errors import (
    KeyOpsError,
    RecordChangedError,
    RecordConflictError,
    UnknownApiError,
    UnknownConsumerError,
)
from secure_api.keys.generate import DEFAULT_KEY_LENGTH
from secure_api.keys.model import (
    TAG_TIER,
    ApiKeyInfo,
    KeyRecord,
    parse_secret_name,
    secret_name,
    secret_prefix,
    secret_tags,
    validate_consumer,
)
from secure_api.keys.retry import AwsCaller, error_code
from secure_api.keys.session import aws_session, client_config
from secure_api.keys.stack_outputs import KEYS_KMS_KEY_TAG

log = logging.getLogger(__name__)

DEFAULT_GRACE_HOURS = 24
RECOVERY_WINDOW_DAYS = 7
CURRENT = "AWSCURRENT"
PENDING = "AWSPENDING"
WRITE_STAGE = "secure-api-write"
"""Label of a record version written but not yet made current (``AWSPENDING`` belongs to rotation)."""
MAX_WRITE_ATTEMPTS = 5
"""Attempts of an operation whose record write found the record changed since it was read."""

CREATED = "created"
UPDATED = "updated"
UNCHANGED = "unchanged"
REVOKED = "revoked"

_NOT_FOUND = frozenset({"NotFoundException", "BadRequestException"})
ACCESS_DENIED = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedException"})


@dataclass(frozen=True)
class Clients:
    """The boto3 clients the key operations use."""

    apigateway: Any
    secretsmanager: Any
    # API Gateway v2, where a WebSocket API lives (its keys and usage plans are still API Gateway's).
    apigatewayv2: Any = None


def make_clients(*, region: str | None = None, profile: str | None = None) -> Clients:
    """Create boto3 clients honouring ``AWS_PROFILE``, ``AWS_REGION`` and ``AWS_ENDPOINT_URL``."""
    session = aws_session(region=region, profile=profile)
    config = client_config("secure-api-keys")
    return Clients(
        apigateway=session.client("apigateway", config=config),
        secretsmanager=session.client("secretsmanager", config=config),
        apigatewayv2=session.client("apigatewayv2", config=config),
    )


T = TypeVar("T")


@dataclass(frozen=True)
class Snapshot:
    """One read of a consumer's record: the record, its state and the version that held ``AWSCURRENT``."""

    record: KeyRecord | None
    state: str
    version_id: str | None = None


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


@dataclass
class SecretInfo:
    """What ``ListSecrets`` says about a consumer's secret (no value)."""

    consumer: str
    name: str
    tier: str | None
    deleted: bool
    rotation_enabled: bool
    rotation_lambda_arn: str | None
    rotation_days: int | None


@dataclass
class Inventory:
    """A snapshot of an API's keys and secrets, so bulk operations do not look each consumer up."""

    keys: dict[str, list[ApiKeyInfo]] = field(default_factory=dict)
    secrets: dict[str, SecretInfo] = field(default_factory=dict)


def ignore(exc: ClientError, *codes: str) -> None:
    """Swallow ``exc`` if its error code is one of ``codes``; raise it otherwise."""
    if error_code(exc) not in codes:
        raise exc


class KeyStore:
    """The key operations of one REST API: AWS plumbing and the consumers' secrets.

    ``tier_plans`` (tier -> usage plan ids) skips discovering plans by their ``secure-api:tier`` tag, as
    the provisioner knows them; ``caller`` carries the rate limits and retries; ``now`` is injectable.
    """

    def __init__(
        self,
        clients: Clients,
        rest_api_id: str,
        *,
        kms_key_id: str | None = None,
        caller: AwsCaller | None = None,
        now: Callable[[], datetime] = utcnow,
        tier_plans: Mapping[str, Sequence[str]] | None = None,
        key_length: int = DEFAULT_KEY_LENGTH,
    ) -> None:
        if not rest_api_id:
            raise KeyOpsError("no REST API id given (--api-id)")
        self.clients = clients
        self.rest_api_id = rest_api_id
        self.kms_key_id = kms_key_id or None
        self.caller = caller or AwsCaller()
        self.now = now
        self.key_length = key_length
        self._tier_plans: dict[str, list[str]] | None = (
            {tier: list(ids) for tier, ids in tier_plans.items()} if tier_plans is not None else None
        )

    # ----------------------------------------------------------------------------------------------
    # AWS plumbing
    # ----------------------------------------------------------------------------------------------

    def _ag(self, method: str, **kwargs: Any) -> Any:
        return self.caller.call(self.clients.apigateway, method, **kwargs)

    def _sm(self, method: str, **kwargs: Any) -> Any:
        return self.caller.call(self.clients.secretsmanager, method, **kwargs)

    def _ag_items(self, method: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
        position: str | None = None
        while True:
            args = dict(kwargs, limit=500)
            if position:
                args["position"] = position
            response = self._ag(method, **args)
            yield from response.get("items") or []
            position = response.get("position")
            if not position:
                return

    def _secret(self, consumer: str) -> str:
        return secret_name(self.rest_api_id, consumer)

    def check_api(self) -> None:
        """Raise :class:`UnknownApiError` unless the id names a REST API or a WebSocket API.

        Without an explicit ``kms_key_id``, new secrets then use the KMS key the API's
        ``secure-api:keys-kms-key`` tag names (the key the construct created for its key secrets).
        """
        try:
            tags = self._ag("get_rest_api", restApiId=self.rest_api_id).get("tags")
        except ClientError as exc:
            if error_code(exc) not in _NOT_FOUND:
                raise
            tags = self._websocket_api_tags()
        if self.kms_key_id is None:
            self.kms_key_id = (tags or {}).get(KEYS_KMS_KEY_TAG) or None

    def _websocket_api_tags(self) -> Mapping[str, str] | None:
        unknown = f"unknown API {self.rest_api_id!r}: no such REST API"
        if self.clients.apigatewayv2 is None:
            raise UnknownApiError(unknown)
        try:
            api = self.caller.call(self.clients.apigatewayv2, "get_api", ApiId=self.rest_api_id)
        except ClientError as exc:
            if error_code(exc) in _NOT_FOUND:
                raise UnknownApiError(f"{unknown} or WebSocket API") from None
            raise
        protocol = api.get("ProtocolType")
        if protocol != "WEBSOCKET":
            # HTTP APIs have no usage plans or API keys.
            raise UnknownApiError(f"{unknown}; it is an {protocol} API, which has no API keys")
        tags: Mapping[str, str] | None = api.get("Tags")
        return tags

    # ----------------------------------------------------------------------------------------------
    # usage plans and keys
    # ----------------------------------------------------------------------------------------------
    # ----------------------------------------------------------------------------------------------
    # secrets
    # ----------------------------------------------------------------------------------------------

    def read_current(self, consumer: str) -> Snapshot:
        """Read the consumer's ``AWSCURRENT`` record with its version id: the base of a conditional write.

        Every operation reads through here, so a test can run a concurrent operation right after a read.
        """
        name = self._secret(consumer)
        try:
            response = self._sm("get_secret_value", SecretId=name, VersionStage=CURRENT)
        except ClientError as exc:
            code = error_code(exc)
            if code == "ResourceNotFoundException":
                return Snapshot(None, "absent")
            if code == "InvalidRequestException" and self._is_deleted(name):
                return Snapshot(None, "deleted")
            raise
        rec = KeyRecord.from_json(str(response.get("SecretString") or ""))
        return Snapshot(rec, "present", str(response.get("VersionId") or "") or None)

    def read(self, consumer: str) -> tuple[KeyRecord | None, str]:
        """Return ``(record, state)``; state is ``"present"``, ``"absent"`` or ``"deleted"``."""
        snap = self.read_current(consumer)
        return snap.record, snap.state

    def record(self, consumer: str) -> KeyRecord:
        """Return the consumer's current record or raise :class:`UnknownConsumerError`."""
        validate_consumer(consumer)
        rec, _ = self.read(consumer)
        if rec is None:
            raise UnknownConsumerError(f"unknown consumer {consumer!r} for API {self.rest_api_id}")
        return rec

    def _is_deleted(self, name: str) -> bool:
        try:
            return self._sm("describe_secret", SecretId=name).get("DeletedDate") is not None
        except ClientError as exc:
            ignore(exc, "ResourceNotFoundException")
            return False

    def _read_version(self, consumer: str, version_id: str) -> KeyRecord | None:
        try:
            response = self._sm("get_secret_value", SecretId=self._secret(consumer), VersionId=version_id)
        except ClientError as exc:
            ignore(exc, "ResourceNotFoundException")
            return None
        text = response.get("SecretString")
        return KeyRecord.from_json(str(text)) if text else None

    def _stages(self, consumer: str) -> dict[str, list[str]]:
        response = self._sm("describe_secret", SecretId=self._secret(consumer))
        return {str(k): list(v) for k, v in (response.get("VersionIdsToStages") or {}).items()}

    def _commit(self, rec: KeyRecord, base: Snapshot) -> None:
        """Write ``rec`` as the consumer's record if it is still the version ``base`` read.

        Raises :class:`RecordChangedError` (nothing written) when another writer got there first: a new
        secret that now exists, or ``AWSCURRENT`` no longer on ``base``'s version.
        """
        name = self._secret(rec.consumer)
        tags = secret_tags(rec.rest_api_id, rec.consumer, rec.tier or "")
        if base.state == "absent":
            args: dict[str, Any] = {
                "Name": name,
                "Description": f"secure-api API key of consumer {rec.consumer} on API {rec.rest_api_id}",
                "SecretString": rec.to_json(),
                "Tags": tags,
            }
            if self.kms_key_id:
                args["KmsKeyId"] = self.kms_key_id
            try:
                self._sm("create_secret", **args)
            except ClientError as exc:
                if error_code(exc) not in {"ResourceExistsException", "InvalidRequestException"}:
                    raise
                raise RecordChangedError(
                    f"the secret of consumer {rec.consumer!r} appeared meanwhile"
                ) from None
            return
        if base.state == "deleted":
            self._sm("restore_secret", SecretId=name)
            self._sm("tag_resource", SecretId=name, Tags=tags)
            base = self.read_current(rec.consumer)
        if base.version_id is None:
            raise RecordChangedError(f"the secret of consumer {rec.consumer!r} changed state meanwhile")
        self.move_current(rec.consumer, rec.to_json(), base.version_id)

    def move_current(self, consumer: str, text: str | None, from_version: str, to_version: str = "") -> None:
        """Make ``to_version`` (or a new version holding ``text``) current, if ``from_version`` still is.

        The new version is written under :data:`WRITE_STAGE`, never ``AWSCURRENT``, and only then gets
        the label by ``UpdateSecretVersionStage(RemoveFromVersionId=from_version)``, which fails when the
        label has moved (AWS: "if ... the version ID does not match, then the operation fails").
        """
        name = self._secret(consumer)
        staged = False
        if not to_version:
            response = self._sm(
                "put_secret_value",
                SecretId=name,
                ClientRequestToken=str(uuid.uuid4()),
                SecretString=text,
                VersionStages=[WRITE_STAGE],
            )
            to_version, staged = str(response["VersionId"]), True
        try:
            self._sm(
                "update_secret_version_stage",
                SecretId=name,
                VersionStage=CURRENT,
                MoveToVersionId=to_version,
                RemoveFromVersionId=from_version,
            )
        except ClientError as exc:
            if error_code(exc) not in {"InvalidParameterException", "InvalidRequestException"}:
                raise
            holder = next((v for v, s in self._stages(consumer).items() if CURRENT in s), None)
            if holder == from_version:
                raise
            if staged:
                # The orphan goes back to being an unlabelled version, which Secrets Manager prunes.
                self._drop_stage(consumer, WRITE_STAGE, to_version)
            raise RecordChangedError(
                f"the record of consumer {consumer!r} changed since it was read (version {from_version})"
            ) from None
        if staged:
            self._drop_stage(consumer, WRITE_STAGE, to_version)

    def _drop_stage(self, consumer: str, stage: str, version_id: str) -> None:
        try:
            self._sm(
                "update_secret_version_stage",
                SecretId=self._secret(consumer),
                VersionStage=stage,
                RemoveFromVersionId=version_id,
            )
        except ClientError as exc:
            # Another writer's version took the label meanwhile: nothing of ours is left to drop.
            ignore(exc, "InvalidParameterException", "InvalidRequestException", "ResourceNotFoundException")

    def retrying(self, consumer: str, what: str, attempt: Callable[[], T]) -> T:
        """Run ``attempt`` (read, act, conditional write) again from a fresh read while the record changed."""
        for number in range(1, MAX_WRITE_ATTEMPTS + 1):
            try:
                return attempt()
            except RecordChangedError as exc:
                log.info(
                    "%s of consumer %s: %s; retrying from a fresh read (%d)", what, consumer, exc, number
                )
        raise RecordConflictError(
            f"{what} of consumer {consumer!r} gave up: its record changed under it {MAX_WRITE_ATTEMPTS} times "
            "(another key operation is running); re-run the command once it has finished"
        )

    def list_secrets(self, *, include_deleted: bool = False) -> list[SecretInfo]:
        """Return this API's key secrets (names, tags and rotation settings; no values)."""
        infos: list[SecretInfo] = []
        token: str | None = None
        while True:
            args: dict[str, Any] = {
                "Filters": [{"Key": "name", "Values": [secret_prefix(self.rest_api_id)]}],
                "MaxResults": 100,
                "IncludePlannedDeletion": include_deleted,
            }
            if token:
                args["NextToken"] = token
            response = self._sm("list_secrets", **args)
            for item in response.get("SecretList") or []:
                try:
                    api, consumer = parse_secret_name(str(item.get("Name", "")))
                except KeyOpsError:
                    continue
                if api != self.rest_api_id:
                    continue
                tags = {t.get("Key"): t.get("Value") for t in item.get("Tags") or []}
                rules = item.get("RotationRules") or {}
                days = rules.get("AutomaticallyAfterDays")
                infos.append(
                    SecretInfo(
                        consumer=consumer,
                        name=str(item["Name"]),
                        tier=tags.get(TAG_TIER),
                        deleted=item.get("DeletedDate") is not None,
                        rotation_enabled=bool(item.get("RotationEnabled")),
                        rotation_lambda_arn=item.get("RotationLambdaARN"),
                        rotation_days=int(days) if days is not None else None,
                    )
                )
            token = response.get("NextToken")
            if not token:
                return sorted(infos, key=lambda info: info.consumer)
