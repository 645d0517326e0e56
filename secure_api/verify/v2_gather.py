"""Read-only API Gateway v2 calls that collect :class:`~secure_api.verify.facts.V2Facts` for one stage of
a WebSocket or an HTTP API (the two kinds API Gateway v2 serves, with the same ``GetApi``, ``GetStage``,
``GetRoutes`` and domain calls).

The account-wide facts (usage plans, the account's limits, trails) come from the same
:class:`~secure_api.verify.gather.AccountGatherer` as a REST API's. As there, a denied call becomes :class:`~secure_api.verify.facts.Unavailable` naming the IAM permission it needs;
only an unknown API or stage stops the command.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from secure_api.verify.facts import DomainMapping, Route, Unavailable, V2Facts
from secure_api.verify.gather import AccountGatherer, NoAnswer, Paging, VerifyClients

_PAGE = "500"  # API Gateway v2 pages take MaxResults as a string


def v2_api_path(api_id: str, suffix: str = "") -> str:
    """The API Gateway resource path of v2 API ``api_id`` (``/apis/ID``), plus ``suffix``."""
    return f"/apis/{api_id}{suffix}"


pages = Paging("MaxResults", _PAGE, "NextToken", "Items")
"""Every item of an API Gateway v2 ``Get*`` listing, page after page."""


class V2Gatherer(AccountGatherer):
    """Collects the facts of one stage of a WebSocket or HTTP API; each ``*_fact`` method makes only
    read-only calls. ``name`` is the kind's name in messages (``"WebSocket"``); ``usage_plans`` says
    whether the kind can have usage plans (WebSocket APIs can, HTTP APIs cannot), so whether they are
    read."""

    def __init__(
        self, clients: VerifyClients, api_id: str, stage: str, *, name: str, usage_plans: bool
    ) -> None:
        super().__init__(clients, api_id, stage)
        self.name = name
        self.usage_plans = usage_plans

    def _v2_path(self, suffix: str = "") -> str:
        return v2_api_path(self.api_id, suffix)

    def api_fact(self) -> dict[str, Any] | Unavailable:
        """``GetApi``; raises :class:`UnknownApiError` when the API does not exist."""
        return self._described(
            self.clients.apigatewayv2,
            "get_api",
            self._v2_path(),
            f"unknown API {self.api_id!r}: no such {self.name} API",
            ApiId=self.api_id,
        )

    def stage_fact(self) -> dict[str, Any] | Unavailable:
        """``GetStage``; raises :class:`UnknownApiError` when the stage does not exist."""
        return self._described(
            self.clients.apigatewayv2,
            "get_stage",
            self._v2_path(f"/stages/{self.stage}"),
            self.unknown_stage(),
            ApiId=self.api_id,
            StageName=self.stage,
        )

    def routes_fact(self) -> list[Route] | Unavailable:
        """Every route (``GetRoutes``) with its authorization type and whether it needs an API key."""
        try:
            routes = [
                Route(
                    route_key=str(item.get("RouteKey") or ""),
                    authorization_type=str(item.get("AuthorizationType") or "NONE"),
                    api_key_required=bool(item.get("ApiKeyRequired")),
                )
                for item in pages(
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
            for domain in pages(v2, "get_domain_names", self._apigw_permission("/domainnames")):
                name = str(domain.get("DomainName"))
                try:
                    mappings = list(
                        pages(
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
                endpoint = configuration.get("EndpointType")
                found += [
                    DomainMapping(
                        domain_name=name,
                        base_path=str(mapping.get("ApiMappingKey") or "(none)"),
                        security_policy=configuration.get("SecurityPolicy"),
                        endpoint_types=(endpoint,) if endpoint else (),
                    )
                    for mapping in mappings
                    if mapping.get("ApiId") == self.api_id and mapping.get("Stage") == self.stage
                ]
            return found
        except NoAnswer as exc:
            return exc.unavailable

    def gather(self, api_answer: Mapping[str, Any] | None = None) -> V2Facts:
        """All facts the checks of this kind read (usage plans only when the kind has them); raises
        :class:`UnknownApiError` for an unknown API or stage. ``api_answer``: ``GetApi``'s answer when
        the caller already has it (it is not asked again)."""
        api = self.api_fact() if api_answer is None else dict(api_answer)
        stage_info = self.stage_fact()
        domains = self.domains_fact()
        return V2Facts(
            api_id=self.api_id,
            stage=self.stage,
            region=self.region,
            partition=self.partition,
            api=api,
            stage_info=stage_info,
            routes=self.routes_fact(),
            domains=domains,
            trails=self.trails_fact(),
            usage_plans=self.usage_plans_fact() if self.usage_plans else None,
            account_throttle=self.account_throttle_fact(),
        )
