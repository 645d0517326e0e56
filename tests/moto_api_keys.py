"""moto 5.2 tags only stages through TagResource; API keys are taggable resources in API Gateway too (the
key guard tags a quarantined key). ``tag_api_keys`` makes a test's moto tag and untag API keys; every
other TagResource/UntagResource call goes to moto as before."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import pytest
from moto.apigateway import apigateway_backends
from moto.apigateway import responses as apigw_responses

_original_tag = apigw_responses.APIGatewayResponse.tag_resource
_original_untag = apigw_responses.APIGatewayResponse.untag_resource


def _api_key_from_path(resp: Any) -> Any | None:
    arn = unquote(resp.path.split("/tags/")[1])
    if "/apikeys/" not in arn:
        return None
    backend = apigateway_backends[resp.current_account][resp.region]
    return backend.get_api_key(arn.rsplit("/", 1)[1])


def _tag_resource(self: Any) -> str:
    key = _api_key_from_path(self)
    if key is None:
        return str(_original_tag(self))
    key.tags = {**(key.tags or {}), **(self._get_param("tags") or {})}
    return json.dumps({})


def _untag_resource(self: Any) -> str:
    key = _api_key_from_path(self)
    if key is None:
        return str(_original_untag(self))
    for name in self.querystring.get("tagKeys") or []:
        (key.tags or {}).pop(name, None)
    return json.dumps({})


def tag_api_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """For this test, TagResource and UntagResource on an API key's ARN change the key's tags."""
    monkeypatch.setattr(apigw_responses.APIGatewayResponse, "tag_resource", _tag_resource)
    monkeypatch.setattr(apigw_responses.APIGatewayResponse, "untag_resource", _untag_resource)
