"""``--public "METHOD /path"``: the routes a caller declares as open, and how they match methods."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from secure_api.keys.errors import KeyOpsError
from secure_api.verify.facts import Method

ANY = "ANY"
OPTIONS = "OPTIONS"
_ROUTE_RE = re.compile(r"(?P<method>[A-Z]+) (?P<path>/[!-~]*)")


@dataclass(frozen=True)
class PublicRoute:
    """One ``--public`` entry: ``ANY`` covers every method of ``path``; the path matches exactly."""

    method: str
    path: str

    def covers(self, method: Method) -> bool:
        """True when this entry exempts ``method`` (same path, same method or ``ANY``)."""
        return self.path == method.path and self.method in {method.http_method, ANY}

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def parse_public(values: Iterable[str]) -> tuple[PublicRoute, ...]:
    """Parse ``--public`` values; :class:`KeyOpsError` (exit 2) for one not of the form ``"GET /health"``."""
    routes = []
    for value in values:
        match = _ROUTE_RE.fullmatch(value)
        if not match:
            raise KeyOpsError(
                f"--public {value!r}: expected 'METHOD /path' exactly as the route is declared, with an "
                "upper-case method and {param} segments, e.g. 'GET /health' or 'GET /orders/{id}'"
            )
        routes.append(PublicRoute(match["method"], match["path"]))
    return tuple(routes)


def is_public(method: Method, public: Sequence[PublicRoute]) -> bool:
    """True when ``method`` is listed in ``public``."""
    return any(route.covers(method) for route in public)


def exempt(method: Method, public: Sequence[PublicRoute]) -> bool:
    """True for methods the auth and key checks leave alone: OPTIONS and the ``--public`` routes."""
    return method.http_method == OPTIONS or is_public(method, public)


def unmatched(public: Sequence[PublicRoute], methods: Sequence[Method]) -> list[PublicRoute]:
    """The ``--public`` entries that match no method of the API (most likely a typo)."""
    return [route for route in public if not any(route.covers(m) for m in methods)]
