"""The three kinds of API Gateway API ``secure-api verify`` checks, in one registry: for each kind its
gatherer, its AWS-side checks and its live probes, and how the kind of an API id is recognised (v1's
``GetRestApi``, else v2's ``GetApi`` ``ProtocolType``; the answer that recognised it is handed to the
kind's gatherer, which does not ask again)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, Generic, Protocol, TypeVar

from secure_api.keys.errors import UnknownApiError
from secure_api.verify import model as m
from secure_api.verify.checks import AWS_CHECKS
from secure_api.verify.gather import (
    NOT_FOUND_CODES,
    Gatherer,
    NoAnswer,
    VerifyClients,
    apigw_permission,
    call_aws,
    rest_api_path,
)
from secure_api.verify.http_checks import run_http_checks
from secure_api.verify.observe import observe, observe_websocket
from secure_api.verify.options import VerifyOptions
from secure_api.verify.public import PublicRoute
from secure_api.verify.v2_checks import HTTP_API_AWS_CHECKS, WEBSOCKET_AWS_CHECKS
from secure_api.verify.v2_gather import V2Gatherer, v2_api_path
from secure_api.verify.websocket_checks import run_websocket_url_checks

F = TypeVar("F")
F_co = TypeVar("F_co", covariant=True)
Answer = Mapping[str, Any]
"""``GetRestApi``'s or ``GetApi``'s answer, as :func:`detect_protocol` got it."""
O = TypeVar("O")  # noqa: E741 - the observations' type


class FactsGatherer(Protocol[F_co]):
    """A kind's gatherer for one API stage (:class:`Gatherer`, :class:`V2Gatherer`)."""

    def gather(self, answer: Answer | None = None, /) -> F_co:
        """The stage's facts; ``answer`` is the API's own ``Get*`` answer when already read (None: the
        gatherer asks)."""
        ...


@dataclass(frozen=True)
class Probes(Generic[F, O]):
    """What ``--url`` does for a kind of API: the probes it runs over a URL of ``scheme`` (their
    observations ``O``, from the facts ``F``) and the checks that judge them, in report order."""

    observe: Callable[[VerifyOptions, F], O]
    checks: Callable[[O], list[m.CheckResult]]
    check_ids: tuple[str, ...]
    scheme: str
    """``https`` or ``wss``: what ``--url`` must be."""
    example: str


HTTPS_PROBES: Probes[Any, Any] = Probes(
    observe, run_http_checks, m.HTTP_CHECK_IDS, "https", "https://api.example.com/"
)
"""The ``http.*`` probes, the same for a REST and an HTTP API."""
WSS_PROBES: Probes[Any, Any] = Probes(
    observe_websocket, run_websocket_url_checks, m.WS_URL_CHECK_IDS, "wss", "wss://ws.example.com/"
)
"""The ``ws.*`` probes of a WebSocket API."""


@dataclass(frozen=True)
class ApiKind(Generic[F, O]):
    """One kind of API: how its facts are gathered (``F``), which AWS-side checks judge them, and its
    live probes."""

    name: str
    """With its article, for messages: ``"an HTTP API"``."""
    gatherer: Callable[[VerifyClients, str, str], FactsGatherer[F]]
    """``(clients, api_id, stage)``: the kind's gatherer of that stage."""
    aws_checks: Sequence[tuple[str, Callable[[F, Sequence[PublicRoute]], m.CheckResult]]]
    probes: Probes[F, O]
    public_refusal: str | None = None
    """Why ``--public`` means nothing for this kind (None: it names routes as ``"METHOD /path"``)."""

    @property
    def check_ids(self) -> tuple[str, ...]:
        """Every check id of this kind, in report order."""
        return tuple(cid for cid, _ in self.aws_checks) + self.probes.check_ids

    def run(
        self, clients: VerifyClients, options: VerifyOptions, answer: Answer | None = None
    ) -> list[m.CheckResult]:
        """Gather, probe and check one stage of an API of this kind, in report order; ``answer`` is
        the API's ``Get*`` answer from :func:`detect_protocol`, if any."""
        facts = self.gatherer(clients, options.api_id, options.stage).gather(answer)
        aws = [check(facts, options.public) for _, check in self.aws_checks]
        return aws + self.probes.checks(self.probes.observe(options, facts))


KINDS: Mapping[str, ApiKind[Any, Any]] = {
    m.REST: ApiKind("a REST API", Gatherer, AWS_CHECKS, HTTPS_PROBES),
    m.WEBSOCKET: ApiKind(
        "a WebSocket API",
        partial(V2Gatherer, name="WebSocket", usage_plans=True),
        WEBSOCKET_AWS_CHECKS,
        WSS_PROBES,
        public_refusal="which has no methods; AWS authorizes only $connect, which routes.connect_auth checks",
    ),
    m.HTTP: ApiKind(
        "an HTTP API", partial(V2Gatherer, name="HTTP", usage_plans=False), HTTP_API_AWS_CHECKS, HTTPS_PROBES
    ),
}
"""Every kind of API ``secure-api verify`` checks, by protocol."""


def detect_protocol(clients: VerifyClients, api_id: str) -> tuple[str, Answer | None]:
    """``REST``, ``WEBSOCKET`` or ``HTTP`` for ``api_id``, with the answer that said so (``GetRestApi``'s,
    or ``GetApi``'s for a v2 API) for the kind's gatherer; :class:`UnknownApiError` when it names none.

    The REST API is asked first (the common case, one call). Only when API Gateway says it has no such
    REST API, or that call is denied, is API Gateway v2 asked for the API's ``ProtocolType``. When the
    REST call was denied and v2 names no API of another kind, the answer is None: the REST gatherer asks
    again and reports the denial.
    """
    try:
        answer = call_aws(
            clients.apigateway,
            "get_rest_api",
            apigw_permission(clients.region, rest_api_path(api_id)),
            restApiId=api_id,
        )
        return m.REST, answer
    except NoAnswer as exc:
        rest_missing = exc.code in NOT_FOUND_CODES
        if clients.apigatewayv2 is None:
            if rest_missing:
                raise UnknownApiError(f"unknown API {api_id!r}: no such REST API") from None
            return m.REST, None  # the REST gatherer reports the denied call
    try:
        api = call_aws(
            clients.apigatewayv2,
            "get_api",
            apigw_permission(clients.region, v2_api_path(api_id)),
            ApiId=api_id,
        )
    except NoAnswer as exc:
        if rest_missing and exc.code in NOT_FOUND_CODES:
            raise UnknownApiError(
                f"unknown API {api_id!r}: no such REST or WebSocket API, and no HTTP API"
            ) from None
        return m.REST, None
    protocol = str(api.get("ProtocolType") or "")
    if protocol in KINDS:
        return protocol, api
    if rest_missing:
        raise UnknownApiError(
            f"unknown API {api_id!r}: it is an {protocol or 'unnamed'} API; secure-api verify checks "
            "REST, WebSocket and HTTP APIs"
        )
    return m.REST, None
