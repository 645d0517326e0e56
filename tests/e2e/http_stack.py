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
from example.stack import add_orders_routes, allow_ip_ranges, bearer_auth, orders_function, zone_domain
from secure_api import AccessPolicy, AuditTrail, CorsPolicy, Monitoring, SecureHttpApi, Throttle

NATIVE = "OrdersHttpApi"  # the example's
LAMBDA = "OrdersHttpLambdaApi"
ROUTE_THROTTLE = Throttle(rate_limit=5, burst_limit=10)


class HttpE2eStack(HttpExampleStack):
    """The example HTTP API and its Lambda-authorizer twin (same routes and scopes)."""

    def __init__(self, scope: Construct, id_: str, **kwargs: object) -> None:
        super().__init__(scope, id_, **kwargs)
        self.lambda_api = SecureHttpApi(
            self,
            LAMBDA,
            stage_name="prod",
            auth=bearer_auth(self, audience=["orders-api"]),
            authorizer="lambda",
            access=AccessPolicy(allow_ip_ranges=allow_ip_ranges(self)),
            cors=CorsPolicy(["https://app.example.com"]),
            domain=zone_domain(self, "orders-http-lambda"),
            throttle=Throttle(rate_limit=1000, burst_limit=2000),
            audit=AuditTrail(),
            monitoring=Monitoring(alarm_email="oncall@example.com"),
        )
        # The example's backend is built inside its constructor; this API gets its own.
        add_orders_routes(
            self.lambda_api,
            orders_function(Construct(self, "LambdaApiBackend")),
            item_throttle=ROUTE_THROTTLE,
        )
