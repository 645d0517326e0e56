"""The example REST stack (app.py's SecureApiExample) deployed in ministack, answering real requests
with real RS256 tokens: authentication (401), scopes (403 vs 200 with one cached policy), the real
backend, API keys, throttles and quotas (429), CORS."""

from __future__ import annotations

import pytest

from tests.e2e import emulator_gaps
from tests.e2e.conftest import RestApi, burst
from tests.e2e.tokens import BAD_TOKENS, Issuer

ORIGIN = "https://app.example.com"


def test_no_token_is_401_with_the_cors_headers_of_an_allowed_origin(rest: RestApi, gold_key: str) -> None:
    answer = rest.gateway.call("GET", "/orders", api_key=gold_key, headers={"Origin": ORIGIN})
    assert answer.status == 401, answer.body
    # The routes and their gateway responses live in the API's OpenAPI body.
    emulator_gaps.skip_unless_applied(answer, "openapi.gateway_responses")
    assert answer.headers.get("access-control-allow-origin") == ORIGIN
    assert "authorization" in answer.headers.get("access-control-allow-headers", "").lower()


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
def test_bad_token_is_401(rest: RestApi, issuer: Issuer, gold_key: str, case: str) -> None:
    answer = rest.gateway.call("GET", "/orders", token=BAD_TOKENS[case](issuer), api_key=gold_key)
    assert answer.status == 401, (case, answer.status, answer.body)


def test_allowed_call_reaches_the_real_backend(rest: RestApi, issuer: Issuer, gold_key: str) -> None:
    listed = rest.gateway.call("GET", "/orders", token=issuer.token(), api_key=gold_key)
    assert (listed.status, listed.json()) == (200, {"orders": []})
    one = rest.gateway.call("GET", "/orders/42", token=issuer.token(), api_key=gold_key)
    assert (one.status, one.json()) == (200, {"id": "42", "status": "shipped"})
    created = rest.gateway.call(
        "POST", "/orders", token=issuer.token(), api_key=gold_key, body={"item": "book"}
    )
    assert (created.status, created.json()) == (201, {"created": True})


def test_missing_scope_is_403_while_the_same_token_gets_200_where_its_scope_suffices(
    rest: RestApi, issuer: Issuer, gold_key: str
) -> None:
    reader = issuer.token(scope="orders:read", sub="reader")
    # The authorizer's answer is cached per token (300 s): the policy must be right for every route,
    # whichever route the token met first.
    first = rest.gateway.call("GET", "/orders", token=reader, api_key=gold_key)
    denied = rest.gateway.call("POST", "/orders", token=reader, api_key=gold_key, body={})
    again = rest.gateway.call("GET", "/orders/7", token=reader, api_key=gold_key)
    assert (first.status, denied.status, again.status) == (200, 403, 200), denied.body
    writer = issuer.token(scope="orders:write", sub="writer")
    denied_first = rest.gateway.call("GET", "/orders", token=writer, api_key=gold_key)
    allowed = rest.gateway.call("POST", "/orders", token=writer, api_key=gold_key, body={})
    assert (denied_first.status, allowed.status) == (403, 201)


@pytest.mark.parametrize("key", ["none", "wrong"])
def test_route_needing_an_api_key_is_403_without_a_valid_key(rest: RestApi, issuer: Issuer, key: str) -> None:
    api_key = None if key == "none" else "x" * 40
    answer = rest.gateway.call("GET", "/orders", token=issuer.token(), api_key=api_key)
    assert answer.status == 403, answer.body


@pytest.mark.parametrize("consumer", ["mobile-app", "partner-portal", "reporting"])
def test_each_consumer_key_read_from_secrets_manager_works(
    rest: RestApi, issuer: Issuer, consumer: str
) -> None:
    answer = rest.gateway.call("GET", "/orders", token=issuer.token(), api_key=rest.consumer_key(consumer))
    assert answer.status == 200, answer.body


def test_cors_preflight_is_answered_without_a_token(rest: RestApi) -> None:
    answer = rest.gateway.call(
        "OPTIONS",
        "/orders",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                 "Access-Control-Request-Headers": "authorization,content-type,x-api-key"},
    )  # fmt: skip
    assert answer.status in (200, 204), answer.body
    # The preflight is a MOCK integration of the API's OpenAPI body.
    emulator_gaps.skip_unless_applied(answer, "openapi.integration_responses")
    assert answer.status == 204
    assert answer.headers.get("access-control-allow-origin") == ORIGIN
    methods = {m.strip() for m in answer.headers.get("access-control-allow-methods", "").split(",")}
    assert {"GET", "POST"} <= methods
    allowed = answer.headers.get("access-control-allow-headers", "").lower()
    assert {"authorization", "content-type", "x-api-key"} <= {h.strip() for h in allowed.split(",")}


def test_usage_plan_method_throttle_answers_429_within_a_bounded_burst(rest: RestApi, issuer: Issuer) -> None:
    # silver: GET /orders/{id} at 20 requests/s, burst 40 (the stage allows 100/200 there).
    token, key = issuer.token(), rest.consumer_key("partner-portal")
    statuses = burst(lambda: rest.gateway.call("GET", "/orders/1", token=token, api_key=key))
    assert 429 in statuses, f"no 429 in {len(statuses)} requests: {sorted(set(statuses))}"
    assert set(statuses) == {200, 429}


def test_stage_method_throttle_answers_429_within_a_bounded_burst(
    rest: RestApi, issuer: Issuer, gold_key: str
) -> None:
    # The stage: POST /orders at 20 requests/s, burst 40 (gold allows 50/100 there, 500/1000 overall).
    token = issuer.token()
    statuses = burst(lambda: rest.gateway.call("POST", "/orders", token=token, api_key=gold_key, body={}))
    assert 429 in statuses, f"no 429 in {len(statuses)} requests: {sorted(set(statuses))}"
    assert set(statuses) == {201, 429}
