"""Route keys and API Gateway's two path encodings (pure functions)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from secure_api.errors import SecureApiConfigError

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY")
_SEGMENT = re.compile(r"^(?:[A-Za-z0-9._~-]+|\{[A-Za-z_][A-Za-z0-9_]*\}|\{[A-Za-z_][A-Za-z0-9_]*\+\})$")


@dataclass(frozen=True)
class Route:
    """An HTTP method on a resource path, e.g. ``Route("GET", "/orders/{id}")``."""

    method: str
    path: str

    @classmethod
    def parse(cls, method: str, path: str, *, field: str = "route") -> Route:
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
            if not _SEGMENT.match(part):
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
        return cls(method.upper(), "/" + "/".join(parts))

    @classmethod
    def parse_key(cls, key: str, *, field: str = "route") -> Route:
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
