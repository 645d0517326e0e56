"""``secure_api.grammar``: the one grammar the construct and the functions share."""

from __future__ import annotations

import subprocess
import sys

import pytest

from secure_api import grammar


@pytest.mark.parametrize(
    "url",
    [
        "https://login.example.com/.well-known/jwks.json",
        "https://login.example.com:8443/keys",
        "http://127.0.0.1:8080/jwks",
        "http://localhost/jwks",
        "http://[::1]/jwks",
    ],
)
def test_urls_accepted(url: str) -> None:
    assert grammar.url_problem(url) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://user:secret@login.example.com/jwks",
        "https://user@login.example.com/jwks",
        "https://login.example.com:99999/jwks",
        "https://login.example.com/jwks#fragment",
        "https://login.example.com/jw ks",
        "https://logïn.example.com/jwks",
        "http://login.example.com/jwks",
        "ftp://127.0.0.1/jwks",
        "login.example.com/jwks",
        "",
        None,
    ],
)
def test_urls_refused(url: object) -> None:
    assert grammar.url_problem(url) is not None


@pytest.mark.parametrize("scope", ["orders:read", "https://api.example.com/orders.read", "a!#$%&'()*+,-./"])
def test_scopes_accepted(scope: str) -> None:
    assert grammar.scope_problem(scope) is None


@pytest.mark.parametrize("scope", ["", "a b", "a\tb", "é", 'a"b', "a\\b", 7])
def test_scopes_refused(scope: object) -> None:
    assert grammar.scope_problem(scope) is not None


def test_claims_audiences_and_route_keys() -> None:
    assert grammar.claim_name_problem("custom:api_key") is None
    assert grammar.claim_name_problem("client id") is not None
    assert grammar.audience_problem("orders-api") is None
    assert grammar.audience_problem("a,b") is not None and grammar.audience_problem(" a") is not None
    assert grammar.route_key_problem("GET /orders/{id}") is None
    assert grammar.route_key_problem("GET /orders/*") is not None


def test_environment_size_counts_keys_and_values() -> None:
    assert grammar.environment_size({"A": "b"}) == len('{"A":"b"}')
    assert grammar.environment_size({"A": "é"}) == len('{"A":"é"}'.encode())


def test_importable_without_aws_cdk() -> None:
    code = "import sys, secure_api.grammar; print('aws_cdk' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
