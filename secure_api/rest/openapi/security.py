"""An operation's OpenAPI security requirement -> the library's auth for it (pure).

- bearer (``http``/``bearer``), ``oauth2`` and ``openIdConnect`` schemes: the library's TOKEN
  authorizer, the requirement's scopes feeding the authorizer's route scopes;
- an ``apiKey`` scheme in the ``x-api-key`` header: the API key is required;
- ``security: []``: public (no auth, no key), with the same warning as ``auth="none"``;
- no requirement at all: the bearer authorizer, as ``add_route`` does.

Everything else (API keys in a query string, a cookie or another header, HTTP basic or digest, mutual
TLS, alternatives that one authorizer cannot enforce, optional auth) is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

API_KEY_HEADER = "x-api-key"


@dataclass(frozen=True)
class RouteSecurity:
    """What one operation requires: ``auth`` is ``"bearer"`` or ``"none"``.

    ``api_key_required`` is ``None`` when the document does not say (then: required once usage tiers
    exist, as ``add_route``); ``public`` operations are declared so by the document.
    """

    auth: str
    scopes: tuple[str, ...] = ()
    api_key_required: bool | None = None
    public: bool = False


def scheme_kind(scheme: Any) -> str | None:
    """``"bearer"``, ``"key"``, or ``None`` for a scheme the library cannot enforce."""
    if not isinstance(scheme, Mapping):
        return None
    kind = scheme.get("type")
    if kind in ("oauth2", "openIdConnect"):
        return "bearer"
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
        return "bearer"
    if (
        kind == "apiKey"
        and scheme.get("in") == "header"
        and str(scheme.get("name", "")).lower() == API_KEY_HEADER
    ):
        return "key"
    return None


def _why(scheme: Any) -> str:
    if not isinstance(scheme, Mapping):
        return "not a security scheme object"
    kind = scheme.get("type")
    if kind == "apiKey":
        return (
            f"an API key in {scheme.get('in')} '{scheme.get('name')}': API Gateway enforces keys only in the "
            "'x-api-key' header"
        )
    if kind == "http":
        return (
            f"HTTP '{scheme.get('scheme')}' authentication: only 'bearer' is enforced (by the JWT authorizer)"
        )
    if kind == "mutualTLS":
        return "mutual TLS: configure it on the custom domain, not per operation"
    return f"a scheme of type {kind!r}"


def route_security(
    requirement: list[dict[str, list[str]]] | None,
    schemes: Mapping[str, Any],
    where: str,
    offenders: list[str],
) -> RouteSecurity | None:
    """The auth for one operation, or ``None`` (and a line in ``offenders``) when it cannot be enforced."""
    if requirement is None:
        return RouteSecurity("bearer")
    if requirement in ([], [{}]):
        return RouteSecurity("none", api_key_required=False, public=True)
    postures = []
    for alternative in requirement:
        posture = _alternative(alternative, schemes, where, offenders)
        if posture is None:
            return None
        postures.append(posture)
    if len(set(postures)) > 1:
        names = " or ".join("+".join(alt) or "{}" for alt in requirement)
        offenders.append(
            f"{where}.security: alternatives ({names}) refused: the library enforces one requirement per "
            "operation (optional or either-or auth cannot be enforced)"
        )
        return None
    return postures[0]


def _alternative(
    alternative: dict[str, list[str]], schemes: Mapping[str, Any], where: str, offenders: list[str]
) -> RouteSecurity | None:
    if not alternative:
        offenders.append(
            f"{where}.security: an empty requirement '{{}}' beside others (optional auth) refused"
        )
        return None
    bearer = False
    key = False
    scopes: list[str] = []
    for name, wanted in alternative.items():
        scheme = schemes.get(name)
        if scheme is None:
            offenders.append(f"{where}.security: scheme {name!r} is not in components.securitySchemes")
            return None
        kind = scheme_kind(scheme)
        if kind is None:
            offenders.append(f"{where}.security: scheme {name!r} cannot be enforced ({_why(scheme)})")
            return None
        if kind == "bearer":
            bearer = True
            for scope in wanted:
                if not scope or " " in scope:
                    offenders.append(f"{where}.security: scope {scope!r} of {name!r} is not a scope name")
                    return None
                if scope not in scopes:
                    scopes.append(scope)
        else:
            key = True
    if bearer:
        return RouteSecurity("bearer", tuple(scopes), True if key else None)
    # Only an API key: a key identifies a consumer, it does not authenticate a caller.
    return RouteSecurity("none", (), True, public=True)
