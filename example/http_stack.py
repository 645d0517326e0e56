"""The example HTTP API stack: the orders API as an HTTP API, with every option the library offers for
HTTP APIs, synthesizable with no AWS account.

The custom domain is ``orders-http.<zone>`` in the hosted zone of ``cdk.json``'s context
(``secure-api:hostedZoneId``, ``secure-api:hostedZoneName``); the placeholders there synthesize without
an account. Tokens are checked by API Gateway's native JWT authorizer, unless the context names a key
set of its own (``secure-api:jwksUri``): the library's Lambda authorizer then verifies them, since the
native one only reads the issuer's discovery document.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import Construct

from example.stack import add_orders_routes, bearer_auth, orders_function, zone_domain
from secure_api import (
    AuditTrail,
    CorsPolicy,
    Monitoring,
    SecureHttpApi,
    Throttle,
)


class HttpExampleStack(cdk.Stack):
    """An orders HTTP API: bearer tokens with per-route scopes, CORS for one web app, per-route
    throttling, a TLS 1.2 custom domain, the audit trail and monitoring."""

    def __init__(self, scope: Construct, id_: str, **kwargs: object) -> None:
        super().__init__(scope, id_, **kwargs)  # type: ignore[arg-type]
        self.api = SecureHttpApi(
            self,
            "OrdersHttpApi",
            stage_name="prod",
            auth=bearer_auth(self, audience=["orders-api"]),
            cors=CorsPolicy(["https://app.example.com"]),
            domain=zone_domain(self, "orders-http"),
            throttle=Throttle(rate_limit=1000, burst_limit=2000),
            audit=AuditTrail(),
            monitoring=Monitoring(alarm_email="oncall@example.com"),
        )
        add_orders_routes(self.api, orders_function(self))
