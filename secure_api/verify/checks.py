"""The AWS-side checks of ``secure-api verify`` for a REST API, one pure function per check over
:class:`ApiFacts`, and the judgements every kind shares (one ``*_result`` function each: the domain's
TLS policy, throttling, access and execution logs, who may call a route, API keys, the audit trail),
which :mod:`secure_api.verify.v2_checks` applies to WebSocket and HTTP APIs. The domain's mutual TLS
and certificate are judged for REST APIs only.

A check that cannot run is ``skip`` (never ``pass``); one whose AWS call was denied is ``warn`` with
the missing permission in its detail.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from secure_api.verify import model as m
from secure_api.verify.facts import (
    AccountThrottle,
    ApiFacts,
    Certificate,
    DomainMapping,
    Method,
    RequestValidator,
    Trail,
    Unavailable,
)
from secure_api.verify.public import OPTIONS, PublicRoute, exempt, unmatched
from secure_api.verify.secret_values import secret_reason

DEFAULT_METHOD_SETTINGS = "*/*"
AWS_DEFAULT_REST_API_POLICY = "TLS_1_0"
"""The security policy AWS gives a REST API's execute-api endpoint when none is set."""
CERTIFICATE_WARNING_DAYS = 30
"""``domain.certificate`` warns when a domain's certificate expires within this many days."""
_ENHANCED_POLICY_RE = re.compile(r"^SecurityPolicy_TLS1(?P<max>[0-9])(?:_1_(?P<min>[0-9]))?")
_LISTED = 10


def unavailable(check_id: str, fact: Unavailable) -> m.CheckResult:
    """``warn`` when the call was denied, else ``skip``: the check could not look."""
    return m.CheckResult(check_id, m.WARN if fact.denied else m.SKIP, fact.describe())


def _listing(items: Sequence[str]) -> str:
    shown = ", ".join(items[:_LISTED])
    return shown + (f" and {len(items) - _LISTED} more" if len(items) > _LISTED else "")


def parse_policy(policy: str) -> dict[str, Any] | None:
    """The resource policy document of ``GetRestApi`` (which escapes its quotes), or None."""
    for text in (policy, policy.replace('\\"', '"')):
        try:
            document = json.loads(text)
        except ValueError:
            continue
        if isinstance(document, dict):
            return document
    return None


def check_resource_policy(facts: ApiFacts) -> m.CheckResult:
    """``policy.resource_policy``: fails when the API has no resource policy."""
    cid = m.POLICY_RESOURCE_POLICY
    if isinstance(facts.rest_api, Unavailable):
        return unavailable(cid, facts.rest_api)
    policy = facts.rest_api.get("policy")
    if not policy:
        return m.CheckResult(
            cid, m.FAIL, "the API has no resource policy: anyone on the internet can call it"
        )
    document = parse_policy(str(policy))
    if document is None:
        return m.CheckResult(cid, m.PASS, "resource policy set (not parseable as JSON)")
    statements = document.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    effects = [str(s.get("Effect")) for s in statements if isinstance(s, dict)]
    return m.CheckResult(
        cid,
        m.PASS,
        f"resource policy with {len(effects)} statement(s): "
        f"{effects.count('Allow')} Allow, {effects.count('Deny')} Deny",
    )


def _domain_names(domains: Sequence[DomainMapping]) -> str:
    return _listing([d.domain_name for d in domains])


def execute_api_disabled_result(
    domains: Sequence[DomainMapping] | Unavailable, stage: str, api: Mapping[str, Any] | Unavailable, key: str
) -> m.CheckResult:
    """``endpoint.execute_api_disabled`` over a domain list and the API's description, whose ``key``
    (``disableExecuteApiEndpoint`` or v2's ``DisableExecuteApiEndpoint``) says whether it is off."""
    cid = m.ENDPOINT_EXECUTE_API_DISABLED
    if isinstance(domains, Unavailable):
        return unavailable(cid, domains)
    if not domains:
        return m.CheckResult(cid, m.SKIP, f"no custom domain maps stage {stage}")
    if isinstance(api, Unavailable):
        return unavailable(cid, api)
    names = _domain_names(domains)
    if api.get(key):
        return m.CheckResult(cid, m.PASS, f"default execute-api endpoint disabled; served through {names}")
    return m.CheckResult(
        cid,
        m.FAIL,
        f"default execute-api endpoint enabled although {names} maps stage {stage}: callers can "
        "bypass the domain's TLS policy",
    )


