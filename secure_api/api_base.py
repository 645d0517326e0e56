"""``SecureApiBase``: what every root (``SecureRestApi``, ``SecureWebSocketApi``, ``SecureHttpApi``) does
the same way, on the ``ApiTarget`` the root sets once its API and stage exist.

The removal policy, the account-limit warnings, the logs key and the access log group, the alarm topic,
the audit trail (shared with an earlier API of the stack when the settings are equal) and its alarms,
the usage tiers of REST and WebSocket APIs, the stack outputs, monitoring, ``grant_read_key``, the
``secure-api:<option>-disabled`` warnings, a v2 API's custom domain and the one ``_finalize`` at
synthesis of a root whose routes are only all known then. A root calls these in its constructor, in the
order its template has always had (construct ids and order are part of the templates).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jsii
from aws_cdk import Annotations, Aspects, IAspect, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from constructs import Construct, IConstruct

from secure_api import compliance
from secure_api.api_target import ApiTarget
from secure_api.audit import AuditTrail, apply_audit, find_trail_owner
from secure_api.domain import CustomDomain
from secure_api.encryption import encrypted_log_group, logs_key, secure_key
from secure_api.errors import SecureApiConfigError, located
from secure_api.monitoring import Monitoring, apply_monitoring
from secure_api.notifications import alarm_topic
from secure_api.outputs import add_api_outputs
from secure_api.removal import apply_removal_policy
from secure_api.throttling import Throttle, warn_above_account_limits
from secure_api.usage_plans import Consumer, KeyRotation, UsageTier, UsageTiers, tier_throttles
from secure_api.v2.domain import apply_v2_domain, v2_domain_url


class SecureApiBase(Construct):
    """The shared part of the three roots (see the module docstring).

    Attributes every root has: ``target`` (its ``ApiTarget``), ``logs_key``, ``access_log_group``,
    ``alarm_topic``, ``trail``, ``audit_log_group``, ``usage_tiers``, ``usage_plans``, ``outputs``,
    ``dashboard`` and ``url``.
    """

    target: ApiTarget
    """The API and stage the shared protections work on; the root sets it once both exist."""
    url: str
    alarm_topic: sns.ITopic | None
    domain_name: Any
    """The custom domain (``apigw.DomainName`` of a REST API, ``apigwv2.DomainName`` of a v2 API) or None."""
    _consumers: frozenset[str] = frozenset()

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        removal_policy: RemovalPolicy,
        audit: AuditTrail | None,
        log_retention: logs.RetentionDays,
    ) -> None:
        """The construct, its removal policy (the audit trail's evidence follows ``audit``'s) and the
        settings by which APIs of one stack share a trail."""
        super().__init__(scope, id_)
        apply_removal_policy(
            self,
            api_policy=removal_policy,
            audit_policy=audit.removal_policy if audit is not None else RemovalPolicy.RETAIN,
        )
        # APIs of one stack whose trails would be identical share one (see AuditTrail.shared).
        self._trail_settings = (audit, (audit.log_retention or log_retention) if audit else None)
        self.usage_tiers: UsageTiers | None = None
        self.usage_plans: dict[str, Any] = {}
        self._finalized = False
        """True once ``_finalize`` has run (see ``_finalize_at_synthesis``): routes are closed."""

    def _warn_above_account_limits(self, throttle: Throttle, usage_tiers: Sequence[UsageTier] = ()) -> None:
        """Warn about the stage's and the tiers' limits above the account's Region limits."""
        for field, value in (("throttle", throttle), *tier_throttles(usage_tiers)):
            warn_above_account_limits(self, field, value)

    def _create_logs(self, retention: logs.RetentionDays) -> None:
        """The API's KMS key for logs and Lambda environments (``logs_key``) and ``access_log_group``."""
        self.logs_key = logs_key(
            self, "LogsKey", description=f"secure_api {self.node.path}: logs and Lambda env"
        )
        self.access_log_group = encrypted_log_group(
            self, "AccessLogs", key=self.logs_key, retention=retention
        )

    def _alarm_topic(self, monitoring: Monitoring | None, audit: AuditTrail | None) -> sns.ITopic | None:
        """The user's topic, or a new encrypted one when monitoring or the audit alarms need one."""
        if monitoring is not None and monitoring.alarm_topic is not None:
            return monitoring.alarm_topic
        if monitoring is None and (audit is None or not audit.has_alarms):
            return None
        return alarm_topic(
            self,
            "AlarmTopic",
            key=secure_key(self, "AlarmTopicKey", description=f"secure_api {self.node.path}: alarms"),
            email=monitoring.alarm_email if monitoring is not None else None,
        )

    def _apply_audit(self, audit: AuditTrail | None, retention: logs.RetentionDays) -> None:
        """The stack's CloudTrail trail (``trail``, maybe shared) and alarms on this API's control plane."""
        self.trail: Any = None
        self.audit_log_group: logs.ILogGroup | None = None
        if audit is None:
            self._warn("audit", "audit=None: no CloudTrail trail and no alarms on control-plane changes")
            return
        if not audit.has_alarms:
            self._warn(
                "audit", "AuditTrail.existing() without log_group_name: no alarms on control-plane changes"
            )
            return
        assert self.alarm_topic is not None
        owner = find_trail_owner(self, audit)
        self.trail, self.audit_log_group = apply_audit(
            self,
            audit,
            target=self.target,
            topic=self.alarm_topic,
            retention=retention,
            shared_log_group=owner.audit_log_group if owner is not None else None,
        )
        if owner is not None:
            self.trail = owner.trail

    def _create_usage_tiers(
        self,
        usage_tiers: Sequence[UsageTier],
        consumers: Sequence[Consumer],
        key_rotation: KeyRotation | None,
        retention: logs.RetentionDays,
    ) -> UsageTiers | None:
        """Usage plans, consumers' keys and their rotation (``usage_tiers``, ``usage_plans``; the consumers'
        names for ``grant_read_key``); None without tiers."""
        self._consumers = frozenset(c.name for c in consumers)
        if not usage_tiers:
            return None
        self.usage_tiers = UsageTiers(
            self,
            "UsageTiers",
            target=self.target,
            tiers=usage_tiers,
            consumers=consumers,
            rotation=key_rotation or KeyRotation(),
            logs_key=self.logs_key,
            retention=retention,
            alarm_topic=self.alarm_topic,
        )
        self.usage_plans = dict(self.usage_tiers.plans)
        return self.usage_tiers

    def _add_outputs(self, *, execute_api_disabled: bool) -> None:
        """The stack outputs the ``secure-api`` command reads (``outputs``)."""
        self.outputs = add_api_outputs(
            self,
            self.target,
            url=self.url,
            execute_api_disabled=execute_api_disabled,
            keys_key=self.usage_tiers.keys_key if self.usage_tiers is not None else None,
        )

    def _apply_monitoring(
        self,
        monitoring: Monitoring | None,
        retention: logs.RetentionDays,
        *,
        authorizer_function: Any = None,
        web_acl: Any = None,
    ) -> None:
        """Alarms, Contributor Insights, the key guard (with API keys) and ``dashboard``, or a warning
        without them."""
        self.dashboard: Any = None
        if monitoring is None:
            self._warn("monitoring", "monitoring=None: no alarms, dashboard or key guard")
            return
        assert self.alarm_topic is not None
        self.dashboard = apply_monitoring(
            self,
            monitoring,
            target=self.target,
            access_log_group=self.access_log_group,
            logs_key=self.logs_key,
            topic=self.alarm_topic,
            authorizer_function=authorizer_function,
            web_acl=web_acl,
            retention=retention,
            usage_plans=list(self.usage_plans.values()),
        )

    def grant_read_key(self, consumer: str, grantee: iam.IGrantable) -> iam.Grant:
        """Let ``grantee`` (the consumer application's role) read that consumer's key secret only.

        ``consumer`` must be the name of a declared consumer (``consumers=[Consumer(...)]``).
        """
        if self.usage_tiers is None or consumer not in self._consumers:
            declared = sorted(self._consumers)
            raise SecureApiConfigError(
                "grant_read_key.consumer",
                consumer,
                f"the name of a declared consumer ({', '.join(declared)})"
                if declared
                else "the name of a declared consumer (this API declares none: consumers=[Consumer(...)])",
            )
        return self.usage_tiers.grant_read_key(consumer, grantee)

    def _finalize_at_synthesis(self) -> None:
        """Run ``self._finalize()`` once, when the app is synthesized (an aspect on this construct;
        refusals then name its path), however often the app is synthesized. For roots whose routes are
        only all known at synthesis: ``_complete_routes`` runs first, while routes can still be added,
        then routes close (``_refuse_late_route``) and ``_finalize`` runs."""
        Aspects.of(self).add(_Finalize(self))

    def _finalize_once(self) -> None:
        """``_complete_routes``, close the routes, ``_finalize``: the first time only."""
        if self._finalized:
            return
        self._complete_routes()
        self._finalized = True
        self._finalize()

    def _complete_routes(self) -> None:
        """What the root adds or refuses just before its routes close (``SecureRestApi``: a placeholder
        route for an API without any)."""

    def _finalize(self) -> None:
        """What the root does once every route is known (see ``_finalize_at_synthesis``)."""

    def _refuse_late_route(
        self, key: str, expected: str = "routes added before the app is synthesized"
    ) -> None:
        """Refuse the route ``key`` once routes are closed (``_finalize`` has run): nothing would render
        it. ``expected`` is the refusal's text."""
        if self._finalized:
            raise SecureApiConfigError("add_route", key, expected)

    def _apply_v2_domain(self, domain: CustomDomain | None, *, scheme: str, acknowledgement: str) -> None:
        """A v2 API's custom domain (``domain_name``: REGIONAL ``TLS_1_2``, acknowledged in
        ``secure_api.compliance`` as ``acknowledgement``); ``url`` becomes the domain's, with ``scheme``."""
        self.domain_name = None
        if domain is None:
            return
        self.domain_name = apply_v2_domain(self, domain, target=self.target)
        compliance.acknowledge(self.domain_name, acknowledgement)
        self.url = v2_domain_url(scheme, domain)

    def _warn(self, what: str, why: str) -> None:
        """The warning ``secure-api:<first word of what>-disabled``: ``what`` is off, ``why`` says so."""
        Annotations.of(self).add_warning_v2(
            f"secure-api:{what.split(maxsplit=1)[0]}-disabled", f"secure_api: {what}: {why}"
        )


@jsii.implements(IAspect)
class _Finalize:
    """Runs a root's ``_finalize`` once, when the app is synthesized."""

    def __init__(self, api: SecureApiBase) -> None:
        self._api = api

    def visit(self, node: IConstruct) -> None:
        if node.node.path == self._api.node.path:
            with located(self._api.node.path):
                self._api._finalize_once()
