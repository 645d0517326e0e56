"""The authorizer's JSON parse gives exactly the strict decoder's verdicts.

``authorizer_jwt.json_object`` parses with the C scanner without a duplicate-rejecting hook and proves
the absence of duplicate members by counting commas; when the count does not prove it, it parses again
with the strict decoder. These tests hold it to a straightforward strict parser (``json.loads`` with a
hook rejecting duplicates and non-finite numbers) on generated texts: duplicates at any depth, commas,
quotes, colons and escapes (``\\u002c`` among them) inside strings, any JSON whitespace between tokens.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.lambdas.conftest import lambda_root

lambda_root("authorizer")

import authorizer_jwt  # noqa: E402


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member")
    return result


def _no_constant(name: str) -> None:
    raise ValueError(name)


def reference(data: bytes) -> dict[str, Any] | None:
    """The strict verdict: the object, or None for a refusal."""
    try:
        value = json.loads(
            data.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def verdict(data: bytes) -> dict[str, Any] | None:
    try:
        return authorizer_jwt.json_object(data)
    except authorizer_jwt.Denied as denied:
        assert denied.reason == "bad_json"
        return None


WHITESPACE = st.text(alphabet=" \t\n\r", max_size=2)
# Few distinct keys, so that duplicates are frequent; strings full of JSON's structural characters and
# escapes (a stray quote or backslash makes the text invalid: both parsers must refuse it).
KEYS = st.sampled_from(["a", "b", "sub", "a,b", 'q\\"', "c:d", "\\u0061", "\\u002c", "e\\\\", ""]).map(
    lambda key: f'"{key}"'
)
PIECES = [*"ab,:{}[] é", "\\u002c", "\\\\", '\\"', "\\u0022", '"', "\\"]
STRINGS = st.lists(st.sampled_from(PIECES), max_size=8).map(lambda pieces: '"' + "".join(pieces) + '"')


@st.composite
def texts(draw: st.DrawFn, depth: int = 0) -> str:
    kind = draw(st.sampled_from(["object", "object", "array", "scalar"] if depth < 3 else ["scalar"]))
    if kind == "scalar":
        return draw(
            st.one_of(
                STRINGS,
                st.integers(-(10**20), 10**20).map(str),
                st.sampled_from(["true", "false", "null", "1.5", "-0", "1e400", "NaN", "Infinity"]),
            )
        )
    ws = [draw(WHITESPACE) for _ in range(4)]
    if kind == "array":
        items = draw(st.lists(texts(depth + 1), max_size=3))
        return f"[{ws[0]}{(ws[1] + ',' + ws[2]).join(items)}{ws[3]}]"
    members = draw(st.lists(st.tuples(KEYS, texts(depth + 1)), max_size=4))
    body = (ws[1] + "," + ws[2]).join(f"{key}{ws[0]}:{ws[3]}{value}" for key, value in members)
    return f"{{{ws[0]}{body}{ws[3]}}}"


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts(), lead=WHITESPACE, trail=WHITESPACE)
@example(text='{"a":1,"a":2}', lead="", trail="")
@example(text='{"a":"x,y","a":2}', lead="", trail="")
@example(text='{"a":[1,2],"b":{"c":1,"c":2}}', lead="", trail="")
@example(text='{"a":"\\u002c","a":1}', lead="", trail="")
@example(text='{"a":{},"b":[],"a":1}', lead="", trail="")
def test_json_verdicts_match_the_strict_parser(text: str, lead: str, trail: str) -> None:
    data = f"{lead}{text}{trail}".encode()
    assert verdict(data) == reference(data)


@pytest.mark.parametrize(
    "text",
    [
        '{"a":1,"a":2}',
        '{"a":1,"b":{"c":1,"c":2}}',
        '{"a":[{"x":1,"x":1}]}',
        '{"sub":"a,b,c","sub":"d"}',
        '{"a" :1, "a"\t:\n2}',
        '{"\\u0061":1,"a":2}',
        '{"a":1,"b":NaN}',
        '{"a":1} {"b":2}',
        "[1,2]",
    ],
)
def test_fails_duplicate_members_and_other_refusals(text: str) -> None:
    assert reference(text.encode()) is None
    assert verdict(text.encode()) is None


@pytest.mark.parametrize(
    "text",
    ['{"a":1,"b":[1,2,3],"c":{"d":[],"e":{}}}', '{"name":"Doe, John","aud":["x","y"]}', "{}", ' {"a":{}} '],
)
def test_objects_with_commas_in_strings_and_arrays_are_parsed(text: str) -> None:
    assert verdict(text.encode()) == json.loads(text)