def check_execute_api_disabled(facts: ApiFacts) -> m.CheckResult:
    """``endpoint.execute_api_disabled``: fails when a domain maps the stage and execute-api is enabled."""
    return execute_api_disabled_result(
        facts.domains, facts.stage, facts.rest_api, "disableExecuteApiEndpoint"
    )


RECOMMENDED_SECURITY_POLICIES = (
    "SecurityPolicy_TLS13_1_3_2025_09",
    "SecurityPolicy_TLS13_1_3_FIPS_2025_09",
    "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09",
    "SecurityPolicy_TLS13_2025_EDGE",
    "SecurityPolicy_TLS12_PFS_2025_EDGE",
)
"""The custom domain security policies AWS Security Hub control APIGateway.11 accepts; it flags any other."""


def minimum_tls(policy: str | None) -> str | None:
    """The oldest TLS version a domain security policy allows (``"1.2"``), or None when unknown."""
    if policy in {"TLS_1_0", "TLS_1_1", "TLS_1_2"}:
        return policy[4:].replace("_", ".")
    match = _ENHANCED_POLICY_RE.match(policy or "")
    if match:
        return f"1.{match['min'] or match['max']}"
    return None


def domain_tls_result(
    domains: Sequence[DomainMapping] | Unavailable, stage: str, *, only_policy: str | None = None
) -> m.CheckResult:
    """``domain.tls_policy`` over the domains mapping ``stage``. ``only_policy`` is the one policy AWS
    offers this kind of domain (``TLS_1_2`` for WebSocket APIs): Security Hub's APIGateway.11 flags it,
    but no other can be chosen, so it passes with that said."""
    cid = m.DOMAIN_TLS_POLICY
    if isinstance(domains, Unavailable):
        return unavailable(cid, domains)
    if not domains:
        return m.CheckResult(cid, m.SKIP, f"no custom domain maps stage {stage}")
    weak, unknown, flagged, good = [], [], [], []
    for domain in domains:
        described = f"{domain.domain_name} ({domain.security_policy or 'no policy'})"
        oldest = minimum_tls(domain.security_policy)
        if oldest is None:
            unknown.append(described)
        elif oldest < "1.2":
            weak.append(described)
        elif (
            domain.security_policy not in RECOMMENDED_SECURITY_POLICIES
            and domain.security_policy != only_policy
        ):
            flagged.append(described)
        else:
            good.append(described)
    if weak:
        return m.CheckResult(cid, m.FAIL, f"TLS older than 1.2 allowed by {_listing(weak)}")
    if unknown:
        return m.CheckResult(cid, m.WARN, f"unknown security policy on {_listing(unknown)}")
    if flagged:
        return m.CheckResult(
            cid,
            m.WARN,
            f"TLS 1.2 or newer only, but Security Hub control APIGateway.11 flags the policy of "
            f"{_listing(flagged)}; it accepts {_listing(RECOMMENDED_SECURITY_POLICIES)}",
        )
    note = f" ({only_policy} is the only policy API Gateway offers these domains)" if only_policy else ""
    return m.CheckResult(cid, m.PASS, f"TLS 1.2 or newer only: {_listing(good)}{note}")


def check_domain_tls_policy(facts: ApiFacts) -> m.CheckResult:
    """``domain.tls_policy``: names the policy of each domain mapping the stage; fails when one allows TLS
    older than 1.2, warns on one Security Hub's APIGateway.11 would flag (or one it cannot read)."""
    return domain_tls_result(facts.domains, facts.stage)


