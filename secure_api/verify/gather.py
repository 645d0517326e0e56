"""Read-only AWS calls that collect :class:`~secure_api.verify.facts.ApiFacts` for one REST API stage,
and the facts every kind of API shares (:class:`AccountGatherer`).

Only ``Get*`` and ``Describe*`` operations are called and ``includeValue`` is never set. A denied call
becomes :class:`~secure_api.verify.facts.Unavailable` naming the IAM permission it needs; only an unknown
API or stage (and errors of the AWS environment itself: credentials, region, network) stop the command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from secure_api.keys.errors import UnknownApiError
from secure_api.keys.retry import error_code
from secure_api.keys.session import aws_session, client_config
from secure_api.verify.facts import (
    AccountThrottle,
    ApiFacts,
    Certificate,
    DomainMapping,
    Method,
    RequestValidator,
    Trail,
    Unavailable,
    partition_of,
    stage_arn,
)

DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnauthorizedException",
        "WAFAccessDeniedException",
    }
)
NOT_FOUND_CODES = frozenset({"NotFoundException", "BadRequestException"})
_PAGE = 500


@dataclass(frozen=True)
class VerifyClients:
    """The boto3 clients ``secure-api verify`` reads through."""

    apigateway: Any
    wafv2: Any
    cloudtrail: Any
    region: str
    # API Gateway v2, where WebSocket and HTTP APIs live; None: only REST APIs can be verified.
    apigatewayv2: Any = None
    # An ACM client for a region (a domain's certificate lives in the domain's region, or in
    # us-east-1 for an edge-optimized one); None: domain.certificate is skipped.
    acm_in: Callable[[str], Any] | None = None


def make_clients(*, region: str | None = None, profile: str | None = None) -> VerifyClients:
    """Create the clients honouring ``AWS_PROFILE``, ``AWS_REGION`` and ``AWS_ENDPOINT_URL``."""
    from botocore.exceptions import NoRegionError

    session = aws_session(region=region, profile=profile)
    if not session.region_name:
        raise NoRegionError()
    config = client_config("secure-api-verify")
    acm_clients: dict[str, Any] = {}

    def acm_in(acm_region: str) -> Any:
        if acm_region not in acm_clients:
            acm_clients[acm_region] = session.client("acm", region_name=acm_region, config=config)
        return acm_clients[acm_region]

    return VerifyClients(
        apigateway=session.client("apigateway", config=config),
        wafv2=session.client("wafv2", config=config),
        cloudtrail=session.client("cloudtrail", config=config),
        region=session.region_name,
        apigatewayv2=session.client("apigatewayv2", config=config),
        acm_in=acm_in,
    )


def apigw_permission(region: str, path: str) -> str:
    """The IAM permission an API Gateway ``Get*`` on ``path`` (``/restapis/ID``, ``/apis/ID``, ...) in
    ``region`` needs, as a denied call's detail names it."""
    return f"apigateway:GET on arn:{partition_of(region)}:apigateway:{region}::{path}"


def rest_api_path(api_id: str, suffix: str = "") -> str:
    """The API Gateway resource path of REST API ``api_id`` (``/restapis/ID``), plus ``suffix``."""
    return f"/restapis/{api_id}{suffix}"


class NoAnswer(Exception):
    def __init__(self, unavailable: Unavailable, code: str) -> None:
        super().__init__(unavailable.describe())
        self.unavailable = unavailable
        self.code = code


def call_aws(client: Any, operation: str, permission: str, **kwargs: Any) -> Any:
    try:
        return getattr(client, operation)(**kwargs)
    except ClientError as exc:
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message", "") or code
        raise NoAnswer(Unavailable(permission, code in DENIED_CODES, f"{code}: {message}"), code) from exc


@dataclass(frozen=True)
class Paging:
    """How an API Gateway listing pages: the page size argument and its value, the name of the next
    page's token (the same in the answer and in the next request) and of the page's items. Called, it
    yields every item of a ``Get*`` listing, page after page."""

    size_argument: str
    size: int | str
    token: str
    items: str

    def __call__(
        self, client: Any, operation: str, permission: str, **kwargs: Any
    ) -> Iterator[dict[str, Any]]:
        token: str | None = None
        while True:
            args = dict(kwargs, **{self.size_argument: self.size})
            if token:
                args[self.token] = token
            response = call_aws(client, operation, permission, **args)
            yield from response.get(self.items) or []
            token = response.get(self.token)
            if not token:
                return


