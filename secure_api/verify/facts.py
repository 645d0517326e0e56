"""What the AWS APIs say about one API stage, as plain data: the input of the checks.

Each fact is either its value or :class:`Unavailable` (the call was denied, naming the IAM permission
it needs, or failed otherwise), so a check can say ``warn`` or ``skip`` instead of guessing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
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
    def has_path(self) -> bool:
        """False for an HTTP API's ``$default`` route, which catches every request: it has no path of
        its own, and its ``path`` holds its route key."""
        return self.path.startswith("/")

    @property
    def route(self) -> str:
        """``"METHOD /path"`` as the route is declared (or the HTTP API route key, ``$default``)."""
        return f"{self.http_method} {self.path}" if self.has_path else self.path


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
    """One route of an API Gateway v2 API (``$connect``, ``sendMessage``, ``GET /orders/{id}``,
    ``$default``) and how it is protected."""

    route_key: str
    authorization_type: str
    api_key_required: bool


DEFAULT_KEY = "$default"
"""An HTTP API's catch-all route key, and the name of its auto-deployed default stage."""
_ROUTE_KEY_RE = re.compile(r"(?P<method>[A-Z]+) (?P<path>/\S*)")


def route_method(route: Route) -> Method:
    """An HTTP API route as a :class:`Method` (``"GET /orders/{id}"``; ``$default`` keeps its key, under
    ``ANY``), so that ``--public``, the auth judgement and the probes treat it as a REST method."""
    match = _ROUTE_KEY_RE.fullmatch(route.route_key)
    if match:
        return Method(match["method"], match["path"], route.authorization_type, route.api_key_required)
    return Method("ANY", route.route_key, route.authorization_type, False)


@dataclass(frozen=True)
class V2Facts:
    """Everything the AWS-side checks of an API Gateway v2 API (WebSocket or HTTP) look at, gathered
    read-only for one stage.

    ``api``, ``stage_info`` and the routes are API Gateway v2's ``GetApi``, ``GetStage`` and ``GetRoutes``
    answers (PascalCase); usage plans, trails and the account's limits are the same account-wide facts
    as a REST API's. A fact the kind has no use for is None (not gathered).
    """

    api_id: str
    stage: str
    region: str
    partition: str
    api: Mapping[str, Any] | Unavailable
    stage_info: Mapping[str, Any] | Unavailable
    routes: Sequence[Route] | Unavailable
    domains: Sequence[DomainMapping] | Unavailable
    trails: Sequence[Trail] | Unavailable
    usage_plans: Sequence[Mapping[str, Any]] | Unavailable | None = None
    account_throttle: AccountThrottle | Unavailable | None = None

    @cached_property
    def methods(self) -> Sequence[Method] | Unavailable:
        """The routes as :class:`Method` records (see :func:`route_method`), built on first use."""
        if isinstance(self.routes, Unavailable):
            return self.routes
        return [route_method(r) for r in self.routes]


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
    """The stage's default ``execute-api`` URL (``scheme="wss"`` for a WebSocket API); an HTTP API's
    ``$default`` stage is served at the root."""
    path = "" if stage == DEFAULT_KEY else f"{stage}/"
    return f"{scheme}://{api_id}.execute-api.{region}.{dns_suffix(partition_of(region))}/{path}"
