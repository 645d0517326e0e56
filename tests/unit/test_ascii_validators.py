"""Issue 27 item 7: every validator matches the WHOLE value, in ASCII only.

``re.match`` with ``$`` accepted a trailing newline, and ``\\d``/``\\w``/``\\S`` accepted digits and letters
of any script (Arabic-Indic ``١٢٣`` among them). Each validator below refuses a valid value with a
trailing ``"\\n"`` and a variant with non-ASCII digits, and still accepts the valid value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from secure_api import grammar
from secure_api.audit import AuditTrail
from secure_api.domain import CustomDomain
from secure_api.errors import SecureApiConfigError, require_accounts, require_vpc_ids, require_vpce_ids
from secure_api.keys.errors import KeyOpsError
from secure_api.keys.model import validate_consumer, validate_tier
from secure_api.monitoring.options import Monitoring
from secure_api.rest.cors import CorsPolicy
from secure_api.rest.firewall import Firewall
from secure_api.rest.managed_rules import ManagedRuleGroup
from secure_api.rest.openapi.parameters import required_parameters
from secure_api.rest.routes import RouteKey
from secure_api.usage_plans import Consumer, UsageTier
from secure_api.verify.public import parse_public
from secure_api.websocket.option_checks import _check_route_selection

ARABIC = "\u0661\u0662\u0663"  # ١٢٣
CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/01234567-89ab-cdef-0123-456789abcdef"
ACL = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/edge/01234567-89ab-cdef-0123-456789abcdef"
RULES = "AWSManagedRulesSQLiRuleSet"


def _arabic_digits(text: str) -> str:
    return text.translate(
        str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669")
    )


# (validator, a valid value, the same with non-ASCII digits)
CASES: dict[str, tuple[Callable[[str], Any], str, str]] = {
    "Firewall.web_acl_arn": (Firewall.existing, ACL, _arabic_digits(ACL)),
    "required_parameters": (
        lambda v: required_parameters([f"querystring.{v}"], RouteKey.parse("GET", "/x"), field="f"),
        "limit2",
        "limit" + ARABIC,
    ),
    "RouteKey.path": (lambda v: RouteKey.parse("GET", v), "/orders/v1", "/orders/v" + ARABIC),
    "CorsPolicy.allow_origins": (
        lambda v: CorsPolicy([v]),
        "https://app.example.com:8443",
        "https://app.example.com:" + _arabic_digits("8443"),
    ),
    "CorsPolicy.allow_headers": (
        lambda v: CorsPolicy(["https://app.example.com"], allow_headers=[v]),
        "X-Tenant-2",
        "X-Tenant-" + ARABIC,
    ),
    "ManagedRuleGroup.name": (lambda v: ManagedRuleGroup(name=v), RULES + "2", RULES + ARABIC),
    "ManagedRuleGroup.excluded_rules": (
        lambda v: ManagedRuleGroup(name=RULES, excluded_rules=[v]),
        "SizeRestrictions_BODY2",
        "SizeRestrictions_BODY" + ARABIC,
    ),
    "ManagedRuleGroup.version": (
        lambda v: ManagedRuleGroup(name=RULES, version=v),
        "Version_1.10",
        _arabic_digits("Version_1.10"),
    ),
    "require_accounts": (
        lambda v: require_accounts("f", [v]),
        "123456789012",
        _arabic_digits("123456789012"),
    ),
    "require_vpc_ids": (lambda v: require_vpc_ids("f", [v]), "vpc-0123abcd", _arabic_digits("vpc-0123abcd")),
    "require_vpce_ids": (
        lambda v: require_vpce_ids("f", [v]),
        "vpce-0123abcd",
        _arabic_digits("vpce-0123abcd"),
    ),
    "Monitoring.alarm_email": (
        lambda v: Monitoring(alarm_email=v),
        "ops2@example.com",
        f"ops{ARABIC}@example.com",
    ),
    "Monitoring.quarantine_exempt": (
        lambda v: Monitoring(quarantine_exempt=[v]),
        "payments2",
        "payments" + ARABIC,
    ),
    "Monitoring.active_hours": (
        lambda v: Monitoring(active_hours={v: (8, 18)}),
        "payments2",
        "payments" + ARABIC,
    ),
    "CustomDomain.domain_name": (
        lambda v: CustomDomain(domain_name=v, certificate_arn=CERT),
        "api2.example.com",
        f"api{ARABIC}.example.com",
    ),
    "CustomDomain.certificate_arn": (
        lambda v: CustomDomain(domain_name="api.example.com", certificate_arn=v),
        CERT,
        _arabic_digits(CERT),
    ),
    "CustomDomain.hosted_zone_id": (
        lambda v: CustomDomain(
            domain_name="api.example.com", hosted_zone_id=v, hosted_zone_name="example.com"
        ),
        "Z0123456789ABC",
        "Z" + ARABIC,
    ),
    "CustomDomain.base_path": (
        lambda v: CustomDomain(domain_name="api.example.com", certificate_arn=CERT, base_path=v),
        "v1",
        "v" + ARABIC,
    ),
    "CustomDomain.mtls_truststore_uri": (
        lambda v: CustomDomain(domain_name="api.example.com", certificate_arn=CERT, mtls_truststore_uri=v),
        "s3://trust-bucket/truststore2.pem",
        f"s3://trust-bucket/truststore{ARABIC}.pem",
    ),
    "UsageTier.name": (UsageTier, "gold2", "gold" + ARABIC),
    "Consumer.name": (lambda v: Consumer(v, tier="gold"), "mobile-app2", "mobile-app" + ARABIC),
    "route_selection_expression": (
        _check_route_selection,
        "$request.body.action2",
        "$request.body.action" + ARABIC,
    ),
    "AuditTrail.log_group_name": (
        lambda v: AuditTrail.existing(log_group_name=v),
        "/aws/cloudtrail/org2",
        "/aws/cloudtrail/org" + ARABIC,
    ),
    "verify --public": (lambda v: parse_public([v]), "GET /health2", "GET /health" + ARABIC),
    "keys consumer": (validate_consumer, "mobile-app2", "mobile-app" + ARABIC),
    "keys tier": (validate_tier, "gold2", "gold" + ARABIC),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_valid_value_is_accepted(name: str) -> None:
    validator, valid, _ = CASES[name]
    validator(valid)


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("variant", ["trailing_newline", "non_ascii_digits"])
def test_fails_trailing_newline_and_non_ascii_digits(name: str, variant: str) -> None:
    validator, valid, digits = CASES[name]
    value = valid + "\n" if variant == "trailing_newline" else digits
    with pytest.raises((SecureApiConfigError, KeyOpsError)):
        validator(value)


GRAMMAR: dict[str, tuple[Callable[[object], str | None], str, str | None]] = {
    "scope": (grammar.scope_problem, "orders:read2", "orders:read" + ARABIC),
    "claim_name": (grammar.claim_name_problem, "consumer2", "consumer" + ARABIC),
    "route_key": (grammar.route_key_problem, "GET /orders/v2", "GET /orders/v" + ARABIC),
    "origin": (grammar.origin_problem, "https://app.example.com:8443", "https://app.example.com:" + ARABIC),
    "query_parameter": (grammar.query_parameter_problem, "token2", "token" + ARABIC),
    "url": (
        grammar.url_problem,
        "https://issuer.example.com/jwks2",
        "https://issuer.example.com/jwks" + ARABIC,
    ),
    "issuer": (grammar.issuer_problem, "https://issuer.example.com/", None),  # any script: compared exactly
}


@pytest.mark.parametrize("name", sorted(GRAMMAR))
def test_grammar_refuses_trailing_newline_and_non_ascii_digits(name: str) -> None:
    problem, valid, digits = GRAMMAR[name]
    assert problem(valid) is None
    assert problem(valid + "\n") is not None
    if digits is not None:
        assert problem(digits) is not None
