"""The event catalogue: the sensitive API Gateway control-plane calls each audit alarm counts, in groups
(one metric filter and one alarm per group)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class AuditEventGroup:
    """A group of CloudTrail events behind one metric filter and one alarm."""

    id: str
    event_source: str
    event_names: tuple[str, ...]
    description: str


API_KEY_CHANGES = AuditEventGroup(
    "ApiKeyChanges",
    "apigateway.amazonaws.com",
    ("CreateApiKey", "UpdateApiKey", "DeleteApiKey", "ImportApiKeys"),
    "an API key was created, changed (enabled, disabled, renamed) or deleted in this account and region",
)
API_KEY_VALUE_READS = AuditEventGroup(
    "ApiKeyValueReads",
    "apigateway.amazonaws.com",
    ("GetApiKey", "GetApiKeys"),
    "someone read API key values (GetApiKey includeValue, GetApiKeys includeValues) in this account and region",
)
API_KEY_TAGGED = AuditEventGroup(
    "ApiKeyTagged",
    "apigateway.amazonaws.com",
    ("TagResource",),
    "a tag was put on an existing API key in this account and region (the library tags keys when it "
    "creates them; the key guard's quarantine tags a key too)",
)
USAGE_PLAN_CHANGES = AuditEventGroup(
    "UsagePlanChanges",
    "apigateway.amazonaws.com",
    ("CreateUsagePlanKey", "DeleteUsagePlanKey", "UpdateUsagePlan", "DeleteUsagePlan"),
    "a key was attached to or detached from a usage plan, or a plan changed, in this account and region",
)
API_CHANGES = AuditEventGroup(
    "ApiChanges",
    "apigateway.amazonaws.com",
    ("UpdateRestApi", "PutRestApi", "DeleteRestApi", "UpdateStage", "DeleteStage", "CreateDeployment"),
    "this API's definition, resource policy or stage changed, or it was deployed",
)
WAF_ASSOCIATION_CHANGES = AuditEventGroup(
    "WafAssociationChanges",
    "wafv2.amazonaws.com",
    ("AssociateWebACL", "DisassociateWebACL"),
    "a web ACL was associated with or removed from this API's stage",
)
WEBSOCKET_API_CHANGES = AuditEventGroup(
    "WebSocketApiChanges",
    "apigateway.amazonaws.com",
    (
        "UpdateApi",
        "DeleteApi",
        "ReimportApi",
        "CreateRoute",
        "UpdateRoute",
        "DeleteRoute",
        "DeleteRouteSettings",
        "CreateAuthorizer",
        "UpdateAuthorizer",
        "DeleteAuthorizer",
        "CreateIntegration",
        "UpdateIntegration",
        "DeleteIntegration",
        "UpdateStage",
        "DeleteStage",
        "CreateDeployment",
    ),
    "this WebSocket API, its routes, authorizers, integrations or stage changed, or it was deployed",
)
API_MAPPING_CHANGES = AuditEventGroup(
    "ApiMappingChanges",
    "apigateway.amazonaws.com",
    ("CreateApiMapping", "UpdateApiMapping", "DeleteApiMapping"),
    "a custom domain's API mapping was created, changed or deleted in this account and region",
)
HTTP_API_CHANGES = AuditEventGroup(
    "HttpApiChanges",
    "apigateway.amazonaws.com",
    (
        *WEBSOCKET_API_CHANGES.event_names,
        "DeleteCorsConfiguration",
        "DeleteAccessLogSettings",
    ),
    "this HTTP API, its routes, authorizers, integrations, CORS configuration or stage changed, or it "
    "was deployed",
)
WEBSOCKET_AUDIT_EVENT_GROUPS = (
    API_KEY_CHANGES,
    API_KEY_VALUE_READS,
    API_KEY_TAGGED,
    USAGE_PLAN_CHANGES,
    WEBSOCKET_API_CHANGES,
    API_MAPPING_CHANGES,
)
"""The alarms of a WebSocket API (no WAF: AWS WAF cannot be associated with a WebSocket API)."""
AUDIT_EVENT_GROUPS = (
    API_KEY_CHANGES,
    API_KEY_VALUE_READS,
    API_KEY_TAGGED,
    USAGE_PLAN_CHANGES,
    API_CHANGES,
    WAF_ASSOCIATION_CHANGES,
)
HTTP_AUDIT_EVENT_GROUPS = (HTTP_API_CHANGES, API_MAPPING_CHANGES)
"""The alarms of an HTTP API: it has no API keys, usage plans or WAF association, so only its own
control plane and the account's API mappings."""
