"""What ``cdk destroy`` leaves behind: the ``removal_policy`` of ``SecureRestApi``,
``SecureWebSocketApi`` and ``AuditTrail``.

By default (``RemovalPolicy.RETAIN``) every KMS key, log group, the key guard's table and the audit
trail's buckets are kept when the stack is deleted. ``removal_policy=RemovalPolicy.DESTROY`` on an API
(for development stacks) deletes what the API created that is not audit evidence; the audit trail's
key, buckets and log group (``AUDIT_EVIDENCE_IDS``) follow ``AuditTrail(removal_policy=...)`` only,
and API Gateway's account-wide CloudWatch role (``ACCOUNT_WIDE_TYPES``) is always kept: the
account's other APIs log through it.

One pure function (``removal_policy_for``) decides each resource's policy; an aspect applies it
when the app is synthesized, so resources added after the constructor (routes, escape hatches) are
covered too. Deleted KMS keys wait ``defaults.DESTROYED_KEY_PENDING_WINDOW`` (7 days, the shortest
KMS allows: the key can still be recovered with ``CancelKeyDeletion`` for a week), and the key
guard's table loses its deletion protection, which would otherwise make the stack deletion fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsii
from aws_cdk import (
    Annotations,
    AspectPriority,
    Aspects,
    CfnDeletionPolicy,
    CfnResource,
    IAspect,
    RemovalPolicy,
)
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct, IConstruct

from secure_api import defaults
from secure_api.errors import SecureApiConfigError

AUDIT_EVIDENCE_IDS = frozenset({"TrailKey", "TrailBucket", "TrailAccessLogsBucket", "TrailLogs"})
"""Construct ids (children of the API) of the audit trail's key, buckets and log group: audit evidence."""

_AUDIT_DELETION_IDS = frozenset({"TrailBucketsEmptier"})
"""The function that empties the trail's buckets (``secure_api/bucket_emptier.py``): it follows them."""

ACCOUNT_WIDE_TYPES = frozenset({"AWS::ApiGateway::Account", "AWS::IAM::Role", "AWS::IAM::ManagedPolicy"})
"""Retained resource types that serve the whole account (``create_cloudwatch_role=True``): always kept."""

_CHOICES = (RemovalPolicy.RETAIN, RemovalPolicy.DESTROY)


def check_removal_policy(field: str, value: Any) -> None:
    """Refuse anything but ``RemovalPolicy.RETAIN`` or ``RemovalPolicy.DESTROY`` (SNAPSHOT and
    RETAIN_ON_UPDATE_OR_DELETE do not apply to keys, log groups or buckets)."""
    if not isinstance(value, RemovalPolicy) or value not in _CHOICES:
        raise SecureApiConfigError(
            field, value, "RemovalPolicy.RETAIN (the default) or RemovalPolicy.DESTROY"
        )


def removal_policy_for(
    resource_type: str, construct_ids: Sequence[str], *, api: RemovalPolicy, audit: RemovalPolicy
) -> RemovalPolicy:
    """The policy of a resource the library would keep, from its CloudFormation type and the construct
    ids from the API (exclusive) down to it: the account-wide CloudWatch role is kept, the audit
    trail's evidence follows ``audit``, everything else ``api``."""
    if resource_type in ACCOUNT_WIDE_TYPES:
        return RemovalPolicy.RETAIN
    if construct_ids and construct_ids[0] in AUDIT_EVIDENCE_IDS | _AUDIT_DELETION_IDS:
        return audit
    return api


def apply_removal_policy(api: Construct, *, api_policy: RemovalPolicy, audit_policy: RemovalPolicy) -> None:
    """Apply ``removal_policy_for`` to every retained resource under ``api`` at synthesis, and warn
    about what ``cdk destroy`` will delete. Nothing changes when both policies are RETAIN."""
    if api_policy == RemovalPolicy.RETAIN and audit_policy == RemovalPolicy.RETAIN:
        return
    days = int(defaults.DESTROYED_KEY_PENDING_WINDOW.to_days())
    if api_policy == RemovalPolicy.DESTROY:
        Annotations.of(api).add_warning_v2(
            "secure-api:removal-policy-destroy",
            "secure_api: removal_policy=RemovalPolicy.DESTROY (for development stacks): cdk destroy deletes "
            f"the API's KMS keys (after a {days}-day waiting period), its log groups (access, function and "
            "WAF logs) and the key guard's table; the audit trail's evidence is kept unless "
            "AuditTrail(removal_policy=RemovalPolicy.DESTROY)",
        )
    if audit_policy == RemovalPolicy.DESTROY:
        Annotations.of(api).add_warning_v2(
            "secure-api:audit-removal-policy-destroy",
            "secure_api: AuditTrail(removal_policy=RemovalPolicy.DESTROY) (for development stacks): cdk "
            "destroy deletes the audit evidence: the trail's buckets (emptied first), its log group and "
            f"its KMS key (after a {days}-day waiting period)",
        )
    Aspects.of(api).add(
        _RemovalPolicies(api, api=api_policy, audit=audit_policy), priority=AspectPriority.MUTATING
    )


@jsii.implements(IAspect)
class _RemovalPolicies:
    """Sets each retained resource under the API to ``removal_policy_for``'s policy."""

    def __init__(self, scope: Construct, *, api: RemovalPolicy, audit: RemovalPolicy) -> None:
        self._depth = len(scope.node.scopes)
        self._api = api
        self._audit = audit

    def visit(self, node: IConstruct) -> None:
        if not isinstance(node, CfnResource) or node.cfn_options.deletion_policy != CfnDeletionPolicy.RETAIN:
            return
        ids = [scope.node.id for scope in node.node.scopes[self._depth :]]
        if (
            removal_policy_for(node.cfn_resource_type, ids, api=self._api, audit=self._audit)
            != RemovalPolicy.DESTROY
        ):
            return
        node.apply_removal_policy(RemovalPolicy.DESTROY)
        if isinstance(node, kms.CfnKey):
            node.pending_window_in_days = int(defaults.DESTROYED_KEY_PENDING_WINDOW.to_days())
        if isinstance(node, dynamodb.CfnTable):
            node.deletion_protection_enabled = False