_items = Paging("limit", _PAGE, "position", "items")
"""Every item of an API Gateway (v1) listing."""


class AccountGatherer:
    """The facts of one API stage that do not depend on its protocol: the usage plans that serve it,
    the account's own throttle and the trails of the region. Each ``*_fact`` method makes only
    read-only calls."""

    def __init__(self, clients: VerifyClients, api_id: str, stage: str) -> None:
        self.clients = clients
        self.api_id = api_id
        self.stage = stage
        self.region = clients.region
        self.partition = partition_of(clients.region)

    def _apigw_permission(self, path: str) -> str:
        return apigw_permission(self.region, path)

    def _described(
        self, client: Any, operation: str, path: str, unknown: str, **kwargs: Any
    ) -> dict[str, Any] | Unavailable:
        """API Gateway's answer to ``operation`` on ``path`` (the API or its stage); raises
        :class:`UnknownApiError` with ``unknown`` when API Gateway says there is no such thing."""
        try:
            return dict(call_aws(client, operation, self._apigw_permission(path), **kwargs))
        except NoAnswer as exc:
            if exc.code in NOT_FOUND_CODES:
                raise UnknownApiError(unknown) from None
            return exc.unavailable

    def unknown_stage(self) -> str:
        """The message of an unknown stage (exit 2)."""
        return f"unknown stage {self.stage!r} of API {self.api_id!r}: no such stage (see --stage)"

    def usage_plans_fact(self) -> list[dict[str, Any]] | Unavailable:
        """The usage plans whose ``apiStages`` include this API's stage."""
        try:
            return [
                plan
                for plan in _items(
                    self.clients.apigateway, "get_usage_plans", self._apigw_permission("/usageplans")
                )
                if any(
                    s.get("apiId") == self.api_id and s.get("stage") == self.stage
                    for s in plan.get("apiStages") or []
                )
            ]
        except NoAnswer as exc:
            return exc.unavailable

    def account_throttle_fact(self) -> AccountThrottle | Unavailable:
        """The account's own throttle in the region (``GetAccount``'s ``throttleSettings``)."""
        try:
            account = call_aws(self.clients.apigateway, "get_account", self._apigw_permission("/account"))
        except NoAnswer as exc:
            return exc.unavailable
        limits = account.get("throttleSettings") or {}
        rate, burst = limits.get("rateLimit"), limits.get("burstLimit")
        return AccountThrottle(
            rate_limit=None if rate is None else float(rate),
            burst_limit=None if burst is None else float(burst),
        )

    def trails_fact(self) -> list[Trail] | Unavailable:
        """The trails that log this region (including other regions' multi-region trails)."""
        ct = self.clients.cloudtrail
        try:
            described = call_aws(ct, "describe_trails", "cloudtrail:DescribeTrails", includeShadowTrails=True)
        except NoAnswer as exc:
            return exc.unavailable
        trails = []
        for trail in described.get("trailList") or []:
            arn = str(trail.get("TrailARN") or trail.get("Name"))
            logging: bool | Unavailable
            try:
                logging = bool(
                    call_aws(ct, "get_trail_status", "cloudtrail:GetTrailStatus", Name=arn).get("IsLogging")
                )
            except NoAnswer as exc:
                logging = exc.unavailable
            management, read_write = self._management_events(trail, arn)
            trails.append(
                Trail(
                    name=str(trail.get("Name") or arn),
                    arn=arn,
                    home_region=trail.get("HomeRegion"),
                    multi_region=bool(trail.get("IsMultiRegionTrail")),
                    organization=bool(trail.get("IsOrganizationTrail")),
                    is_logging=logging,
                    management_events=management,
                    read_write=read_write,
                )
            )
        return trails

    def _management_events(self, trail: dict[str, Any], arn: str) -> tuple[bool | Unavailable, str | None]:
        try:
            selectors = call_aws(
                self.clients.cloudtrail, "get_event_selectors", "cloudtrail:GetEventSelectors", TrailName=arn
            )
        except NoAnswer as exc:
            # A trail without custom selectors logs every management event (read and write), so the
            # answer is known even when a shadow trail's selectors cannot be read from this region.
            if not trail.get("HasCustomEventSelectors"):
                return True, "All"
            return exc.unavailable, None
        if not trail.get("HasCustomEventSelectors") and not _any_selectors(selectors):
            # CloudTrail's default selection (no selectors at all) logs every management event.
            return True, "All"
        return management_events_of(selectors)