def endpoint_tls_result(rest_api: Mapping[str, Any] | Unavailable) -> m.CheckResult:
    """``endpoint.tls_policy`` over ``GetRestApi``'s answer: the REST API's own ``securityPolicy``
    (for its execute-api endpoint). Fails on ``TLS_1_0`` or none (AWS's default for a Regional REST
    API is ``TLS_1_0``), warns on one Security Hub's APIGateway.11 flags, passes on a recommended one
    or when the execute-api endpoint is disabled."""
    cid = m.ENDPOINT_TLS_POLICY
    if isinstance(rest_api, Unavailable):
        return unavailable(cid, rest_api)
    policy = rest_api.get("securityPolicy") or None
    mode = rest_api.get("endpointAccessMode") or None
    if rest_api.get("disableExecuteApiEndpoint"):
        return m.CheckResult(
            cid,
            m.PASS,
            f"endpoint disabled: the execute-api endpoint answers no request (its policy: {policy or 'none'})",
        )
    if policy is None:
        return m.CheckResult(
            cid,
            m.FAIL,
            "the execute-api endpoint has no security policy: AWS's default for a Regional REST API, "
            f"{AWS_DEFAULT_REST_API_POLICY}, accepts TLS 1.0 and 1.1 clients",
        )
    oldest = minimum_tls(policy)
    if oldest is not None and oldest < "1.2":
        return m.CheckResult(cid, m.FAIL, f"the execute-api endpoint's policy {policy} accepts TLS {oldest}")
    access = f", endpoint access mode {mode}" if mode else ", no endpoint access mode"
    if oldest is None:
        return m.CheckResult(
            cid, m.WARN, f"unknown security policy {policy} on the execute-api endpoint{access}"
        )
    if policy not in RECOMMENDED_SECURITY_POLICIES:
        return m.CheckResult(
            cid,
            m.WARN,
            f"the execute-api endpoint's policy {policy}{access} allows TLS {oldest} or newer, but Security "
            f"Hub control APIGateway.11 flags it; it accepts {_listing(RECOMMENDED_SECURITY_POLICIES)}",
        )
    return m.CheckResult(cid, m.PASS, f"the execute-api endpoint's policy {policy}{access}")


def check_endpoint_tls_policy(facts: ApiFacts) -> m.CheckResult:
    """``endpoint.tls_policy``: the REST API's own security policy, judged by :func:`endpoint_tls_result`."""
    return endpoint_tls_result(facts.rest_api)


def mtls_result(domains: Sequence[DomainMapping] | Unavailable, stage: str) -> m.CheckResult:
    """``domain.mtls``: passes when every domain mapping ``stage`` checks client certificates against
    a truststore (named with its version); ``warn`` when API Gateway reported truststore warnings or
    some domain has no mutual TLS; ``skip`` without a domain or without mutual TLS."""
    cid = m.DOMAIN_MTLS
    if isinstance(domains, Unavailable):
        return unavailable(cid, domains)
    if not domains:
        return m.CheckResult(cid, m.SKIP, f"no custom domain maps stage {stage}")
    with_mtls = [d for d in domains if d.mutual_tls and d.mutual_tls.get("truststoreUri")]
    without = [d.domain_name for d in domains if d not in with_mtls]
    if not with_mtls:
        return m.CheckResult(cid, m.SKIP, f"no mutual TLS on {_listing(without)}")
    described = []
    warned = []
    for domain in with_mtls:
        mtls = domain.mutual_tls or {}
        version = mtls.get("truststoreVersion")
        described.append(
            f"{domain.domain_name} (truststore {mtls['truststoreUri']}, "
            f"{f'version {version}' if version else 'no version pinned'})"
        )
        warnings = list(mtls.get("truststoreWarnings") or [])
        if warnings:
            warned.append(
                f"{domain.domain_name}: {len(warnings)} truststore warning(s), first: {warnings[0]}"
            )
    if without:
        return m.CheckResult(
            cid,
            m.WARN,
            f"no mutual TLS on {_listing(without)} although {_listing(described)} checks client certificates",
        )
    if warned:
        return m.CheckResult(cid, m.WARN, f"mutual TLS with truststore warnings: {'; '.join(warned)}")
    return m.CheckResult(cid, m.PASS, f"mutual TLS: {_listing(described)}")


def check_domain_mtls(facts: ApiFacts) -> m.CheckResult:
    """``domain.mtls``: the mutual TLS state of each domain mapping the stage (:func:`mtls_result`)."""
    return mtls_result(facts.domains, facts.stage)


