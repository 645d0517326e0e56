"""The checks ``SecureRestApi`` runs on its arguments before any resource exists.

Each option class validates itself in ``__post_init__``; what is checked here is what only the
combination of options decides: the type of every argument, and settings that together would be
refused at deploy time, do nothing, or lock every caller out. Pure functions, no resources.
"""

from __future__ import annotations

from typing import Any

from secure_api.access import AccessPolicy
from secure_api.audit import AuditTrail
from secure_api.authorizer import BearerAuth
from secure_api.domain import CustomDomain
from secure_api.errors import SecureApiConfigError
from secure_api.monitoring import Monitoring

# STAGE_NAME and check_stage_name stay importable from secure_api.rest.option_checks.
from secure_api.option_checks import (  # noqa: F401
    STAGE_NAME,
    check_option_types,
    check_retention_and_description,
    check_stage_name,
)
from secure_api.rest.cors import CorsPolicy
from secure_api.rest.firewall import Firewall
from secure_api.throttling import Throttle
from secure_api.usage_plans.options import (
    Consumer,
    KeyRotation,
    UsageTier,
    check_key_rotation,
    check_monitored_consumers,
    check_tiers_and_consumers,
    tiers_and_consumers,
)

# API Gateway's limit on a REST API's description is not documented; CloudFormation passes it through.
_OPTION_TYPES: tuple[tuple[str, type], ...] = (
    ("access", AccessPolicy),
    ("cors", CorsPolicy),
    ("domain", CustomDomain),
    ("firewall", Firewall),
    ("audit", AuditTrail),
    ("auth", BearerAuth),
    ("throttle", Throttle),
    ("key_rotation", KeyRotation),
    ("monitoring", Monitoring),
)


def check_api_options(
    *,
    stage_name: Any,
    options: dict[str, Any],
    usage_tiers: Any,
    consumers: Any,
    log_retention: Any,
    create_cloudwatch_role: Any,
    description: Any,
) -> tuple[tuple[UsageTier, ...], tuple[Consumer, ...]]:
    """Check every argument of ``SecureRestApi`` and their combinations; return tiers and consumers as tuples.

    ``options`` maps the option-object arguments (``access``, ``cors``, ``auth``, ...) to their values.
    """
    check_stage_name(stage_name)
    check_option_types(options, _OPTION_TYPES)
    tiers, consumer_list = tiers_and_consumers(usage_tiers, consumers)
    check_retention_and_description(log_retention, description)
    if not isinstance(create_cloudwatch_role, bool):
        raise SecureApiConfigError("create_cloudwatch_role", create_cloudwatch_role, "True or False")
    check_tiers_and_consumers(tiers, consumer_list)
    access: AccessPolicy | None = options.get("access")
    domain: CustomDomain | None = options.get("domain")
    if domain is not None and access is not None and access.private_endpoint:
        raise SecureApiConfigError(
            "domain",
            domain.domain_name,
            "None for a PRIVATE API (a REGIONAL custom domain cannot front AccessPolicy.private)",
        )
    auth: BearerAuth | None = options.get("auth")
    firewall: Firewall | None = options.get("firewall")
    check_key_rotation(options.get("key_rotation"), tiers)
    if auth is not None and auth.api_key_claim and not tiers:
        raise SecureApiConfigError(
            "BearerAuth.api_key_claim",
            auth.api_key_claim,
            "None without usage_tiers: the authorizer would find no consumer key and deny every request "
            "(declare usage_tiers and consumers, or drop api_key_claim)",
        )
    if (
        firewall is not None
        and firewall.rate_limit_per_api_key is not None
        and auth is not None
        and auth.api_key_claim
    ):
        raise SecureApiConfigError(
            "Firewall.rate_limit_per_api_key",
            firewall.rate_limit_per_api_key,
            "None when BearerAuth.api_key_claim takes the API key from the authorizer (clients send no "
            "x-api-key header, so the rule would count nothing): meter keys with the usage tiers' "
            "throttle and quota, and callers with Firewall.rate_limit_per_ip",
        )
    monitoring: Monitoring | None = options.get("monitoring")
    if monitoring is not None:
        check_monitored_consumers(monitoring, consumer_list)
    return tiers, consumer_list
