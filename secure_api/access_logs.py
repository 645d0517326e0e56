"""The JSON access log format of the stage (one field set, shared with the monitoring queries)."""

from __future__ import annotations

import json

from aws_cdk import aws_apigateway as apigw

# Field name -> API Gateway context variable. Numbers that are always present are written unquoted
# so that metric filters and Contributor Insights can compare them numerically.
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
_NUMERIC = frozenset({"status", "requestTimeEpoch", "responseLatency"})


def access_log_format() -> apigw.AccessLogFormat:
    """One JSON object per request with the fields of ``ACCESS_LOG_FIELDS``."""
    parts = [
        f'"{name}":{value}' if name in _NUMERIC else f'"{name}":{json.dumps(value)}'
        for name, value in ACCESS_LOG_FIELDS.items()
    ]
    return apigw.AccessLogFormat.custom("{" + ",".join(parts) + "}")