def certificate_result(
    domains: Sequence[DomainMapping] | Unavailable,
    certificates: Mapping[str, Certificate | Unavailable] | None,
    stage: str,
    now: datetime,
) -> m.CheckResult:
    """``domain.certificate``: ``warn`` when a domain's ACM certificate is not ``ISSUED`` or expires
    within :data:`CERTIFICATE_WARNING_DAYS` days (or ACM's answer was denied); passes naming each
    certificate's expiry; ``skip`` without a domain."""
    cid = m.DOMAIN_CERTIFICATE
    if isinstance(domains, Unavailable):
        return unavailable(cid, domains)
    if not domains:
        return m.CheckResult(cid, m.SKIP, f"no custom domain maps stage {stage}")
    if certificates is None:
        return m.CheckResult(cid, m.SKIP, "the domains' certificates were not read (no ACM client)")
    problems: list[str] = []
    denied: list[str] = []
    unknown: list[str] = []
    good: list[str] = []
    for domain in domains:
        name = domain.domain_name
        fact = certificates.get(domain.certificate_arn or "")
        if domain.certificate_arn is None or fact is None:
            unknown.append(f"{name}: no ACM certificate named by the domain")
        elif isinstance(fact, Unavailable):
            (denied if fact.denied else unknown).append(f"{name}: {fact.describe()}")
        else:
            expiry = fact.not_after.astimezone(UTC) if fact.not_after else None
            shown = f"expires {expiry:%Y-%m-%d}" if expiry else "no expiry date"
            days = (expiry - now).days if expiry else None
            if fact.status != "ISSUED":
                problems.append(f"{name}: certificate {fact.status} ({shown})")
            elif days is not None and days < CERTIFICATE_WARNING_DAYS:
                problems.append(f"{name}: certificate ISSUED but {shown}, in {max(days, 0)} day(s)")
            else:
                good.append(
                    f"{name}: certificate ISSUED, {shown}" + (f" ({days} days)" if days is not None else "")
                )
    if problems or denied:
        return m.CheckResult(cid, m.WARN, "; ".join(problems + denied))
    if unknown:
        return m.CheckResult(cid, m.SKIP, "; ".join(unknown))
    return m.CheckResult(cid, m.PASS, "; ".join(good))


def check_domain_certificate(facts: ApiFacts) -> m.CheckResult:
    """``domain.certificate``: each domain's ACM certificate, judged by :func:`certificate_result`."""
    return certificate_result(facts.domains, facts.certificates, facts.stage, datetime.now(UTC))


def check_waf(facts: ApiFacts) -> m.CheckResult:
    """``waf.associated``: fails when no AWS WAF web ACL is associated with the stage."""
    cid = m.WAF_ASSOCIATED
    if isinstance(facts.web_acl, Unavailable):
        return unavailable(cid, facts.web_acl)
    if not facts.web_acl:
        return m.CheckResult(cid, m.FAIL, f"no AWS WAF web ACL is associated with stage {facts.stage}")
    name = facts.web_acl.get("Name") or "?"
    return m.CheckResult(cid, m.PASS, f"web ACL {name} ({facts.web_acl.get('ARN', '-')}) associated")


def _settings(stage: Mapping[str, Any]) -> Mapping[str, Any]:
    settings: Mapping[str, Any] = (stage.get("methodSettings") or {}).get(DEFAULT_METHOD_SETTINGS) or {}
    return settings


def _account_note(account: AccountThrottle | Unavailable | None) -> str:
    if isinstance(account, Unavailable):
        return f"; the account limits could not be read ({account.describe()})"
    if account is None or account.rate_limit is None or account.burst_limit is None:
        return "; the account limits could not be read (GetAccount gave none)"
    return ""


def throttle_result(
    stage: str, rate: float | None, burst: float | None, account: AccountThrottle | Unavailable | None
) -> m.CheckResult:
    """``stage.throttling`` over the stage's default limits: fails when none are set or they are -1;
    ``warn`` when they equal the account's own limits (``GetAccount``), which API Gateway shows when
    nobody chose a limit."""
    cid = m.STAGE_THROTTLING
    if rate is None or burst is None:
        return m.CheckResult(
            cid,
            m.FAIL,
            f"stage {stage} sets no default throttling of its own (only the account's limit applies)",
        )
    if rate < 0 or burst < 0:
        return m.CheckResult(
            cid, m.FAIL, f"stage {stage} default throttling disabled (rate {rate:g}, burst {burst:g})"
        )
    figures = f"rate {rate:g}/s, burst {burst:g}"
    if isinstance(account, AccountThrottle) and (account.rate_limit, account.burst_limit) == (rate, burst):
        return m.CheckResult(
            cid,
            m.WARN,
            f"stage {stage} default throttling ({figures}) equals the account's own limits "
            f"(GetAccount: rate {account.rate_limit:g}/s, burst {account.burst_limit:g}): the figures API "
            "Gateway shows when nobody chose a limit",
        )
    return m.CheckResult(cid, m.PASS, f"stage {stage} default throttling: {figures}{_account_note(account)}")


