"""``AccessPolicy``: the endpoint type and the resource policy that admits only who it should."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from constructs import Construct

from secure_api.errors import (
    SecureApiConfigError,
    require_accounts,
    require_cidrs,
    require_vpc_ids,
    require_vpce_ids,
)

# The short form resolves to "this API" inside its own resource policy, so the policy never
# references the RestApi resource and cannot create a dependency cycle.
_THIS_API = "execute-api:/*"
_INVOKE = "execute-api:Invoke"


@dataclass(frozen=True, kw_only=True)
class AccessPolicy:
    """Who may reach the API at all, before authentication.

    Defaults: a REGIONAL endpoint open to every network (authentication still applies).
    Every ``allow_*`` list narrows access (an explicit Deny for everyone outside it) and every
    ``deny_*`` list adds an explicit Deny. ``allow_vpc_ids`` and ``allow_vpc_endpoint_ids`` only exist
    on a PRIVATE API (on a REGIONAL one they would deny every caller). ``allow_accounts`` replaces the ``*`` principal of the
    Allow statement, so only IAM-signed callers from those accounts get in (use ``auth="iam"``
    routes); ``deny_accounts`` denies principals of those accounts.

    ``AccessPolicy.private(vpc_endpoint_ids=[...])`` makes a PRIVATE API that only those
    interface VPC endpoints can reach. IP ranges are matched against ``aws:SourceIp`` on a REGIONAL API
    and against ``aws:VpcSourceIp`` (the caller's address in its VPC) on a PRIVATE one, whose requests
    carry no ``aws:SourceIp``.
    """

    allow_ip_ranges: Sequence[str] = ()
    deny_ip_ranges: Sequence[str] = ()
    allow_vpc_ids: Sequence[str] = ()
    allow_vpc_endpoint_ids: Sequence[str] = ()
    allow_accounts: Sequence[str] = ()
    deny_accounts: Sequence[str] = ()
    private_endpoint: bool = False

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "allow_ip_ranges", require_cidrs("AccessPolicy.allow_ip_ranges", self.allow_ip_ranges))
        set_(self, "deny_ip_ranges", require_cidrs("AccessPolicy.deny_ip_ranges", self.deny_ip_ranges))
        set_(self, "allow_vpc_ids", require_vpc_ids("AccessPolicy.allow_vpc_ids", self.allow_vpc_ids))
        set_(
            self,
            "allow_vpc_endpoint_ids",
            require_vpce_ids("AccessPolicy.allow_vpc_endpoint_ids", self.allow_vpc_endpoint_ids),
        )
        set_(self, "allow_accounts", require_accounts("AccessPolicy.allow_accounts", self.allow_accounts))
        set_(self, "deny_accounts", require_accounts("AccessPolicy.deny_accounts", self.deny_accounts))
        both = set(self.allow_ip_ranges) & set(self.deny_ip_ranges)
        if both:
            raise SecureApiConfigError(
                "AccessPolicy.deny_ip_ranges", sorted(both), "no range that is also in allow_ip_ranges"
            )
        both = set(self.allow_accounts) & set(self.deny_accounts)
        if both:
            raise SecureApiConfigError(
                "AccessPolicy.deny_accounts", sorted(both), "no account that is also in allow_accounts"
            )
        if not isinstance(self.private_endpoint, bool):
            raise SecureApiConfigError(
                "AccessPolicy.private_endpoint", self.private_endpoint, "True or False"
            )
        for name in ("allow_vpc_ids", "allow_vpc_endpoint_ids"):
            if getattr(self, name) and not self.private_endpoint:
                # aws:SourceVpc / aws:SourceVpce are only present on calls through an interface VPC
                # endpoint, which reach PRIVATE APIs only: on a REGIONAL API the Deny matches everyone.
                raise SecureApiConfigError(
                    f"AccessPolicy.{name}",
                    list(getattr(self, name)),
                    "empty on a REGIONAL API (calls to it never come through a VPC endpoint, so every "
                    "caller would be denied): use AccessPolicy.private(vpc_endpoint_ids=[...], "
                    "allow_vpc_ids=[...]) for an API reachable only from VPCs, or allow_ip_ranges",
                )
        if self.private_endpoint and not self.allow_vpc_endpoint_ids:
            raise SecureApiConfigError(
                "AccessPolicy.allow_vpc_endpoint_ids",
                [],
                "at least one VPC endpoint id for a PRIVATE API (AccessPolicy.private(vpc_endpoint_ids=[...]))",
            )
        if self.private_endpoint and self.allow_ip_ranges:
            raise SecureApiConfigError(
                "AccessPolicy.allow_ip_ranges",
                list(self.allow_ip_ranges),
                "no IP allow list on a PRIVATE API (its callers have private addresses; use VPC endpoints)",
            )

    @classmethod
    def private(
        cls,
        *,
        vpc_endpoint_ids: Sequence[str],
        allow_vpc_ids: Sequence[str] = (),
        allow_accounts: Sequence[str] = (),
        deny_accounts: Sequence[str] = (),
        deny_ip_ranges: Sequence[str] = (),
    ) -> AccessPolicy:
        """A PRIVATE API reachable only through the given interface VPC endpoints; ``deny_ip_ranges``
        are the callers' addresses inside their VPCs (``aws:VpcSourceIp``)."""
        return cls(
            allow_vpc_endpoint_ids=vpc_endpoint_ids,
            allow_vpc_ids=allow_vpc_ids,
            deny_ip_ranges=deny_ip_ranges,
            allow_accounts=allow_accounts,
            deny_accounts=deny_accounts,
            private_endpoint=True,
        )

    @property
    def endpoint_type(self) -> apigw.EndpointType:
        """REGIONAL, or PRIVATE for ``AccessPolicy.private``."""
        return apigw.EndpointType.PRIVATE if self.private_endpoint else apigw.EndpointType.REGIONAL

    def endpoint_configuration(self, scope: Construct) -> apigw.EndpointConfiguration:
        """The endpoint configuration for the RestApi (a PRIVATE API is bound to its VPC endpoints)."""
        endpoints: list[ec2.IVpcEndpoint] = [
            ec2.InterfaceVpcEndpoint.from_interface_vpc_endpoint_attributes(
                scope, f"VpcEndpoint{i}", vpc_endpoint_id=vpce, port=443
            )
            for i, vpce in enumerate(self.allow_vpc_endpoint_ids if self.private_endpoint else ())
        ]
        return apigw.EndpointConfiguration(types=[self.endpoint_type], vpc_endpoints=endpoints or None)

    def fingerprint(self) -> dict[str, Any]:
        """A stable description of the policy; a change redeploys the stage."""
        return {
            "allowIp": list(self.allow_ip_ranges),
            "denyIp": list(self.deny_ip_ranges),
            "vpc": list(self.allow_vpc_ids),
            "vpce": list(self.allow_vpc_endpoint_ids),
            "allowAcct": list(self.allow_accounts),
            "denyAcct": list(self.deny_accounts),
            "private": self.private_endpoint,
        }

    def policy_document(self) -> iam.PolicyDocument:
        """The resource policy: one Allow for this API, plus an explicit Deny per exclusion."""
        doc = iam.PolicyDocument()
        allow_principals: list[iam.IPrincipal] = (
            [iam.AccountPrincipal(a) for a in self.allow_accounts]
            if self.allow_accounts
            else [iam.AnyPrincipal()]
        )
        doc.add_statements(
            iam.PolicyStatement(
                sid="AllowInvoke",
                effect=iam.Effect.ALLOW,
                principals=allow_principals,
                actions=[_INVOKE],
                resources=[_THIS_API],
            )
        )
        # A request through an interface VPC endpoint (the only way to a PRIVATE API) carries no
        # aws:SourceIp: its caller's address is aws:VpcSourceIp, so a Deny on aws:SourceIp never matches.
        source_ip = "aws:VpcSourceIp" if self.private_endpoint else "aws:SourceIp"
        for sid, operator, key, values in (
            ("DenyOutsideAllowedIpRanges", "NotIpAddress", source_ip, self.allow_ip_ranges),
            ("DenyBlockedIpRanges", "IpAddress", source_ip, self.deny_ip_ranges),
            ("DenyOutsideAllowedVpcs", "StringNotEquals", "aws:SourceVpc", self.allow_vpc_ids),
            (
                "DenyOutsideAllowedVpcEndpoints",
                "StringNotEquals",
                "aws:SourceVpce",
                self.allow_vpc_endpoint_ids,
            ),
        ):
            if values:
                doc.add_statements(_deny(sid, [iam.AnyPrincipal()], {operator: {key: list(values)}}))
        if self.deny_accounts:
            doc.add_statements(
                _deny("DenyBlockedAccounts", [iam.AccountPrincipal(a) for a in self.deny_accounts], None)
            )
        return doc


def _deny(
    sid: str, principals: list[iam.IPrincipal], conditions: dict[str, Any] | None
) -> iam.PolicyStatement:
    return iam.PolicyStatement(
        sid=sid,
        effect=iam.Effect.DENY,
        principals=principals,
        actions=[_INVOKE],
        resources=[_THIS_API],
        conditions=conditions,
    )
