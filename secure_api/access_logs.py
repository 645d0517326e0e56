"""The JSON access log format of the stage (one field set, shared with the monitoring queries)."""

from __future__ import annotations

import json
from collections.abc import Mapping

from aws_cdk import aws_apigateway as apigw

# Field name -> API Gateway context variable. Every value is a JSON string ("-" when API Gateway
# has none), so each line is valid JSON whatever the request was; filters compare strings.
ACCESS_LOG_FIELDS: dict[str, str] = {
    "requestId": "$context.requestId",
    "extendedRequestId": "$context.extendedRequestId",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "caller": "$context.identity.caller",
    "user": "$context.identity.user",
    "requestTime": "$context.requestTime",
    "requestTimeEpoch": "$context.requestTimeEpoch",
    "httpMethod": "$context.httpMethod",
    "resourcePath": "$context.resourcePath",
    "path": "$context.path",
    "stage": "$context.stage",
    "domainName": "$context.domainName",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus",
    "integrationError": "$context.integration.error",
    "apiKeyId": "$context.identity.apiKeyId",
    "principalId": "$context.authorizer.principalId",
    "authorizerError": "$context.authorizer.error",
    "authorizerStatus": "$context.authorizer.status",
    "authorizerLatency": "$context.authorizer.latency",
    "wafResponseCode": "$context.wafResponseCode",
    "webAclArn": "$context.webaclArn",
    "errorMessage": "$context.error.message",
    "errorResponseType": "$context.error.responseType",
    "xrayTraceId": "$context.xrayTraceId",
}


def access_log_format() -> apigw.AccessLogFormat:
    """One JSON object per request with the fields of ``ACCESS_LOG_FIELDS``."""
    return apigw.AccessLogFormat.custom(json_log_format(ACCESS_LOG_FIELDS))


# A WebSocket stage's access log fields (DESIGN.md "WebSocket APIs"). Never the query string: with
# ``token_query_parameter`` it can carry a bearer token.
WEBSOCKET_ACCESS_LOG_FIELDS: dict[str, str] = {
    "requestId": "$context.requestId",
    "connectionId": "$context.connectionId",
    "eventType": "$context.eventType",
    "routeKey": "$context.routeKey",
    "messageId": "$context.messageId",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "apiKeyId": "$context.identity.apiKeyId",
    "principalId": "$context.authorizer.principalId",
    "authorizerError": "$context.authorizer.error",
    "integrationError": "$context.integration.error",
    "status": "$context.status",
    "requestTime": "$context.requestTime",
    # The key guard's window filter reads it, as in REST access logs.
    "requestTimeEpoch": "$context.requestTimeEpoch",
}


# An HTTP API stage's access log fields (DESIGN.md "HTTP APIs"): request id, source IP, caller, route
# key, status, latency, the JWT's ``sub``, authorizer and integration errors; the REST variables HTTP
# APIs also have, under the same names (the integration's error is HTTP's own variable). Never the query string or headers: they can carry tokens.
HTTP_ACCESS_LOG_FIELDS: dict[str, str] = {
    "requestId": "$context.requestId",
    "ip": "$context.identity.sourceIp",
    "userAgent": "$context.identity.userAgent",
    "caller": "$context.identity.caller",
    "user": "$context.identity.user",
    "requestTime": "$context.requestTime",
    "requestTimeEpoch": "$context.requestTimeEpoch",
    "httpMethod": "$context.httpMethod",
    "routeKey": "$context.routeKey",
    "path": "$context.path",
    "stage": "$context.stage",
    "domainName": "$context.domainName",
    "status": "$context.status",
    "protocol": "$context.protocol",
    "responseLength": "$context.responseLength",
    "responseLatency": "$context.responseLatency",
    "integrationLatency": "$context.integrationLatency",
    "integrationStatus": "$context.integrationStatus",
    "integrationError": "$context.integrationErrorMessage",
    "jwtSub": "$context.authorizer.claims.sub",
    "principalId": "$context.authorizer.principalId",
    "authorizerError": "$context.authorizer.error",
    "errorMessage": "$context.error.message",
    "errorResponseType": "$context.error.responseType",
}


def json_log_format(fields: Mapping[str, str]) -> str:
    """One JSON object per request or event with ``fields`` (name -> context variable)."""
    return json.dumps(fields, separators=(",", ":"))
