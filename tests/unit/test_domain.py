"""CustomDomain: REGIONAL domain name, TLS policy, certificate, mappings, alias records, mTLS."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from secure_api import MutualTls
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


# --- MutualTls: CustomDomain(mtls=MutualTls(...)) ------------------------------------------------
TRUSTSTORE = {
    "truststore_bucket": "truststores-example",
    "truststore_key": "api/truststore.pem",
    "truststore_version": "3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
}


@pytest.fixture(scope="module")
def mutual_tls() -> tuple[cdk.Stack, Any]:
    """A SecureRestApi behind a domain with MutualTls (bucket given by name)."""
    stack, api = bare_api_stack(
        domain=CustomDomain(domain_name="api.example.com", certificate_arn=CERT, mtls=MutualTls(**TRUSTSTORE))
    )
    return stack, api


def test_mutual_tls_domain_template(mutual_tls: tuple[cdk.Stack, Any]) -> None:
    stack, _ = mutual_tls
    template = Template.from_stack(stack)
    props = only(template, "AWS::ApiGateway::DomainName")["Properties"]
    # AWS cannot combine mutual TLS with an enhanced policy: TLS_1_2, no endpoint access mode.
    assert props["SecurityPolicy"] == "TLS_1_2"
    assert "EndpointAccessMode" not in props
    assert props["MutualTlsAuthentication"] == {
        "TruststoreUri": "s3://truststores-example/api/truststore.pem",
        "TruststoreVersion": "3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
    }
    # The execute-api endpoint stays disabled: mutual TLS cannot be bypassed.
    assert only(template, "AWS::ApiGateway::RestApi")["Properties"]["DisableExecuteApiEndpoint"] is True


def test_mutual_tls_warns_that_the_policy_is_tls_1_2(mutual_tls: tuple[cdk.Stack, Any]) -> None:
    stack, _ = mutual_tls
    warnings = Annotations.from_stack(stack).find_warning(
        "/Test/Api", Match.string_like_regexp("mutual TLS.*TLS_1_2")
    )
    assert len(warnings) == 1, warnings
    assert "secure-api:domain-mtls-tls12" in str(warnings[0].entry.data)


def test_no_mutual_tls_no_warning() -> None:
    stack, _ = bare_api_stack(domain=CustomDomain(domain_name="api.example.com", certificate_arn=CERT))
    assert Annotations.from_stack(stack).find_warning("*", Match.string_like_regexp("mutual TLS")) == []


def test_mutual_tls_with_a_bucket_of_the_app() -> None:
    stack, api = bare_api_stack()
    bucket = s3.Bucket(stack, "Truststores", versioned=True)
    mtls = MutualTls(truststore_bucket=bucket, truststore_key="ca.pem", truststore_version="v7")
    apply_domain(
        api,
        CustomDomain(domain_name="api.example.com", certificate_arn=CERT, mtls=mtls),
        rest_api=api.rest_api,
        stage=api.stage,
    )
    props = only(Template.from_stack(stack), "AWS::ApiGateway::DomainName")["Properties"]
    bucket_id = stack.get_logical_id(bucket.node.default_child)  # type: ignore[arg-type]
    assert stack.resolve(props["MutualTlsAuthentication"]) == {
        "TruststoreUri": {"Fn::Join": ["", ["s3://", {"Ref": bucket_id}, "/ca.pem"]]},
        "TruststoreVersion": "v7",
    }


def test_mutual_tls_default_policy_and_explicit_tls_1_2() -> None:
    default = CustomDomain(domain_name="api.example.com", certificate_arn=CERT, mtls=MutualTls(**TRUSTSTORE))
    assert default.security_policy == apigw.SecurityPolicy.TLS_1_2 and not default.policy_chosen
    explicit = CustomDomain(
        domain_name="api.example.com",
        certificate_arn=CERT,
        security_policy=apigw.SecurityPolicy.TLS_1_2,
        mtls=MutualTls(**TRUSTSTORE),
    )
    assert explicit.security_policy == apigw.SecurityPolicy.TLS_1_2
    assert MutualTls(**TRUSTSTORE).truststore_uri == "s3://truststores-example/api/truststore.pem"


def test_mutual_tls_is_keyword_only_and_frozen() -> None:
    with pytest.raises(TypeError):
        MutualTls("truststores-example", "api/truststore.pem", "v1")  # type: ignore[misc]
    mtls = MutualTls(**TRUSTSTORE)
    with pytest.raises(AttributeError):
        mtls.truststore_key = "other.pem"  # type: ignore[misc]


@pytest.mark.parametrize(
    "policy",
    [
        apigw.SecurityPolicy.TLS13_1_3_2025_09,
        apigw.SecurityPolicy.TLS13_1_3_FIPS_2025_09,
        apigw.SecurityPolicy.TLS13_1_2_PQ_2025_09,
        apigw.SecurityPolicy.TLS13_1_2_PFS_PQ_2025_09,
    ],
)
def test_fails_mutual_tls_with_an_enhanced_policy(policy: apigw.SecurityPolicy) -> None:
    with pytest.raises(SecureApiConfigError) as refused:
        CustomDomain(
            domain_name="api.example.com",
            certificate_arn=CERT,
            security_policy=policy,
            mtls=MutualTls(**TRUSTSTORE),
        )
    assert refused.value.field == "CustomDomain.security_policy"
    assert "CustomDomain.mtls" in str(refused.value) and "TLS_1_2" in str(refused.value)


@pytest.mark.parametrize(
    "older", [{"mtls_truststore_uri": "s3://bucket-name/t.pem"}, {"mtls_truststore_version": "v1"}]
)
def test_fails_both_spellings_of_mutual_tls(older: dict[str, str]) -> None:
    with pytest.raises(SecureApiConfigError) as refused:
        CustomDomain(
            domain_name="api.example.com", certificate_arn=CERT, mtls=MutualTls(**TRUSTSTORE), **older
        )
    message = str(refused.value)
    assert "CustomDomain.mtls" in message and f"CustomDomain.{next(iter(older))}" in message


def test_fails_mtls_that_is_not_a_mutual_tls() -> None:
    with pytest.raises(SecureApiConfigError, match=r"CustomDomain\.mtls.*MutualTls"):
        CustomDomain(
            domain_name="api.example.com",
            certificate_arn=CERT,
            mtls="s3://truststores-example/api/truststore.pem",  # type: ignore[arg-type]
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("truststore_bucket", "Truststores"),  # upper case
        ("truststore_bucket", "s3://truststores-example"),
        ("truststore_bucket", "a"),
        ("truststore_bucket", "two..dots"),
        ("truststore_bucket", 42),
        ("truststore_key", ""),
        ("truststore_key", "/api/truststore.pem"),
        ("truststore_key", "api/"),
        ("truststore_key", None),
        ("truststore_version", ""),
        ("truststore_version", None),
        ("truststore_version", 3),
    ],
)
def test_fails_bad_mutual_tls(field: str, value: Any) -> None:
    with pytest.raises(SecureApiConfigError) as refused:
        MutualTls(**{**TRUSTSTORE, field: value})
    assert refused.value.field == f"MutualTls.{field}"


def test_fails_mutual_tls_without_a_version() -> None:
    """The truststore is pinned by object version: the version is required."""
    kwargs = {k: v for k, v in TRUSTSTORE.items() if k != "truststore_version"}
    with pytest.raises(TypeError, match="truststore_version"):
        MutualTls(**kwargs)  # type: ignore[call-arg]


def test_tokens_are_not_validated() -> None:
    stack = cdk.Stack()
    name = cdk.Fn.import_value("TruststoreBucket")
    version = cdk.Token.as_string(cdk.Fn.import_value("TruststoreVersion"))
    mtls = MutualTls(truststore_bucket=name, truststore_key="ca.pem", truststore_version=version)
    assert stack.resolve(mtls.bucket_name) == {"Fn::ImportValue": "TruststoreBucket"}