class Gatherer(AccountGatherer):
    """Collects the facts of one REST API stage; each ``*_fact`` method makes only read-only calls."""

    def _api_path(self, suffix: str = "") -> str:
        return rest_api_path(self.api_id, suffix)

    def rest_api_fact(self) -> dict[str, Any] | Unavailable:
        """``GetRestApi`` (its ``securityPolicy`` and ``endpointAccessMode`` included); raises
        :class:`UnknownApiError` when the API does not exist."""
        return self._described(
            self.clients.apigateway,
            "get_rest_api",
            self._api_path(),
            f"unknown API {self.api_id!r}: no such REST API",
            restApiId=self.api_id,
        )

    def stage_fact(self) -> dict[str, Any] | Unavailable:
        """``GetStage``; raises :class:`UnknownApiError` when the stage does not exist."""
        return self._described(
            self.clients.apigateway,
            "get_stage",
            self._api_path(f"/stages/{self.stage}"),
            self.unknown_stage(),
            restApiId=self.api_id,
            stageName=self.stage,
        )

    def methods_fact(self) -> list[Method] | Unavailable:
        """Every method of every resource (``GetResources`` with ``embed=methods``)."""
        ag = self.clients.apigateway
        permission = self._apigw_permission(self._api_path("/resources"))
        try:
            methods = []
            for resource in _items(ag, "get_resources", permission, restApiId=self.api_id, embed=["methods"]):
                for http_method, embedded in (resource.get("resourceMethods") or {}).items():
                    method = embedded or {}
                    if "authorizationType" not in method:
                        method = call_aws(
                            ag,
                            "get_method",
                            self._apigw_permission(
                                self._api_path(f"/resources/{resource['id']}/methods/{http_method}")
                            ),
                            restApiId=self.api_id,
                            resourceId=resource["id"],
                            httpMethod=http_method,
                        )
                    methods.append(
                        Method(
                            http_method=str(http_method).upper(),
                            path=str(resource.get("path") or "/"),
                            authorization_type=str(method.get("authorizationType") or "NONE"),
                            api_key_required=bool(method.get("apiKeyRequired")),
                            request_models=tuple(sorted(method.get("requestModels") or {})),
                            request_validator_id=method.get("requestValidatorId") or None,
                        )
                    )
            return sorted(methods, key=lambda m: (m.path, m.http_method))
        except NoAnswer as exc:
            return exc.unavailable

    def domains_fact(self) -> list[DomainMapping] | Unavailable:
        """The custom domains with a base path mapping to this API's stage."""
        ag = self.clients.apigateway
        try:
            found = []
            for domain in _items(ag, "get_domain_names", self._apigw_permission("/domainnames")):
                name = str(domain["domainName"])
                try:
                    mappings = list(
                        _items(
                            ag,
                            "get_base_path_mappings",
                            self._apigw_permission(f"/domainnames/{name}/basepathmappings"),
                            domainName=name,
                        )
                    )
                except NoAnswer as exc:
                    if exc.code == "NotFoundException":
                        continue  # deleted between the two calls
                    raise
                for mapping in mappings:
                    if mapping.get("restApiId") == self.api_id and mapping.get("stage") == self.stage:
                        found.append(
                            DomainMapping(
                                domain_name=name,
                                base_path=str(mapping.get("basePath") or "(none)"),
                                security_policy=domain.get("securityPolicy"),
                                endpoint_types=tuple(
                                    (domain.get("endpointConfiguration") or {}).get("types") or ()
                                ),
                                certificate_arn=domain.get("regionalCertificateArn")
                                or domain.get("certificateArn"),
                                mutual_tls=domain.get("mutualTlsAuthentication") or None,
                            )
                        )
            return found
        except NoAnswer as exc:
            return exc.unavailable

    def request_validators_fact(self) -> dict[str, RequestValidator] | Unavailable:
        """The API's request validators by id (``GetRequestValidators``)."""
        try:
            return {
                str(v["id"]): RequestValidator(
                    id=str(v["id"]),
                    name=str(v.get("name") or v["id"]),
                    validate_body=bool(v.get("validateRequestBody")),
                    validate_parameters=bool(v.get("validateRequestParameters")),
                )
                for v in _items(
                    self.clients.apigateway,
                    "get_request_validators",
                    self._apigw_permission(self._api_path("/requestvalidators")),
                    restApiId=self.api_id,
                )
            }
        except NoAnswer as exc:
            return exc.unavailable

    def certificates_fact(
        self, domains: list[DomainMapping] | Unavailable
    ) -> dict[str, Certificate | Unavailable] | None:
        """ACM's ``DescribeCertificate`` for each domain's certificate, by ARN (None without an ACM
        client). The certificate is read in the region its ARN names."""
        if self.clients.acm_in is None:
            return None
        found: dict[str, Certificate | Unavailable] = {}
        arns = [] if isinstance(domains, Unavailable) else [d.certificate_arn for d in domains]
        for arn in dict.fromkeys(a for a in arns if a):
            parts = arn.split(":")
            region = parts[3] if len(parts) > 3 and parts[3] else self.region
            try:
                described = (
                    call_aws(
                        self.clients.acm_in(region),
                        "describe_certificate",
                        "acm:DescribeCertificate",
                        CertificateArn=arn,
                    ).get("Certificate")
                    or {}
                )
            except NoAnswer as exc:
                found[arn] = exc.unavailable
                continue
            found[arn] = Certificate(
                arn=arn, status=str(described.get("Status") or "UNKNOWN"), not_after=described.get("NotAfter")
            )
        return found

    def web_acl_fact(self) -> dict[str, Any] | Unavailable | None:
        """The AWS WAF web ACL associated with the stage, or None."""
        arn = stage_arn(self.partition, self.region, self.api_id, self.stage)
        try:
            response = call_aws(
                self.clients.wafv2,
                "get_web_acl_for_resource",
                "wafv2:GetWebACLForResource",
                ResourceArn=arn,
            )
        except NoAnswer as exc:
            if exc.code == "WAFNonexistentItemException":
                return None
            return exc.unavailable
        acl = response.get("WebACL")
        return dict(acl) if acl else None

    def gather(self, rest_api_answer: Mapping[str, Any] | None = None) -> ApiFacts:
        """All facts; raises :class:`UnknownApiError` for an unknown API or stage. ``rest_api_answer``:
        ``GetRestApi``'s answer when the caller already has it (it is not asked again)."""
        rest_api = self.rest_api_fact() if rest_api_answer is None else dict(rest_api_answer)
        stage_info = self.stage_fact()
        domains = self.domains_fact()
        return ApiFacts(
            api_id=self.api_id,
            stage=self.stage,
            region=self.region,
            partition=self.partition,
            rest_api=rest_api,
            stage_info=stage_info,
            methods=self.methods_fact(),
            domains=domains,
            usage_plans=self.usage_plans_fact(),
            web_acl=self.web_acl_fact(),
            trails=self.trails_fact(),
            account_throttle=self.account_throttle_fact(),
            certificates=self.certificates_fact(domains),
            request_validators=self.request_validators_fact(),
        )


def _any_selectors(selectors: dict[str, Any]) -> bool:
    return bool(selectors.get("EventSelectors") or selectors.get("AdvancedEventSelectors"))


def management_events_of(selectors: dict[str, Any]) -> tuple[bool, str | None]:
    """Whether ``GetEventSelectors``' answer logs management events, and which (``All``/``ReadOnly``/...)."""
    for selector in selectors.get("EventSelectors") or []:
        if selector.get("IncludeManagementEvents", True):
            return True, str(selector.get("ReadWriteType") or "All")
    for selector in selectors.get("AdvancedEventSelectors") or []:
        fields = {f.get("Field"): f for f in selector.get("FieldSelectors") or []}
        category = fields.get("eventCategory") or {}
        if "Management" in (category.get("Equals") or []):
            read_only = (fields.get("readOnly") or {}).get("Equals") or []
            kind = {"true": "ReadOnly", "false": "WriteOnly"}.get(str(read_only[0]).lower(), "All")
            return True, kind if len(read_only) == 1 else "All"
    return False, None