def check_throttling(facts: ApiFacts) -> m.CheckResult:
    """``stage.throttling``: the stage's ``*/*`` method setting judged by :func:`throttle_result`."""
    if isinstance(facts.stage_info, Unavailable):
        return unavailable(m.STAGE_THROTTLING, facts.stage_info)
    settings = _settings(facts.stage_info)
    return throttle_result(
        facts.stage,
        settings.get("throttlingRateLimit"),
        settings.get("throttlingBurstLimit"),
        facts.account_throttle,
    )


def access_logs_result(destination: str | None, stage: str) -> m.CheckResult:
    """``stage.access_logs``: fails when the stage names no access log destination."""
    cid = m.STAGE_ACCESS_LOGS
    if not destination:
        return m.CheckResult(cid, m.FAIL, f"stage {stage} writes no access logs")
    return m.CheckResult(cid, m.PASS, f"access logs to {destination}")


def check_access_logs(facts: ApiFacts) -> m.CheckResult:
    """``stage.access_logs``: fails when the stage writes no access logs."""
    if isinstance(facts.stage_info, Unavailable):
        return unavailable(m.STAGE_ACCESS_LOGS, facts.stage_info)
    return access_logs_result(
        (facts.stage_info.get("accessLogSettings") or {}).get("destinationArn"), facts.stage
    )


def execution_logs_result(
    traced: Sequence[str], level: str | None, stage: str, carried: str
) -> m.CheckResult:
    """``stage.execution_logs``: fails naming the settings (``traced``) with data tracing on, since the
    full ``carried`` (requests, messages), tokens included, go to the logs; ``warn`` when execution
    logging is off (Security Hub's APIGateway.1 wants ERROR or INFO)."""
    cid = m.STAGE_EXECUTION_LOGS
    if traced:
        return m.CheckResult(
            cid,
            m.FAIL,
            f"data tracing on for {_listing(traced)}: full {carried}, tokens included, go to the logs",
        )
    shown = str(level or "OFF").upper()
    if shown == "OFF":
        return m.CheckResult(cid, m.WARN, f"execution logging off on stage {stage}")
    return m.CheckResult(cid, m.PASS, f"execution logging at {shown}, data tracing off")


def check_execution_logs(facts: ApiFacts) -> m.CheckResult:
    """``stage.execution_logs``: fails when data tracing is on anywhere; ``warn`` when logging is off."""
    if isinstance(facts.stage_info, Unavailable):
        return unavailable(m.STAGE_EXECUTION_LOGS, facts.stage_info)
    level = _settings(facts.stage_info).get("loggingLevel")
    return execution_logs_result(_data_traced(facts.stage_info), level, facts.stage, "requests")


def _data_traced(stage_info: Mapping[str, Any]) -> list[str]:
    """The method-setting keys (``*/*`` for the stage) with data trace on."""
    every = stage_info.get("methodSettings") or {}
    return sorted(key for key, value in every.items() if (value or {}).get("dataTraceEnabled"))


def check_data_trace(facts: ApiFacts) -> m.CheckResult:
    """``stage.data_trace``: fails when data trace is on for the stage (``*/*``) or any method."""
    cid = m.STAGE_DATA_TRACE
    if isinstance(facts.stage_info, Unavailable):
        return unavailable(cid, facts.stage_info)
    every = facts.stage_info.get("methodSettings") or {}
    traced = _data_traced(facts.stage_info)
    if traced:
        return m.CheckResult(
            cid,
            m.FAIL,
            f"data trace on for {_listing(traced)}: request and response bodies, tokens included, "
            "go to the execution logs",
        )
    return m.CheckResult(
        cid, m.PASS, f"data trace off for stage {facts.stage} and its {len(every)} method setting(s)"
    )


