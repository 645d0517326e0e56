"""Issue 27 item 7: the key guard acts only on access-log ``apiKeyId`` values that are API key ids.

An access log line is data: API Gateway writes ``$context.identity.apiKeyId``, but a log format change, a
field written unescaped or another writer to the log group can put other text there. A crafted form of a
victim's id (``" <id>"``, ``"<id>\\n"``, upper case, full-width or Arabic-Indic digits) must never be
counted as the victim's traffic, so it can neither raise a spike nor add "new networks" to that key, and
so never quarantine it. API Gateway key ids are 10 lower-case ASCII letters and digits (moto creates
them the same way).
"""

from __future__ import annotations

import pytest

from tests.lambdas.conftest import lambda_root
from tests.lambdas.key_guard_harness import Env

lambda_root("key_guard")

import key_guard_query as kq  # noqa: E402


def _crafted(key_id: str) -> list[str]:
    return [
        f" {key_id}",
        f"{key_id} ",
        f"{key_id}\n",
        f"\t{key_id}",
        key_id.upper(),
        key_id[:-1] + "\uff10",  # a full-width digit
        key_id[:-1] + "\u0661",  # an Arabic-Indic digit
    ]


@pytest.mark.parametrize(
    "value",
    [
        "abcdefghij",
        "0123456789",
        "a1b2c3d4e5",
    ],
)
def test_well_formed_key_ids_are_read(value: str) -> None:
    assert kq.is_api_key_id(value)
    rows = [{"apiKeyId": value, "requests": "5", "nets": "1"}]
    assert list(kq.parse_key_rows(rows)) == [value]
    assert kq.parse_prefix_rows([{"apiKeyId": value, "net": "203.0.113"}]) == {value: {"203.0.113.0/24"}}


@pytest.mark.parametrize(
    "value",
    [
        *_crafted("abcdefghij"),
        "abcdefghi",
        "abcdefghijk",
        "abc-efghij",
        "abcdefghij,0123456789",
        '"abcdefghij"',
        "-",
        "",
        "١٢٣٤٥٦٧٨٩٠",
    ],
)
def test_fails_malformed_key_ids_are_ignored(value: str) -> None:
    assert not kq.is_api_key_id(value)
    assert kq.parse_key_rows([{"apiKeyId": value, "requests": "5000", "nets": "40"}]) == {}
    assert kq.parse_prefix_rows([{"apiKeyId": value, "net": "203.0.113"}]) == {}


def test_fails_crafted_forms_of_a_victims_id_do_not_quarantine_it(aws: Env) -> None:
    victim = aws.key("victim")
    aws.warm(victim)
    aws.logs.add(victim, count=100)
    for i, forged in enumerate(_crafted(victim)):
        # A spike and a dozen new networks, each under a crafted form of the victim's id.
        aws.logs.add(forged, count=3000)
        for j in range(12):
            aws.logs.add(forged, count=2, ip=f"203.0.{10 * i + j}.9")
    result = aws.run(AUTO_QUARANTINE="true", QUARANTINE_ON="spike,unusual_place,unknown_key")
    assert result.quarantined == [] and result.keys == 1
    assert aws.apigw.get_api_key(apiKey=victim)["enabled"] is True
    assert aws.messages() == []


def test_the_victims_own_spike_still_quarantines_it(aws: Env) -> None:
    victim = aws.key("victim")
    aws.warm(victim)
    aws.logs.add(victim, count=3000)
    aws.logs.add(f" {victim}", count=1)
    assert aws.run(AUTO_QUARANTINE="true").quarantined == [victim]


@pytest.mark.parametrize("value", ["\u0661\u0662\u0663.1.2", "10.\uff11.2"])
def test_fails_network_prefix_with_non_ascii_digits(value: str) -> None:
    assert kq.network_prefix(value) is None
