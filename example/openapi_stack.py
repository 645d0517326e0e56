"""The example app's second stack: the same orders API declared spec-first, from an OpenAPI document.

``example/orders.openapi.yaml`` decides each operation's auth (OAuth scopes and the API key header,
a public ``/health``); ``SecureRestApi.from_openapi`` adds every protection and validates bodies
and required parameters. No route costs a CloudFormation resource: they live in the API's body.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from constructs import Construct

from example.stack import allow_ip_ranges, bearer_auth, orders_function
from secure_api import (
    AccessPolicy,
    AuditTrail,
    Consumer,
    CorsPolicy,
    Firewall,
    Monitoring,
    Quota,
    SecureRestApi,
    Throttle,
    UsageTier,
)

DOCUMENT = Path(__file__).resolve().parent / "orders.openapi.yaml"


class OpenApiExampleStack(cdk.Stack):
    """The orders API from ``orders.openapi.yaml``, every protection on."""

    def __init__(self, scope: Construct, id_: str, **kwargs: object) -> None:
        super().__init__(scope, id_, **kwargs)  # type: ignore[arg-type]
        orders = orders_function(self)
        self.api = SecureRestApi.from_openapi(
            self,
            "OrdersApi",
            DOCUMENT,
            integrations={
                "health": orders,
                "listOrders": orders,
                "createOrder": orders,
                "getOrder": orders,
                "updateOrder": orders,
            },
            throttles={"createOrder": Throttle(rate_limit=20, burst_limit=40)},
            access=AccessPolicy(allow_ip_ranges=allow_ip_ranges(self)),
            cors=CorsPolicy(["https://app.example.com"]),
            firewall=Firewall(rate_limit_per_ip=2000),
            audit=AuditTrail(),
            auth=bearer_auth(self, audience=["orders-api"]),
            usage_tiers=[
                UsageTier(
                    "gold",
                    throttle=Throttle(rate_limit=500, burst_limit=1000),
                    quota=Quota(limit=1_000_000, period=apigw.Period.MONTH),
                    method_throttles={"POST /orders": Throttle(rate_limit=50, burst_limit=100)},
                )
            ],
            consumers=[Consumer("mobile-app", tier="gold")],
            monitoring=Monitoring(alarm_email="oncall@example.com"),
        )
        # The document declares GET /health public (security: []): acknowledged, with the reason.
        cdk.Annotations.of(self.api).acknowledge_warning(
            "secure-api:route-disabled", "GET /health is a public liveness probe that returns no data"
        )
        cdk.CfnOutput(self, "ApiUrl", value=self.api.url)
