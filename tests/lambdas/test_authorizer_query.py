"""The query-string token of a WebSocket ``$connect`` event is looked up directly in its two maps, with
exactly the answers (and refusal reasons) of the earlier scan of every entry of each map.

:func:`reference` is that earlier code, kept here as the specification: ``_single`` scanned
``queryStringParameters`` for entries named ``name`` (refusing several, which a dict cannot hold) and
``_multi_count`` counted the values of such entries in ``multiValueQueryStringParameters`` (a list
counts its items, anything else one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.lambdas.conftest import lambda_root

lambda_root("authorizer")

import authorizer_connect  # noqa: E402
import authorizer_jwt  # noqa: E402
from authorizer_jwt import Denied  # noqa: E402

NAMES = ["token", "Token", "t", "token "]
SCALARS = st.sampled_from(["a.b.c", "Bearer a.b.c", "bearer x.y.z", "a b", "", "é.b.c", 5, None, ["a.b.c"]])
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3))


def _single(values: Mapping[str, Any] | None, name: str) -> object:
    if not values:
        return None
    found = [v for k, v in values.items() if k == name]
    if len(found) > 1:
        raise Denied("ambiguous_query_parameter")
    return found[0] if found else None


def _multi_count(values: object, name: str) -> int:
    if not isinstance(values, dict):
        return 0
    count = 0
    for value in [v for k, v in values.items() if k == name]:
        count += len(value) if isinstance(value, list) else 1
    return count


def reference(event: dict[str, Any], query_parameter: str | None) -> tuple[Any, ...]:
    """The query part of ``request_token`` before the direct lookups (the event has no Authorization)."""
    try:
        if query_parameter is None:
            raise Denied("missing_token")
        query = event.get("queryStringParameters")
        if query is not None and not isinstance(query, dict):
            raise Denied("bad_event")
        if _multi_count(event.get("multiValueQueryStringParameters"), query_parameter) > 1:
            raise Denied("ambiguous_query_parameter")
        token = _single(query, query_parameter)
        if not isinstance(token, str) or not token:
            raise Denied("missing_token")
        if len(token) > authorizer_jwt.MAX_AUTHORIZATION_LENGTH:
            raise Denied("oversized_token")
        if not token.isascii():
            raise Denied("non_ascii_token")
        if token[:7].lower() == "bearer ":
            return ("ok", authorizer_jwt.bearer_token(token))
        if " " in token:
            raise Denied("malformed_bearer")
        return ("ok", token)
    except Denied as denied:
        return ("denied", denied.reason)


def direct(event: dict[str, Any], query_parameter: str | None) -> tuple[Any, ...]:
    try:
        return ("ok", authorizer_connect.request_token(event, query_parameter))
    except Denied as denied:
        return ("denied", denied.reason)


def _map(values: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.just("not a map"),
        st.just(["token"]),
        st.dictionaries(st.sampled_from(NAMES), values, max_size=4),
    )


@settings(max_examples=3000, deadline=None)
@given(
    query=_map(SCALARS),
    multi=_map(VALUES),
    headers=st.one_of(st.none(), st.just({"Host": "example.com"})),
    query_parameter=st.sampled_from([None, "token", "t"]),
)
def test_direct_lookups_find_what_the_scan_found(
    query: Any, multi: Any, headers: Any, query_parameter: str | None
) -> None:
    event: dict[str, Any] = {"type": "REQUEST"}
    for name, value in (
        ("queryStringParameters", query),
        ("multiValueQueryStringParameters", multi),
        ("headers", headers),
    ):
        if value is not None:
            event[name] = value
    assert direct(event, query_parameter) == reference(event, query_parameter)


def test_the_reference_refuses_what_the_scan_refused() -> None:
    """The reference is not vacuous: it tells the refusals apart as the earlier code did."""
    query = {"token": "a.b.c"}
    assert reference({"queryStringParameters": query}, "token") == ("ok", "a.b.c")
    assert reference(
        {"queryStringParameters": query, "multiValueQueryStringParameters": {"token": ["a", "b"]}}, "token"
    ) == (
        "denied",
        "ambiguous_query_parameter",
    )
    assert reference(
        {"queryStringParameters": query, "multiValueQueryStringParameters": {"token": "a"}}, "token"
    ) == (
        "ok",
        "a.b.c",
    )
    assert reference({"queryStringParameters": "x"}, "token") == ("denied", "bad_event")
    assert reference({"queryStringParameters": query}, None) == ("denied", "missing_token")
