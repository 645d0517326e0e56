"""The custom domain of an API Gateway v2 API (WebSocket or HTTP): REGIONAL, ``TLS_1_2`` (the only policy
v2 APIs can map to), an ``ApiMapping`` to the stage, alias records and, for HTTP APIs, optional mutual TLS."""

from __future__ import annotations

from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_route53_targets as targets
from constructs import Construct

from secure_api.api_target import ApiTarget
from secure_api.domain import CustomDomain, alias_records, truststore_of, zone_and_certificate


def apply_v2_domain(scope: Construct, domain: CustomDomain, *, target: ApiTarget) -> apigwv2.DomainName:
    """Create (under ``scope``) the REGIONAL API Gateway v2 ``DomainName`` with ``TLS_1_2`` (and mutual TLS
    when ``domain`` asks for it: its truststore pinned by object version), the ``ApiMapping`` of
    ``target``'s API and stage (under ``base_path`` when set), and, when a hosted zone is given, the
    DNS-validated ``Certificate`` and the alias records ``AliasA`` and ``AliasAaaa``.

    The root refuses what its kind cannot honour before this runs (another policy; mutual TLS on a
    WebSocket API)."""
    zone, certificate = zone_and_certificate(scope, domain)
    truststore = truststore_of(scope, domain)
    domain_name = apigwv2.DomainName(
        scope,
        "DomainName",
        domain_name=domain.domain_name,
        certificate=certificate,
        endpoint_type=apigwv2.EndpointType.REGIONAL,
        security_policy=apigwv2.SecurityPolicy.TLS_1_2,
        mtls=(
            apigwv2.MTLSConfig(bucket=truststore[0], key=truststore[1], version=truststore[2])
            if truststore is not None
            else None
        ),
    )
    apigwv2.ApiMapping(
        scope,
        "ApiMapping",
        api=target.api,  # type: ignore[arg-type]  # a v2 API (IApi)
        domain_name=domain_name,
        stage=target.stage,  # type: ignore[arg-type]  # a v2 stage (IStage)
        api_mapping_key=domain.base_path,
    )
    if zone is not None:
        alias_records(
            scope,
            zone,
            domain,
            targets.ApiGatewayv2DomainProperties(
                domain_name.regional_domain_name, domain_name.regional_hosted_zone_id
            ),
        )
    return domain_name


def v2_domain_url(scheme: str, domain: CustomDomain) -> str:
    """The URL of a v2 API behind ``domain``: ``<scheme>://<domain name>[/<base path>]``."""
    return f"{scheme}://{domain.domain_name}" + (f"/{domain.base_path}" if domain.base_path else "")