def variables_result(variables: Mapping[str, Any], stage: str) -> m.CheckResult:
    """``stage.variables``: fails naming each stage variable whose name or value looks like a secret
    (:func:`~secure_api.verify.secret_values.secret_reason`); never shows a value."""
    cid = m.STAGE_VARIABLES
    flagged = []
    for name in sorted(variables):
        reason = secret_reason(str(name), str(variables[name] or ""))
        if reason:
            flagged.append(f"{name} ({reason})")
    if flagged:
        return m.CheckResult(
            cid,
            m.FAIL,
            f"stage {stage} variables look like secrets: {_listing(flagged)}; keep secrets in Secrets "
            "Manager, stage variables are readable with apigateway:GET",
        )
    if not variables:
        return m.CheckResult(cid, m.PASS, f"stage {stage} has no stage variables")
    return m.CheckResult(
        cid, m.PASS, f"none of stage {stage}'s {len(variables)} variable(s) looks like a secret"
    )


def check_stage_variables(facts: ApiFacts) -> m.CheckResult:
    """``stage.variables``: the stage's variables judged by :func:`variables_result`."""
    if isinstance(facts.stage_info, Unavailable):
        return unavailable(m.STAGE_VARIABLES, facts.stage_info)
    return variables_result(facts.stage_info.get("variables") or {}, facts.stage)


def cache_encryption_result(stage_info: Mapping[str, Any], stage: str) -> m.CheckResult:
    """``stage.cache_encryption`` (Security Hub APIGateway.5): fails when caching is on (the stage's
    cache cluster, or a method setting's ``cachingEnabled``) and a caching setting does not encrypt
    its data; ``skip`` without caching."""
    cid = m.STAGE_CACHE_ENCRYPTION
    every: Mapping[str, Any] = stage_info.get("methodSettings") or {}
    cluster = bool(stage_info.get("cacheClusterEnabled"))
    caching = sorted(key for key, value in every.items() if (value or {}).get("cachingEnabled"))
    if not cluster and not caching:
        return m.CheckResult(cid, m.SKIP, f"no cache on stage {stage}")
    # With the cache cluster on, the stage default (*/*) is what every method inherits.
    judged = sorted(set(caching) | ({DEFAULT_METHOD_SETTINGS} if cluster else set()))
    plain = [key for key in judged if not (every.get(key) or {}).get("cacheDataEncrypted")]
    where = f"cache cluster {'on' if cluster else 'off'}, caching on for {_listing(caching) or 'no method'}"
    if plain:
        return m.CheckResult(
            cid,
            m.FAIL,
            f"stage {stage}: {where}; cache data not encrypted for {_listing(plain)} (APIGateway.5)",
        )
    return m.CheckResult(cid, m.PASS, f"stage {stage}: {where}; cache data encrypted")


def check_cache_encryption(facts: ApiFacts) -> m.CheckResult:
    """``stage.cache_encryption``: the stage's cache settings judged by :func:`cache_encryption_result`."""
    if isinstance(facts.stage_info, Unavailable):
        return unavailable(m.STAGE_CACHE_ENCRYPTION, facts.stage_info)
    return cache_encryption_result(facts.stage_info, facts.stage)


def check_tracing(facts: ApiFacts) -> m.CheckResult:
    """``stage.tracing``: ``warn`` when X-Ray tracing is off."""
    cid = m.STAGE_TRACING
    if isinstance(facts.stage_info, Unavailable):
        return unavailable(cid, facts.stage_info)
    if facts.stage_info.get("tracingEnabled"):
        return m.CheckResult(cid, m.PASS, f"X-Ray tracing on for stage {facts.stage}")
    return m.CheckResult(cid, m.WARN, f"X-Ray tracing off for stage {facts.stage}")


def _public_note(public: Sequence[PublicRoute], methods: Sequence[Method], noun: str) -> str:
    missing = unmatched(public, methods)
    listed = [str(r) for r in public if r not in missing]
    note = f"; public (--public): {_listing(listed)}" if listed else ""
    if missing:
        note += f"; --public matching no {noun}: {_listing([str(r) for r in missing])}"
    return note


