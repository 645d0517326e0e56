"""``AuditTrail``: a CloudTrail trail for the account (or an existing one), and alarms on the
sensitive API Gateway control-plane calls that change who can call the API or reveal key values.

Which alarms can be narrowed to this API:

- ``ApiChanges`` (UpdateRestApi, PutRestApi, DeleteRestApi, UpdateStage, DeleteStage,
  CreateDeployment): yes, by ``requestParameters.restApiId`` (metric dimension ``RestApiId``).
- ``WafAssociationChanges`` (wafv2 AssociateWebACL, DisassociateWebACL): yes, by
  ``requestParameters.resourceArn``, the stage's ARN (metric dimension ``ResourceArn``).
- ``ApiKeyChanges`` (CreateApiKey, UpdateApiKey, DeleteApiKey, ImportApiKeys) and
  ``ApiKeyValueReads`` (GetApiKey with ``includeValue``, GetApiKeys with ``includeValues``): no. API keys belong to the
  account and region, not to an API (GetApiKeys lists every key), so these count the whole account.
- ``UsagePlanChanges`` (CreateUsagePlanKey, DeleteUsagePlanKey, UpdateUsagePlan, DeleteUsagePlan):
  no. The events carry only the usage plan id, and a plan can serve several APIs.
- ``ApiKeyTagged`` (TagResource on an API key's ARN): no, for the same reason as ``ApiKeyChanges``. The
  library tags keys at creation (CreateApiKey) only; a tag put on an existing key could make another
  API's key look like this API's to a role that changes keys by tag. The key guard's quarantine tags a
  key too, so a quarantine also trips it.

For a WebSocket API (API Gateway v2, whose control-plane events CloudTrail also records under
``apigateway.amazonaws.com``), ``ApiChanges`` and ``WafAssociationChanges`` give way to:

- ``WebSocketApiChanges`` (the API, its routes, authorizers, integrations, stages and deployments
  changed or deleted): yes, by ``requestParameters.apiId`` (metric dimension ``ApiId``).
- ``ApiMappingChanges`` (Create/Update/DeleteApiMapping): no. The events name the domain and the
  mapping, so these count the whole account and region.

An HTTP API (API Gateway v2, protocol HTTP) has no API keys, usage plans or WAF association: its alarms
are ``HttpApiChanges`` (as ``WebSocketApiChanges``, plus its CORS configuration and access log
settings deleted; narrowed by ``requestParameters.apiId``) and ``ApiMappingChanges``.
"""

from __future__ import annotations

from secure_api.audit.alarms import apply_audit
from secure_api.audit.events import (
    API_CHANGES,
    API_KEY_CHANGES,
    API_KEY_TAGGED,
    API_KEY_VALUE_READS,
    API_MAPPING_CHANGES,
    AUDIT_EVENT_GROUPS,
    HTTP_API_CHANGES,
    HTTP_AUDIT_EVENT_GROUPS,
    USAGE_PLAN_CHANGES,
    WAF_ASSOCIATION_CHANGES,
    WEBSOCKET_API_CHANGES,
    WEBSOCKET_AUDIT_EVENT_GROUPS,
    AuditEventGroup,
)
from secure_api.audit.options import AuditTrail
from secure_api.audit.sharing import find_trail_owner
from secure_api.audit.trail import trail_name

__all__ = [
    "API_CHANGES",
    "API_KEY_CHANGES",
    "API_KEY_TAGGED",
    "API_KEY_VALUE_READS",
    "API_MAPPING_CHANGES",
    "AUDIT_EVENT_GROUPS",
    "HTTP_API_CHANGES",
    "HTTP_AUDIT_EVENT_GROUPS",
    "USAGE_PLAN_CHANGES",
    "WAF_ASSOCIATION_CHANGES",
    "WEBSOCKET_API_CHANGES",
    "WEBSOCKET_AUDIT_EVENT_GROUPS",
    "AuditEventGroup",
    "AuditTrail",
    "apply_audit",
    "find_trail_owner",
    "trail_name",
]
