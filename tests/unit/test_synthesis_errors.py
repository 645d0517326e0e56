"""A library error raised during synthesis names the construct path of the API it is about: with
several APIs in an app, the traceback no longer points at the user's line."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from secure_api import BearerAuth, SecureApiConfigError, SecureRestApi
from secure_api.errors import located
from tests.unit.helpers import inline_function, new_stack

AUTH = BearerAuth(issuer="https://login.example.com/", audience=["api"])


def _api(stack: cdk.Stack, id_: str) -> SecureRestApi:
    return SecureRestApi(stack, id_, auth=AUTH, firewall=None, audit=None, monitoring=None)


def test_fails_with_an_unused_bearer_auth_naming_the_api() -> None:
    app, stack = new_stack()
    for id_ in ("First", "Second", "Third"):
        api = _api(stack, id_)
        fn = inline_function(stack, f"{id_}Fn")
        api.add_route("GET", "/items", fn, auth="iam" if id_ == "Second" else "bearer")
    with pytest.raises(Exception, match=r"Test/Second: auth: got 'BearerAuth\(\.\.\.\)'"):
        app.synth()


def test_located_names_the_path_once() -> None:
    with pytest.raises(SecureApiConfigError) as raised, located("Outer"), located("Inner"):
        raise SecureApiConfigError("field", 1, "2")
    assert str(raised.value) == "Inner: field: got 1; expected 2"
    assert raised.value.path == "Inner"
