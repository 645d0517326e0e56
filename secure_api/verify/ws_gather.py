"""Read-only API Gateway v2 calls that collect :class:`~secure_api.verify.facts.WebSocketFacts` for one
WebSocket API stage, and the choice between a REST and a WebSocket API for an id.

The account-wide facts (usage plans, the account's limits, trails) come from the same
:class:`~secure_api.verify.gather.AccountGatherer` as a REST API's. As there, a denied call becomes
:class:`~secure_api.verify.facts.Unavailable` naming the IAM permission it needs; only an unknown API or
stage stops the command.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from secure_api.keys.errors import UnknownApiError
from secure_api.verify.facts import DomainMapping, Route, Unavailable, WebSocketFacts, partition_of
from secure_api.verify.gather import NOT_FOUND_CODES, AccountGatherer, NoAnswer, VerifyClients, call_aws

REST = "REST"
WEBSOCKET = "WEBSOCKET"
_PAGE = "500"  # API Gateway v2 pages take MaxResults as a string


def _pages(client: Any, operation: str, permission: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    token: str | None = None
    while True:
        args = dict(kwargs, MaxResults=_PAGE)
        if token:
            args["NextToken"] = token
        response = call_aws(client, operation, permission, **args)
        yield from response.get("Items") or []
        token = response.get("NextToken")
        if not token:
            return


def detect_protocol(clients: VerifyClients, api_id: str) -> str:
    """``REST`` or ``WEBSOCKET`` for ``api_id``; :class:`UnknownApiError` when it names neither.

    The REST API is asked first (the common case, one call). Only when API Gateway says it has no such
    REST API, or that call is denied, is API Gateway v2 asked; an HTTP API is refused by name.
    """
    arn = f"arn:{partition_of(clients.region)}:apigateway:{clients.region}::"
    try:
        call_aws(
            clients.apigateway, "get_rest_api", f"apigateway:GET on {arn}/restapis/{api_id}", restApiId=api_id
        )
        return REST
    except NoAnswer as exc:
        rest_missing = exc.code in NOT_FOUND_CODES
        if clients.apigatewayv2 is None:
            if rest_missing:
                raise UnknownApiError(f"unknown API {api_id!r}: no such REST API") from None
            return REST  # the REST gatherer reports the denied call
    try:
        api = call_aws(
            clients.apigatewayv2, "get_api", f"apigateway:GET on {arn}/apis/{api_id}", ApiId=api_id
        )
    except NoAnswer as exc:
        if rest_missing and exc.code in NOT_FOUND_CODES:
            raise UnknownApiError(f"unknown API {api_id!r}: no such REST or WebSocket API") from None
        return REST
    protocol = str(api.get("ProtocolType") or "")
    if protocol == WEBSOCKET:
        return WEBSOCKET
    if rest_missing:
        raise UnknownApiError(
            f"unknown API {api_id!r}: it is an {protocol} API; secure-api verify checks REST and WebSocket APIs"
        )
    return REST


class WebSocketGatherer(AccountGatherer):
    """Collects the facts of one WebSocket API stage; each ``*_fact`` method makes only read-only calls."""

    def _v2_path(self, suffix: str = "") -> str:
        return f"/apis/{self.api_id}{suffix}"

    def api_fact(self) -> dict[str, Any] | Unavailable:
        """``GetApi``; raises :class:`UnknownApiError` when the API does not exist."""
        try:
            return dict(
                call_aws(
                    self.clients.apigatewayv2,
                    "get_api",
                    self._apigw_permission(self._v2_path()),
                    ApiId=self.api_id,
                )
            )
        except NoAnswer as exc:
            if exc.code in NOT_FOUND_CODES:
                raise UnknownApiError(f"unknown API {self.api_id!r}: no such WebSocket API") from None
            return exc.unavailable

    def stage_fact(self) -> dict[str, Any] | Unavailable:
        """``GetStage``; raises :class:`UnknownApiError` when the stage does not exist."""
        try:
            return dict(
                call_aws(
                    self.clients.apigatewayv2,
                    "get_stage",
                    self._apigw_permission(self._v2_path(f"/stages/{self.stage}")),
                    ApiId=self.api_id,
                    StageName=self.stage,
                )
            )
        except NoAnswer as exc:
            if exc.code in NOT_FOUND_CODES:
                raise UnknownApiError(
                    f"unknown stage {self.stage!r} of API {self.api_id!r}: no such stage (see --stage)"
                ) from None
            return exc.unavailable

    def routes_fact(self) -> list[Route] | Unavailable:
        """Every route (``GetRoutes``) with its authorization type and whether it needs an API key."""
        try:
            routes = [
                Route(
                    route_key=str(item.get("RouteKey") or ""),
                    authorization_type=str(item.get("AuthorizationType") or "NONE"),
                    api_key_required=bool(item.get("ApiKeyRequired")),
                )
                for item in _pages(
                    self.clients.apigatewayv2,
                    "get_routes",
                    self._apigw_permission(self._v2_path("/routes")),
                    ApiId=self.api_id,
                )
            ]
        except NoAnswer as exc:
            return exc.unavailable
        return sorted(routes, key=lambda r: r.route_key)

    def domains_fact(self) -> list[DomainMapping] | Unavailable:
        """The custom domains (API Gateway v2's) with an API mapping to this API's stage."""
        v2 = self.clients.apigatewayv2
        try:
            found = []
            for domain in _pages(v2, "get_domain_names", self._apigw_permission("/domainnames")):
                name = str(domain.get("DomainName"))
                try:
                    mappings = list(
                        _pages(
                            v2,
                            "get_api_mappings",
                            self._apigw_permission(f"/domainnames/{name}/apimappings"),
                            DomainName=name,
                        )
                    )
                except NoAnswer as exc:
                    if exc.code == "NotFoundException":
                        continue  # deleted between the two calls
                    raise
                configuration = (domain.get("DomainNameConfigurations") or [{}])[0]
                for mapping in mappings:
                    if mapping.get("ApiId") == self.api_id and mapping.get("Stage") == self.stage:
                        found.append(
                            DomainMapping(
                                domain_name=name,
                                base_path=str(mapping.get("ApiMappingKey") or "(none)"),
                                security_policy=configuration.get("SecurityPolicy"),
                                endpoint_types=tuple(
                                    [configuration["EndpointType"]]
                                    if configuration.get("EndpointType")
                                    else []
                                ),
                            )
                        )
            return found
        except NoAnswer as exc:
            return exc.unavailable

    def gather(self) -> WebSocketFacts:
        """All facts; raises :class:`UnknownApiError` for an unknown API or stage."""
        api = self.api_fact()
        stage_info = self.stage_fact()
        return WebSocketFacts(
            api_id=self.api_id,
            stage=self.stage,
            region=self.region,
            partition=self.partition,
            api=api,
            stage_info=stage_info,
            routes=self.routes_fact(),
            domains=self.domains_fact(),
            usage_plans=self.usage_plans_fact(),
            trails=self.trails_fact(),
            account_throttle=self.account_throttle_fact(),
        )
