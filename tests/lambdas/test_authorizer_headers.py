"""The WebSocket ``$connect`` event's ``Authorization`` and ``Origin`` are found in one pass over its
header maps, with exactly the answers (and refusal reasons) of looking each up on its own.

The reference is :func:`authorizer_connect.request_token` then :func:`authorizer_connect.header_value`
for ``origin``, which is what ``parse_connect_request`` did before the single pass.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.lambdas.conftest import lambda_root

lambda_root("authorizer")

import authorizer_connect  # noqa: E402
import authorizer_jwt  # noqa: E402

CONNECT_ARN = "arn:aws:execute-api:eu-west-1:123456789012:w5s6t7u8v9/prod/$connect"
NAMES = ["Authorization", "authorization", "AUTHORIZATION", "Origin", "origin", "ORIGIN", "Host", "Origins"]
VALUES = st.sampled_from(
    ["Bearer a.b.c", "bearer x.y.z", "Basic abc", "Bearer", "https://app.example", "", 5, None]
)
MULTI_VALUES = st.one_of(st.lists(VALUES, max_size=2), VALUES)


def _map(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(), st.just("not a map"), st.dictionaries(st.sampled_from(NAMES), values, max_size=4)
    )


def reference(event: dict[str, Any], query_parameter: str | None) -> tuple[Any, ...]:
    try:
        token = authorizer_connect.request_token(event, query_parameter)
        origin = authorizer_connect.header_value(event, "origin")
    except authorizer_jwt.Denied as denied:
        return ("denied", denied.reason)
    return ("ok", token, None if origin is None else origin if isinstance(origin, str) else "")


def single_pass(event: dict[str, Any], query_parameter: str | None) -> tuple[Any, ...]:
    try:
        request = authorizer_connect.parse_connect_request(event, query_parameter)
    except authorizer_jwt.Denied as denied:
        return ("denied", denied.reason)
    return ("ok", request.token, request.origin)


@settings(max_examples=2000, deadline=None)
@given(
    headers=_map(VALUES),
    multi=_map(MULTI_VALUES),
    query=st.one_of(st.none(), st.dictionaries(st.sampled_from(["token", "t"]), VALUES, max_size=2)),
    query_parameter=st.sampled_from([None, "token"]),
)
def test_one_pass_finds_what_separate_lookups_find(
    headers: Any, multi: Any, query: Any, query_parameter: str | None
) -> None:
    event: dict[str, Any] = {
        "type": "REQUEST",
        "methodArn": CONNECT_ARN,
        "requestContext": {"routeKey": "$connect"},
    }
    for name, value in (("headers", headers), ("multiValueHeaders", multi), ("queryStringParameters", query)):
        if value is not None:
            event[name] = value
    assert single_pass(event, query_parameter) == reference(event, query_parameter)