def auth_result(
    check_id: str, methods: Sequence[Method], public: Sequence[PublicRoute], noun: str
) -> m.CheckResult:
    """``methods.auth`` / ``routes.auth``: fails when a ``noun`` (method, route) other than OPTIONS has
    authorization NONE and is not listed in ``--public``."""
    checked = [x for x in methods if x.http_method != OPTIONS]
    if not checked:
        return m.CheckResult(check_id, m.SKIP, f"the API has no {noun}s besides OPTIONS")
    guarded = [x for x in checked if not exempt(x, public)]
    open_ = [x.route for x in guarded if x.authorization_type == "NONE"]
    note = _public_note(public, methods, noun)
    if open_:
        return m.CheckResult(
            check_id, m.FAIL, f"authorization NONE on {', '.join(open_)} (not listed in --public){note}"
        )
    kinds = sorted({x.authorization_type for x in guarded})
    return m.CheckResult(
        check_id, m.PASS, f"{len(guarded)} {noun}(s) require authorization ({', '.join(kinds) or '-'}){note}"
    )


def check_methods_auth(facts: ApiFacts, public: Sequence[PublicRoute] = ()) -> m.CheckResult:
    """``methods.auth``: fails when a method other than OPTIONS has authorization NONE and is not public."""
    if isinstance(facts.methods, Unavailable):
        return unavailable(m.METHODS_AUTH, facts.methods)
    return auth_result(m.METHODS_AUTH, facts.methods, public, "method")


def serving_plans(
    check_id: str, usage_plans: Sequence[Mapping[str, Any]] | Unavailable, stage: str
) -> Sequence[Mapping[str, Any]] | m.CheckResult:
    """The usage plans serving ``stage``, or the result of an API key check that cannot judge: the
    plans are unknown, or none serves the stage (``skip``: a key binds nothing without a plan)."""
    if isinstance(usage_plans, Unavailable):
        return unavailable(check_id, usage_plans)
    if not usage_plans:
        return m.CheckResult(check_id, m.SKIP, f"no usage plan serves stage {stage}")
    return usage_plans


def plan_names(usage_plans: Sequence[Mapping[str, Any]]) -> str:
    """The usage plans' names (or ids), for a detail."""
    return _listing(sorted(str(p.get("name") or p.get("id")) for p in usage_plans))


def check_methods_api_keys(facts: ApiFacts, public: Sequence[PublicRoute] = ()) -> m.CheckResult:
    """``methods.api_keys``: with usage plans on the stage, fails when a non-public method needs no key."""
    cid = m.METHODS_API_KEYS
    served = serving_plans(cid, facts.usage_plans, facts.stage)
    if isinstance(served, m.CheckResult):
        return served
    if isinstance(facts.methods, Unavailable):
        return unavailable(cid, facts.methods)
    plans = plan_names(served)
    checked = [x for x in facts.methods if not exempt(x, public)]
    keyless = [x.route for x in checked if not x.api_key_required]
    if keyless:
        return m.CheckResult(
            cid,
            m.FAIL,
            f"usage plans {plans} serve stage {facts.stage} but {', '.join(keyless)} require no API key",
        )
    if not checked:
        return m.CheckResult(cid, m.SKIP, "no method to check besides OPTIONS and --public routes")
    return m.CheckResult(cid, m.PASS, f"{len(checked)} method(s) require an API key; usage plans {plans}")


def request_validation_result(
    methods: Sequence[Method], validators: Mapping[str, RequestValidator]
) -> m.CheckResult:
    """``methods.request_validation``: ``warn`` naming each method with a request body model and no
    validator checking the body (none, an unknown one, or one validating only parameters)."""
    cid = m.METHODS_REQUEST_VALIDATION
    modelled = [x for x in methods if x.request_models]
    unchecked = []
    for method in modelled:
        validator = validators.get(method.request_validator_id or "")
        if validator is None:
            unchecked.append(f"{method.route} (no request validator)")
        elif not validator.validate_body:
            unchecked.append(f"{method.route} (validator {validator.name} skips the body)")
    if unchecked:
        return m.CheckResult(
            cid,
            m.WARN,
            f"request body model without body validation on {_listing(unchecked)}: API Gateway passes "
            "any body to the backend",
        )
    if not modelled:
        return m.CheckResult(cid, m.PASS, "no method declares a request body model")
    return m.CheckResult(cid, m.PASS, f"{len(modelled)} method(s) with a body model validate the body")


