"""What the AWS APIs say about one API stage, as plain data: the input of the checks.

Each fact is either its value or :class:`Unavailable` (the call was denied, naming the IAM permission
it needs, or failed otherwise), so a check can say ``warn`` or ``skip`` instead of guessing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Unavailable:
    """An AWS call that gave no answer: ``denied`` (missing ``permission``) or failed for ``reason``."""

    permission: str
    denied: bool
    reason: str = ""

    def describe(self) -> str:
        """One phrase for a check's detail."""
        if self.denied:
            return f"access denied: missing permission {self.permission}"
        return f"{self.permission} failed: {self.reason}" if self.reason else f"{self.permission} failed"


@dataclass(frozen=True)
class Method:
    """One method of the API: ``"GET /orders/{id}"`` and how it is protected."""

    http_method: str
    path: str
    authorization_type: str
    api_key_required: bool
    # The content types with a request body model (``requestModels``), and the request validator.
    request_models: tuple[str, ...] = ()
    request_validator_id: str | None = None

    @property
    def route(self) -> str:
        """``"METHOD /path"`` as the route is declared."""
        return f"{self.http_method} {self.path}"


@dataclass(frozen=True)
class DomainMapping:
    """A custom domain with a base path mapping to the verified stage."""

    domain_name: str
    base_path: str
    security_policy: str | None
    endpoint_types: Sequence[str] = ()
    # The ACM certificate the domain serves (``regionalCertificateArn`` or ``certificateArn``).
    certificate_arn: str | None = None
    # ``mutualTlsAuthentication`` (``truststoreUri``, ``truststoreVersion``, ``truststoreWarnings``).
    mutual_tls: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Certificate:
    """An ACM certificate as ``DescribeCertificate`` reports it."""

    arn: str
    status: str
    not_after: datetime | None


@dataclass(frozen=True)
class RequestValidator:
    """A request validator of the API (``GetRequestValidators``)."""

    id: str
    name: str
    validate_body: bool
    validate_parameters: bool


@dataclass(frozen=True)
class Trail:
    """A CloudTrail trail visible in the region (its own or a multi-region trail's shadow)."""

    name: str
    arn: str
    home_region: str | None
    multi_region: bool
    organization: bool
    is_logging: bool | Unavailable
    # True/False from the selectors, or Unavailable when they could not be read.
    management_events: bool | Unavailable
    read_write: str | None = None


@dataclass(frozen=True)
class AccountThrottle:
    """The account's own API Gateway throttle in the region, as ``GetAccount`` reports it (None: not
    in the answer). A stage setting equal to it is what API Gateway shows when nobody chose a limit."""

    rate_limit: float | None
    burst_limit: float | None


@dataclass(frozen=True)
class ApiFacts:
    """Everything the AWS-side checks look at, gathered read-only for one API stage."""

    api_id: str
    stage: str
    region: str
    partition: str
    rest_api: Mapping[str, Any] | Unavailable
    stage_info: Mapping[str, Any] | Unavailable
    methods: Sequence[Method] | Unavailable
    domains: Sequence[DomainMapping] | Unavailable
    usage_plans: Sequence[Mapping[str, Any]] | Unavailable
    web_acl: Mapping[str, Any] | Unavailable | None
    trails: Sequence[Trail] | Unavailable
    # None when not gathered.
    account_throttle: AccountThrottle | Unavailable | None = None
    # The ACM certificates of the domains, by ARN; None when not gathered.
    certificates: Mapping[str, Certificate | Unavailable] | None = None
    # The API's request validators, by id; None when not gathered.
    request_validators: Mapping[str, RequestValidator] | Unavailable | None = None


@dataclass(frozen=True)
class Route:
    """One route of a WebSocket API (``$connect``, ``sendMessage``, ...) and how it is protected."""

    route_key: str
    authorization_type: str
    api_key_required: bool


@dataclass(frozen=True)
class WebSocketFacts:
    """Everything the AWS-side checks of a WebSocket API look at, gathered read-only for one stage.

    ``api`` and ``stage_info`` are API Gateway v2's ``GetApi`` and ``GetStage`` answers (PascalCase);
    usage plans, trails and the account's limits are the same account-wide facts as a REST API's.
    """

    api_id: str
    stage: str
    region: str
    partition: str
    api: Mapping[str, Any] | Unavailable
    stage_info: Mapping[str, Any] | Unavailable
    routes: Sequence[Route] | Unavailable
    domains: Sequence[DomainMapping] | Unavailable
    usage_plans: Sequence[Mapping[str, Any]] | Unavailable
    trails: Sequence[Trail] | Unavailable
    account_throttle: AccountThrottle | Unavailable | None = None


def partition_of(region: str) -> str:
    """The AWS partition of ``region`` (``aws``, ``aws-cn``, ``aws-us-gov``, ...)."""
    for prefix, partition in (
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-isof-", "aws-iso-f"),
    ):
        if region.startswith(prefix):
            return partition
    return "aws"


def dns_suffix(partition: str) -> str:
    """The DNS suffix of AWS endpoints in ``partition``."""
    return "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com"


def stage_arn(partition: str, region: str, api_id: str, stage: str) -> str:
    """The ARN of a REST API stage, as AWS WAF and IAM name it."""
    return f"arn:{partition}:apigateway:{region}::/restapis/{api_id}/stages/{stage}"


def execute_api_url(api_id: str, region: str, stage: str, scheme: str = "https") -> str:
    """The stage's default ``execute-api`` URL (``scheme="wss"`` for a WebSocket API)."""
    return f"{scheme}://{api_id}.execute-api.{region}.{dns_suffix(partition_of(region))}/{stage}/"
