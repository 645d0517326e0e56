from __future__ import annotations

import pytest
from aws_cdk.assertions import Template

from secure_api import CorsPolicy
from secure_api.defaults import CORS_GATEWAY_RESPONSES
from secure_api.errors import SecureApiConfigError
from tests.unit.helpers import resources


def test_gateway_responses_carry_cors_headers(example_template: Template) -> None:
    responses = resources(example_template, "AWS::ApiGateway::GatewayResponse").values()
    types = sorted(r["Properties"]["ResponseType"] for r in responses)
    assert types == sorted(CORS_GATEWAY_RESPONSES)
    for response in responses:
        headers = response["Properties"]["ResponseParameters"]
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == "'https://app.example.com'"
        assert headers["gatewayresponse.header.Vary"] == "'Origin'"


def test_preflight_only_on_resources_with_methods_and_without_auth(example_template: Template) -> None:
    methods = resources(example_template, "AWS::ApiGateway::Method").values()
    options = [m["Properties"] for m in methods if m["Properties"]["HttpMethod"] == "OPTIONS"]
    # /orders and /orders/{id} carry methods; the root does not.
    assert len(options) == 2
    for method in options:
        assert method["AuthorizationType"] == "NONE"
        assert method.get("ApiKeyRequired", False) is False
        assert method["Integration"]["Type"] == "MOCK"


def test_several_origins_reflect_origin_without_credentials() -> None:
    headers = CorsPolicy(["https://a.example.com", "https://b.example.com"]).gateway_response_headers()
    assert headers["Access-Control-Allow-Origin"] == "method.request.header.Origin"
    assert "Access-Control-Allow-Credentials" not in headers


def test_credentials_with_single_origin() -> None:
    headers = CorsPolicy(["https://a.example.com"], allow_credentials=True).gateway_response_headers()
    assert headers["Access-Control-Allow-Credentials"] == "'true'"


@pytest.mark.parametrize(
    ("args", "kwargs", "field"),
    [
        ((["*"],), {"allow_credentials": True}, "CorsPolicy.allow_credentials"),
        (([],), {}, "CorsPolicy.allow_origins"),
        (("https://a.example.com",), {}, "CorsPolicy.allow_origins"),
        ((["https://a.example.com/"],), {}, "CorsPolicy.allow_origins[0]"),
        ((["app.example.com"],), {}, "CorsPolicy.allow_origins[0]"),
        ((["*", "https://a.example.com"],), {}, "CorsPolicy.allow_origins"),
        ((["https://a.example.com"],), {"allow_methods": ["TRACE"]}, "CorsPolicy.allow_methods"),
    ],
)
def test_fails_invalid_cors(args: tuple[object, ...], kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(SecureApiConfigError) as info:
        CorsPolicy(*args, **kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(field + ":")


def test_wildcard_string_alone_is_the_wildcard_origin() -> None:
    assert CorsPolicy("*").allow_origins == ("*",) == CorsPolicy(["*"]).allow_origins
    assert CorsPolicy(allow_origins=["https://a.example.com"]).allow_origins == ("https://a.example.com",)


def test_fails_options_after_the_origins_given_positionally() -> None:
    with pytest.raises(TypeError):
        CorsPolicy(["https://a.example.com"], ("GET",))  # type: ignore[misc]
