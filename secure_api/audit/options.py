"""``AuditTrail``, the audit option of an API: a trail of its own or an existing one, and its checks."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs

from secure_api import defaults
from secure_api.errors import SecureApiConfigError, is_token, require_int
from secure_api.removal import check_removal_policy

_LOG_GROUP_NAME = re.compile(r"[A-Za-z0-9_./#-]{1,512}")
_MAX_DAYS = 36_500


@dataclass(frozen=True, kw_only=True)
class AuditTrail:
    """A CloudTrail trail recording the account's management events, and alarms on the sensitive
    API Gateway control-plane calls (see the ``secure_api.audit`` docstring for the list).

    Defaults: a multi-region trail (``multi_region``) with global service events
    (``include_global_service_events``) and log file validation (always on), encrypted with a new
    customer-managed KMS key (rotation on), delivered to a hardened S3 bucket (public access
    blocked, TLS 1.2+ only, versioned, KMS-encrypted, server access logs to a second hardened bucket)
    whose objects move to S3 Glacier Instant Retrieval after ``transition_after_days`` (90) and
    expire after ``expire_after_days`` (2557, seven years; None keeps them), each object locked
    against deletion and overwrite (S3 Object Lock, GOVERNANCE mode) for ``object_lock_days`` (365;
    None: Object Lock on without a default retention), and to a KMS-encrypted
    CloudWatch log group kept ``log_retention`` (default: the API's log retention). Each alarm fires
    on one matching call within 5 minutes and notifies the API's alarm topic (alarm and OK).

    ``AuditTrail.existing(log_group_name)`` creates no trail, for accounts whose organization trail
    already records every region; given the CloudWatch log group that trail delivers to (in this
    account and region), the alarms are created on it.

    APIs in the same stack with equal ``AuditTrail`` settings share one trail (``shared``, default
    True): the first such API creates it, the others put their alarms on its log group (a second
    multi-region trail would bill a second copy of the management events, and an account allows five
    trails per region). ``shared=False`` gives an API a trail of its own. APIs in other stacks share a
    trail with ``AuditTrail.existing(log_group_name)``, given the first API's ``audit_log_group``.

    ``removal_policy``: what ``cdk destroy`` does with the trail's key, buckets and log group (the
    audit evidence): keeps them (``RemovalPolicy.RETAIN``, default) or, for development stacks,
    deletes them (``RemovalPolicy.DESTROY``: the buckets are emptied first, which Object Lock
    retention forbids, so it needs ``object_lock_days=None``). See ``secure_api/removal.py``.
    """

    multi_region: bool = True
    include_global_service_events: bool = True
    transition_after_days: int | None = defaults.AUDIT_TRANSITION_AFTER_DAYS
    expire_after_days: int | None = defaults.AUDIT_EXPIRE_AFTER_DAYS
    object_lock_days: int | None = defaults.AUDIT_OBJECT_LOCK_DAYS
    log_retention: logs.RetentionDays | None = None
    create_trail: bool = True
    log_group_name: str | None = None
    shared: bool = True
    removal_policy: RemovalPolicy = defaults.REMOVAL_POLICY

    def __post_init__(self) -> None:
        check_removal_policy("AuditTrail.removal_policy", self.removal_policy)
        if self.removal_policy == RemovalPolicy.DESTROY and self.object_lock_days is not None:
            raise SecureApiConfigError(
                "AuditTrail.object_lock_days",
                self.object_lock_days,
                "None with removal_policy=RemovalPolicy.DESTROY: objects under Object Lock retention cannot "
                "be deleted until it ends, so the stack deletion would fail on the non-empty trail bucket",
            )
        for flag in ("multi_region", "include_global_service_events", "create_trail", "shared"):
            if not isinstance(getattr(self, flag), bool):
                raise SecureApiConfigError(f"AuditTrail.{flag}", getattr(self, flag), "True or False")
        if self.transition_after_days is not None:
            require_int(
                "AuditTrail.transition_after_days", self.transition_after_days, minimum=0, maximum=_MAX_DAYS
            )
        if self.expire_after_days is not None:
            require_int("AuditTrail.expire_after_days", self.expire_after_days, minimum=1, maximum=_MAX_DAYS)
        if (
            self.transition_after_days is not None
            and self.expire_after_days is not None
            and not is_token(self.transition_after_days)
            and not is_token(self.expire_after_days)
            and self.expire_after_days <= self.transition_after_days
        ):
            raise SecureApiConfigError(
                "AuditTrail.expire_after_days",
                self.expire_after_days,
                f"more days than transition_after_days ({self.transition_after_days})",
            )
        if self.object_lock_days is not None:
            require_int(
                "AuditTrail.object_lock_days",
                self.object_lock_days,
                minimum=1,
                maximum=self.expire_after_days if isinstance(self.expire_after_days, int) else _MAX_DAYS,
            )
        if self.log_retention is not None and not isinstance(self.log_retention, logs.RetentionDays):
            raise SecureApiConfigError(
                "AuditTrail.log_retention", self.log_retention, "an aws_logs.RetentionDays value or None"
            )
        if self.log_group_name is not None:
            if self.create_trail:
                raise SecureApiConfigError(
                    "AuditTrail.log_group_name",
                    self.log_group_name,
                    "None unless the trail exists already (AuditTrail.existing(log_group_name=...))",
                )
            _check_log_group_name(self.log_group_name)

    @classmethod
    def existing(cls, log_group_name: str | None = None) -> AuditTrail:
        """No new trail (the account's organization trail records the calls already); the alarms are
        created on ``log_group_name``, the CloudWatch log group that trail delivers to, when given."""
        if log_group_name is not None:
            _check_log_group_name(log_group_name)
        return cls(create_trail=False, log_group_name=log_group_name)

    @property
    def has_alarms(self) -> bool:
        """Whether there is a trail log group to put the control-plane alarms on."""
        return self.create_trail or self.log_group_name is not None


def _check_log_group_name(name: object) -> None:
    if is_token(name):
        return
    if not isinstance(name, str) or not _LOG_GROUP_NAME.fullmatch(name):
        raise SecureApiConfigError(
            "AuditTrail.log_group_name",
            name,
            "a CloudWatch Logs log group name (1-512 letters, digits, '_', '-', '.', '/', '#')",
        )
