"""``Route``: what ``SecureRestApi.add_route`` declared, as the API's OpenAPI body renders it."""

from __future__ import annotations

from dataclasses import dataclass

from secure_api.throttling import Throttle


@dataclass(frozen=True)
class Route:
    """One route of a ``SecureRestApi``, returned by ``add_route`` (and recorded for every operation of
    a document given to ``from_openapi``).

    ``method`` is upper case (``"ANY"`` for every method), ``path`` normalised (``"/orders/{id}"``);
    ``auth`` is ``"bearer"``, ``"iam"`` or ``"none"``; ``scopes`` the OAuth scopes a bearer token must
    hold; ``throttle`` the route's stage throttle (``None``: the stage's); ``api_key_required`` whether
    a usage-tier key is required. The route lives in the REST API's OpenAPI body: there is no
    ``AWS::ApiGateway::Method`` behind it.

    ``SecureHttpApi.add_route`` returns the same record for an HTTP API's route (``api_key_required``
    always False: HTTP APIs have no API keys; ``throttle`` the route's ``RouteSettings``).
    """

    method: str
    path: str
    auth: str
    scopes: tuple[str, ...] = ()
    throttle: Throttle | None = None
    api_key_required: bool = False

    @property
    def key(self) -> str:
        """``"GET /orders/{id}"``: the form used in ``UsageTier.method_throttles`` and ``throttles``."""
        return f"{self.method} {self.path}"
