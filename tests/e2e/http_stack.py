"""The HTTP API configuration the end-to-end suite deploys: the DESIGN.md example of ``SecureHttpApi``
(bearer tokens, CORS for one web app, a stage default throttle and a tighter route throttle, a TLS 1.2
custom domain, the audit trail, monitoring) over the example's orders backend, twice in one stack:

- ``OrdersHttpApi`` with API Gateway's native JWT authorizer (the default; the key set found through
  the issuer's OpenID Connect discovery document, which ``tokens.start_issuer`` serves);
- ``OrdersHttpLambdaApi`` with the library's Lambda REQUEST authorizer (``authorizer="lambda"``,
  payload format 2.0), an explicit ``jwks_uri`` and the context's IP allow list, which only the
  Lambda authorizer can enforce.

Imported only when ``secure_api`` has ``SecureHttpApi`` (``synth.available``).
"""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from example.stack import allow_ip_ranges, orders_function
from secure_api import (
    AccessPolicy,
    AuditTrail,
    BearerAuth,
    CorsPolicy,
    CustomDomain,
    Monitoring,
    SecureHttpApi,
    Throttle,
)

ORIGIN = "https://app.example.com"
AUDIENCE = "orders-api"
# GET /orders/{id}'s own throttle, under the stage default (1000/2000): a burst of a few dozen
# requests meets a 429 on API Gateway.
ROUTE_THROTTLE = Throttle(rate_limit=5, burst_limit=10)
# The construct ids of the two APIs, which prefix their outputs.
NATIVE = "OrdersHttpApi"
LAMBDA = "OrdersHttpLambdaApi"


class HttpE2eStack(cdk.Stack):
    """Two ``SecureHttpApi``: the native JWT authorizer and the Lambda authorizer, same routes."""

    def __init__(self, scope: Construct, id_: str, **kwargs: object) -> None:
        super().__init__(scope, id_, **kwargs)  # type: ignore[arg-type]
        issuer = self.node.try_get_context("secure-api:issuer") or "https://login.example.com/"
        orders = orders_function(self)
        self.native = self.orders_api(
            NATIVE, BearerAuth(issuer=issuer, audience=[AUDIENCE]), orders, "orders-http"
        )
        self.lambda_ = self.orders_api(
            LAMBDA,
            BearerAuth(
                issuer=issuer,
                audience=[AUDIENCE],
                jwks_uri=self.node.try_get_context("secure-api:jwksUri"),
            ),
            orders,
            "orders-http-lambda",
            authorizer="lambda",
            access=AccessPolicy(allow_ip_ranges=allow_ip_ranges(self)),
        )

    def orders_api(
        self,
        id_: str,
        auth: BearerAuth,
        orders: lambda_.IFunction,
        subdomain: str,
        **options: Any,
    ) -> SecureHttpApi:
        """One orders API: GET /orders and GET /orders/{id} need ``orders:read`` (the second one has
        its own throttle), POST /orders needs ``orders:write``."""
        api = SecureHttpApi(
            self,
            id_,
            stage_name="prod",
            auth=auth,
            cors=CorsPolicy([ORIGIN]),
            domain=self.custom_domain(subdomain),
            throttle=Throttle(rate_limit=1000, burst_limit=2000),
            audit=AuditTrail(),
            monitoring=Monitoring(alarm_email="oncall@example.com"),
            **options,
        )
        api.add_route("GET", "/orders", orders, scopes=["orders:read"])
        api.add_route("GET", "/orders/{id}", orders, scopes=["orders:read"], throttle=ROUTE_THROTTLE)
        api.add_route("POST", "/orders", orders, scopes=["orders:write"])
        return api

    def custom_domain(self, subdomain: str) -> CustomDomain | None:
        """``<subdomain>.<zone>`` in the app context's hosted zone, or none without a zone."""
        zone_id = self.node.try_get_context("secure-api:hostedZoneId")
        zone_name = self.node.try_get_context("secure-api:hostedZoneName")
        if not (zone_id and zone_name):
            return None
        return CustomDomain(
            domain_name=f"{subdomain}.{zone_name}", hosted_zone_id=zone_id, hosted_zone_name=zone_name
        )
