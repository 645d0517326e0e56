"""Tests of the authorizer's HTTP API path: the payload format 2.0 REQUEST event (``lambdas/authorizer``).

The JWT is verified by the same core as the REST TOKEN and WebSocket REQUEST paths (tested at length in
``test_authorizer``); these tests cover what the HTTP API event adds: the stage taken from ``routeArn``,
a policy that is the same for every route (API Gateway caches the answer per token and source address
and reuses it on every route), the 401 for a missing or bad token, and the source address lists, whose
refusal is a ``Deny`` on every route of the stage (403).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.lambdas.authorizer_harness import NOW, Connect, Keys, make_token, policy, request_event

FIXTURE = "authorizer_http_request.json"
STAGE = "arn:aws:execute-api:eu-west-1:123456789012:h7t8p9a0b1/prod"


def forbidden(connect: Connect, event: dict[str, Any], reason: str, stage: str = STAGE) -> None:
    """A verified token from a refused address: a Deny on every route of the stage (403), and why."""
    connect.caplog.clear()
    result = connect.call(event)
    assert result == {"principalId": "user-123", "policyDocument": policy("Deny", f"{stage}/*")}
    assert connect.reasons() == [reason]


@pytest.fixture
def token(keys: Keys) -> str:
    return make_token(keys.rsa)


# --- the allowed request -------------------------------------------------------------------------


def test_a_valid_token_is_allowed_on_the_whole_stage(
    make_connect: Callable[..., Connect], token: str
) -> None:
    result = make_connect().call(request_event(FIXTURE, token))
    assert result == {
        "principalId": "user-123",
        "policyDocument": policy("Allow", f"{STAGE}/*/*"),
        "context": {
            "iss": "https://issuer.example.com/",
            "aud": "orders-api",
            "sub": "user-123",
            "exp": int(NOW) + 300,
            "iat": int(NOW) - 10,
            "client_id": "app-1",
            "scope": "orders:read profile",
        },
    }


@pytest.mark.parametrize(
    "route",
    ["GET/orders/42", "POST/orders", "DELETE/orders/42/items/7", "$default", "GET"],
)
def test_the_answer_is_the_same_for_every_route(
    make_connect: Callable[..., Connect], token: str, route: str
) -> None:
    connect = make_connect()
    expected = connect.call(request_event(FIXTURE, token))
    event = request_event(FIXTURE, token)
    event["routeArn"] = f"{STAGE}/{route}"
    assert connect.call(event) == expected


def test_route_scopes_give_the_rest_policy_for_every_route(
    make_connect: Callable[..., Connect], keys: Keys
) -> None:
    scopes = {"GET /orders/{id}": ["orders:read"], "POST /orders": ["orders:write"], "ANY /{proxy+}": []}
    connect = make_connect(ROUTE_SCOPES=json.dumps(scopes))
    token = make_token(keys.rsa, scope="orders:read")
    rest = connect.call(
        {"type": "TOKEN", "authorizationToken": f"Bearer {token}", "methodArn": f"{STAGE}/GET/x"}
    )["policyDocument"]
    allowed = [r for s in rest["Statement"] if s["Effect"] == "Allow" for r in s["Resource"]]
    assert f"{STAGE}/GET/orders/*" in allowed and f"{STAGE}/POST/orders" not in allowed
    for route in ("GET/orders/42", "POST/orders", "$default"):
        event = request_event(FIXTURE, token)
        event["routeArn"] = f"{STAGE}/{route}"
        assert connect.call(event)["policyDocument"] == rest


def test_the_default_stage(make_connect: Callable[..., Connect], token: str) -> None:
    stage = "arn:aws:execute-api:eu-west-1:123456789012:h7t8p9a0b1/$default"
    event = request_event(FIXTURE, token)
    event["routeArn"] = f"{stage}/GET/orders/42"
    assert make_connect().call(event)["policyDocument"] == policy("Allow", f"{stage}/*/*")


@pytest.mark.parametrize("name", ["authorization", "Authorization", "AUTHORIZATION"])
def test_the_authorization_header_is_matched_in_any_case(
    make_connect: Callable[..., Connect], token: str, name: str
) -> None:
    event = request_event(FIXTURE, token)
    event["headers"][name] = event["headers"].pop("authorization")
    assert make_connect().call(event)["principalId"] == "user-123"


# --- 401: no token, or a token that does not verify ----------------------------------------------


def test_missing_token_is_unauthorized(make_connect: Callable[..., Connect], token: str) -> None:
    event = request_event(FIXTURE, token)
    del event["headers"]["authorization"]
    make_connect().unauthorized(event, "missing_token")


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": int(NOW) - 120}, "expired"),
        ({"nbf": int(NOW) + 120}, "not_yet_valid"),
        ({"iss": "https://evil.example.com/"}, "wrong_issuer"),
        ({"aud": "another-api"}, "wrong_audience"),
    ],
)
def test_a_token_with_bad_claims_is_unauthorized(
    make_connect: Callable[..., Connect], keys: Keys, overrides: dict[str, Any], reason: str
) -> None:
    make_connect().unauthorized(request_event(FIXTURE, make_token(keys.rsa, **overrides)), reason)


@pytest.mark.parametrize(
    ("authorization", "reason"),
    [("Basic dXNlcjpwYXNz", "not_bearer"), ("Bearer ", "malformed_bearer"), ("Bearer a.b", "not_jws")],
)
def test_a_malformed_authorization_is_unauthorized(
    make_connect: Callable[..., Connect], token: str, authorization: str, reason: str
) -> None:
    event = request_event(FIXTURE, token)
    event["headers"]["authorization"] = authorization
    make_connect().unauthorized(event, reason)


def test_a_token_signed_by_another_key_is_unauthorized(
    make_connect: Callable[..., Connect], keys: Keys
) -> None:
    make_connect().unauthorized(request_event(FIXTURE, make_token(keys.attacker)), "bad_signature")


def test_an_oversized_token_is_unauthorized(make_connect: Callable[..., Connect], keys: Keys) -> None:
    token = make_token(keys.rsa, padding="x" * 9000)
    make_connect().unauthorized(request_event(FIXTURE, token), "oversized_token")


def test_a_repeated_authorization_header_is_unauthorized(
    make_connect: Callable[..., Connect], token: str, keys: Keys
) -> None:
    # Payload 2.0 joins a repeated header's values with commas; API Gateway and the backend could read
    # different ones.
    event = request_event(FIXTURE, token)
    event["headers"]["authorization"] = f"Bearer {token},Bearer {make_token(keys.rsa, sub='other')}"
    make_connect().unauthorized(event, "malformed_bearer")
    event["headers"]["authorization"] = f"Bearer {token},{token}"
    make_connect().unauthorized(event, "ambiguous_header")


def test_two_spellings_of_the_authorization_header_are_unauthorized(
    make_connect: Callable[..., Connect], token: str
) -> None:
    event = request_event(FIXTURE, token)
    event["headers"]["Authorization"] = f"Bearer {token}"
    make_connect().unauthorized(event, "ambiguous_header")


@pytest.mark.parametrize(
    "route_arn",
    [
        f"{STAGE}",
        f"{STAGE}/",
        f"{STAGE}/get/orders",
        f"{STAGE}/*",
        f"{STAGE}/$connect",
        "arn:aws:execute-api:eu-west-1:123456789012:h7t8p9a0b1/*/GET/orders",
        "arn:aws:execute-api:eu-west-1:123456789012:*/prod/GET/orders",
        "arn:evil:execute-api:eu-west-1:123456789012:h7t8p9a0b1/prod/GET/orders",
        "arn:aws:lambda:eu-west-1:123456789012:function:x",
        "",
        None,
        42,
    ],
)
def test_a_route_arn_of_another_shape_is_unauthorized(
    make_connect: Callable[..., Connect], token: str, route_arn: Any
) -> None:
    event = request_event(FIXTURE, token)
    event["routeArn"] = route_arn
    make_connect().unauthorized(event, "bad_route_arn")


@pytest.mark.parametrize("headers", [[], "authorization: Bearer x"])
def test_headers_of_another_shape_are_unauthorized(
    make_connect: Callable[..., Connect], token: str, headers: Any
) -> None:
    event = request_event(FIXTURE, token)
    event["headers"] = headers
    make_connect().unauthorized(event, "bad_event")


def test_a_payload_1_0_event_is_not_read_as_2_0(make_connect: Callable[..., Connect], token: str) -> None:
    event = request_event(FIXTURE, token)
    event["version"] = "1.0"
    make_connect().unauthorized(event, "not_connect_route")  # judged as a WebSocket $connect event


def test_the_payload_2_0_response_is_not_the_simple_format(
    make_connect: Callable[..., Connect], token: str
) -> None:
    # The IAM policy format carries the route-independent policy; a simple {"isAuthorized": ...} answer
    # could not deny the routes whose scopes the token lacks.
    assert "isAuthorized" not in make_connect().call(request_event(FIXTURE, token))


# --- 403: a verified token from a refused address -----------------------------------------------


def test_an_address_outside_the_allow_list_is_forbidden(
    make_connect: Callable[..., Connect], token: str
) -> None:
    connect = make_connect(ALLOW_IP_RANGES='["198.51.100.0/24"]')
    forbidden(connect, request_event(FIXTURE, token), "source_ip_not_allowed")


def test_an_address_in_the_allow_list_is_allowed(make_connect: Callable[..., Connect], token: str) -> None:
    connect = make_connect(ALLOW_IP_RANGES='["203.0.113.0/24", "2001:db8::/32"]')
    assert connect.call(request_event(FIXTURE, token))["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    event = request_event(FIXTURE, token)
    event["requestContext"]["http"]["sourceIp"] = "2001:db8::1"
    assert connect.call(event)["policyDocument"]["Statement"][0]["Effect"] == "Allow"


@pytest.mark.parametrize("address", ["203.0.113.10", "::ffff:203.0.113.10"])
def test_an_address_in_the_deny_list_is_forbidden(
    make_connect: Callable[..., Connect], token: str, address: str
) -> None:
    connect = make_connect(DENY_IP_RANGES='["203.0.113.0/24"]')
    event = request_event(FIXTURE, token)
    event["requestContext"]["http"]["sourceIp"] = address
    forbidden(connect, event, "source_ip_denied")


@pytest.mark.parametrize("address", [None, "", "not-an-address", 42])
def test_an_unknown_address_is_forbidden_when_lists_are_set(
    make_connect: Callable[..., Connect], token: str, address: Any
) -> None:
    connect = make_connect(ALLOW_IP_RANGES='["203.0.113.0/24"]')
    event = request_event(FIXTURE, token)
    event["requestContext"]["http"]["sourceIp"] = address
    forbidden(connect, event, "source_ip_unknown")


def test_the_address_is_judged_on_every_call_of_a_remembered_token(
    make_connect: Callable[..., Connect], token: str
) -> None:
    connect = make_connect(ALLOW_IP_RANGES='["203.0.113.0/24"]')
    assert connect.call(request_event(FIXTURE, token))["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    event = request_event(FIXTURE, token)
    event["requestContext"]["http"]["sourceIp"] = "198.51.100.7"
    forbidden(connect, event, "source_ip_not_allowed")


def test_a_bad_token_from_a_denied_address_is_still_401_not_403(
    make_connect: Callable[..., Connect], keys: Keys
) -> None:
    # The token is judged first: an attacker learns nothing about the address lists without one.
    connect = make_connect(ALLOW_IP_RANGES='["198.51.100.0/24"]')
    connect.unauthorized(request_event(FIXTURE, make_token(keys.attacker)), "bad_signature")


def test_no_token_or_claims_are_logged(make_connect: Callable[..., Connect], keys: Keys) -> None:
    connect = make_connect(ALLOW_IP_RANGES='["198.51.100.0/24"]')
    connect.caplog.set_level("DEBUG")
    token = make_token(keys.rsa, sub="subject-7f3a9c")
    connect.call(request_event(FIXTURE, token))
    connect.unauthorized(request_event(FIXTURE, make_token(keys.rsa, sub="subject-7f3a9c", aud="x")))
    for part in token.split("."):
        assert part not in connect.caplog.text
    assert "subject-7f3a9c" not in connect.caplog.text


def test_remembered_route_arns_stay_bounded_and_exact(
    make_connect: Callable[..., Connect], token: str
) -> None:
    # Whole route ARNs are remembered with their stage (a pure function of the text): only accepted
    # ones, never more than the limit, and a near-miss of a remembered ARN is judged afresh.
    import authorizer_http
    import authorizer_policy

    connect = make_connect()
    for n in range(authorizer_policy.MAX_REMEMBERED_STAGES + 5):
        event = request_event(FIXTURE, token)
        event["routeArn"] = f"{STAGE}/GET/orders/{n}"
        assert connect.call(event)["policyDocument"] == policy("Allow", f"{STAGE}/*/*")
    assert len(authorizer_http._ROUTE_ARNS) <= authorizer_policy.MAX_REMEMBERED_STAGES
    event = request_event(FIXTURE, token)
    event["routeArn"] = f"{STAGE}/get/orders/1"
    connect.unauthorized(event, "bad_route_arn")
    assert f"{STAGE}/get/orders/1" not in authorizer_http._ROUTE_ARNS
