"""The HTTP API stack the end-to-end suite deploys: app.py's example (``HttpExampleStack``,
``OrdersHttpApi``: API Gateway's native JWT authorizer, which finds the key set through the issuer's
OpenID Connect discovery document that ``tokens.start_issuer`` serves), plus the same orders API with
the library's Lambda REQUEST authorizer (``OrdersHttpLambdaApi``: ``authorizer="lambda"``, payload
format 2.0, and the context's IP allow list, which only the Lambda authorizer can enforce), so that one
deployment proves both. The twin's ``GET /orders/{id}`` throttle is ``ROUTE_THROTTLE`` (5 requests/s,
burst 10), low enough for a 429 within a short burst."""

from __future__ import annotations

from constructs import Construct

from example.http_stack import HttpExampleStack
from example.stack import allow_ip_ranges, bearer_auth, orders_function
from secure_api import AccessPolicy, AuditTrail, CorsPolicy, CustomDomain, Monitoring, SecureHttpApi, Throttle

NATIVE = "OrdersHttpApi"  # the example's
LAMBDA = "OrdersHttpLambdaApi"
ROUTE_THROTTLE = Throttle(rate_limit=5, burst_limit=10)


class HttpE2eStack(HttpExampleStack):
    """The example HTTP API and its Lambda-authorizer twin (same routes and scopes)."""

    def __init__(self, scope: Construct, id_: str, **kwargs: object) -> None:
        super().__init__(scope, id_, **kwargs)
        zone_id = self.node.try_get_context("secure-api:hostedZoneId")
        zone_name = self.node.try_get_context("secure-api:hostedZoneName")
        self.lambda_api = SecureHttpApi(
            self,
            LAMBDA,
            stage_name="prod",
            auth=bearer_auth(self, audience=["orders-api"]),
            authorizer="lambda",
            access=AccessPolicy(allow_ip_ranges=allow_ip_ranges(self)),
            cors=CorsPolicy(["https://app.example.com"]),
            domain=CustomDomain(
                domain_name=f"orders-http-lambda.{zone_name}",
                hosted_zone_id=zone_id,
                hosted_zone_name=zone_name,
            )
            if zone_id and zone_name
            else None,
            throttle=Throttle(rate_limit=1000, burst_limit=2000),
            audit=AuditTrail(),
            monitoring=Monitoring(alarm_email="oncall@example.com"),
        )
        # The example's backend is built inside its constructor; this API gets its own.
        orders = orders_function(Construct(self, "LambdaApiBackend"))
        self.lambda_api.add_route("GET", "/orders", orders, scopes=["orders:read"])
        self.lambda_api.add_route(
            "GET", "/orders/{id}", orders, scopes=["orders:read"], throttle=ROUTE_THROTTLE
        )
        self.lambda_api.add_route(
            "POST",
            "/orders",
            orders,
            scopes=["orders:write"],
            throttle=Throttle(rate_limit=20, burst_limit=40),
        )
