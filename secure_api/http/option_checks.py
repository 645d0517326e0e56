"""The checks ``SecureHttpApi`` runs on its arguments before any resource exists.

Besides each option class's own checks: what an HTTP API cannot honour (AWS offers it no API keys or
usage plans, no AWS WAF association, no resource policy, no private endpoint and no enhanced TLS policy
on its custom domain), each refused naming the field and what to use instead, and which authorizer a
``BearerAuth`` becomes (API Gateway's native JWT authorizer, or the library's Lambda authorizer where the
native one cannot honour the options). Pure functions, no resources.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import MISSING, dataclass, fields
from typing import Any

from aws_cdk import Duration

from secure_api import defaults
from secure_api.access import AccessPolicy
from secure_api.api_target import ApiKind
from secure_api.audit import AuditTrail
from secure_api.authorizer import BearerAuth, connect_environment
from secure_api.domain import CustomDomain
from secure_api.errors import SecureApiConfigError, is_token
from secure_api.monitoring import Monitoring
from secure_api.option_checks import (
    bearer_of,
    check_auth_required,
    check_option_types,
    check_retention_and_description,
    check_stage_name,
)
from secure_api.rest.cors import CorsPolicy
from secure_api.throttling import Throttle
from secure_api.v2.option_checks import check_v2_access, check_v2_domain

AUTHORIZERS = ("native", "lambda")
"""The values of ``SecureHttpApi(authorizer=...)`` besides None (chosen from the options)."""

_USE_REST = "use SecureRestApi"
_ACCESS_FIELD = "AccessPolicy."
_OPTION_TYPES: tuple[tuple[str, type], ...] = (
    ("access", AccessPolicy),
    ("cors", CorsPolicy),
    ("domain", CustomDomain),
    ("audit", AuditTrail),
    ("throttle", Throttle),
    ("monitoring", Monitoring),
)
# Options of SecureRestApi an HTTP API cannot honour: (argument, what AWS lacks, what gives it).
_REST_ONLY: tuple[tuple[str, str], ...] = (
    ("usage_tiers", f"HTTP APIs have no usage plans ({_USE_REST} for per-client throttling and quotas)"),
    ("consumers", f"HTTP APIs have no API keys ({_USE_REST} for keys per consumer application)"),
    ("key_rotation", f"HTTP APIs have no API keys to rotate ({_USE_REST} for keys per consumer)"),
    (
        "firewall",
        "AWS WAF cannot be associated with an HTTP API (use SecureRestApi for a web ACL on the API, or "
        "front this one with CloudFront and a WAF web ACL)",
    ),
)
_SINGLE_VALUED = ("key_rotation", "firewall")
# BearerAuth fields only the library's Lambda authorizer honours: API Gateway's JWT authorizer applies
# its own clock skew, key and result caching and audience rule (``aud``, or ``client_id`` when the token
# has no ``aud``), and runs no function.
_NATIVE_IGNORES = (
    "cache_ttl",
    "leeway",
    "jwks_cache_ttl",
    "audience_claim",
    "reserved_concurrency",
    "memory_size",
)


@dataclass(frozen=True)
class HttpOptions:
    """The checked, normalised options."""

    auth: BearerAuth | str
    authorizer: str | None
    """``"native"`` (API Gateway's JWT authorizer), ``"lambda"`` (the library's), None with ``auth="iam"``."""
    throttle: Throttle
    cors: CorsPolicy | None
    lambda_environment: dict[str, str]
    """What the Lambda authorizer reads besides ``BearerAuth.environment()`` (its IP lists)."""
    native_replaced_by: tuple[str, ...] = ()
    """With ``authorizer="native"``: the ``AccessPolicy`` fields that need the Lambda authorizer instead."""
    native_ignores: tuple[str, ...] = ()
    """With the native JWT authorizer: the ``BearerAuth`` fields set away from their defaults that it
    does not honour, each as ``BearerAuth.<field>=<value>``."""

    @property
    def bearer(self) -> BearerAuth | None:
        """The ``BearerAuth``, or None with ``auth="iam"``."""
        return bearer_of(self.auth)


def check_http_options(
    *,
    stage_name: Any,
    auth: Any,
    authorizer: Any,
    options: dict[str, Any],
    rest_only: dict[str, Any],
    log_retention: Any,
    description: Any,
) -> HttpOptions:
    """Check every argument of ``SecureHttpApi`` and their combinations.

    ``options`` maps the option-object arguments (``access``, ``cors``, ``domain``, ...) to their values,
    ``rest_only`` the arguments only ``SecureRestApi`` honours (``usage_tiers``, ``consumers``,
    ``key_rotation``, ``firewall``) to theirs.
    """
    check_stage_name(stage_name)
    check_auth_required(auth, api="an HTTP API", hint=" (a public route is add_route(..., auth='none'))")
    check_option_types(options, _OPTION_TYPES)
    check_rest_only(rest_only)
    check_retention_and_description(log_retention, description)
    access: AccessPolicy | None = options.get("access")
    if access is not None:
        check_v2_access(access, iam=auth == "iam", kind=ApiKind.HTTP)
    domain: CustomDomain | None = options.get("domain")
    if domain is not None:
        check_v2_domain(domain, kind=ApiKind.HTTP)
    monitoring: Monitoring | None = options.get("monitoring")
    if monitoring is not None:
        check_monitoring(monitoring)
    bearer = bearer_of(auth)
    if bearer is not None and bearer.api_key_claim:
        raise SecureApiConfigError(
            "BearerAuth.api_key_claim",
            bearer.api_key_claim,
            f"None: HTTP APIs have no API keys for a claim to select ({_USE_REST} for keys)",
        )
    obstacles = native_obstacles(bearer, access) if bearer is not None else []
    chosen = choose_authorizer(bearer, authorizer, access, obstacles=obstacles)
    environment: dict[str, str] = {}
    if chosen == "lambda" and bearer is not None:
        environment = connect_environment(
            bearer,
            allow_ip_ranges=access.allow_ip_ranges if access else (),
            deny_ip_ranges=access.deny_ip_ranges if access else (),
        )
    return HttpOptions(
        auth=auth,
        authorizer=chosen,
        throttle=options.get("throttle") or Throttle(),
        cors=options.get("cors"),
        lambda_environment=environment,
        native_replaced_by=tuple(native_replaced_by(bearer, authorizer, access, obstacles=obstacles)),
        native_ignores=tuple(native_ignores(bearer) if chosen == "native" and bearer is not None else ()),
    )


def check_rest_only(rest_only: dict[str, Any]) -> None:
    """Refuse, naming the argument, every option only a REST API honours."""
    for name, why in _REST_ONLY:
        value = rest_only.get(name)
        if name in _SINGLE_VALUED:
            if value is not None:
                raise SecureApiConfigError(name, value, f"None: {why}")
        elif value:
            shown = [getattr(v, "name", v) for v in value] if isinstance(value, Sequence) else value
            raise SecureApiConfigError(name, shown, f"empty: {why}")


def check_monitoring(monitoring: Monitoring) -> None:
    """No per-consumer settings: an HTTP API has no consumers' keys to watch or quarantine."""
    for name in ("quarantine_exempt", "active_hours"):
        value = getattr(monitoring, name)
        if value:
            raise SecureApiConfigError(
                f"Monitoring.{name}",
                list(value),
                f"empty: HTTP APIs have no API keys, so no consumer to watch ({_USE_REST} for keys)",
            )


