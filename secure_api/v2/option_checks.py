"""The argument checks the API Gateway v2 kinds (WebSocket and HTTP APIs) share: ``AccessPolicy`` may only
hold IP lists (enforced by the Lambda authorizer: no resource policy, no private endpoint), and the custom
domain is REGIONAL ``TLS_1_2`` with a single-level base path (mutual TLS on HTTP APIs only). Each refusal
names the field, and for an HTTP API what to use instead. Pure functions, no resources."""

from __future__ import annotations

from dataclasses import dataclass

from secure_api import defaults
from secure_api.access import AccessPolicy
from secure_api.api_target import ApiKind
from secure_api.domain import CustomDomain
from secure_api.errors import SecureApiConfigError, is_token

_IP_LISTS_ONLY = "access= may only hold allow_ip_ranges and deny_ip_ranges"


@dataclass(frozen=True)
class _Kind:
    """How a v2 kind's refusals read."""

    api: str  # "a WebSocket API"
    name: str  # "WebSocket"
    authorizer: str  # the authorizer that enforces the IP lists
    instead: str | None  # what to use instead, for options only REST APIs honour
    policy_reason: str  # why TLS_1_2 is the only security policy
    mtls: bool  # whether the kind's custom domains offer mutual TLS


_KINDS = {
    ApiKind.WEBSOCKET: _Kind(
        api="a WebSocket API",
        name="WebSocket",
        authorizer="the $connect Lambda authorizer",
        instead=None,
        policy_reason="TLS_1_2 is the only policy API Gateway supports for WebSocket API domains",
        mtls=False,
    ),
    ApiKind.HTTP: _Kind(
        api="an HTTP API",
        name="HTTP",
        authorizer="the Lambda authorizer",
        instead="use SecureRestApi",
        policy_reason="API Gateway cannot map an HTTP API to a domain with an enhanced (SecurityPolicy_*) "
        "policy (use SecureRestApi for a TLS 1.3 policy)",
        mtls=True,
    ),
}


def authorizer_only(kind: ApiKind) -> str:
    """Why an option only the Lambda authorizer enforces is refused with ``auth="iam"``."""
    return f"{_KINDS[kind].authorizer} enforces it, and auth='iam' has none (use auth=BearerAuth(...))"


def check_v2_access(access: AccessPolicy, *, iam: bool, kind: ApiKind) -> None:
    """Only IP allow and deny lists, enforced by the Lambda authorizer (so not with IAM auth)."""
    k = _KINDS[kind]
    # AccessPolicy allows VPC lists only on a PRIVATE policy: the VPC list is named first, then the
    # endpoint type (which carries the VPC endpoint ids).
    _refuse_resource_policy_list(access, "allow_vpc_ids", "VPC conditions need a resource policy", k)
    if access.private_endpoint:
        raise SecureApiConfigError(
            "AccessPolicy.private",
            list(access.allow_vpc_endpoint_ids),
            f"not used on {k.api}: {k.name} APIs have no private endpoint and no resource policy ("
            + (
                f"{k.instead} with AccessPolicy.private(...) for an API reachable only from VPC endpoints"
                if k.instead
                else _IP_LISTS_ONLY
            )
            + ")",
        )
    for name in ("allow_accounts", "deny_accounts"):
        _refuse_resource_policy_list(access, name, "account conditions need a resource policy", k)
    if iam:
        for name in ("allow_ip_ranges", "deny_ip_ranges"):
            values = getattr(access, name)
            if values:
                raise SecureApiConfigError(
                    f"AccessPolicy.{name}",
                    list(values),
                    f"empty with auth='iam': {k.name} APIs have no resource policy, {authorizer_only(kind)}",
                )


def _refuse_resource_policy_list(access: AccessPolicy, name: str, why: str, k: _Kind) -> None:
    values = getattr(access, name)
    if values:
        raise SecureApiConfigError(
            f"AccessPolicy.{name}",
            list(values),
            f"empty on {k.api}: {why}, which {k.name} APIs do not have ("
            + (f"{k.instead}; on {k.api} " if k.instead else "")
            + f"{_IP_LISTS_ONLY})",
        )


def check_v2_domain(domain: CustomDomain, *, kind: ApiKind) -> None:
    """A REGIONAL ``TLS_1_2`` domain with a single-level base path; mutual TLS only where the kind has it."""
    k = _KINDS[kind]
    if domain.policy_chosen and domain.security_policy != defaults.WEBSOCKET_DOMAIN_SECURITY_POLICY:
        raise SecureApiConfigError(
            "CustomDomain.security_policy",
            domain.security_policy,
            f"SecurityPolicy.TLS_1_2 or the default: {k.policy_reason}",
        )
    if not k.mtls and domain.mtls is not None:
        raise SecureApiConfigError(
            "CustomDomain.mtls",
            domain.mtls,
            f"None: {k.name} APIs do not support mutual TLS (API Gateway offers it for REST and HTTP APIs)",
        )
    if not k.mtls and domain.mtls_truststore_uri is not None:
        raise SecureApiConfigError(
            "CustomDomain.mtls_truststore_uri",
            domain.mtls_truststore_uri,
            f"None: API Gateway offers mutual TLS only for REST and HTTP APIs, not {k.name} APIs",
        )
    if domain.base_path is not None and not is_token(domain.base_path) and "/" in domain.base_path:
        raise SecureApiConfigError(
            "CustomDomain.base_path",
            domain.base_path,
            "a single path segment: multi-level API mappings exist only for REST APIs",
        )
