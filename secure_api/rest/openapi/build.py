"""What ``SecureRestApi.from_openapi`` does around the API it builds: refuse options the constructor
does not take, then add every operation of the document as a route."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from secure_api.rest.openapi.document import Operation
from secure_api.rest.openapi.security import RouteSecurity
from secure_api.rest.routes import RouteKey
from secure_api.throttling import Throttle


def check_options(init: Callable[..., Any], options: Mapping[str, Any]) -> None:
    """Raise ``TypeError`` for an option that ``init`` (``SecureRestApi.__init__``) does not take."""
    allowed = set(inspect.signature(init).parameters) - {"self", "scope", "id_", "_openapi"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"from_openapi() got unexpected keyword arguments {unknown}")


def add_operations(
    add_route: Callable[..., Any],
    operations: Sequence[tuple[Operation, RouteSecurity]],
    integrations: Mapping[str, Any],
    throttled: Mapping[RouteKey, Throttle],
) -> None:
    """Add each operation through ``add_route`` (the API's), with its integration, throttle and security."""
    for operation, security in operations:
        add_route(
            operation.route.method,
            operation.route.path,
            next(integrations[name] for name in operation.names if name in integrations),
            throttle=throttled.get(operation.route),
            scopes=security.scopes,
            auth=security.auth,
            api_key_required=security.api_key_required,
        )