def native_obstacles(bearer: BearerAuth, access: AccessPolicy | None) -> list[tuple[str, Any, str]]:
    """What API Gateway's native JWT authorizer cannot honour: ``(field, value, why)`` for each."""
    found: list[tuple[str, Any, str]] = []
    if tuple(bearer.algorithms) != defaults.HTTP_NATIVE_JWT_ALGORITHMS:
        found.append(
            (
                "BearerAuth.algorithms",
                list(bearer.algorithms),
                "the native JWT authorizer verifies RS256 only",
            )
        )
    if not is_token(bearer.issuer) and not bearer.issuer.startswith("https://"):
        found.append(
            (
                "BearerAuth.issuer",
                bearer.issuer,
                "the native JWT authorizer fetches the issuer's discovery document over HTTPS only",
            )
        )
    if bearer.jwks_uri is not None:
        found.append(
            (
                "BearerAuth.jwks_uri",
                bearer.jwks_uri,
                "the native JWT authorizer reads its keys from the jwks_uri of the issuer's discovery "
                "document (<issuer>/.well-known/openid-configuration), never from a given URL",
            )
        )
    if access is not None:
        for name in ("allow_ip_ranges", "deny_ip_ranges"):
            values = getattr(access, name)
            if values:
                found.append(
                    (
                        f"AccessPolicy.{name}",
                        list(values),
                        "the native JWT authorizer cannot filter addresses",
                    )
                )
    return found


