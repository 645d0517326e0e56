"""``SecureRestApi.from_openapi`` and ``add_route(request_schema=, required_parameters=)``, synthesized."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Annotations, Match, Template

from secure_api import (
    BearerAuth,
    Consumer,
    CorsPolicy,
    SecureApiConfigError,
    SecureRestApi,
    Throttle,
    UsageTier,
)
from secure_api.rest.openapi.body import METADATA_KEY
from secure_api.rest.openapi.check import check_body
from secure_api.rest.openapi.document import load
from secure_api.rest.openapi.render import BEARER_SCHEME, KEY_SCHEME, VALIDATOR
from tests.fixtures.openapi_documents import PETSTORE
from tests.unit.helpers import BARE, inline_function, new_stack, only, operations, resources, rest_body

AUTH = BearerAuth(issuer="https://login.example.com/", audience=["pets"])
PER_ROUTE_TYPES = (
    "AWS::ApiGateway::Method",
    "AWS::ApiGateway::Resource",
    "AWS::ApiGateway::Model",
    "AWS::ApiGateway::Authorizer",
    "AWS::ApiGateway::RequestValidator",
    "AWS::ApiGateway::GatewayResponse",
)
SCHEMA = {
    "type": "object",
    "required": ["sku"],
    "properties": {"sku": {"type": "string"}, "note": {"type": "string", "nullable": True}},
}


@pytest.fixture(scope="module")
def petstore() -> tuple[Template, SecureRestApi]:
    """The petstore document with every protection on, plus one imperative route."""
    _, stack = new_stack()
    backend = inline_function(stack)
    other = inline_function(stack, "Other")
    document = load(PETSTORE)
    document["paths"]["/health"] = {
        "get": {"operationId": "health", "security": [], "responses": {"200": {"description": "ok"}}}
    }
    api = SecureRestApi.from_openapi(
        stack,
        "Pets",
        document,
        integrations={"listPets": backend, "createPets": backend, "showPetById": other, "health": backend},
        throttles={"createPets": Throttle(rate_limit=10, burst_limit=20)},
        auth=AUTH,
        cors=CorsPolicy(["https://app.example.com"]),
        usage_tiers=[
            UsageTier("gold", method_throttles={"GET /pets": Throttle(rate_limit=5, burst_limit=10)})
        ],
        consumers=[Consumer("app", tier="gold")],
    )
    api.add_route(
        "PUT", "/pets/{petId}", backend, scopes=["pets:write"], request_schema=SCHEMA,
        required_parameters=["header.X-Tenant"],
    )  # fmt: skip
    return Template.from_stack(stack), api


def body_of(template: Template) -> tuple[dict[str, Any], dict[str, Any]]:
    rest_api = only(template, "AWS::ApiGateway::RestApi")
    return rest_api["Properties"]["Body"], rest_api["Metadata"][METADATA_KEY]


def test_operations_cost_no_resources(petstore: tuple[Template, SecureRestApi]) -> None:
    template, _ = petstore
    for type_ in PER_ROUTE_TYPES:
        assert resources(template, type_) == {}, type_
    body, meta = body_of(template)
    assert sorted(body["paths"]) == ["/health", "/pets", "/pets/{petId}"]
    assert meta["storage"] == "inline"


def test_one_invoke_permission_per_function(petstore: tuple[Template, SecureRestApi]) -> None:
    template, _ = petstore
    permissions = [p["Properties"] for p in resources(template, "AWS::Lambda::Permission").values()]
    for name in ("Backend", "Other"):
        mine = [p for p in permissions if name in json.dumps(p["FunctionName"])]
        assert len(mine) == 1, name


def test_security_mapped_per_operation(petstore: tuple[Template, SecureRestApi]) -> None:
    template, api = petstore
    body, meta = body_of(template)
    assert body["paths"]["/pets"]["get"]["security"] == [{BEARER_SCHEME: [], KEY_SCHEME: []}]
    assert body["paths"]["/health"]["get"]["security"] == []
    assert meta["public"] == ["GET /health"] and meta["keyExempt"] == ["GET /health"]
    scheme = body["components"]["securitySchemes"][BEARER_SCHEME]
    assert scheme["x-amazon-apigateway-authorizer"]["type"] == "token"
    assert scheme["x-amazon-apigateway-authorizer"]["authorizerResultTtlInSeconds"] == 300
    assert api.authorizer is None and api.authorizer_function is not None
    warnings = Annotations.from_stack(api.node.scope).find_warning("*", Match.any_value())  # type: ignore[arg-type]
    assert "route GET /health: auth='none'" in " ".join(json.dumps(w.entry.data) for w in warnings)


def test_bodies_are_validated(petstore: tuple[Template, SecureRestApi]) -> None:
    template, _ = petstore
    body, _ = body_of(template)
    models = body["components"]["schemas"]
    with_body = 0
    for item in body["paths"].values():
        for method, op in item.items():
            if method == "options":
                continue
            assert op["x-amazon-apigateway-request-validator"] == VALIDATOR
            if "requestBody" in op:
                with_body += 1
                ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
                model = models[ref.rsplit("/", 1)[1]]
                assert model["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert with_body == 2
    assert body["x-amazon-apigateway-request-validators"][VALIDATOR] == {
        "validateRequestBody": True,
        "validateRequestParameters": True,
    }
    put = body["paths"]["/pets/{petId}"]["put"]
    assert {"name": "X-Tenant", "in": "header", "required": True, "schema": {"type": "string"}} in put[
        "parameters"
    ]
    assert models["PutPetsPetid"]["properties"]["note"] == {"type": ["string", "null"]}


def test_cors_preflights_and_gateway_responses_in_the_body(petstore: tuple[Template, SecureRestApi]) -> None:
    template, _ = petstore
    body, _ = body_of(template)
    for item in body["paths"].values():
        assert item["options"]["security"] == []
        assert item["options"]["x-amazon-apigateway-integration"]["type"] == "mock"
    responses = body["x-amazon-apigateway-gateway-responses"]
    assert "UNAUTHORIZED" in responses and "WAF_FILTERED" in responses
    assert responses["UNAUTHORIZED"]["responseParameters"][
        "gatewayresponse.header.Access-Control-Allow-Origin"
    ] == ("'https://app.example.com'")


def test_the_library_check_passes_and_catches_a_tampered_body(
    petstore: tuple[Template, SecureRestApi],
) -> None:
    template, _ = petstore
    body, meta = body_of(template)
    assert check_body(body, public=meta["public"], key_exempt=meta["keyExempt"], tiers=True, cors=True) == []
    tampered = json.loads(json.dumps(body))
    tampered["paths"]["/pets"]["get"]["security"] = []
    del tampered["paths"]["/pets"]["post"]["x-amazon-apigateway-request-validator"]
    tampered["paths"]["/pets/{petId}"]["options"]["security"] = [{BEARER_SCHEME: []}]
    problems = check_body(
        tampered, public=meta["public"], key_exempt=meta["keyExempt"], tiers=True, cors=True
    )
    assert any(p.startswith("GET /pets: neither the authorizer") for p in problems)
    assert any(p.startswith("GET /pets: no API key") for p in problems)
    assert any(p.startswith("POST /pets: not validated") for p in problems)
    assert any(p.startswith("OPTIONS /pets/{petId}: CORS preflight") for p in problems)


def test_stage_and_usage_plan_throttles(petstore: tuple[Template, SecureRestApi]) -> None:
    template, _ = petstore
    settings = only(template, "AWS::ApiGateway::Stage")["Properties"]["MethodSettings"]
    assert {
        "HttpMethod": "POST",
        "ResourcePath": "/~1pets",
        "ThrottlingRateLimit": 10,
        "ThrottlingBurstLimit": 20,
    }.items() <= next(s for s in settings if s["ResourcePath"] == "/~1pets").items()
    plan = only(template, "AWS::ApiGateway::UsagePlan")["Properties"]
    assert plan["ApiStages"][0]["Throttle"]["/pets/GET"] == {"RateLimit": 5, "BurstLimit": 10}


def test_rest_api_imported_in_overwrite_mode(petstore: tuple[Template, SecureRestApi]) -> None:
    template, _ = petstore
    props = only(template, "AWS::ApiGateway::RestApi")["Properties"]
    assert props["Mode"] == "overwrite"
    assert props["Parameters"] == {"endpointConfigurationTypes": "REGIONAL"}
    assert props["ApiKeySourceType"] == "HEADER"


def test_authorizer_may_be_invoked_by_the_body_authorizer(petstore: tuple[Template, SecureRestApi]) -> None:
    template, _ = petstore
    arns = [
        json.dumps(p["Properties"].get("SourceArn"))
        for p in resources(template, "AWS::Lambda::Permission").values()
    ]
    assert any("/authorizers/*" in a for a in arns)


def _deployment_id(document: dict[str, Any]) -> str:
    _, stack = new_stack()
    backend = inline_function(stack)
    SecureRestApi.from_openapi(stack, "Api", document, integrations={"listPets": backend, "createPets": backend,
                               "showPetById": backend}, auth=AUTH, **BARE)  # fmt: skip
    return next(iter(resources(Template.from_stack(stack), "AWS::ApiGateway::Deployment")))


def test_stage_redeployed_when_the_document_changes() -> None:
    document = load(PETSTORE)
    first = _deployment_id(document)
    assert _deployment_id(load(PETSTORE)) == first
    document["paths"]["/pets"]["get"]["security"] = []
    assert _deployment_id(document) != first


def test_fails_on_routes_added_twice_or_with_references() -> None:
    _, stack = new_stack()
    backend = inline_function(stack)
    api = SecureRestApi.from_openapi(stack, "Api", load(PETSTORE), integrations=dict.fromkeys(
        ["listPets", "createPets", "showPetById"], backend), auth=AUTH, **BARE)  # fmt: skip
    with pytest.raises(SecureApiConfigError, match="not been added already"):
        api.add_route("GET", "/pets", backend)
    with pytest.raises(SecureApiConfigError) as error:
        api.add_route("POST", "/other", backend, request_schema={"$ref": "#/definitions/X"})
    assert error.value.field == "add_route.request_schema.$ref"


def test_fails_on_unknown_options() -> None:
    _, stack = new_stack()
    with pytest.raises(TypeError):
        SecureRestApi.from_openapi(stack, "Api", load(PETSTORE), integrations={}, auth=AUTH, colour="blue")


# -- add_route on a plain SecureRestApi (the same body) ------------------------------------------------------------------
@pytest.fixture(scope="module")
def imperative() -> Template:
    _, stack = new_stack()
    api = SecureRestApi(stack, "Api", auth=AUTH, **BARE)
    backend = inline_function(stack)
    api.add_route(
        "POST", "/orders", backend, request_schema=SCHEMA, required_parameters=["querystring.dryRun"]
    )
    api.add_route("GET", "/orders/{id}", backend, required_parameters=["path.id", "header.X-Tenant"])
    api.add_route("GET", "/orders", backend)
    return Template.from_stack(stack)


def test_add_route_request_schema_becomes_a_model(imperative: Template) -> None:
    for type_ in PER_ROUTE_TYPES:
        assert not resources(imperative, type_), type_
    ops = operations(imperative)
    post = ops["POST /orders"]
    ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert post["requestBody"]["required"] is True
    schema = rest_body(imperative)["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
    assert schema["properties"]["note"] == {"type": ["string", "null"]}
    assert {(p["in"], p["name"], p["required"]) for p in post["parameters"]} == {("query", "dryRun", True)}
    assert post["x-amazon-apigateway-request-validator"] == VALIDATOR


def test_add_route_required_parameters(imperative: Template) -> None:
    ops = operations(imperative)
    get = ops["GET /orders/{id}"]
    assert {(p["in"], p["name"], p["required"]) for p in get["parameters"]} == {
        ("path", "id", True),
        ("header", "X-Tenant", True),
    }
    assert all(
        op["x-amazon-apigateway-request-validator"] == VALIDATOR
        for key, op in ops.items()
        if key.startswith("GET ")
    )


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"request_schema": {"type": "object", "if": {}}}, "add_route.request_schema.if"),
        ({"required_parameters": ["cookie.session"]}, "add_route.required_parameters"),
        ({"required_parameters": ["path.nope"]}, "add_route.required_parameters"),
    ],
)
def test_fails_on_bad_validation_arguments(kwargs: dict[str, Any], field: str) -> None:
    _, stack = new_stack()
    api = SecureRestApi(stack, "Api", auth=AUTH, **BARE)
    with pytest.raises(SecureApiConfigError) as error:
        api.add_route("POST", "/orders/{id}", inline_function(stack), **kwargs)
    assert error.value.field == field


def _cross_stack_app() -> Any:
    import aws_cdk as cdk

    from tests.cdk_context import app_context

    app = cdk.App(context=app_context())
    backend_stack = cdk.Stack(app, "Backend")
    api_stack = cdk.Stack(app, "Front")
    backend = inline_function(backend_stack)
    SecureRestApi.from_openapi(api_stack, "Api", load(PETSTORE), integrations=dict.fromkeys(
        ["listPets", "createPets", "showPetById"], backend), auth=AUTH, **BARE)  # fmt: skip
    return app, api_stack


def test_fails_on_functions_of_other_stacks_in_an_s3_body(monkeypatch: pytest.MonkeyPatch) -> None:
    from secure_api import defaults

    monkeypatch.setattr(defaults, "OPENAPI_INLINE_MAX_BYTES", 100)
    app, _ = _cross_stack_app()
    # Raised while the app synthesizes (the body's size is known then), through jsii: a RuntimeError.
    with pytest.raises(
        RuntimeError, match=r"Front/Api: integrations: got \['Backend/Backend'\]; expected functions"
    ):
        app.synth()


def test_integrations_other_than_functions() -> None:
    from aws_cdk import Duration
    from aws_cdk import aws_apigateway as apigw

    _, stack = new_stack()
    backend = inline_function(stack)
    http = apigw.HttpIntegration(
        "https://backend.example.com/pets",
        http_method="GET",
        options=apigw.IntegrationOptions(
            timeout=Duration.seconds(5), request_parameters={"integration.request.header.X-From": "'api'"}
        ),
    )
    mock = apigw.MockIntegration(
        request_templates={"application/json": '{"statusCode": 200}'},
        integration_responses=[apigw.IntegrationResponse(status_code="200")],
    )
    other = inline_function(stack, "Other")
    document = load(PETSTORE)
    document["paths"]["/other"] = {
        "get": {"operationId": "other", "responses": {}},
        "put": {"operationId": "other2", "responses": {}},
    }
    integrations: dict[str, Any] = {
        "listPets": http,
        "createPets": mock,
        "showPetById": backend,
        "other": apigw.LambdaIntegration(other),
        "other2": apigw.LambdaIntegration(other),
    }
    SecureRestApi.from_openapi(stack, "Api", document, integrations=integrations, auth=AUTH, **BARE)
    template = Template.from_stack(stack)
    permissions = [p["Properties"] for p in resources(template, "AWS::Lambda::Permission").values()]
    # LambdaIntegration: one permission per function, cut from the integration's URI.
    assert len([p for p in permissions if "Other" in json.dumps(p["FunctionName"])]) == 1
    body, _ = body_of(template)
    assert body["paths"]["/other"]["put"]["x-amazon-apigateway-integration"]["type"] == "aws_proxy"
    assert body["paths"]["/pets"]["get"]["x-amazon-apigateway-integration"] == {
        "type": "http_proxy",
        "httpMethod": "GET",
        "uri": "https://backend.example.com/pets",
        "requestParameters": {"integration.request.header.X-From": "'api'"},
        "timeoutInMillis": 5000,
    }
    post = body["paths"]["/pets"]["post"]["x-amazon-apigateway-integration"]
    assert post["type"] == "mock" and post["responses"] == {"default": {"statusCode": "200"}}
    assert body["paths"]["/pets/{petId}"]["get"]["x-amazon-apigateway-integration"]["type"] == "aws_proxy"


def test_an_operation_without_operation_id_and_a_form_body() -> None:
    """Wired by its route key; its non-JSON body is left unvalidated with a warning naming it."""
    _, stack = new_stack()
    document = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/forms": {
                "post": {
                    "requestBody": {
                        "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
    }
    api = SecureRestApi.from_openapi(
        stack, "Forms", document, integrations={"POST /forms": inline_function(stack)}, auth=AUTH,
        firewall=None, audit=None, monitoring=None,
    )  # fmt: skip
    body, _ = body_of(Template.from_stack(stack))
    assert "post" in body["paths"]["/forms"]
    warnings = Annotations.from_stack(stack).find_warning(f"/{api.node.path}", Match.any_value())
    text = " ".join(json.dumps(w.entry.data) for w in warnings)
    assert "POST /forms requestBody application/x-www-form-urlencoded" in text
