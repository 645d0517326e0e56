"""An HTTP API set up in moto's API Gateway v2 with boto3, the way ``SecureHttpApi`` deploys it, for the
``secure-api verify`` tests; every protection can be switched off one at a time. Holds no tests itself.

Nothing here reads authorizers back: ``secure-api verify`` never calls ``GetAuthorizers`` (moto 5.2.6
answers that call with a 500 for HTTP APIs), so no call is stubbed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3

from tests.unit.verify_world import DOMAIN, REGION, STAGE, acm_certificate, create_trail

TRUSTSTORE_URI = "s3://orders-truststore/truststore.pem"
LOG_GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/secure-api/orders-http/access"
ROUTES = (
    ("GET /orders/{id}", "JWT"),
    ("GET /orders", "JWT"),
    ("POST /orders", "AWS_IAM"),
    ("GET /health", "NONE"),
)
"""The routes of the default API: a bearer GET with a path parameter, an IAM POST and a public GET."""
PUBLIC = ("GET /health",)
"""The ``--public`` routes of the default API."""


@dataclass(frozen=True)
class HttpSetup:
    """What to deploy; the defaults are what ``SecureHttpApi`` deploys, each field turns one thing off."""

    routes: tuple[tuple[str, str], ...] = ROUTES
    disable_execute_api: bool = True
    domain: bool = True
    security_policy: str = "TLS_1_2"
    mtls: bool = True
    certificate_days: int = 395
    # The stage's DefaultRouteSettings throttle (None: none set) and the per-route RouteSettings.
    throttling: tuple[float, float] | None = (1000, 2000)
    route_throttles: Mapping[str, tuple[float, float]] = field(
        default_factory=lambda: {"GET /orders/{id}": (100, 200)}
    )
    access_logs: bool = True
    trail: bool = True


DEFAULTS = HttpSetup()


def deploy_http_api(setup: HttpSetup = DEFAULTS) -> str:
    """Create the HTTP API of ``setup`` in moto (inside ``mock_aws``); return its id."""
    v2 = boto3.client("apigatewayv2", region_name=REGION)
    api_id: str = v2.create_api(
        Name="orders-http",
        ProtocolType="HTTP",
        DisableExecuteApiEndpoint=setup.disable_execute_api,
        CorsConfiguration={"AllowOrigins": ["https://app.example.com"], "AllowMethods": ["GET", "POST"]},
    )["ApiId"]
    authorizer = v2.create_authorizer(
        ApiId=api_id,
        AuthorizerType="JWT",
        Name="orders-jwt",
        IdentitySource=["$request.header.Authorization"],
        JwtConfiguration={"Issuer": "https://login.example.com/", "Audience": ["orders-api"]},
    )["AuthorizerId"]
    for route_key, authorization in setup.routes:
        extra: dict[str, Any] = {}
        if authorization == "JWT":
            extra = {"AuthorizerId": authorizer, "AuthorizationScopes": ["orders:read"]}
        v2.create_route(ApiId=api_id, RouteKey=route_key, AuthorizationType=authorization, **extra)
    stage: dict[str, Any] = {
        "DefaultRouteSettings": {"DetailedMetricsEnabled": True},
        "RouteSettings": {
            key: {"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}
            for key, (rate, burst) in setup.route_throttles.items()
        },
    }
    if setup.throttling is not None:
        rate, burst = setup.throttling
        stage["DefaultRouteSettings"] |= {"ThrottlingRateLimit": rate, "ThrottlingBurstLimit": burst}
    if setup.access_logs:
        stage["AccessLogSettings"] = {
            "DestinationArn": LOG_GROUP,
            "Format": '{"requestId":"$context.requestId"}',
        }
    v2.create_stage(ApiId=api_id, StageName=STAGE, AutoDeploy=True, **stage)
    if setup.domain:
        mtls = {"MutualTlsAuthentication": {"TruststoreUri": TRUSTSTORE_URI, "TruststoreVersion": "3"}}
        v2.create_domain_name(
            DomainName=DOMAIN,
            DomainNameConfigurations=[
                {
                    "CertificateArn": acm_certificate(DOMAIN, days=setup.certificate_days),
                    "EndpointType": "REGIONAL",
                    "SecurityPolicy": setup.security_policy,
                }
            ],
            **(mtls if setup.mtls else {}),
        )
        v2.create_api_mapping(ApiId=api_id, DomainName=DOMAIN, Stage=STAGE)
    if setup.trail:
        create_trail()
    return api_id
