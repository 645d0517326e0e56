"""Tests of the authorizer's WebSocket ``$connect`` REQUEST path (``lambdas/authorizer``).

The JWT is verified by the same core as the REST TOKEN path (tested at length in ``test_authorizer``);
these tests cover what the REQUEST event adds: where the token comes from, the exact failure signal
(401 for a bad token, a ``Deny`` on ``methodArn`` for a verified token that may not connect), the
``Origin`` allow list, the source address lists, the connect scopes and the API key.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.lambdas.authorizer_harness import (
    AUDIENCE,
    ISSUER,
    NOW,
    Connect,
    Keys,
    make_token,
    policy,
    request_event,
)


@pytest.fixture
def token(keys: Keys) -> str:
    return make_token(keys.rsa, scope="chat:connect chat:send")


# --- the allowed connection ----------------------------------------------------------------------


def test_a_valid_token_is_allowed_on_exactly_the_connect_arn(
    make_connect: Callable[..., Connect], token: str
) -> None:
    connect = make_connect()
    result = connect.allow(request_event("authorizer_request.json", token))
    assert result == {
        "principalId": "user-123",
        "policyDocument": policy("Allow"),
        "context": {"sub": "user-123", "scope": "chat:connect chat:send"},
    }


@pytest.mark.parametrize("name", ["authorization", "AUTHORIZATION", "aUtHoRiZaTiOn"])
def test_the_authorization_header_is_matched_in_any_case(
    make_connect: Callable[..., Connect], token: str, name: str
) -> None:
    event = request_event("authorizer_request.json", token)
    event["headers"][name] = event["headers"].pop("Authorization")
    event["multiValueHeaders"][name] = event["multiValueHeaders"].pop("Authorization")
    assert make_connect().allow(event)["principalId"] == "user-123"


@pytest.mark.parametrize(
    "name",
    [
        "author\u0130zation",  # U+0130 lowers to "i" and a combining dot: two characters
        "author\u0131zation",  # U+0131, the dotless i, is its own lower case
        "authorization ",
        "authorisation",
    ],
)
def test_a_header_that_only_looks_like_authorization_is_not_read(
    make_connect: Callable[..., Connect], token: str, name: str
) -> None:
    event = request_event("authorizer_request.json", token)
    event["headers"][name] = event["headers"].pop("Authorization")
    event["multiValueHeaders"][name] = event["multiValueHeaders"].pop("Authorization")
    make_connect().unauthorized(event, "missing_token")


def test_two_spellings_of_origin_are_ambiguous(make_connect: Callable[..., Connect], token: str) -> None:
    event = request_event("authorizer_request.json", token)
    event["headers"]["ORIGIN"] = event["headers"]["Origin"]
    make_connect().unauthorized(event, "ambiguous_header")


def test_the_bearer_scheme_is_case_insensitive(make_connect: Callable[..., Connect], token: str) -> None:
    event = request_event("authorizer_request.json", token)
    event["headers"]["Authorization"] = f"bEaReR {token}"
    event.pop("multiValueHeaders")
    make_connect().allow(event)


def test_a_request_without_origin_is_not_a_browser_and_is_allowed(
    make_connect: Callable[..., Connect], token: str
) -> None:
    connect = make_connect(ALLOWED_ORIGINS='["https://app.example.com"]')
    connect.allow(request_event("authorizer_request_no_origin.json", token))


# --- 401: no token, or a token that does not verify ----------------------------------------------


def test_missing_token_is_unauthorized(make_connect: Callable[..., Connect], token: str) -> None:
    event = request_event("authorizer_request.json", token)
    del event["headers"]["Authorization"]
    del event["multiValueHeaders"]["Authorization"]
    make_connect().unauthorized(event, "missing_token")


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda t: t[:-4] + ("AAAA" if not t.endswith("AAAA") else "BBBB"), "bad_signature"),
        (lambda t: "not-a-jwt", None),
        (lambda t: t + ".extra", None),
    ],
)
def test_an_invalid_token_is_unauthorized(
    make_connect: Callable[..., Connect], token: str, mutate: Callable[[str], str], reason: str | None
) -> None:
    make_connect().unauthorized(request_event("authorizer_request.json", mutate(token)), reason)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": int(NOW) - 120}, "expired"),
        ({"iss": "https://evil.example.com/"}, "wrong_issuer"),
        ({"aud": "another-api"}, "wrong_audience"),
    ],
)
def test_a_token_with_bad_claims_is_unauthorized(
    make_connect: Callable[..., Connect], keys: Keys, overrides: dict[str, Any], reason: str
) -> None:
    event = request_event("authorizer_request.json", make_token(keys.rsa, **overrides))
    make_connect().unauthorized(event, reason)


def test_a_token_signed_by_another_key_is_unauthorized(
    make_connect: Callable[..., Connect], keys: Keys
) -> None:
    event = request_event("authorizer_request.json", make_token(keys.attacker))
    make_connect().unauthorized(event)


def test_a_bad_token_from_a_denied_origin_is_still_401_not_403(
    make_connect: Callable[..., Connect], keys: Keys
) -> None:
    # The token is judged first: an attacker learns nothing about the origin list without one.
    connect = make_connect(ALLOWED_ORIGINS='["https://other.example.com"]')
    connect.unauthorized(request_event("authorizer_request.json", make_token(keys.attacker)))


@pytest.mark.parametrize(
    "method_arn",
    [
        "arn:aws:execute-api:eu-west-1:123456789012:w5s6t7u8v9/prod/$default",
        "arn:aws:execute-api:eu-west-1:123456789012:w5s6t7u8v9/prod/sendMessage",
        "arn:aws:execute-api:eu-west-1:123456789012:w5s6t7u8v9/prod/GET/orders",
        "arn:aws:execute-api:eu-west-1:123456789012:w5s6t7u8v9/prod/*",
        "arn:aws:execute-api:eu-west-1:123456789012:w5s6t7u8v9/*/$connect",
        "arn:evil:execute-api:eu-west-1:123456789012:w5s6t7u8v9/prod/$connect",
        "",
    ],
)
def test_a_method_arn_other_than_a_stage_connect_is_unauthorized(
    make_connect: Callable[..., Connect], token: str, method_arn: str
) -> None:
    event = request_event("authorizer_request.json", token)
    event["methodArn"] = method_arn
    make_connect().unauthorized(event, "bad_method_arn")


def test_a_route_other_than_connect_is_unauthorized(make_connect: Callable[..., Connect], token: str) -> None:
    event = request_event("authorizer_request.json", token)
    event["requestContext"]["routeKey"] = "sendMessage"
    make_connect().unauthorized(event, "not_connect_route")


@pytest.mark.parametrize("event", [None, [], "REQUEST", {"type": "request"}, {"type": "OTHER"}])
def test_events_of_another_shape_are_unauthorized(make_connect: Callable[..., Connect], event: Any) -> None:
    make_connect().unauthorized(event, "bad_event")


def test_two_spellings_of_the_authorization_header_are_unauthorized(
    make_connect: Callable[..., Connect], token: str, keys: Keys
) -> None:
    # API Gateway and the integration could read different ones: refuse rather than guess.
    event = request_event("authorizer_request.json", token)
    event["headers"]["authorization"] = f"Bearer {make_token(keys.rsa, sub='someone-else')}"
    event.pop("multiValueHeaders")
    make_connect().unauthorized(event, "ambiguous_header")


def test_a_repeated_authorization_header_is_unauthorized(
    make_connect: Callable[..., Connect], token: str, keys: Keys
) -> None:
    event = request_event("authorizer_request.json", token)
    event["multiValueHeaders"]["Authorization"].append(f"Bearer {make_token(keys.rsa, sub='x')}")
    make_connect().unauthorized(event, "ambiguous_header")


# --- the token in the query string ---------------------------------------------------------------


def test_a_query_token_is_ignored_unless_configured(make_connect: Callable[..., Connect], token: str) -> None:
    make_connect().unauthorized(request_event("authorizer_request_query.json", token), "missing_token")


def test_a_query_token_is_accepted_when_configured(make_connect: Callable[..., Connect], token: str) -> None:
    connect = make_connect(TOKEN_QUERY_PARAMETER="access_token")
    result = connect.allow(request_event("authorizer_request_query.json", token))
    assert result["context"] == {"sub": "user-123", "scope": "chat:connect chat:send"}


def test_a_query_token_may_carry_the_bearer_scheme(make_connect: Callable[..., Connect], token: str) -> None:
    event = request_event("authorizer_request_query.json", token)
    event["queryStringParameters"]["access_token"] = f"Bearer {token}"
    event.pop("multiValueQueryStringParameters", None)
    make_connect(TOKEN_QUERY_PARAMETER="access_token").allow(event)


def test_the_query_parameter_name_is_exact(make_connect: Callable[..., Connect], token: str) -> None:
    event = request_event("authorizer_request_query.json", token)
    event["queryStringParameters"] = {"Access_Token": token}
    event.pop("multiValueQueryStringParameters", None)
    make_connect(TOKEN_QUERY_PARAMETER="access_token").unauthorized(event, "missing_token")


def test_the_header_wins_over_the_query_string(
    make_connect: Callable[..., Connect], token: str, keys: Keys
) -> None:
    connect = make_connect(TOKEN_QUERY_PARAMETER="access_token")
    event = request_event("authorizer_request_query.json", make_token(keys.attacker))
    event["headers"]["Authorization"] = f"Bearer {token}"
    assert connect.allow(event)["principalId"] == "user-123"
    # ... and a bad header is not rescued by a good query token.
    event = request_event("authorizer_request_query.json", token)
    event["headers"]["Authorization"] = f"Bearer {make_token(keys.attacker)}"
    connect.unauthorized(event)


def test_a_repeated_query_parameter_is_unauthorized(
    make_connect: Callable[..., Connect], token: str, keys: Keys
) -> None:
    event = request_event("authorizer_request_query.json", token)
    event["multiValueQueryStringParameters"] = {"access_token": [token, make_token(keys.rsa, sub="other")]}
    make_connect(TOKEN_QUERY_PARAMETER="access_token").unauthorized(event, "ambiguous_query_parameter")


@pytest.mark.parametrize(("value", "reason"), [("", "missing_token"), ("a b c", "malformed_bearer")])
def test_a_bad_query_token_is_unauthorized(
    make_connect: Callable[..., Connect], token: str, value: str, reason: str
) -> None:
    event = request_event("authorizer_request_query.json", token)
    event["queryStringParameters"]["access_token"] = value
    event.pop("multiValueQueryStringParameters", None)
    make_connect(TOKEN_QUERY_PARAMETER="access_token").unauthorized(event, reason)


# --- 403: a verified token that may not connect --------------------------------------------------


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.example.com",
        "null",  # sandboxed iframes and file: pages
        "http://app.example.com",
        "https://app.example.com:8443",
        "https://app.example.com.evil.com",
        "",
    ],
)
def test_a_foreign_origin_is_denied(make_connect: Callable[..., Connect], token: str, origin: str) -> None:
    connect = make_connect(ALLOWED_ORIGINS='["https://app.example.com", "https://admin.example.com"]')
    event = request_event("authorizer_request.json", token)
    event["headers"]["Origin"] = origin
    event["multiValueHeaders"]["Origin"] = [origin]
    result = connect.forbid(event, "origin_not_allowed")
    assert result["principalId"] == "user-123"


def test_an_allowed_origin_connects_and_any_origin_without_a_list(
    make_connect: Callable[..., Connect], token: str
) -> None:
    event = request_event("authorizer_request.json", token)
    make_connect(ALLOWED_ORIGINS='["https://admin.example.com", "https://app.example.com"]').allow(event)
    event["headers"]["Origin"] = event["multiValueHeaders"]["Origin"][0] = "https://anything.example.net"
    make_connect().allow(event)


def test_the_origin_header_is_matched_in_any_case(make_connect: Callable[..., Connect], token: str) -> None:
    event = request_event("authorizer_request.json", token)
    event["headers"]["oRiGiN"] = "https://evil.example.com"
    del event["headers"]["Origin"]
    event.pop("multiValueHeaders")
    make_connect(ALLOWED_ORIGINS='["https://app.example.com"]').forbid(event, "origin_not_allowed")


@pytest.mark.parametrize(
    ("allow", "deny", "fixture", "reason"),
    [
        ('["203.0.113.0/24"]', None, "authorizer_request.json", None),
        ('["198.51.100.0/24"]', None, "authorizer_request.json", "source_ip_not_allowed"),
        (None, '["203.0.113.10/32"]', "authorizer_request.json", "source_ip_denied"),
        ('["203.0.113.0/24"]', '["203.0.113.8/29"]', "authorizer_request.json", "source_ip_denied"),
        ('["2001:db8:1::/48"]', None, "authorizer_request_query.json", None),
        ('["2001:db8:2::/48"]', None, "authorizer_request_query.json", "source_ip_not_allowed"),
        (None, '["2001:db8::/32"]', "authorizer_request_query.json", "source_ip_denied"),
        ('["203.0.113.0/24"]', None, "authorizer_request_query.json", "source_ip_not_allowed"),
        (None, '["198.51.100.23/32"]', "authorizer_request_no_origin.json", "source_ip_denied"),
    ],
)
def test_source_address_lists(
    make_connect: Callable[..., Connect],
    token: str,
    allow: str | None,
    deny: str | None,
    fixture: str,
    reason: str | None,
) -> None:
    connect = make_connect(ALLOW_IP_RANGES=allow, DENY_IP_RANGES=deny, TOKEN_QUERY_PARAMETER="access_token")
    event = request_event(fixture, token)
    if reason is None:
        connect.allow(event)
    else:
        connect.forbid(event, reason)


def test_an_ipv4_mapped_ipv6_address_is_judged_as_ipv4(
    make_connect: Callable[..., Connect], token: str
) -> None:
    event = request_event("authorizer_request.json", token)
    event["requestContext"]["identity"]["sourceIp"] = "::ffff:203.0.113.10"
    make_connect(DENY_IP_RANGES='["203.0.113.0/24"]').forbid(event, "source_ip_denied")
    make_connect(ALLOW_IP_RANGES='["203.0.113.0/24"]').allow(event)


@pytest.mark.parametrize("source_ip", [None, "", "not-an-address", "203.0.113.999", 42])
def test_an_unknown_source_address_is_denied_when_lists_exist(
    make_connect: Callable[..., Connect], token: str, source_ip: Any
) -> None:
    event = request_event("authorizer_request.json", token)
    if source_ip is None:
        del event["requestContext"]["identity"]["sourceIp"]
    else:
        event["requestContext"]["identity"]["sourceIp"] = source_ip
    make_connect(DENY_IP_RANGES='["198.51.100.0/24"]').forbid(event, "source_ip_unknown")
    make_connect().allow(event)  # without lists the address does not matter


def test_connect_scopes_must_all_be_held(make_connect: Callable[..., Connect], keys: Keys) -> None:
    connect = make_connect(CONNECT_SCOPES='["chat:connect", "chat:send"]')
    connect.allow(
        request_event("authorizer_request.json", make_token(keys.rsa, scope="chat:send chat:connect"))
    )
    for scope in ("chat:connect", "", "chat:connect:extra chat:send", "CHAT:CONNECT chat:send"):
        event = request_event("authorizer_request.json", make_token(keys.rsa, scope=scope))
        connect.forbid(event, "missing_connect_scope")
    event = request_event("authorizer_request.json", make_token(keys.rsa, drop=("scope",)))
    connect.forbid(event, "missing_connect_scope")


# --- the API key for usage plans -----------------------------------------------------------------


def test_the_api_key_comes_from_the_consumer_secret(make_connect: Callable[..., Connect], keys: Keys) -> None:
    import authorizer_api_keys
    import authorizer_core

    reads: list[str] = []
    secrets = {"secure-api/w5s6t7u8v9/mobile-app": json.dumps({"apiKey": "k" * 40, "consumer": "mobile-app"})}

    def read(name: str) -> str | None:
        reads.append(name)
        return secrets.get(name)

    connect = make_connect(API_KEY_CLAIM="client_id", ALLOWED_ORIGINS='["https://app.example.com"]')
    authorizer = connect.module._get_authorizer()
    assert isinstance(authorizer, authorizer_core.Authorizer)
    authorizer.api_keys = authorizer_api_keys.ApiKeyResolver(read)
    event = request_event("authorizer_request.json", make_token(keys.rsa, client_id="mobile-app"))
    result = connect.allow(event)
    # WebSocket APIs select the key with $context.authorizer.usageIdentifierKey.
    assert result["context"]["usageIdentifierKey"] == "k" * 40
    assert result["usageIdentifierKey"] == "k" * 40
    assert reads == ["secure-api/w5s6t7u8v9/mobile-app"]
    connect.unauthorized(
        request_event("authorizer_request.json", make_token(keys.rsa, client_id="nobody")), "no_api_key"
    )
    # A refused origin is refused before any key is looked up, and the Deny carries no key.
    reads.clear()
    event["headers"]["Origin"] = event["multiValueHeaders"]["Origin"][0] = "https://evil.example.com"
    connect.forbid(event, "origin_not_allowed")
    assert reads == []
    assert "k" * 40 not in connect.caplog.text


# --- configuration and logs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CONNECT_SCOPES", "chat:connect"),
        ("CONNECT_SCOPES", '["has space"]'),
        ("ALLOWED_ORIGINS", '["https://app.example.com/"]'),
        ("ALLOWED_ORIGINS", '["app.example.com"]'),
        ("ALLOWED_ORIGINS", '["*"]'),
        ("ALLOW_IP_RANGES", '["203.0.113.0"]'),
        ("ALLOW_IP_RANGES", '["203.0.113.1/24"]'),
        ("DENY_IP_RANGES", '["not-a-cidr"]'),
        ("DENY_IP_RANGES", '{"a": 1}'),
        ("TOKEN_QUERY_PARAMETER", "access token"),
    ],
)
def test_a_bad_connect_variable_denies_everything_and_names_itself(
    make_connect: Callable[..., Connect], token: str, name: str, value: str
) -> None:
    connect = make_connect(**{name: value})
    connect.unauthorized(request_event("authorizer_request.json", token), "invalid_config")
    errors = [r.getMessage() for r in connect.caplog.records if "authorizer_config_error" in r.getMessage()]
    assert errors and name in json.loads(errors[0])["message"]


def test_tokens_never_reach_the_logs(make_connect: Callable[..., Connect], token: str, keys: Keys) -> None:
    connect = make_connect(
        ALLOWED_ORIGINS='["https://other.example.com"]', TOKEN_QUERY_PARAMETER="access_token"
    )
    connect.forbid(request_event("authorizer_request.json", token), "origin_not_allowed")
    bad = make_token(keys.attacker)
    connect.unauthorized(request_event("authorizer_request_query.json", bad))
    signature = token.rsplit(".", 1)[1]
    assert signature not in connect.caplog.text
    assert bad.rsplit(".", 1)[1] not in connect.caplog.text


def test_the_constructs_connect_environment_is_what_the_function_reads(
    make_connect: Callable[..., Connect], token: str
) -> None:
    from secure_api.authorizer import BearerAuth, connect_environment

    env = connect_environment(
        BearerAuth(issuer=ISSUER, audience=[AUDIENCE]),
        connect_scopes=["chat:connect"],
        allowed_origins=["https://app.example.com", "http://localhost:3000"],
        allow_ip_ranges=["203.0.113.0/24", "2001:db8:1::/48"],
        deny_ip_ranges=["203.0.113.128/25"],
        token_query_parameter="access_token",
    )
    connect = make_connect(**env)
    connect.allow(request_event("authorizer_request.json", token))
    connect.allow(request_event("authorizer_request_query.json", token))
    event = request_event("authorizer_request.json", token)
    event["requestContext"]["identity"]["sourceIp"] = "203.0.113.200"
    connect.forbid(event, "source_ip_denied")


@pytest.mark.parametrize("value", ["[]", " [] "])
def test_an_empty_connect_scope_list_requires_no_scope(
    make_connect: Callable[..., Connect], token: str, value: str
) -> None:
    """DESIGN.md: CONNECT_SCOPES is optional; an empty list means no scope is required (it refused
    every connection as a configuration error)."""
    make_connect(CONNECT_SCOPES=value).allow(request_event("authorizer_request.json", token))


def test_the_readme_says_the_connect_integration_receives_the_key_value() -> None:
    # The key value is in the authorizer's context (test above), so API Gateway hands it to the
    # $connect integration in requestContext.authorizer: the README must say so, and not to log it.
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## WebSocket APIs\n", 1)[1].split("\n## ", 1)[0]
    paragraph = next(p for p in section.split("\n\n") if "usageIdentifierKey" in p)
    for words in ("api_key_claim", "$connect", "requestContext.authorizer"):
        assert words in paragraph, words
    assert "do not log" in " ".join(paragraph.lower().split())
