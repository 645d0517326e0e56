"""Required request parameters: ``"querystring.limit"`` -> ``"method.request.querystring.limit"``."""

from __future__ import annotations

import re
from collections.abc import Sequence

from secure_api.errors import SecureApiConfigError
from secure_api.rest.routes import RouteKey

LOCATIONS = ("path", "querystring", "header")
OPENAPI_LOCATIONS = {"path": "path", "query": "querystring", "header": "header"}
_NAME = re.compile(r"[A-Za-z0-9._~!$&'*+^`|-]{1,128}")


def required_parameters(values: Sequence[str], route: RouteKey, *, field: str) -> dict[str, bool]:
    """API Gateway's ``RequestParameters`` for ``values`` such as ``["querystring.limit", "header.X-Tenant"]``.

    A ``path.<name>`` must be a ``{name}`` segment of the route. Every entry is required (``True``).
    """
    if isinstance(values, str):
        raise SecureApiConfigError(field, values, "a list such as ['querystring.limit', 'header.X-Tenant']")
    names = set(route_parameter_names(route))
    out: dict[str, bool] = {}
    for value in values:
        location, _, name = value.partition(".") if isinstance(value, str) else ("", "", "")
        if location not in LOCATIONS or not _NAME.fullmatch(name):
            raise SecureApiConfigError(
                field, value, f"'<location>.<name>' with location one of {', '.join(LOCATIONS)}"
            )
        if location == "path" and name not in names:
            raise SecureApiConfigError(field, value, f"a path parameter of '{route.path}' ({sorted(names)})")
        key = f"method.request.{location}.{name}"
        if key in out:
            raise SecureApiConfigError(field, value, "each parameter once")
        out[key] = True
    return out


def route_parameter_names(route: RouteKey) -> list[str]:
    """``["id"]`` for ``/orders/{id}``; a greedy ``{proxy+}`` is named ``proxy``."""
    return [p.strip("{}+") for p in route.path.split("/") if p.startswith("{")]