def check_request_validation(facts: ApiFacts) -> m.CheckResult:
    """``methods.request_validation``: judged by :func:`request_validation_result`."""
    cid = m.METHODS_REQUEST_VALIDATION
    if isinstance(facts.methods, Unavailable):
        return unavailable(cid, facts.methods)
    if not any(x.request_models for x in facts.methods):
        return request_validation_result(facts.methods, {})
    if facts.request_validators is None:
        return m.CheckResult(cid, m.SKIP, "the API's request validators were not read")
    if isinstance(facts.request_validators, Unavailable):
        return unavailable(cid, facts.request_validators)
    return request_validation_result(facts.methods, facts.request_validators)


def audit_result(trails: Sequence[Trail] | Unavailable, region: str) -> m.CheckResult:
    """``audit.trail``: fails when no trail in ``region`` is logging management events."""
    cid = m.AUDIT_TRAIL
    if isinstance(trails, Unavailable):
        return unavailable(cid, trails)
    unknown: list[Unavailable] = []
    reasons = []
    for trail in trails:
        if isinstance(trail.is_logging, Unavailable):
            unknown.append(trail.is_logging)
            continue
        if isinstance(trail.management_events, Unavailable):
            unknown.append(trail.management_events)
            continue
        if trail.is_logging and trail.management_events:
            scope = "multi-region" if trail.multi_region else "single-region"
            home = f", home {trail.home_region}" if trail.home_region else ""
            return m.CheckResult(
                cid,
                m.PASS,
                f"trail {trail.name} ({scope}{home}) is logging management events ({trail.read_write or 'All'})",
            )
        reasons.append(f"{trail.name}: {'no management events' if trail.is_logging else 'not logging'}")
    if unknown:
        denied = [u for u in unknown if u.denied]
        first = (denied or unknown)[0]
        return m.CheckResult(
            cid,
            m.WARN if denied else m.SKIP,
            f"cannot tell whether a trail logs management events: {first.describe()}",
        )
    found = f" ({'; '.join(reasons)})" if reasons else ""
    return m.CheckResult(
        cid,
        m.FAIL,
        f"no trail in {region} is logging management events: {len(trails)} trail(s){found}",
    )


def check_audit_trail(facts: ApiFacts) -> m.CheckResult:
    """``audit.trail``: fails when no trail in the region is logging management events."""
    return audit_result(facts.trails, facts.region)


AWS_CHECKS: Sequence[tuple[str, Callable[[ApiFacts, Sequence[PublicRoute]], m.CheckResult]]] = (
    (m.POLICY_RESOURCE_POLICY, lambda f, _p: check_resource_policy(f)),
    (m.ENDPOINT_EXECUTE_API_DISABLED, lambda f, _p: check_execute_api_disabled(f)),
    (m.ENDPOINT_TLS_POLICY, lambda f, _p: check_endpoint_tls_policy(f)),
    (m.DOMAIN_TLS_POLICY, lambda f, _p: check_domain_tls_policy(f)),
    (m.DOMAIN_MTLS, lambda f, _p: check_domain_mtls(f)),
    (m.DOMAIN_CERTIFICATE, lambda f, _p: check_domain_certificate(f)),
    (m.WAF_ASSOCIATED, lambda f, _p: check_waf(f)),
    (m.STAGE_THROTTLING, lambda f, _p: check_throttling(f)),
    (m.STAGE_ACCESS_LOGS, lambda f, _p: check_access_logs(f)),
    (m.STAGE_EXECUTION_LOGS, lambda f, _p: check_execution_logs(f)),
    (m.STAGE_DATA_TRACE, lambda f, _p: check_data_trace(f)),
    (m.STAGE_TRACING, lambda f, _p: check_tracing(f)),
    (m.STAGE_VARIABLES, lambda f, _p: check_stage_variables(f)),
    (m.STAGE_CACHE_ENCRYPTION, lambda f, _p: check_cache_encryption(f)),
    (m.METHODS_AUTH, check_methods_auth),
    (m.METHODS_API_KEYS, check_methods_api_keys),
    (m.METHODS_REQUEST_VALIDATION, lambda f, _p: check_request_validation(f)),
    (m.AUDIT_TRAIL, lambda f, _p: check_audit_trail(f)),
)
"""Every AWS-side check, in report order."""


def run_aws_checks(facts: ApiFacts, public: Sequence[PublicRoute] = ()) -> list[m.CheckResult]:
    """Every AWS-side check over ``facts``."""
    return [check(facts, public) for _, check in AWS_CHECKS]
