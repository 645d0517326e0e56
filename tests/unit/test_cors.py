from __future__ import annotations

import pytest
from aws_cdk.assertions import Template

from secure_api import BearerAuth, CorsPolicy, SecureRestApi
from secure_api.defaults import CORS_GATEWAY_RESPONSES
from secure_api.errors import SecureApiConfigError
from secure_api.rest.openapi.document import load
from tests.fixtures.openapi_documents import PETSTORE
from tests.unit.helpers import BARE, inline_function, new_stack, operations, resources, rest_body

AUTH = BearerAuth(issuer="https://login.example.com/", audience=["pets"])


def test_gateway_responses_carry_cors_headers(example_template: Template) -> None:
    responses = rest_body(example_template)["x-amazon-apigateway-gateway-responses"]
    assert sorted(responses) == sorted(CORS_GATEWAY_RESPONSES)
    for response in responses.values():
        headers = response["responseParameters"]
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == "'https://app.example.com'"
        assert headers["gatewayresponse.header.Vary"] == "'Origin'"


def test_preflight_only_on_resources_with_methods_and_without_auth(example_template: Template) -> None:
    ops = operations(example_template)
    options = {key: op for key, op in ops.items() if key.startswith("OPTIONS ")}
    # Every path carrying a method gets one preflight; the root carries none.
    paths = {key.split(" ", 1)[1] for key in ops if not key.startswith("OPTIONS ")}
    assert "/" not in paths and {key.split(" ", 1)[1] for key in options} == paths
    assert len(options) >= 2
    for op in options.values():
        assert op["security"] == []  # neither the authorizer nor an API key
        assert op["x-amazon-apigateway-integration"]["type"] == "mock"
        assert "204" in op["responses"]


TWO_ORIGINS = ["https://a.example.com", "https://b.example.com"]


def _gateway_response_headers(backend: str, cors: CorsPolicy) -> list[dict[str, str]]:
    """The response parameters of every CORS gateway response one back end synthesizes."""
    _, stack = new_stack()
    backend_function = inline_function(stack)
    if backend == "add_route":
        api = SecureRestApi(stack, "Api", cors=cors, **BARE)
        api.add_route("GET", "/items", backend_function, auth="iam")
    else:
        SecureRestApi.from_openapi(stack, "Api", load(PETSTORE), integrations=dict.fromkeys(
            ["listPets", "createPets", "showPetById"], backend_function), auth=AUTH, cors=cors, **BARE)  # fmt: skip
    template = Template.from_stack(stack)
    assert not resources(template, "AWS::ApiGateway::GatewayResponse")
    gateway = rest_body(template)["x-amazon-apigateway-gateway-responses"]
    found = {name: response["responseParameters"] for name, response in gateway.items()}
    assert sorted(found) == sorted(CORS_GATEWAY_RESPONSES)
    return list(found.values())


@pytest.mark.parametrize("backend", ["add_route", "openapi"])
def test_several_origins_are_never_reflected_on_gateway_responses(backend: str) -> None:
    # A gateway response cannot choose among origins per request: reflecting the caller's Origin would
    # hand any site the error responses, so with several origins none is named.
    for headers in _gateway_response_headers(backend, CorsPolicy(TWO_ORIGINS, allow_credentials=True)):
        assert not any(value.startswith("method.request.") for value in headers.values()), headers
        assert "gatewayresponse.header.Access-Control-Allow-Origin" not in headers
        assert "gatewayresponse.header.Access-Control-Allow-Credentials" not in headers
        assert headers["gatewayresponse.header.Vary"] == "'Origin'"


@pytest.mark.parametrize("backend", ["add_route", "openapi"])
@pytest.mark.parametrize("origins", [["https://a.example.com"], ["*"]])
def test_one_origin_or_the_wildcard_is_named_on_gateway_responses(backend: str, origins: list[str]) -> None:
    for headers in _gateway_response_headers(backend, CorsPolicy(origins)):
        assert headers["gatewayresponse.header.Access-Control-Allow-Origin"] == f"'{origins[0]}'"


def test_several_origins_name_none_and_allow_no_credentials() -> None:
    headers = CorsPolicy(TWO_ORIGINS, allow_credentials=True).gateway_response_headers()
    assert "Access-Control-Allow-Origin" not in headers
    assert "Access-Control-Allow-Credentials" not in headers
    assert headers["Vary"] == "'Origin'"


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
