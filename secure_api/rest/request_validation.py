"""A resource-defined route's request validation: its JSON body model and required parameters."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from aws_cdk import aws_apigateway as apigw
from constructs import Construct

from secure_api.rest.routes import Route


def request_validation(
    scope: Construct,
    rest_api: apigw.RestApiBase,
    route: Route,
    request_schema: Mapping[str, Any] | None,
    required_parameters: Sequence[str],
) -> dict[str, Any]:
    """``add_method`` options for a route's request model and required parameters."""
    from secure_api.rest.openapi.parameters import required_parameters as parse_parameters
    from secure_api.rest.openapi.schema import to_draft4

    options: dict[str, Any] = {}
    params = parse_parameters(required_parameters, route, field="add_route.required_parameters")
    if params:
        options["request_parameters"] = params
    if request_schema is not None:
        schema = to_draft4(request_schema, "add_route.request_schema")
        name = route.method.title() + re.sub(r"[^A-Za-z0-9]", "", route.path.title()) + "Model"
        model = apigw.CfnModel(
            scope,
            name,
            rest_api_id=rest_api.rest_api_id,
            content_type="application/json",
            schema=schema,
        )
        options["request_models"] = {
            "application/json": apigw.Model.from_model_name(scope, f"{name}Ref", model.ref)
        }
    return options
