"""``Firewall``: the REGIONAL AWS WAF WebACL in front of the stage, and ``apply_firewall``.

Rule priorities are fixed slots, so adding an IP list never renumbers the other rules:

====================  =============================================================
priority              rule
====================  =============================================================
0, 1                  ``BlockIpv4`` / ``BlockIpv6`` (block lists)
2                     ``BlockCountries`` or ``AllowCountriesOnly`` (geo match)
10, 11                ``AllowIpv4`` / ``AllowIpv6`` (trusted sources, skip the rules below)
20                    ``RateLimitPerIp``
21                    ``RateLimitPerApiKey`` (optional)
100, 101, ...         the managed rule groups, in the order of ``Firewall.rule_groups``
====================  =============================================================
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aws_cdk import ArnFormat, Aws, Fn, Names, Stack
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

from secure_api import defaults
from secure_api.encryption import encrypted_log_group
from secure_api.errors import SecureApiConfigError, is_token, require_cidrs, require_int
from secure_api.rest.managed_rules import ManagedRuleGroup, managed_rule_group_rules, visibility, waf_rule

# ISO 3166-1 alpha-2 codes (the set AWS WAF's geo match accepts).
_COUNTRY_CODES = """
    AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT
    BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH
    ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT
    HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS
    LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI
    NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG
    SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG
    UM US UY UZ VA VC VE VG VI VN VU WF WS XK YE YT ZA ZM ZW
