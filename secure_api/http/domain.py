"""An HTTP API's custom domain: REGIONAL, ``TLS_1_2`` (API Gateway cannot map an HTTP API to a domain with
an enhanced policy), optional mutual TLS, the API mapping and the alias records."""

from __future__ import annotations

from aws_cdk import aws_apigatewayv2 as apigwv2
from constructs import Construct

from secure_api import compliance
from secure_api.domain import CustomDomain, _parse_s3_uri, apply_websocket_domain


def apply_http_domain(
    scope: Construct, domain: CustomDomain, *, http_api: apigwv2.HttpApi, stage: apigwv2.HttpStage
) -> apigwv2.DomainName:
    """The v2 domain of ``secure_api.domain`` (``DomainName``, ``ApiMapping``, ``Certificate``,
    ``AliasA``, ``AliasAaaa``) for ``http_api``'s ``stage``, with the truststore of ``domain.mtls`` when
    set; Security Hub APIGateway.11 acknowledged (TLS_1_2 is the only policy AWS offers here)."""
    domain_name = apply_websocket_domain(scope, domain, web_socket_api=http_api, stage=stage)  # type: ignore[arg-type]
    compliance.acknowledge(domain_name, "http-domain-tls12")
    uri = _truststore_uri(domain)
    if uri is not None:
        cfn_domain = domain_name.node.default_child
        assert isinstance(cfn_domain, apigwv2.CfnDomainName)
        cfn_domain.mutual_tls_authentication = apigwv2.CfnDomainName.MutualTlsAuthenticationProperty(
            truststore_uri=uri, truststore_version=_truststore_version(domain)
        )
    return domain_name


def _truststore_uri(domain: CustomDomain) -> str | None:
    if domain.mtls is not None:
        bucket = domain.mtls.truststore_bucket
        name = bucket if isinstance(bucket, str) else bucket.bucket_name
        return f"s3://{name}/{domain.mtls.truststore_key}"
    if domain.mtls_truststore_uri is not None:
        _parse_s3_uri(domain.mtls_truststore_uri)
        return domain.mtls_truststore_uri
    return None


def _truststore_version(domain: CustomDomain) -> str | None:
    if domain.mtls is not None:
        return domain.mtls.truststore_version
    return domain.mtls_truststore_version