def choose_authorizer(
    bearer: BearerAuth | None,
    authorizer: Any,
    access: AccessPolicy | None,
    *,
    obstacles: list[tuple[str, Any, str]] | None = None,
) -> str | None:
    """``"native"`` or ``"lambda"`` for a ``BearerAuth`` (None with ``auth="iam"``).

    Without a choice: native, unless the options need the Lambda authorizer. ``"native"`` with a
    ``BearerAuth`` option the native authorizer cannot honour is refused naming the first one;
    ``"native"`` with ``AccessPolicy`` IP lists gives the Lambda authorizer, which enforces them.
    ``obstacles`` is ``native_obstacles(bearer, access)`` when the caller has it already.
    """
    if authorizer is not None and authorizer not in AUTHORIZERS:
        raise SecureApiConfigError(
            "authorizer", authorizer, "'native', 'lambda' or None (chosen from the options)"
        )
    if bearer is None:
        if authorizer is not None:
            raise SecureApiConfigError(
                "authorizer", authorizer, "None with auth='iam' (IAM authorization uses no authorizer)"
            )
        return None
    if obstacles is None:
        obstacles = native_obstacles(bearer, access)
    token_obstacles = [o for o in obstacles if not o[0].startswith(_ACCESS_FIELD)]
    if authorizer == "native" and token_obstacles:
        field, value, why = token_obstacles[0]
        raise SecureApiConfigError(
            field, value, f"an option the native JWT authorizer honours with authorizer='native': {why} "
            "(leave authorizer unset, or pass authorizer='lambda', to use the library's Lambda authorizer)"
        )  # fmt: skip
    if obstacles:
        # authorizer='native' with only AccessPolicy IP lists in the way: the lists are a requirement
        # of their own that only the Lambda authorizer can enforce, so it verifies the tokens too
        # (SecureHttpApi leaves the warning native_replaced_by names) rather than the lists being dropped.
        return "lambda"
    return str(authorizer) if authorizer is not None else "native"


def native_replaced_by(
    bearer: BearerAuth | None,
    authorizer: Any,
    access: AccessPolicy | None,
    *,
    obstacles: list[tuple[str, Any, str]] | None = None,
) -> list[str]:
    """The ``AccessPolicy`` fields that made an ``authorizer="native"`` choice the Lambda authorizer
    (``obstacles`` as in ``choose_authorizer``)."""
    if bearer is None or authorizer != "native":
        return []
    if obstacles is None:
        obstacles = native_obstacles(bearer, access)
    return [field for field, _, _ in obstacles if field.startswith(_ACCESS_FIELD)]


def native_ignores(bearer: BearerAuth) -> list[str]:
    """The ``BearerAuth`` fields set away from their defaults that API Gateway's native JWT authorizer
    does not honour (only the library's Lambda authorizer does), each as ``BearerAuth.<field>=<value>``."""
    found: list[str] = []
    for spec in fields(BearerAuth):
        if spec.name not in _NATIVE_IGNORES or spec.default is MISSING:
            continue
        value, default = getattr(bearer, spec.name), spec.default
        if isinstance(value, Duration) and isinstance(default, Duration):
            if value.to_seconds() != default.to_seconds():
                found.append(f"BearerAuth.{spec.name}={int(value.to_seconds())}s")
        elif value != default:
            found.append(f"BearerAuth.{spec.name}={value!r}")
    return found
