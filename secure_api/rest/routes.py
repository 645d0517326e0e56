"""Route keys and API Gateway's two path encodings (pure functions)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from secure_api import grammar
from secure_api.errors import SecureApiConfigError

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
_SEGMENT = re.compile(r"[A-Za-z0-9._~-]+|\{[A-Za-z_][A-Za-z0-9_]*\}|\{[A-Za-z_][A-Za-z0-9_]*\+\}")


@dataclass(frozen=True)
class RouteKey:
    """An HTTP method on a resource path, e.g. ``RouteKey("GET", "/orders/{id}")``."""

    method: str
    path: str

    @classmethod
    def parse(cls, method: str, path: str, *, field: str = "route") -> RouteKey:
        """Validate and normalise a method and a path (leading ``/``, no trailing ``/``)."""
        if not isinstance(method, str) or method.upper() not in HTTP_METHODS:
            raise SecureApiConfigError(f"{field}.method", method, f"one of {', '.join(HTTP_METHODS)}")
        if not isinstance(path, str) or not path.startswith("/"):
            raise SecureApiConfigError(f"{field}.path", path, "a path starting with '/', e.g. '/orders/{id}'")
        parts = path.split("/")[1:]
        if path != "/" and (not all(parts) or path.endswith("/")):
            raise SecureApiConfigError(f"{field}.path", path, "a path without empty segments or trailing '/'")
        parts = [p for p in parts if p]
        for i, part in enumerate(parts):
            if not _SEGMENT.fullmatch(part):
                raise SecureApiConfigError(
                    f"{field}.path",
                    path,
                    "segments of letters, digits, '._~-', '{param}' or a final '{proxy+}'",
                )
            if part.endswith("+}") and i != len(parts) - 1:
                raise SecureApiConfigError(
                    f"{field}.path", path, "a greedy '{name+}' segment only at the end"
                )
        names = [p.strip("{}+") for p in parts if p.startswith("{")]
        if len(names) != len(set(names)):
            raise SecureApiConfigError(f"{field}.path", path, "distinct path parameter names")
        route = cls(method.upper(), "/" + "/".join(parts))
        # Every route the construct declares must also be a key the authorizer accepts.
        assert grammar.route_key_problem(route.key) is None, route.key
        return route

    @classmethod
    def parse_key(cls, key: str, *, field: str = "route") -> RouteKey:
        """Parse a route key such as ``"GET /orders/{id}"``."""
        method, sep, path = key.partition(" ") if isinstance(key, str) else ("", "", "")
        if not sep:
            raise SecureApiConfigError(field, key, "a route key such as 'GET /orders/{id}'")
        return cls.parse(method, path, field=field)

    @property
    def key(self) -> str:
        """``"GET /orders/{id}"``: the form used in ``ROUTE_SCOPES`` and ``method_throttles``."""
        return f"{self.method} {self.path}"

    @property
    def stage_method_setting_path(self) -> str:
        """``"/~1orders~1{id}"``: the resource path of a stage ``MethodSettings`` entry."""
        # API Gateway encodes "/" inside the path as "~1"; the root resource is a bare "/".
        return "/" + self.path.replace("/", "~1") if self.path != "/" else "/"

    @property
    def usage_plan_throttle_key(self) -> str:
        """``"/orders/{id}/GET"``: the key of a usage plan's per-method throttle."""
        return f"{self.path}/{self.method}"


# The longest partition, region and account parts of an execute-api ARN, and a REST API id.
_ARN_PREFIX = len("arn:aws-us-gov:execute-api:ap-southeast-5:123456789012:a1b2c3d4e5/")
# API Gateway limits a resource ARN in an authorizer's policy to 512 characters.
_MAX_POLICY_RESOURCE = 512


def check_route_arn_length(route: RouteKey, stage_name: str, *, field: str) -> None:
    """A bearer route's ``arn:...:<api>/<stage>/<METHOD>/<path>`` must fit the 512 characters API Gateway
    allows a resource in an authorizer's policy (path parameters count as ``*``)."""
    method = "*" if route.method == "ANY" else route.method
    suffix = "/".join("*" if s.startswith("{") else s for s in route.path.split("/")[1:])
    length = _ARN_PREFIX + len(stage_name) + 1 + len(method) + 1 + len(suffix)
    if length > _MAX_POLICY_RESOURCE:
        raise SecureApiConfigError(
            field,
            route.path,
            f"a shorter path: its execute-api ARN would have {length} characters with stage "
            f"{stage_name!r}, more than the {_MAX_POLICY_RESOURCE} API Gateway allows in an authorizer's policy",
        )


class RouteTree:
    """The routes of one API, checked as API Gateway checks its resource tree.

    A resource may have literal children and at most one variable child (``{id}`` or ``{proxy+}``):
    API Gateway refuses a deployment where ``/orders/{id}`` and ``/orders/{orderId}`` are siblings.
    """

    def __init__(self) -> None:
        self._variables: dict[str, str] = {}
        self._routes: set[RouteKey] = set()

    def add(self, route: RouteKey, *, field: str = "route") -> None:
        """Record ``route``, or raise naming the sibling variable or the duplicate route."""
        if route in self._routes:
            raise SecureApiConfigError(field, route.key, "a route that has not been added already")
        parent = ""
        pending: dict[str, str] = {}
        for part in route.path.split("/")[1:] if route.path != "/" else []:
            if part.startswith("{"):
                known = self._variables.get(parent, pending.get(parent))
                if known is not None and known != part:
                    raise SecureApiConfigError(
                        f"{field}.path",
                        route.path,
                        f"the path variable {known} already declared at {parent or '/'}/{known} "
                        f"(API Gateway allows one variable segment per level, so {part} cannot be its "
                        "sibling: use the same name)",
                    )
                pending[parent] = part
            parent = f"{parent}/{part}"
        self._variables.update(pending)
        self._routes.add(route)

    def __len__(self) -> int:
        return len(self._routes)
