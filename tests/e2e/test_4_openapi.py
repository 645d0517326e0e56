"""The OpenAPI example stack (app.py's SecureApiOpenApiExample) in ministack: what the emulator imports
from the body (routes, the authorizer, API keys, the public /health) behaves like the resources
stack; what it skips on import is named in emulator_gaps.SKIPS."""

from __future__ import annotations

import json

import pytest

from tests.e2e import emulator_gaps
from tests.e2e.conftest import RestApi, World, deployed_rest_api
from tests.e2e.tokens import Issuer

ORIGIN = "https://app.example.com"
LIST = "/orders?limit=10"
TENANT = {"X-Tenant": "acme"}


@pytest.fixture(scope="package")
def spec(world: World) -> RestApi:
    """The OpenAPI example stack, deployed once."""
    return deployed_rest_api(world, "openapi")


@pytest.fixture(scope="package")
def spec_key(spec: RestApi) -> str:
    """mobile-app's key on the OpenAPI stack, read from Secrets Manager."""
    return spec.consumer_key("mobile-app")


def test_public_health_route_needs_no_token(spec: RestApi) -> None:
    assert spec.gateway.call("GET", "/health").status == 200


@pytest.mark.parametrize("case", ["no token", "wrong audience", "alg none"])
def test_bad_or_missing_token_is_401(spec: RestApi, issuer: Issuer, spec_key: str, case: str) -> None:
    token = {
        "no token": None,
        "wrong audience": issuer.token(audience="x"),
        "alg none": issuer.unsigned_token(),
    }
    answer = spec.gateway.call("GET", LIST, token=token[case], api_key=spec_key, headers=TENANT)
    assert answer.status == 401, answer.body


def test_allowed_call_reaches_the_backend(spec: RestApi, issuer: Issuer, spec_key: str) -> None:
    answer = spec.gateway.call("GET", LIST, token=issuer.token(), api_key=spec_key, headers=TENANT)
    assert (answer.status, answer.json()) == (200, {"orders": []})
    one = spec.gateway.call("GET", "/orders/9", token=issuer.token(), api_key=spec_key)
    assert (one.status, one.json()) == (200, {"id": "9", "status": "shipped"})


def test_missing_scope_is_403_while_the_same_token_reads(
    spec: RestApi, issuer: Issuer, spec_key: str
) -> None:
    reader = issuer.token(scope="orders:read", sub="spec-reader")
    read = spec.gateway.call("GET", LIST, token=reader, api_key=spec_key, headers=TENANT)
    write = spec.gateway.call(
        "POST", "/orders", token=reader, api_key=spec_key, body={"item": "x", "quantity": 1}
    )
    assert (read.status, write.status) == (200, 403), write.body


@pytest.mark.parametrize("key", ["none", "wrong"])
def test_api_key_is_required(spec: RestApi, issuer: Issuer, key: str) -> None:
    api_key = None if key == "none" else "y" * 40
    answer = spec.gateway.call("GET", LIST, token=issuer.token(), api_key=api_key, headers=TENANT)
    assert answer.status == 403, answer.body


def test_cors_preflight_is_answered_without_a_token(spec: RestApi) -> None:
    answer = spec.gateway.call(
        "OPTIONS", "/orders", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"}
    )
    assert answer.status in (200, 204), answer.body
    emulator_gaps.skip_unless_applied(answer, "openapi.integration_responses")
    assert answer.status == 204
    assert answer.headers["access-control-allow-origin"] == ORIGIN


def test_missing_required_parameter_is_400(spec: RestApi, issuer: Issuer, spec_key: str) -> None:
    answer = spec.gateway.call("GET", "/orders", token=issuer.token(), api_key=spec_key, headers=TENANT)
    if answer.status != 400:
        pytest.skip(emulator_gaps.skip_reason("openapi.request_validators"))
    assert json.loads(answer.body)["message"]


def test_401_carries_the_cors_headers(spec: RestApi, spec_key: str) -> None:
    answer = spec.gateway.call("GET", LIST, api_key=spec_key, headers={**TENANT, "Origin": ORIGIN})
    assert answer.status == 401
    emulator_gaps.skip_unless_applied(answer, "openapi.gateway_responses")
    assert answer.headers["access-control-allow-origin"] == ORIGIN
