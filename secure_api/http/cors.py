"""An HTTP API's CORS configuration from ``CorsPolicy``: API Gateway answers preflight ``OPTIONS``
requests itself, before any route or authorizer, and adds the CORS headers to every response. The
policy's own checks (``"*"`` with credentials refused, exact origins) are ``CorsPolicy``'s."""

from __future__ import annotations

from aws_cdk import aws_apigatewayv2 as apigwv2

from secure_api.rest.cors import CorsPolicy


def cors_preflight(policy: CorsPolicy) -> apigwv2.CorsPreflightOptions:
    """The ``CorsConfiguration`` of the API (``ANY`` among the methods stands for every method)."""
    methods = [apigwv2.CorsHttpMethod[method] for method in policy.allow_methods]
    return apigwv2.CorsPreflightOptions(
        allow_origins=list(policy.allow_origins),
        allow_methods=methods,
        allow_headers=list(policy.allow_headers),
        expose_headers=list(policy.expose_headers) or None,
        allow_credentials=policy.allow_credentials,
        max_age=policy.max_age,
    )