"""
_COUNTRIES = frozenset(_COUNTRY_CODES.split())
_WEB_ACL_ARN = re.compile(
    r"arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/[A-Za-z0-9_-]{1,128}/[0-9a-f-]{36}"
)

_PRIORITY_BLOCK_IPV4 = 0
_PRIORITY_BLOCK_IPV6 = 1
_PRIORITY_COUNTRIES = 2
_PRIORITY_ALLOW_IPV4 = 10
_PRIORITY_ALLOW_IPV6 = 11
_PRIORITY_RATE_IP = 20
_PRIORITY_RATE_API_KEY = 21


@dataclass(frozen=True, kw_only=True)
class Firewall:
    """The REGIONAL AWS WAF WebACL associated with the API's stage.

    Defaults: the AWS managed rule groups Common, KnownBadInputs and AmazonIpReputationList
    (``rule_groups``); ``sql_injection``, ``anonymous_ip`` and ``bot_control`` (paid) add
    AWSManagedRulesSQLiRuleSet, AWSManagedRulesAnonymousIpList and AWSManagedRulesBotControlRuleSet.
    A rate-based rule blocks a client IP above ``rate_limit_per_ip`` requests (default 2000) per
    ``evaluation_window_sec`` (default 300; 60, 120, 300 or 600); ``rate_limit_per_api_key`` adds a
    rate-based rule on the ``x-api-key`` header, so one leaked key cannot flood the API from many IPs.

    ``block_ip_ranges`` are blocked before anything else; ``allow_ip_ranges`` are trusted sources
    (your synthetic monitors, a partner's egress) that skip the rate and managed rules, not a
    restriction: to admit only some networks use ``AccessPolicy.allow_ip_ranges`` or
    ``allow_countries``. ``allow_countries`` blocks every request from other countries;
    ``block_countries`` blocks those countries (ISO 3166-1 alpha-2 codes; at most one of the two).

    Requests are logged to the log group ``aws-waf-logs-...`` (KMS, the API's log retention) with
    the ``authorization`` and ``x-api-key`` headers redacted, and the web ACL's data protection
    replaces those headers by ``REDACTED`` in logs, sampled requests and rate-based rule details;
    every rule publishes CloudWatch metrics and sampled requests.

    ``Firewall.existing(web_acl_arn)`` associates a REGIONAL WebACL you manage elsewhere instead.
    """

    rule_groups: Sequence[ManagedRuleGroup | str] = defaults.WAF_DEFAULT_RULE_GROUPS
    sql_injection: bool = False
    anonymous_ip: bool = False
    bot_control: bool = False
    rate_limit_per_ip: int = defaults.WAF_RATE_LIMIT_PER_IP
    rate_limit_per_api_key: int | None = None
    evaluation_window_sec: int = defaults.WAF_EVALUATION_WINDOW_SEC
    allow_ip_ranges: Sequence[str] = ()
    block_ip_ranges: Sequence[str] = ()
    allow_countries: Sequence[str] = ()
    block_countries: Sequence[str] = ()
    web_acl_arn: str | None = None
    managed_rule_groups: tuple[ManagedRuleGroup, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        for flag in ("sql_injection", "anonymous_ip", "bot_control"):
            if not isinstance(getattr(self, flag), bool):
                raise SecureApiConfigError(f"Firewall.{flag}", getattr(self, flag), "True or False")
        require_int(
            "Firewall.rate_limit_per_ip",
            self.rate_limit_per_ip,
            minimum=defaults.WAF_MIN_RATE_LIMIT,
            maximum=defaults.WAF_MAX_RATE_LIMIT,
        )
        if self.rate_limit_per_api_key is not None:
            require_int(
                "Firewall.rate_limit_per_api_key",
                self.rate_limit_per_api_key,
                minimum=defaults.WAF_MIN_RATE_LIMIT,
                maximum=defaults.WAF_MAX_RATE_LIMIT,
            )
        if self.evaluation_window_sec not in defaults.WAF_EVALUATION_WINDOWS_SEC or isinstance(
            self.evaluation_window_sec, bool
        ):
            raise SecureApiConfigError(
                "Firewall.evaluation_window_sec",
                self.evaluation_window_sec,
                f"one of {', '.join(map(str, defaults.WAF_EVALUATION_WINDOWS_SEC))} (seconds)",
            )
        set_(self, "allow_ip_ranges", _ip_ranges("Firewall.allow_ip_ranges", self.allow_ip_ranges))
        set_(self, "block_ip_ranges", _ip_ranges("Firewall.block_ip_ranges", self.block_ip_ranges))
        both = set(self.allow_ip_ranges) & set(self.block_ip_ranges)
        if both:
            raise SecureApiConfigError(
                "Firewall.block_ip_ranges", sorted(both), "no range that is also in allow_ip_ranges"
            )
        set_(self, "allow_countries", _countries("Firewall.allow_countries", self.allow_countries))
        set_(self, "block_countries", _countries("Firewall.block_countries", self.block_countries))
        if self.allow_countries and self.block_countries:
            raise SecureApiConfigError(
                "Firewall.block_countries",
                list(self.block_countries),
                "empty when allow_countries is set (every other country is blocked already)",
            )
        set_(self, "managed_rule_groups", self._managed_rule_groups())
        if self.web_acl_arn is not None:
            _check_web_acl_arn(self.web_acl_arn)
            self._check_nothing_else_with_existing()

    def _check_nothing_else_with_existing(self) -> None:
        """With ``web_acl_arn`` no WebACL is created, so every rule option would silently do nothing."""
        defaults_ = {
            "sql_injection": False,
            "anonymous_ip": False,
            "bot_control": False,
            "rate_limit_per_ip": defaults.WAF_RATE_LIMIT_PER_IP,
            "rate_limit_per_api_key": None,
            "evaluation_window_sec": defaults.WAF_EVALUATION_WINDOW_SEC,
            "allow_ip_ranges": (),
            "block_ip_ranges": (),
            "allow_countries": (),
            "block_countries": (),
        }
        for name, default in defaults_.items():
            if getattr(self, name) != default:
                raise SecureApiConfigError(
                    f"Firewall.{name}",
                    getattr(self, name),
                    f"the default ({default!r}) with web_acl_arn: the WebACL is managed elsewhere, "
                    "so configure its rules there (Firewall.existing(web_acl_arn))",
                )
        if tuple(self.rule_groups) not in ((), tuple(defaults.WAF_DEFAULT_RULE_GROUPS)):
            raise SecureApiConfigError(
                "Firewall.rule_groups",
                list(self.rule_groups),
                "empty with web_acl_arn: the WebACL is managed elsewhere (Firewall.existing(web_acl_arn))",
            )

    def _managed_rule_groups(self) -> tuple[ManagedRuleGroup, ...]:
        if isinstance(self.rule_groups, str):
            raise SecureApiConfigError(
                "Firewall.rule_groups", self.rule_groups, "a list of rule group names or ManagedRuleGroup"
            )
        groups: list[ManagedRuleGroup] = []
        for i, item in enumerate(self.rule_groups):
            group = item
            if isinstance(item, str):
                try:
                    group = ManagedRuleGroup(name=item)
                except SecureApiConfigError:
                    raise SecureApiConfigError(
                        f"Firewall.rule_groups[{i}]",
                        item,
                        "a managed rule group name such as 'AWSManagedRulesCommonRuleSet'",
                    ) from None
            if not isinstance(group, ManagedRuleGroup):
                raise SecureApiConfigError(
                    f"Firewall.rule_groups[{i}]", group, "a rule group name or a ManagedRuleGroup"
                )
            groups.append(group)
        for flag, name in (
            ("sql_injection", defaults.WAF_SQLI_RULE_GROUP),
            ("anonymous_ip", defaults.WAF_ANONYMOUS_IP_RULE_GROUP),
            ("bot_control", defaults.WAF_BOT_CONTROL_RULE_GROUP),
        ):
            if getattr(self, flag):
                if any(g.vendor == "AWS" and g.name == name for g in groups):
                    raise SecureApiConfigError(
                        f"Firewall.{flag}", True, f"False when rule_groups already holds {name}"
                    )
                groups.append(ManagedRuleGroup(name=name))
        seen: set[str] = set()
        for group in groups:
            if group.rule_name in seen:
                raise SecureApiConfigError(
                    "Firewall.rule_groups",
                    [g.name for g in groups],
                    f"distinct rule groups ({group.name!r} appears twice)",
                )
            seen.add(group.rule_name)
        return tuple(groups)

    @classmethod
    def existing(cls, web_acl_arn: str) -> Firewall:
        """Associate the REGIONAL WebACL ``web_acl_arn`` (managed elsewhere) instead of creating one."""
        _check_web_acl_arn(web_acl_arn)
        return cls(rule_groups=(), web_acl_arn=web_acl_arn)

    @property
    def ip_addresses(self) -> dict[str, tuple[str, ...]]:
        """The IP sets to create, by construct id (only the non-empty ones)."""
        sets = {
            "BlockIpv4": tuple(r for r in self.block_ip_ranges if ":" not in r),
            "BlockIpv6": tuple(r for r in self.block_ip_ranges if ":" in r),
            "AllowIpv4": tuple(r for r in self.allow_ip_ranges if ":" not in r),
            "AllowIpv6": tuple(r for r in self.allow_ip_ranges if ":" in r),
        }
        return {k: v for k, v in sets.items() if v}


def _check_web_acl_arn(arn: Any) -> None:
    if is_token(arn):
        return
    if not isinstance(arn, str) or not _WEB_ACL_ARN.fullmatch(arn):
        raise SecureApiConfigError(
            "Firewall.web_acl_arn",
            arn,
            "a REGIONAL WebACL ARN 'arn:<partition>:wafv2:<region>:<account>:regional/webacl/<name>/<id>'",
        )


def _ip_ranges(field_: str, values: Sequence[str]) -> tuple[str, ...]:
    ranges = require_cidrs(field_, values)
    for i, cidr in enumerate(ranges):
        if not is_token(cidr) and cidr.endswith("/0"):
            raise SecureApiConfigError(
                f"{field_}[{i}]", cidr, "a range with a prefix length of at least 1 (WAF IP sets refuse /0)"
            )
    for family in (":", "."):
        count = sum(1 for r in ranges if family in r)
        if count > defaults.WAF_MAX_IP_SET_ADDRESSES:
            raise SecureApiConfigError(
                field_, f"{count} ranges", f"at most {defaults.WAF_MAX_IP_SET_ADDRESSES} per IP version"
            )
    return ranges


def _countries(field_: str, values: Sequence[str]) -> tuple[str, ...]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise SecureApiConfigError(field_, values, "a list of ISO 3166-1 alpha-2 country codes such as 'DE'")
    codes = tuple(values)
    for i, code in enumerate(codes):
        if code not in _COUNTRIES:
            raise SecureApiConfigError(
                f"{field_}[{i}]", code, "an upper-case ISO 3166-1 alpha-2 country code such as 'DE' or 'US'"
            )
    if len(set(codes)) != len(codes):
        raise SecureApiConfigError(field_, list(codes), "distinct country codes")
    return codes


def _rate_rule(
    name: str, priority: int, limit: int, window: int, *, header: str | None = None
) -> wafv2.CfnWebACL.RuleProperty:
    custom_keys = None
    if header is not None:
        custom_keys = [
            wafv2.CfnWebACL.RateBasedStatementCustomKeyProperty(
                header=wafv2.CfnWebACL.RateLimitHeaderProperty(
                    name=header,
                    text_transformations=[
                        wafv2.CfnWebACL.TextTransformationProperty(priority=0, type="NONE")
                    ],
                )
            )
        ]
    statement = wafv2.CfnWebACL.StatementProperty(
        rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
            aggregate_key_type="CUSTOM_KEYS" if header else "IP",
            custom_keys=custom_keys,
            limit=limit,
            evaluation_window_sec=window,
        )
    )
    return waf_rule(name, priority, statement, action="block")


def apply_firewall(
    scope: Construct,
    firewall: Firewall,
    *,
    stage: apigw.Stage,
    key: kms.IKey,
    retention: logs.RetentionDays,
) -> wafv2.CfnWebACL | None:
    """Create (under ``scope``) the WebACL ``WebAcl``, its IP sets and logging, and associate it with
    ``stage`` (``WebAclAssociation``). For ``Firewall.existing(...)`` only the association is made and
    None is returned."""
    if firewall.web_acl_arn is not None:
        _associate(scope, stage, firewall.web_acl_arn)
        return None

    rules: list[wafv2.CfnWebACL.RuleProperty] = []
    priorities = {
        "BlockIpv4": _PRIORITY_BLOCK_IPV4,
        "BlockIpv6": _PRIORITY_BLOCK_IPV6,
        "AllowIpv4": _PRIORITY_ALLOW_IPV4,
        "AllowIpv6": _PRIORITY_ALLOW_IPV6,
    }
    for id_, addresses in firewall.ip_addresses.items():
        ip_set = wafv2.CfnIPSet(
            scope,
            f"{id_}Set",
            scope="REGIONAL",
            ip_address_version="IPV6" if id_.endswith("6") else "IPV4",
            addresses=list(addresses),
            description=_description(scope, id_),
        )
        statement = wafv2.CfnWebACL.StatementProperty(
            ip_set_reference_statement=wafv2.CfnWebACL.IPSetReferenceStatementProperty(arn=ip_set.attr_arn)
        )
        rules.append(
            waf_rule(id_, priorities[id_], statement, action="allow" if id_.startswith("Allow") else "block")
        )
    if firewall.allow_countries or firewall.block_countries:
        geo = wafv2.CfnWebACL.StatementProperty(
            geo_match_statement=wafv2.CfnWebACL.GeoMatchStatementProperty(
                country_codes=list(firewall.allow_countries or firewall.block_countries)
            )
        )
        if firewall.allow_countries:
            not_allowed = wafv2.CfnWebACL.StatementProperty(
                not_statement=wafv2.CfnWebACL.NotStatementProperty(statement=geo)
            )
            rules.append(waf_rule("AllowCountriesOnly", _PRIORITY_COUNTRIES, not_allowed, action="block"))
        else:
            rules.append(waf_rule("BlockCountries", _PRIORITY_COUNTRIES, geo, action="block"))
    window = firewall.evaluation_window_sec
    rules.append(_rate_rule("RateLimitPerIp", _PRIORITY_RATE_IP, firewall.rate_limit_per_ip, window))
    if firewall.rate_limit_per_api_key is not None:
        rules.append(
            _rate_rule(
                "RateLimitPerApiKey",
                _PRIORITY_RATE_API_KEY,
                firewall.rate_limit_per_api_key,
                window,
                header=defaults.WAF_API_KEY_HEADER,
            )
        )
    rules.extend(managed_rule_group_rules(firewall.managed_rule_groups))
    rules.sort(key=lambda r: r.priority)

    name = web_acl_name(scope)
    web_acl = wafv2.CfnWebACL(
        scope,
        "WebAcl",
        name=name,
        scope="REGIONAL",
        description=_description(scope, "WebACL"),
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=visibility(name),
        rules=rules,
        data_protection_config=_data_protection(),
    )
    _associate(scope, stage, web_acl.attr_arn)

    log_group = encrypted_log_group(
        scope, "WafLogs", key=key, retention=retention, log_group_name=waf_log_group_name(scope)
    )
    wafv2.CfnLoggingConfiguration(
        scope,
        "WebAclLogging",
        resource_arn=web_acl.attr_arn,
        # WAF wants the log group's ARN without the ":*" suffix that LogGroup.log_group_arn carries.
        log_destination_configs=[
            Stack.of(scope).format_arn(
                service="logs",
                resource="log-group",
                resource_name=log_group.log_group_name,
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
        ],
        redacted_fields=[
            wafv2.CfnLoggingConfiguration.FieldToMatchProperty(single_header={"Name": header})
            for header in defaults.WAF_REDACTED_HEADERS
        ],
    )
    return web_acl


def _data_protection() -> wafv2.CfnWebACL.DataProtectionConfigProperty:
    """The token and key headers replaced by ``REDACTED`` wherever WAF stores request data.

    The logging configuration's redaction leaves the rate-based rule details of a log record alone:
    the rule that counts per ``x-api-key`` would otherwise write the key's value there. Substitution,
    not a hash: a hash would let anyone who reads the logs confirm a leaked or guessed value, and the
    access logs' ``apiKeyId`` already tells which key a request used.
    """
    return wafv2.CfnWebACL.DataProtectionConfigProperty(
        data_protections=[
            wafv2.CfnWebACL.DataProtectProperty(
                action="SUBSTITUTION",
                field=wafv2.CfnWebACL.FieldToProtectProperty(
                    field_type="SINGLE_HEADER", field_keys=list(defaults.WAF_REDACTED_HEADERS)
                ),
                exclude_rate_based_details=False,
                exclude_rule_match_details=False,
            )
        ]
    )


def web_acl_name(scope: Construct) -> str:
    """The WebACL's name (also its CloudWatch metric name, dimension ``WebACL``)."""
    return Names.unique_id(scope)[-128:]


def waf_log_group_name(scope: Construct) -> str:
    """``aws-waf-logs-<unique id of scope>-<last part of the stack's UUID>``: the log group is retained
    when the stack is deleted, so the stack's UUID keeps a re-created stack from colliding with it."""
    stack_uuid = Fn.select(4, Fn.split("-", Fn.select(2, Fn.split("/", Aws.STACK_ID))))
    return f"{defaults.WAF_LOG_GROUP_PREFIX}{Names.unique_id(scope)[-200:]}-{stack_uuid}"


def _description(scope: Construct, what: str) -> str:
    # WAF descriptions allow letters, digits, spaces and =:#@/-,. only.
    return re.sub(r"[^A-Za-z0-9=:#@/\-,. ]", "-", f"secure-api {scope.node.path} {what}")[:256]


def _associate(scope: Construct, stage: apigw.Stage, web_acl_arn: str) -> None:
    wafv2.CfnWebACLAssociation(
        scope, "WebAclAssociation", resource_arn=stage.stage_arn, web_acl_arn=web_acl_arn
    )
    # The stage must exist before WAF can attach to it: ``stage_arn`` references the stage (a Ref),
    # which orders them; an explicit DependsOn on top would be redundant (cfn-lint W3005).
