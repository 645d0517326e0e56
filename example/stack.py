"""The example stack: every option of the library, three routes, synthesizable with no AWS account.

The custom domain comes from ``cdk.json``'s context (``secure-api:domainName``,
``secure-api:hostedZoneId``, ``secure-api:hostedZoneName``); the placeholders there synthesize
without an account. Put your own zone there (or pass ``-c``) to deploy. The token issuer is
``https://login.example.com/`` unless the context names another (``secure-api:issuer``, and
``secure-api:jwksUri`` when its key set is not at ``<issuer>/.well-known/jwks.json``), and the
callers' addresses are ``ALLOW_IP_RANGES`` unless the context lists others
(``secure-api:allowIpRanges``): the end-to-end suite points them at 127.0.0.1.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from secure_api import (
    AccessPolicy,
    AuditTrail,
    BearerAuth,
    Consumer,
    CorsPolicy,
    CustomDomain,
    Firewall,
    Monitoring,
    Quota,
    SecureHttpApi,
    SecureRestApi,
    Throttle,
    UsageTier,
)
from secure_api.encryption import secure_key
from secure_api.lambda_function import SecureFunction

ORDERS_CODE = Path(__file__).resolve().parent / "orders"
ALLOW_IP_RANGES = ("203.0.113.0/24", "2001:db8::/32")


class ExampleStack(cdk.Stack):
    """An orders API: bearer tokens, an IP allow list, CORS for one web app, per-route throttling, a
    TLS 1.2 custom domain, the WAF, the audit trail, two usage tiers with three consumers, monitoring."""

    def __init__(self, scope: Construct, id_: str, **kwargs: object) -> None:
        super().__init__(scope, id_, **kwargs)  # type: ignore[arg-type]
        self.api = SecureRestApi(
            self,
            "OrdersApi",
            stage_name="prod",
            access=AccessPolicy(allow_ip_ranges=allow_ip_ranges(self), deny_ip_ranges=["203.0.113.128/25"]),
            cors=CorsPolicy(["https://app.example.com"]),
            domain=self.custom_domain(),
            firewall=Firewall(rate_limit_per_ip=2000, rate_limit_per_api_key=5000),
            audit=AuditTrail(),
            auth=bearer_auth(self, audience=["orders-api"]),
            throttle=Throttle(rate_limit=1000, burst_limit=2000),
            usage_tiers=[
                UsageTier(
                    "gold",
                    throttle=Throttle(rate_limit=500, burst_limit=1000),
                    quota=Quota(limit=1_000_000, period=apigw.Period.MONTH),
                    method_throttles={"POST /orders": Throttle(rate_limit=50, burst_limit=100)},
                ),
                UsageTier(
                    "silver",
                    throttle=Throttle(rate_limit=50, burst_limit=100),
                    quota=Quota(limit=10_000, period=apigw.Period.DAY),
                    method_throttles={"GET /orders/{id}": Throttle(rate_limit=20, burst_limit=40)},
                ),
            ],
            consumers=[
                Consumer("mobile-app", tier="gold"),
                Consumer("partner-portal", tier="silver"),
                Consumer("reporting", tier="silver"),
            ],
            monitoring=Monitoring(alarm_email="oncall@example.com"),
        )
        add_orders_routes(self.api, orders_function(self))
        cdk.CfnOutput(self, "ApiUrl", value=self.api.url)

    def custom_domain(self) -> CustomDomain | None:
        """The domain from the app's context, or none when the context does not name one."""
        names = ("secure-api:domainName", "secure-api:hostedZoneId", "secure-api:hostedZoneName")
        domain_name, zone_id, zone_name = (self.node.try_get_context(n) for n in names)
        if not domain_name:
            return None
        return CustomDomain(domain_name=domain_name, hosted_zone_id=zone_id, hosted_zone_name=zone_name)


ITEM_THROTTLE = Throttle(rate_limit=100, burst_limit=200)
"""The example APIs' throttle on ``GET /orders/{id}``."""


def add_orders_routes(
    api: SecureRestApi | SecureHttpApi, orders: lambda_.IFunction, *, item_throttle: Throttle = ITEM_THROTTLE
) -> None:
    """The routes every example orders API has: list and read with ``orders:read``, create with
    ``orders:write``; reading one order and creating one throttled below the stage."""
    api.add_route("GET", "/orders", orders, scopes=["orders:read"])
    api.add_route("GET", "/orders/{id}", orders, scopes=["orders:read"], throttle=item_throttle)
    api.add_route(
        "POST", "/orders", orders, scopes=["orders:write"], throttle=Throttle(rate_limit=20, burst_limit=40)
    )


def zone_domain(scope: Construct, label: str) -> CustomDomain | None:
    """``<label>.<zone>`` in the app context's hosted zone (``secure-api:hostedZoneId``,
    ``secure-api:hostedZoneName``), or none when the context names no zone."""
    zone_id = scope.node.try_get_context("secure-api:hostedZoneId")
    zone_name = scope.node.try_get_context("secure-api:hostedZoneName")
    if not (zone_id and zone_name):
        return None
    return CustomDomain(
        domain_name=f"{label}.{zone_name}", hosted_zone_id=zone_id, hosted_zone_name=zone_name
    )


def allow_ip_ranges(scope: Construct) -> list[str]:
    """The callers' address ranges: the context's ``secure-api:allowIpRanges``, else ``ALLOW_IP_RANGES``."""
    ranges = scope.node.try_get_context("secure-api:allowIpRanges")
    return list(ranges) if ranges else list(ALLOW_IP_RANGES)


def bearer_auth(scope: Construct, *, audience: list[str]) -> BearerAuth:
    """Bearer tokens of the context's issuer (``secure-api:issuer``, default
    ``https://login.example.com/``) and key set (``secure-api:jwksUri``, default the issuer's)."""
    issuer = scope.node.try_get_context("secure-api:issuer") or "https://login.example.com/"
    return BearerAuth(
        issuer=issuer, audience=audience, jwks_uri=scope.node.try_get_context("secure-api:jwksUri")
    )


def orders_function(scope: Construct) -> lambda_.IFunction:
    """The backend, hardened with the library's own function recipe."""
    return backend_function(scope, "orders", ORDERS_CODE)


def backend_function(scope: Construct, name: str, code: Path) -> lambda_.IFunction:
    """The example backend ``name`` (construct ids ``<Name>Key`` and ``<Name>``) from the directory ``code``,
    hardened with the library's own function recipe."""
    key = secure_key(scope, f"{name.title()}Key", description=f"{name} backend: environment and logs")
    key.grant_encrypt_decrypt(iam.ServicePrincipal(f"logs.{cdk.Stack.of(scope).region}.amazonaws.com"))
    return SecureFunction(
        scope,
        name.title(),
        code_name=name,
        code=lambda_.Code.from_asset(str(code)),
        handler="index.handler",
        description=f"{name} backend",
        environment={},
        key=key,
        retention=logs.RetentionDays.ONE_YEAR,
        timeout=cdk.Duration.seconds(10),
        acknowledgements=("sync-lambda-no-dlq",),
    ).function
