"""The checks ``SecureHttpApi`` runs on its arguments before any resource exists.

Besides each option class's own checks: what an HTTP API cannot honour (AWS offers it no API keys or
usage plans, no AWS WAF association, no resource policy, no private endpoint and no enhanced TLS policy
on its custom domain), each refused naming the field and what to use instead, and which authorizer a
``BearerAuth`` becomes (API Gateway's native JWT authorizer, or the library's Lambda authorizer where the
native one cannot honour the options). Pure functions, no resources.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import aws_logs as logs

from secure_api import defaults
from secure_api.access import AccessPolicy
from secure_api.audit import AuditTrail
from secure_api.authorizer import BearerAuth, connect_environment
from secure_api.domain import CustomDomain
from secure_api.errors import SecureApiConfigError, is_token
from secure_api.monitoring import Monitoring
from secure_api.rest.cors import CorsPolicy
from secure_api.rest.option_checks import check_stage_name
from secure_api.throttling import Throttle

AUTHORIZERS = ("native", "lambda")
"""The values of ``SecureHttpApi(authorizer=...)`` besides None (chosen from the options)."""

_USE_REST = "use SecureRestApi"
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
_AUTHORIZER_ONLY = "the Lambda authorizer enforces it, and auth='iam' has none (use auth=BearerAuth(...))"


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

    @property
    def bearer(self) -> BearerAuth | None:
        """The ``BearerAuth``, or None with ``auth="iam"``."""
        return self.auth if isinstance(self.auth, BearerAuth) else None


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
    check_auth(auth)
    for name, type_ in _OPTION_TYPES:
        value = options.get(name)
        if value is not None and not isinstance(value, type_):
            raise SecureApiConfigError(name, value, f"a {type_.__name__} or None")
    check_rest_only(rest_only)
    if not isinstance(log_retention, logs.RetentionDays):
        raise SecureApiConfigError("log_retention", log_retention, "an aws_logs.RetentionDays")
    if description is not None and not is_token(description) and not isinstance(description, str):
        raise SecureApiConfigError("description", description, "a string or None")
    access: AccessPolicy | None = options.get("access")
    if access is not None:
        check_access(access, iam=auth == "iam")
    domain: CustomDomain | None = options.get("domain")
    if domain is not None:
        check_domain(domain)
    monitoring: Monitoring | None = options.get("monitoring")
    if monitoring is not None:
        check_monitoring(monitoring)
    bearer = auth if isinstance(auth, BearerAuth) else None
    if bearer is not None and bearer.api_key_claim:
        raise SecureApiConfigError(
            "BearerAuth.api_key_claim",
            bearer.api_key_claim,
            f"None: HTTP APIs have no API keys for a claim to select ({_USE_REST} for keys)",
        )
    chosen = choose_authorizer(bearer, authorizer, access)
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
    )


def check_auth(auth: Any) -> None:
    """``BearerAuth(...)`` or ``"iam"``: an HTTP API without authentication is never the default."""
    if auth is None:
        raise SecureApiConfigError(
            "auth",
            None,
            "BearerAuth(...) or 'iam': an HTTP API without authentication is never the default "
            "(a public route is add_route(..., auth='none'))",
        )
    if not (isinstance(auth, BearerAuth) or auth == "iam"):
        raise SecureApiConfigError("auth", auth, "a BearerAuth or 'iam'")


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


def check_access(access: AccessPolicy, *, iam: bool) -> None:
    """Only IP allow and deny lists, enforced by the Lambda authorizer (so not with IAM auth)."""
    # AccessPolicy allows VPC lists only on a PRIVATE policy: the VPC list is named first, then the
    # endpoint type (which carries the VPC endpoint ids).
    _refuse_resource_policy_list(access, "allow_vpc_ids", "VPC conditions need a resource policy")
    if access.private_endpoint:
        raise SecureApiConfigError(
            "AccessPolicy.private",
            list(access.allow_vpc_endpoint_ids),
            f"not used on an HTTP API: HTTP APIs have no private endpoint and no resource policy ({_USE_REST} "
            "with AccessPolicy.private(...) for an API reachable only from VPC endpoints)",
        )
    for name, why in (
        ("allow_accounts", "account conditions need a resource policy"),
        ("deny_accounts", "account conditions need a resource policy"),
    ):
        _refuse_resource_policy_list(access, name, why)
    if iam:
        for name in ("allow_ip_ranges", "deny_ip_ranges"):
            values = getattr(access, name)
            if values:
                raise SecureApiConfigError(
                    f"AccessPolicy.{name}",
                    list(values),
                    f"empty with auth='iam': HTTP APIs have no resource policy, {_AUTHORIZER_ONLY}",
                )


def _refuse_resource_policy_list(access: AccessPolicy, name: str, why: str) -> None:
    values = getattr(access, name)
    if values:
        raise SecureApiConfigError(
            f"AccessPolicy.{name}",
            list(values),
            f"empty on an HTTP API: {why}, which HTTP APIs do not have ({_USE_REST}; on an HTTP API "
            "access= may only hold allow_ip_ranges and deny_ip_ranges)",
        )


def check_domain(domain: CustomDomain) -> None:
    """A REGIONAL ``TLS_1_2`` domain (mutual TLS allowed) with a single-level base path."""
    if domain.policy_chosen and domain.security_policy != defaults.HTTP_DOMAIN_SECURITY_POLICY:
        raise SecureApiConfigError(
            "CustomDomain.security_policy",
            domain.security_policy,
            "SecurityPolicy.TLS_1_2 or the default: API Gateway cannot map an HTTP API to a domain with an "
            "enhanced (SecurityPolicy_*) policy (use SecureRestApi for a TLS 1.3 policy)",
        )
    if domain.base_path is not None and not is_token(domain.base_path) and "/" in domain.base_path:
        raise SecureApiConfigError(
            "CustomDomain.base_path",
            domain.base_path,
            "a single path segment: multi-level API mappings exist only for REST APIs",
        )


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


def choose_authorizer(bearer: BearerAuth | None, authorizer: Any, access: AccessPolicy | None) -> str | None:
    """``"native"`` or ``"lambda"`` for a ``BearerAuth`` (None with ``auth="iam"``).

    Without a choice: native, unless the options need the Lambda authorizer. ``"native"`` with such
    options is refused naming the first one.
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
    obstacles = native_obstacles(bearer, access)
    if authorizer == "native" and obstacles:
        field, value, why = obstacles[0]
        raise SecureApiConfigError(
            field, value, f"an option the native JWT authorizer honours with authorizer='native': {why} "
            "(leave authorizer unset, or pass authorizer='lambda', to use the library's Lambda authorizer)"
        )  # fmt: skip
    if authorizer is not None:
        return str(authorizer)
    return "lambda" if obstacles else "native"
