"""``secure-api verify`` recognises an API's kind with one ``GetRestApi`` (and, for a v2 API, one
``GetApi``) and hands that answer to the kind's gatherer, which does not ask again."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from typing import Any

import boto3
import pytest

from secure_api.verify import model as m
from secure_api.verify.command import VerifyOptions, verify
from secure_api.verify.gather import VerifyClients
from secure_api.verify.kinds import KINDS
from tests.unit import test_keys_support as support
from tests.unit.http_api_world import STAGE, HttpSetup, deploy_http_api
from tests.unit.verify_world import REGION, deploy
from tests.unit.verify_world import clients as moto_clients

aws = support.aws


class Counting:
    """A moto client that counts the calls of each operation made through it."""

    def __init__(self, client: Any, calls: Counter[str]) -> None:
        self._client = client
        self._calls = calls

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._calls[name] += 1
            return attribute(*args, **kwargs)

        return counted


def counting_clients(calls: Counter[str]) -> VerifyClients:
    base = moto_clients()
    return replace(
        base,
        apigateway=Counting(base.apigateway, calls),
        apigatewayv2=Counting(base.apigatewayv2, calls),
    )


def websocket_api() -> str:
    v2 = boto3.client("apigatewayv2", region_name=REGION)
    api_id: str = v2.create_api(
        Name="chat", ProtocolType="WEBSOCKET", RouteSelectionExpression="$request.body.action"
    )["ApiId"]
    v2.create_stage(ApiId=api_id, StageName=STAGE)
    return api_id


@pytest.mark.parametrize(
    ("protocol", "make", "expected"),
    [
        (m.REST, lambda: deploy().api_id, {"get_rest_api": 1, "get_api": 0}),
        (m.WEBSOCKET, websocket_api, {"get_rest_api": 1, "get_api": 1}),
        (
            m.HTTP,
            lambda: deploy_http_api(HttpSetup(domain=False, trail=False)),
            {"get_rest_api": 1, "get_api": 1},
        ),
    ],
)
def test_each_kind_reads_its_api_once_per_run(
    aws: None, protocol: str, make: Any, expected: dict[str, int]
) -> None:
    api_id = make()
    calls: Counter[str] = Counter()
    report = verify(counting_clients(calls), VerifyOptions(api_id=api_id, stage=STAGE))
    assert {op: calls[op] for op in expected} == expected
    assert [c.id for c in report.checks] == list(KINDS[protocol].check_ids)


def test_the_rest_checks_read_the_answer_detection_handed_on(aws: None) -> None:
    calls: Counter[str] = Counter()
    report = verify(counting_clients(calls), VerifyOptions(api_id=deploy().api_id, stage=STAGE))
    results = {c.id: c for c in report.checks}
    assert calls["get_rest_api"] == 1
    # Both read GetRestApi's answer: the resource policy and the API's own securityPolicy.
    assert results[m.POLICY_RESOURCE_POLICY].status == m.PASS, results[m.POLICY_RESOURCE_POLICY]
    assert results[m.ENDPOINT_TLS_POLICY].status == m.PASS, results[m.ENDPOINT_TLS_POLICY]


class DenyingRestApi(Counting):
    """A counting moto API Gateway client whose ``GetRestApi`` is denied the way IAM denies it."""

    def __getattr__(self, name: str) -> Any:
        if name != "get_rest_api":
            return super().__getattr__(name)

        def deny(**_kwargs: Any) -> Any:
            from botocore.exceptions import ClientError

            self._calls[name] += 1
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, name)

        return deny


def test_a_denied_get_rest_api_is_asked_again_by_the_gatherer_and_warns(aws: None) -> None:
    api_id = deploy().api_id
    calls: Counter[str] = Counter()
    clients = replace(counting_clients(calls), apigateway=DenyingRestApi(moto_clients().apigateway, calls))
    report = verify(clients, VerifyOptions(api_id=api_id, stage=STAGE))
    results = {c.id: c for c in report.checks}
    # Detection falls through to GetApi (no such v2 API) and hands nothing on: the gatherer asks again.
    assert (calls["get_rest_api"], calls["get_api"]) == (2, 1)
    for cid in (m.POLICY_RESOURCE_POLICY, m.ENDPOINT_EXECUTE_API_DISABLED, m.ENDPOINT_TLS_POLICY):
        assert results[cid].status == m.WARN, results[cid]
        assert f"missing permission apigateway:GET on arn:aws:apigateway:{REGION}::/restapis/{api_id}" in (
            results[cid].detail
        )
