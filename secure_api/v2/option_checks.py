"""The option checks both API Gateway v2 kinds make before any resource exists: who may call (only IP
allow and deny lists, which a Lambda authorizer enforces: v2 APIs have no resource policy and no private
endpoint) and the custom domain (``TLS_1_2`` only, a single-level base path). Each kind words its
refusals (``V2Wording``): what it lacks and what to use instead. Pure functions, no resources."""

from __future__ import annotations

from dataclasses import dataclass

from secure_api import defaults
from secure_api.access import AccessPolicy
from secure_api.domain import CustomDomain
from secure_api.errors import SecureApiConfigError, is_token

_IP_LISTS_ONLY = "access= may only hold allow_ip_ranges and deny_ip_ranges"


@dataclass(frozen=True)
class V2Wording:
    """How one v2 kind's refusals read."""

    article: str
    """``"a WebSocket API"``."""
    plural: str
    """``"WebSocket APIs"``."""
    authorizer_only: str
    """Why the IP lists need the kind's Lambda authorizer (refused with ``auth="iam"``)."""
    private_hint: str = _IP_LISTS_ONLY
    """What to do instead of ``AccessPolicy.private``."""
    lists_hint: str = _IP_LISTS_ONLY
    """What to do instead of VPC, VPC endpoint and account lists."""
    domain_policy_reason: str = ""
    """Why ``TLS_1_2`` is the only domain policy."""


def check_v2_access(access: AccessPolicy, *, wording: V2Wording, iam: bool) -> None:
    """Only IP allow and deny lists, enforced by the kind's Lambda authorizer (so not with IAM auth).

    ``AccessPolicy`` holds VPC lists only on a PRIVATE policy: the VPC list is named first, then the
    endpoint type (which carries the VPC endpoint ids), then the account lists."""
    _refuse_list(access, "allow_vpc_ids", "VPC conditions need a resource policy", wording)
    if access.private_endpoint:
        raise SecureApiConfigError(
            "AccessPolicy.private",
            list(access.allow_vpc_endpoint_ids),
            f"not used on {wording.article}: {wording.plural} have no private endpoint and no resource policy "
            f"({wording.private_hint})",
        )
    for name in ("allow_accounts", "deny_accounts"):
        _refuse_list(access, name, "account conditions need a resource policy", wording)
    if iam:
        for name in ("allow_ip_ranges", "deny_ip_ranges"):
            values = getattr(access, name)
            if values:
                raise SecureApiConfigError(
                    f"AccessPolicy.{name}",
                    list(values),
                    f"empty with auth='iam': {wording.plural} have no resource policy, {wording.authorizer_only}",
                )


def _refuse_list(access: AccessPolicy, name: str, why: str, wording: V2Wording) -> None:
    values = getattr(access, name)
    if values:
        raise SecureApiConfigError(
            f"AccessPolicy.{name}",
            list(values),
            f"empty on {wording.article}: {why}, which {wording.plural} do not have ({wording.lists_hint})",
        )


def check_v2_domain(domain: CustomDomain, *, wording: V2Wording) -> None:
    """``TLS_1_2`` (the default of a v2 domain, whatever ``CustomDomain`` resolved an unset policy to)
    and a single-level base path."""
    if domain.policy_chosen and domain.security_policy != defaults.V2_DOMAIN_SECURITY_POLICY:
        raise SecureApiConfigError(
            "CustomDomain.security_policy",
            domain.security_policy,
            f"SecurityPolicy.TLS_1_2 or the default: {wording.domain_policy_reason}",
        )
    if domain.base_path is not None and not is_token(domain.base_path) and "/" in domain.base_path:
        raise SecureApiConfigError(
            "CustomDomain.base_path",
            domain.base_path,
            "a single path segment: multi-level API mappings exist only for REST APIs",
        )
