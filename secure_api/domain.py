"""``CustomDomain``: a REGIONAL custom domain name with a TLS 1.2+ policy and optional mutual TLS
(``MutualTls``), and ``apply_domain``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aws_cdk import Annotations, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_s3 as s3
from constructs import Construct

from secure_api import compliance, defaults
from secure_api.errors import SecureApiConfigError, is_token

if TYPE_CHECKING:
    from secure_api.api_target import ApiTarget

# Lower-case labels of letters, digits and hyphens (API Gateway rejects upper case), at least two.
_DOMAIN = re.compile(r"(?=.{1,253}\Z)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]")
_CERTIFICATE_ARN = re.compile(
    r"arn:aws[a-z-]*:acm:[a-z]{2}(?:-[a-z]+)+-[0-9]:[0-9]{12}:certificate/[0-9a-f-]{36}"
)
_HOSTED_ZONE_ID = re.compile(r"Z[A-Z0-9]{1,31}")
_BASE_PATH = re.compile(r"[A-Za-z0-9_.\-]+(?:/[A-Za-z0-9_.\-]+)*")
_S3_URI = re.compile(r"s3://(?P<bucket>[a-z0-9][a-z0-9.-]{1,61}[a-z0-9])/(?P<key>[!-~]+[!-.0-~])")
_BUCKET_NAME = re.compile(r"(?!.*\.\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_OBJECT_KEY = re.compile(r"[!-.0-~](?:[!-~]*[!-.0-~])?")

# The security policies for REGIONAL domains that aws-cdk-lib offers, from TLS 1.2 up. The
# "SecurityPolicy_*" ones are the enhanced policies (TLS 1.3 families).
SECURITY_POLICIES = (
    apigw.SecurityPolicy.TLS_1_2,
    apigw.SecurityPolicy.TLS13_1_3_2025_09,
    apigw.SecurityPolicy.TLS13_1_3_FIPS_2025_09,
    apigw.SecurityPolicy.TLS13_1_2_PQ_2025_09,
    apigw.SecurityPolicy.TLS13_1_2_PFS_PQ_2025_09,
)


@dataclass(frozen=True, kw_only=True)
class MutualTls:
    """Mutual TLS on a custom domain: clients must present a certificate that chains to a CA of the
    truststore, a PEM bundle in S3 pinned by its object version (the bucket must be versioned).

    ``truststore_bucket`` is an ``aws_s3.IBucket`` or a bucket name; ``truststore_key`` the object's key;
    ``truststore_version`` its S3 version id, required, so that a new upload changes nothing until the
    domain names the new version. API Gateway reads the object when the domain is created or updated,
    with the permissions of whoever deploys (CloudFormation's role): no bucket policy for API Gateway.
    """

    truststore_bucket: s3.IBucket | str
    truststore_key: str
    truststore_version: str

    def __post_init__(self) -> None:
        bucket = self.truststore_bucket
        if isinstance(bucket, str):
            if not _matches(bucket, _BUCKET_NAME):
                raise SecureApiConfigError(
                    "MutualTls.truststore_bucket",
                    bucket,
                    "an aws_s3.IBucket or an S3 bucket name (3-63 lower-case letters, digits, '.' or '-')",
                )
        elif not (hasattr(bucket, "bucket_name") and hasattr(bucket, "bucket_arn")):
            raise SecureApiConfigError(
                "MutualTls.truststore_bucket", bucket, "an aws_s3.IBucket or an S3 bucket name"
            )
        if not _matches(self.truststore_key, _OBJECT_KEY):
            raise SecureApiConfigError(
                "MutualTls.truststore_key",
                self.truststore_key,
                "the truststore's S3 object key, such as 'truststores/api.pem' (no leading or trailing '/')",
            )
        version = self.truststore_version
        if not is_token(version) and not (isinstance(version, str) and version.strip()):
            raise SecureApiConfigError(
                "MutualTls.truststore_version",
                version,
                "the truststore object's S3 version id (required: the truststore is pinned by version)",
            )

    @property
    def bucket_name(self) -> str:
        """The truststore bucket's name (a token for a bucket of the app)."""
        bucket = self.truststore_bucket
        return bucket if isinstance(bucket, str) else bucket.bucket_name

    @property
    def truststore_uri(self) -> str:
        """``s3://<bucket>/<key>``, as API Gateway takes it."""
        return f"s3://{self.bucket_name}/{self.truststore_key}"


@dataclass(frozen=True, kw_only=True)
class CustomDomain:
    """A REGIONAL custom domain name in front of the API's stage.

    Give either ``certificate_arn`` (an ACM certificate for ``domain_name`` in the stack's region) or
    ``hosted_zone_id`` + ``hosted_zone_name`` (a public Route 53 zone that holds ``domain_name``: a
    certificate is created with DNS validation in it, and alias A and AAAA records point the name at
    the API). No lookup happens at synth, so no AWS credentials are needed.

    ``security_policy`` defaults to ``SecurityPolicy.TLS13_1_2_PFS_PQ_2025_09`` with the STRICT
    endpoint access mode: TLS 1.2 clients still connect, with forward-secret ciphers only, and it is
    one of the policies AWS Security Hub control APIGateway.11 accepts. The other TLS 1.3 policies
    (``TLS13_1_3_2025_09``, ``TLS13_1_3_FIPS_2025_09``, ``TLS13_1_2_PQ_2025_09``) use STRICT too;
    ``TLS_1_2`` stays selectable (APIGateway.11 flags it). TLS 1.0 and the edge-only policies are
    rejected. ``base_path`` maps the API under a path (default: the root).

    ``mtls=MutualTls(...)`` turns on mutual TLS with a truststore pinned by object version. AWS cannot
    combine mutual TLS with an enhanced policy, so the domain's default policy becomes ``TLS_1_2`` (a
    warning annotation says so, and Security Hub's APIGateway.11 finding on the domain is acknowledged
    with that reason); an explicit enhanced policy with ``mtls`` is refused. ``mtls_truststore_uri``
    (``s3://bucket/key``) with an optional ``mtls_truststore_version`` is the older spelling of the
    same, kept working; setting both spellings is refused. A ``SecureWebSocketApi`` domain gets
    ``TLS_1_2``, the only policy WebSocket APIs support (another explicit policy, and mutual TLS, are
    refused there).

    With a custom domain the API's default ``execute-api`` endpoint is disabled, so clients cannot
    bypass this domain's TLS policy (nor mTLS).
    """

    domain_name: str
    certificate_arn: str | None = None
    hosted_zone_id: str | None = None
    hosted_zone_name: str | None = None
    security_policy: apigw.SecurityPolicy | None = None
    base_path: str | None = None
    mtls: MutualTls | None = None
    mtls_truststore_uri: str | None = None
    mtls_truststore_version: str | None = None

    def __post_init__(self) -> None:
        if self.mtls is not None and not isinstance(self.mtls, MutualTls):
            raise SecureApiConfigError(
                "CustomDomain.mtls",
                self.mtls,
                "a MutualTls(truststore_bucket=..., truststore_key=..., truststore_version=...) or None",
            )
        if self.mtls is not None and (
            self.mtls_truststore_uri is not None or self.mtls_truststore_version is not None
        ):
            older = (
                "mtls_truststore_uri" if self.mtls_truststore_uri is not None else "mtls_truststore_version"
            )
            raise SecureApiConfigError(
                f"CustomDomain.mtls and CustomDomain.{older}",
                getattr(self, older),
                "mutual TLS given once: CustomDomain.mtls=MutualTls(...), or the older spelling "
                "CustomDomain.mtls_truststore_uri/mtls_truststore_version, not both",
            )
        # None means "the default": recorded, then resolved, so that a WebSocket API (TLS_1_2 only)
        # can tell the default from a policy the user chose.
        object.__setattr__(self, "_policy_chosen", self.security_policy is not None)
        if self.security_policy is None:
            object.__setattr__(
                self,
                "security_policy",
                defaults.DOMAIN_MTLS_SECURITY_POLICY if self.mutual_tls else defaults.DOMAIN_SECURITY_POLICY,
            )
        _check_domain("CustomDomain.domain_name", self.domain_name)
        if self.certificate_arn is not None and not _matches(self.certificate_arn, _CERTIFICATE_ARN):
            raise SecureApiConfigError(
                "CustomDomain.certificate_arn",
                self.certificate_arn,
                "an ACM certificate ARN 'arn:<partition>:acm:<region>:<account>:certificate/<uuid>' "
                "(the certificate must be in the stack's region)",
            )
        if self.hosted_zone_id is not None and not _matches(self.hosted_zone_id, _HOSTED_ZONE_ID):
            raise SecureApiConfigError(
                "CustomDomain.hosted_zone_id",
                self.hosted_zone_id,
                "a Route 53 zone id such as 'Z0123456789ABC'",
            )
        if self.hosted_zone_name is not None:
            _check_domain("CustomDomain.hosted_zone_name", self.hosted_zone_name)
        if (self.hosted_zone_id is None) != (self.hosted_zone_name is None):
            missing = "hosted_zone_name" if self.hosted_zone_name is None else "hosted_zone_id"
            raise SecureApiConfigError(
                f"CustomDomain.{missing}", None, "set together with hosted_zone_id and hosted_zone_name"
            )
        if self.certificate_arn is not None and self.hosted_zone_id is not None:
            raise SecureApiConfigError(
                "CustomDomain.certificate_arn",
                self.certificate_arn,
                "either certificate_arn or hosted_zone_id/hosted_zone_name, not both",
            )
        if self.certificate_arn is None and self.hosted_zone_id is None:
            raise SecureApiConfigError(
                "CustomDomain.certificate_arn",
                None,
                "a certificate ARN, or hosted_zone_id and hosted_zone_name to create a DNS-validated one",
            )
        zone = self.hosted_zone_name
        if (
            zone is not None
            and not is_token(zone)
            and not is_token(self.domain_name)
            and self.domain_name != zone
            and not self.domain_name.endswith(f".{zone}")
        ):
            raise SecureApiConfigError(
                "CustomDomain.domain_name", self.domain_name, f"a name inside the hosted zone {zone!r}"
            )
        if self.security_policy not in SECURITY_POLICIES and not is_token(self.security_policy):
            raise SecureApiConfigError(
                "CustomDomain.security_policy",
                self.security_policy,
                "TLS 1.2 or newer for a REGIONAL domain: SecurityPolicy.TLS13_1_2_PFS_PQ_2025_09 (default), "
                "TLS_1_2, TLS13_1_3_2025_09, TLS13_1_3_FIPS_2025_09 or TLS13_1_2_PQ_2025_09",
            )
        if self.base_path is not None and not _matches(self.base_path, _BASE_PATH):
            raise SecureApiConfigError(
                "CustomDomain.base_path",
                self.base_path,
                "path segments of letters, digits, '_', '-' or '.', without leading or trailing '/'",
            )
        if self.mtls is not None and self.enhanced_security_policy:
            raise SecureApiConfigError(
                "CustomDomain.security_policy",
                self.security_policy,
                "SecurityPolicy.TLS_1_2 or the default with CustomDomain.mtls: AWS cannot combine mutual TLS "
                "with an enhanced (SecurityPolicy_*) policy, so a domain with mutual TLS uses TLS_1_2",
            )
        if self.mtls_truststore_uri is not None:
            _parse_s3_uri(self.mtls_truststore_uri)
            if self.enhanced_security_policy:
                raise SecureApiConfigError(
                    "CustomDomain.mtls_truststore_uri",
                    self.mtls_truststore_uri,
                    "None with an enhanced (TLS 1.3) CustomDomain.security_policy: API Gateway only offers "
                    "mTLS with TLS_1_2",
                )
        if self.mtls_truststore_version is not None:
            if self.mtls_truststore_uri is None:
                raise SecureApiConfigError(
                    "CustomDomain.mtls_truststore_version",
                    self.mtls_truststore_version,
                    "None unless mtls_truststore_uri is set",
                )
            if not isinstance(self.mtls_truststore_version, str) or not self.mtls_truststore_version:
                raise SecureApiConfigError(
                    "CustomDomain.mtls_truststore_version",
                    self.mtls_truststore_version,
                    "the truststore object's S3 version id",
                )

    @property
    def mutual_tls(self) -> bool:
        """True when mutual TLS is on (``mtls``, or the older ``mtls_truststore_uri``)."""
        return self.mtls is not None or self.mtls_truststore_uri is not None

    @property
    def policy(self) -> apigw.SecurityPolicy:
        """The security policy in force on a REST API's domain (``security_policy``, resolved)."""
        assert self.security_policy is not None
        return self.security_policy

    @property
    def policy_chosen(self) -> bool:
        """True when ``security_policy`` was given explicitly rather than left to the default."""
        return bool(getattr(self, "_policy_chosen", True))

    @property
    def enhanced_security_policy(self) -> bool:
        """True for the TLS 1.3 ("SecurityPolicy_*") policies, which need an endpoint access mode."""
        return self.security_policy in SECURITY_POLICIES[1:]


def _matches(value: Any, pattern: re.Pattern[str]) -> bool:
    """True for a string matching ``pattern`` and for unresolved tokens (never validated)."""
    return is_token(value) or (isinstance(value, str) and pattern.fullmatch(value) is not None)


def _check_domain(field: str, value: Any) -> None:
    if not _matches(value, _DOMAIN):
        raise SecureApiConfigError(
            field, value, "a lower-case fully qualified domain name such as 'api.example.com'"
        )


def _parse_s3_uri(uri: Any) -> tuple[str, str]:
    match = _S3_URI.fullmatch(uri) if isinstance(uri, str) else None
    if match is None or ".." in match["bucket"]:
        raise SecureApiConfigError(
            "CustomDomain.mtls_truststore_uri", uri, "an S3 URI 's3://<bucket>/<key>' of the truststore PEM"
        )
    return match["bucket"], match["key"]


def zone_and_certificate(
    scope: Construct, domain: CustomDomain
) -> tuple[route53.IHostedZone | None, acm.ICertificate]:
    """The hosted zone (``HostedZone``) and a DNS-validated ``Certificate`` in it, or the imported
    ``Certificate`` of ``certificate_arn`` (no zone)."""
    if domain.hosted_zone_id is not None and domain.hosted_zone_name is not None:
        zone = route53.HostedZone.from_hosted_zone_attributes(
            scope, "HostedZone", hosted_zone_id=domain.hosted_zone_id, zone_name=domain.hosted_zone_name
        )
        certificate = acm.Certificate(
            scope,
            "Certificate",
            domain_name=domain.domain_name,
            validation=acm.CertificateValidation.from_dns(zone),
        )
        return zone, certificate
    assert domain.certificate_arn is not None
    check_certificate_location(Stack.of(scope), domain.certificate_arn)
    return None, acm.Certificate.from_certificate_arn(scope, "Certificate", domain.certificate_arn)


def check_certificate_location(stack: Stack, certificate_arn: str) -> None:
    """Refuse a certificate API Gateway would refuse at deploy time: a REGIONAL domain takes an ACM
    certificate of its own Region and account only (not the us-east-1 one made for CloudFront). An
    env-agnostic stack (unresolved region or account) cannot be judged on that part."""
    if is_token(certificate_arn):
        return
    _, partition, _, region, account = certificate_arn.split(":", 5)[:5]
    for what, wanted, got in (
        ("partition", stack.partition, partition),
        ("Region", stack.region, region),
        ("account", stack.account, account),
    ):
        if not is_token(wanted) and wanted != got:
            raise SecureApiConfigError(
                "CustomDomain.certificate_arn",
                certificate_arn,
                f"an ACM certificate in the stack's {what} {wanted} (this one is in {got}): a REGIONAL "
                "custom domain uses a certificate of its own Region and account; request or import one "
                "there (a certificate made for CloudFront lives in us-east-1)",
            )


def apply_domain(
    scope: Construct,
    domain: CustomDomain,
    *,
    target: ApiTarget | None = None,
    rest_api: apigw.RestApiBase | None = None,
    stage: apigw.Stage | None = None,
) -> Any:
    """The custom domain of ``target``'s API, whatever its kind: a v2 API's is
    ``secure_api.v2.domain.apply_v2_domain``'s (an ``apigwv2.DomainName``); a REST API's (``target``, or
    the older ``rest_api`` and ``stage``) is created here (under ``scope``): the REGIONAL ``DomainName``
    (an ``apigw.DomainName``) mapped to the stage, the ``BasePathMapping`` (``ApiMapping`` for a
    multi-level base path), and, when a hosted zone is given, the DNS-validated ``Certificate`` and the
    alias records ``AliasA`` and ``AliasAaaa``."""
    if target is not None and target.kind.v2:
        from secure_api.v2.domain import apply_v2_domain

        return apply_v2_domain(scope, domain, target=target)
    if target is not None:
        assert isinstance(target.api, apigw.RestApiBase) and isinstance(target.stage, apigw.Stage)
        rest_api, stage = target.api, target.stage
    if rest_api is None or stage is None:
        raise TypeError("apply_domain maps target, or rest_api and stage")
    zone, certificate = zone_and_certificate(scope, domain)
    mtls = _mtls_config(scope, domain)
    domain_name = apigw.DomainName(
        scope,
        "DomainName",
        domain_name=domain.domain_name,
        certificate=certificate,
        endpoint_type=apigw.EndpointType.REGIONAL,
        security_policy=domain.policy,
        endpoint_access_mode=(
            defaults.DOMAIN_ENHANCED_POLICY_ACCESS_MODE if domain.enhanced_security_policy else None
        ),
        mtls=mtls,
    )
    if domain.enhanced_security_policy:
        compliance.acknowledge(domain_name, "domain-tls13-policy")
    if mtls is not None:
        compliance.acknowledge(domain_name, "domain-mtls-tls12")
        Annotations.of(scope).add_warning_v2(
            "secure-api:domain-mtls-tls12",
            f"secure_api: domain {domain.domain_name}: mutual TLS (CustomDomain.mtls) uses the TLS_1_2 "
            "security policy: AWS cannot combine mutual TLS with an enhanced SecurityPolicy_* policy, so the "
            "domain accepts TLS 1.2 with API Gateway's TLS_1_2 ciphers (Security Hub APIGateway.11 flags it; "
            "acknowledged for this domain)",
        )
    if domain.base_path is not None and "/" in domain.base_path:
        # Multi-level base paths exist only as API mappings (the API Gateway v2 resource).
        apigwv2.CfnApiMapping(
            scope,
            "ApiMapping",
            api_id=rest_api.rest_api_id,
            stage=stage.stage_name,
            domain_name=domain_name.domain_name,
            api_mapping_key=domain.base_path,
        )
    else:
        apigw.BasePathMapping(
            scope,
            "BasePathMapping",
            domain_name=domain_name,
            rest_api=rest_api,
            stage=stage,
            base_path=domain.base_path,
        )
    if zone is not None:
        alias_records(scope, zone, domain, targets.ApiGatewayDomain(domain_name))
    return domain_name


def alias_records(
    scope: Construct, zone: route53.IHostedZone, domain: CustomDomain, alias: route53.IAliasRecordTarget
) -> None:
    """The A and AAAA alias records (``AliasA``, ``AliasAaaa``) of ``domain``'s name in ``zone``."""
    target = route53.RecordTarget.from_alias(alias)
    record_name = domain.domain_name
    route53.ARecord(scope, "AliasA", zone=zone, record_name=record_name, target=target)
    route53.AaaaRecord(scope, "AliasAaaa", zone=zone, record_name=record_name, target=target)


def _mtls_config(scope: Construct, domain: CustomDomain) -> apigw.MTLSConfig | None:
    """The domain's mutual TLS, from ``mtls`` or the older ``mtls_truststore_uri``/``_version``."""
    truststore = truststore_of(scope, domain)
    if truststore is None:
        return None
    bucket, key, version = truststore
    return apigw.MTLSConfig(bucket=bucket, key=key, version=version)


def truststore_of(scope: Construct, domain: CustomDomain) -> tuple[s3.IBucket, str, str | None] | None:
    """The truststore of the domain's mutual TLS (bucket, imported as ``TruststoreBucket`` under ``scope``
    when named; object key; version), from ``mtls`` or the older ``mtls_truststore_uri``/``_version``;
    None without mutual TLS."""
    if domain.mtls is not None:
        bucket = domain.mtls.truststore_bucket
        return (
            s3.Bucket.from_bucket_name(scope, "TruststoreBucket", bucket)
            if isinstance(bucket, str)
            else bucket,
            domain.mtls.truststore_key,
            domain.mtls.truststore_version,
        )
    if domain.mtls_truststore_uri is not None:
        bucket_name, key = _parse_s3_uri(domain.mtls_truststore_uri)
        return (
            s3.Bucket.from_bucket_name(scope, "TruststoreBucket", bucket_name),
            key,
            domain.mtls_truststore_version,
        )
    return None
