"""CustomDomain: REGIONAL domain name, TLS policy, certificate, mappings, alias records, mTLS."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk.assertions import Template

from secure_api.domain import CustomDomain, apply_domain
from secure_api.errors import SecureApiConfigError
from tests.unit.helpers import bare_api_stack, only, resources

CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
ZONE = {"hosted_zone_id": "Z0123456789ABCDEFGHIJ", "hosted_zone_name": "example.com"}


def _apply(domain: CustomDomain) -> tuple[Template, apigw.DomainName]:
    stack, api = bare_api_stack()
    domain_name = apply_domain(api, domain, rest_api=api.rest_api, stage=api.stage)
    return Template.from_stack(stack), domain_name


@pytest.fixture(scope="module")
def zoned() -> tuple[Template, apigw.DomainName]:
    return _apply(CustomDomain(domain_name="api.example.com", base_path="v1", **ZONE))


@pytest.fixture(scope="module")
def tls13() -> Template:
    return _apply(
        CustomDomain(
            domain_name="api.example.com",
            certificate_arn=CERT,
            security_policy=apigw.SecurityPolicy.TLS13_1_3_2025_09,
            base_path="orders/v1",
        )
    )[0]


@pytest.fixture(scope="module")
def mtls() -> Template:
    return _apply(
        CustomDomain(
            domain_name="api.example.com",
            certificate_arn=CERT,
            mtls_truststore_uri="s3://truststores-example/api/truststore.pem",
            mtls_truststore_version="3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
        )
    )[0]


def _ids(template: Template, type_: str) -> list[str]:
    return sorted(resources(template, type_))


def test_regional_domain_passes_security_hub_11_by_default(zoned: tuple[Template, apigw.DomainName]) -> None:
    template, domain_name = zoned
    assert isinstance(domain_name, apigw.DomainName)
    props = only(template, "AWS::ApiGateway::DomainName")["Properties"]
    assert props["DomainName"] == "api.example.com"
    assert props["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    # One of the policies Security Hub control APIGateway.11 accepts; TLS 1.2 clients still connect.
    assert props["SecurityPolicy"] == "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09"
    assert props["EndpointAccessMode"] == "STRICT"
    assert "MutualTlsAuthentication" not in props


def test_default_policy_is_resolved_and_remembered_as_default() -> None:
    default = CustomDomain(domain_name="api.example.com", certificate_arn=CERT)
    assert default.security_policy == apigw.SecurityPolicy.TLS13_1_2_PFS_PQ_2025_09
    assert not default.policy_chosen
    chosen = CustomDomain(
        domain_name="api.example.com", certificate_arn=CERT, security_policy=apigw.SecurityPolicy.TLS_1_2
    )
    assert chosen.security_policy == apigw.SecurityPolicy.TLS_1_2 and chosen.policy_chosen
    assert not chosen.enhanced_security_policy


def test_mtls_without_a_policy_gets_the_only_one_offering_mtls() -> None:
    domain = CustomDomain(
        domain_name="api.example.com",
        certificate_arn=CERT,
        mtls_truststore_uri="s3://truststores-example/api/truststore.pem",
    )
    assert domain.security_policy == apigw.SecurityPolicy.TLS_1_2


def test_dns_validated_certificate_in_the_zone(zoned: tuple[Template, apigw.DomainName]) -> None:
    template = zoned[0]
    cert = only(template, "AWS::CertificateManager::Certificate")["Properties"]
    assert cert["DomainName"] == "api.example.com"
    assert cert["ValidationMethod"] == "DNS"
    assert cert["DomainValidationOptions"] == [
        {"DomainName": "api.example.com", "HostedZoneId": "Z0123456789ABCDEFGHIJ"}
    ]
    props = only(template, "AWS::ApiGateway::DomainName")["Properties"]
    assert props["RegionalCertificateArn"] == {
        "Ref": _ids(template, "AWS::CertificateManager::Certificate")[0]
    }


def test_alias_a_and_aaaa_records(zoned: tuple[Template, apigw.DomainName]) -> None:
    template = zoned[0]
    domain_id = _ids(template, "AWS::ApiGateway::DomainName")[0]
    records = {
        r["Properties"]["Type"]: r["Properties"]
        for r in resources(template, "AWS::Route53::RecordSet").values()
    }
    assert set(records) == {"A", "AAAA"}
    for record in records.values():
        assert record["Name"] == "api.example.com."
        assert record["HostedZoneId"] == "Z0123456789ABCDEFGHIJ"
        assert record["AliasTarget"] == {
            "DNSName": {"Fn::GetAtt": [domain_id, "RegionalDomainName"]},
            "HostedZoneId": {"Fn::GetAtt": [domain_id, "RegionalHostedZoneId"]},
        }


def test_base_path_mapping_to_the_stage(zoned: tuple[Template, apigw.DomainName]) -> None:
    template = zoned[0]
    mapping = only(template, "AWS::ApiGateway::BasePathMapping")["Properties"]
    assert mapping == {
        "BasePath": "v1",
        "DomainName": {"Ref": _ids(template, "AWS::ApiGateway::DomainName")[0]},
        "RestApiId": {"Ref": _ids(template, "AWS::ApiGateway::RestApi")[0]},
        "Stage": {"Ref": _ids(template, "AWS::ApiGateway::Stage")[0]},
    }


def test_imported_certificate_and_tls13_policy(tls13: Template) -> None:
    props = only(tls13, "AWS::ApiGateway::DomainName")["Properties"]
    assert props["RegionalCertificateArn"] == CERT
    assert props["SecurityPolicy"] == "SecurityPolicy_TLS13_1_3_2025_09"
    assert props["EndpointAccessMode"] == "STRICT"
    assert not resources(tls13, "AWS::CertificateManager::Certificate")
    assert not resources(tls13, "AWS::Route53::RecordSet")


def test_multi_level_base_path_is_an_api_mapping(tls13: Template) -> None:
    assert not resources(tls13, "AWS::ApiGateway::BasePathMapping")
    mapping = only(tls13, "AWS::ApiGatewayV2::ApiMapping")["Properties"]
    assert mapping["ApiMappingKey"] == "orders/v1"
    assert mapping["Stage"] == {"Ref": _ids(tls13, "AWS::ApiGateway::Stage")[0]}


def test_root_mapping_and_mutual_tls(mtls: Template) -> None:
    props = only(mtls, "AWS::ApiGateway::DomainName")["Properties"]
    assert props["SecurityPolicy"] == "TLS_1_2"
    assert props["MutualTlsAuthentication"] == {
        "TruststoreUri": "s3://truststores-example/api/truststore.pem",
        "TruststoreVersion": "3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
    }
    mapping = only(mtls, "AWS::ApiGateway::BasePathMapping")["Properties"]
    assert "BasePath" not in mapping


@pytest.mark.parametrize(
    "policy",
    [
        apigw.SecurityPolicy.TLS13_1_3_FIPS_2025_09,
        apigw.SecurityPolicy.TLS13_1_2_PQ_2025_09,
        apigw.SecurityPolicy.TLS13_1_2_PFS_PQ_2025_09,
    ],
)
def test_tls13_families_selectable(policy: apigw.SecurityPolicy) -> None:
    domain = CustomDomain(domain_name="api.example.com", certificate_arn=CERT, security_policy=policy)
    assert domain.enhanced_security_policy


# --- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["API.example.com", "example", "-api.example.com", "api..example.com", "a_b.example.com", ""]
)
def test_fails_bad_domain_name(name: str) -> None:
    with pytest.raises(SecureApiConfigError, match=r"CustomDomain\.domain_name"):
        CustomDomain(domain_name=name, certificate_arn=CERT)


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:acm:eu-west-1:123456789012:certificate/not-a-uuid",
        "arn:aws:iam::123456789012:server-certificate/x",
        "12345678-1234-1234-1234-123456789012",
    ],
)
def test_fails_malformed_certificate_arn(arn: str) -> None:
    with pytest.raises(SecureApiConfigError, match=r"CustomDomain\.certificate_arn"):
        CustomDomain(domain_name="api.example.com", certificate_arn=arn)


def test_fails_certificate_and_zone_together() -> None:
    with pytest.raises(SecureApiConfigError, match=r"CustomDomain\.certificate_arn.*not both"):
        CustomDomain(domain_name="api.example.com", certificate_arn=CERT, **ZONE)


def test_fails_neither_certificate_nor_zone() -> None:
    with pytest.raises(SecureApiConfigError, match=r"CustomDomain\.certificate_arn"):
        CustomDomain(domain_name="api.example.com")


def test_fails_zone_id_without_name() -> None:
    with pytest.raises(SecureApiConfigError, match=r"CustomDomain\.hosted_zone_name"):
        CustomDomain(domain_name="api.example.com", hosted_zone_id="Z0123456789ABCDEFGHIJ")
    with pytest.raises(SecureApiConfigError, match=r"CustomDomain\.hosted_zone_id"):
        CustomDomain(domain_name="api.example.com", hosted_zone_name="example.com")


def test_fails_bad_zone_id() -> None:
    with pytest.raises(SecureApiConfigError, match=r"CustomDomain\.hosted_zone_id"):
        CustomDomain(domain_name="api.example.com", hosted_zone_id="zone-1", hosted_zone_name="example.com")


def test_fails_domain_outside_the_zone() -> None:
    with pytest.raises(SecureApiConfigError, match=r"CustomDomain\.domain_name.*inside the hosted zone"):
        CustomDomain(domain_name="api.notexample.com", **ZONE)


@pytest.mark.parametrize(
    "policy",
    [
        apigw.SecurityPolicy.TLS_1_0,
        apigw.SecurityPolicy.TLS12_2018_EDGE,
        apigw.SecurityPolicy.TLS13_2025_EDGE,
    ],
)
def test_fails_old_or_edge_only_security_policy(policy: apigw.SecurityPolicy) -> None:
    with pytest.raises(SecureApiConfigError, match=r"CustomDomain\.security_policy.*TLS 1\.2 or newer"):
        CustomDomain(domain_name="api.example.com", certificate_arn=CERT, security_policy=policy)


@pytest.mark.parametrize("path", ["/v1", "v1/", "v 1", "a//b"])
def test_fails_bad_base_path(path: str) -> None:
    with pytest.raises(SecureApiConfigError, match=r"CustomDomain\.base_path"):
        CustomDomain(domain_name="api.example.com", certificate_arn=CERT, base_path=path)


@pytest.mark.parametrize(
    "uri", ["https://bucket/key.pem", "s3://bucket", "s3://bucket/", "s3://Bucket/key.pem"]
)
def test_fails_bad_truststore_uri(uri: str) -> None:
    with pytest.raises(SecureApiConfigError, match=r"CustomDomain\.mtls_truststore_uri"):
        CustomDomain(domain_name="api.example.com", certificate_arn=CERT, mtls_truststore_uri=uri)


def test_fails_mtls_with_enhanced_policy() -> None:
    with pytest.raises(SecureApiConfigError, match=r"CustomDomain\.mtls_truststore_uri.*TLS_1_2"):
        CustomDomain(
            domain_name="api.example.com",
            certificate_arn=CERT,
            security_policy=apigw.SecurityPolicy.TLS13_1_3_2025_09,
            mtls_truststore_uri="s3://bucket-name/truststore.pem",
        )


def test_fails_truststore_version_without_uri() -> None:
    kwargs: dict[str, Any] = {"domain_name": "api.example.com", "certificate_arn": CERT}
    with pytest.raises(SecureApiConfigError, match=r"CustomDomain\.mtls_truststore_version"):
        CustomDomain(**kwargs, mtls_truststore_version="v1")
    with pytest.raises(SecureApiConfigError, match=r"CustomDomain\.mtls_truststore_version"):
        CustomDomain(**kwargs, mtls_truststore_uri="s3://bucket-name/t.pem", mtls_truststore_version="")
