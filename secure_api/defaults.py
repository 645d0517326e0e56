"""Every default value of the library, in one place (pure values and small pure functions)."""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

STAGE_NAME = "prod"

# Stage-wide throttling (API Gateway's account default is 10,000 rps / 5,000 burst: far too generous).
THROTTLE_RATE_LIMIT = 1000
THROTTLE_BURST_LIMIT = 2000

LOG_RETENTION = logs.RetentionDays.ONE_YEAR

# API Gateway's limits for stage and method throttling.
MAX_RATE_LIMIT = 1_000_000
MAX_BURST_LIMIT = 1_000_000
# API Gateway's default account limits in a Region (AWS raises them on request): every stage, route and
# usage-plan throttle above them is capped by them.
ACCOUNT_RATE_LIMIT = 10_000
ACCOUNT_BURST_LIMIT = 5_000

# Lambda functions the library deploys.
LAMBDA_PYTHON_VERSION = "3.14"  # the latest Python runtime Lambda offers (cdk-nag L1)
# Scheduled functions (key guard, key expiry): Lambda's attempts after a failed asynchronous run (its
# own default, written down), then the record goes to the on-failure destination (the alarm topic).
SCHEDULED_RETRY_ATTEMPTS = 2
SKIP_BUNDLING_CONTEXT = "secure-api:skipBundling"
# Bundle for the Python that runs the synthesis instead of Lambda's runtime (a local emulator).
HOST_BUNDLING_CONTEXT = "secure-api:bundleForHost"
"""Context key: ``true`` skips pip in the library's bundling (a synth that deploys nothing, e.g. in CI).
Unlike CDK's ``aws:cdk:bundling-stacks``, it can be given on the command line and in ``cdk.json``."""
LAMBDA_MEMORY_MB = 256

# Bearer authorizer.
AUTHORIZER_CACHE_TTL = Duration.minutes(5)
AUTHORIZER_LEEWAY = Duration.seconds(30)
AUTHORIZER_JWKS_CACHE_TTL = Duration.minutes(10)
AUTHORIZER_ALGORITHMS = ("RS256",)
AUTHORIZER_TIMEOUT = Duration.seconds(5)
BEARER_TOKEN_REGEX = r"^[Bb][Ee][Aa][Rr][Ee][Rr] [A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$"  # noqa: S105 (a pattern, not a secret)

# Gateway responses that carry CORS headers so browsers can read API Gateway's own errors.
CORS_GATEWAY_RESPONSES = (
    "DEFAULT_4XX",
    "DEFAULT_5XX",
    "UNAUTHORIZED",
    "ACCESS_DENIED",
    "EXPIRED_TOKEN",
    "INVALID_SIGNATURE",
    "MISSING_AUTHENTICATION_TOKEN",
    "THROTTLED",
    "QUOTA_EXCEEDED",
    "WAF_FILTERED",
    "INVALID_API_KEY",
)
CORS_ALLOW_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD")
CORS_ALLOW_HEADERS = ("Content-Type", "Authorization", "X-Api-Key", "X-Amz-Date", "X-Amz-Security-Token")
CORS_MAX_AGE = Duration.hours(1)

# ---------------------------------------------------------------------------------------------------
# Edge and audit (issue 3): firewall.py, domain.py, audit/
# ---------------------------------------------------------------------------------------------------
# WAF: the AWS managed rule groups on by default, in evaluation order.
WAF_DEFAULT_RULE_GROUPS = (
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
    "AWSManagedRulesAmazonIpReputationList",
)
WAF_SQLI_RULE_GROUP = "AWSManagedRulesSQLiRuleSet"
WAF_ANONYMOUS_IP_RULE_GROUP = "AWSManagedRulesAnonymousIpList"
WAF_BOT_CONTROL_RULE_GROUP = "AWSManagedRulesBotControlRuleSet"  # paid per request
WAF_BOT_CONTROL_INSPECTION_LEVEL = "COMMON"
WAF_RATE_LIMIT_PER_IP = 2000  # requests per evaluation window and client IP
WAF_EVALUATION_WINDOW_SEC = 300
WAF_EVALUATION_WINDOWS_SEC = (60, 120, 300, 600)  # the windows WAF accepts
WAF_MIN_RATE_LIMIT = 10
WAF_MAX_RATE_LIMIT = 2_000_000_000
WAF_API_KEY_HEADER = "x-api-key"
API_KEYS_PER_REGION = 10_000
"""API Gateway's quota of API keys per account and region (fixed: AWS does not raise it)."""
WAF_REDACTED_HEADERS = ("authorization", "x-api-key")
WAF_LOG_GROUP_PREFIX = "aws-waf-logs-"  # WAF only delivers to log groups with this prefix
WAF_MAX_IP_SET_ADDRESSES = 10_000

# The REST API's own execute-api endpoint: without a policy AWS gives a Regional REST API TLS_1_0. The
# same policy as a custom domain's default (REGIONAL and PRIVATE REST APIs accept the enhanced
# policies; the library creates no EDGE API), with STRICT: a request must reach the API through its own
# endpoint type, with a matching SNI host name.
REST_API_SECURITY_POLICY = apigw.SecurityPolicy.TLS13_1_2_PFS_PQ_2025_09
REST_API_ENDPOINT_ACCESS_MODE = apigw.EndpointAccessMode.STRICT

# Custom domain: TLS 1.2 minimum; enhanced (TLS 1.3) policies need an endpoint access mode. The default
# is one of the policies Security Hub control APIGateway.11 accepts (TLS 1.2 clients still connect, with
# forward-secret ciphers only). mTLS exists only with TLS_1_2, and WebSocket APIs offer only TLS_1_2.
DOMAIN_SECURITY_POLICY = apigw.SecurityPolicy.TLS13_1_2_PFS_PQ_2025_09
DOMAIN_MTLS_SECURITY_POLICY = apigw.SecurityPolicy.TLS_1_2
WEBSOCKET_DOMAIN_SECURITY_POLICY = apigw.SecurityPolicy.TLS_1_2
DOMAIN_ENHANCED_POLICY_ACCESS_MODE = apigw.EndpointAccessMode.STRICT

# Audit trail: bucket lifecycle and alarms.
AUDIT_TRANSITION_AFTER_DAYS = 90
AUDIT_TRANSITION_STORAGE_CLASS = s3.StorageClass.GLACIER_INSTANT_RETRIEVAL  # still queryable by Athena
AUDIT_EXPIRE_AFTER_DAYS = 2557  # 7 years
AUDIT_ACCESS_LOGS_EXPIRE_AFTER_DAYS = 365
AUDIT_OBJECT_LOCK_DAYS = 365  # GOVERNANCE mode: audit logs cannot be deleted or overwritten for a year
AUDIT_METRIC_NAMESPACE = "SecureApi/Audit"
AUDIT_ALARM_PERIOD = Duration.minutes(5)
AUDIT_ALARM_THRESHOLD = 1

# What cdk destroy deletes (secure_api/removal.py): RETAIN keeps keys, logs and the key guard table.
REMOVAL_POLICY = RemovalPolicy.RETAIN
DESTROYED_KEY_PENDING_WINDOW = Duration.days(7)  # the shortest waiting period KMS allows (7-30 days)

# --- Monitoring (secure_api/monitoring/) ---------------------------------------------------------
# Alarms evaluate one-minute periods and fire when 3 of the last 5 breach: fast enough to page on a
# real incident, slow enough that one bad minute does not.
MONITORING_ALARM_PERIOD = Duration.minutes(1)
MONITORING_EVALUATION_PERIODS = 5
MONITORING_DATAPOINTS_TO_ALARM = 3
MONITORING_ERROR_5XX_RATE = 1.0  # percent of requests in a period
MONITORING_ERROR_4XX_RATE = 10.0  # percent of requests in a period ...
MONITORING_ERROR_4XX_MIN_REQUESTS = 50  # ... with at least this many requests in it
MONITORING_P99_LATENCY = Duration.seconds(2)
MONITORING_P99_INTEGRATION_LATENCY = Duration.millis(1500)
MONITORING_THROTTLED_REQUESTS = 100  # 429 responses per period
MONITORING_AUTHORIZER_ERRORS = 1  # authorizer failures per period (see monitoring/alarms.py)
MONITORING_AUTHORIZER_THROTTLES = 1  # throttled authorizer invocations per period
MONITORING_WAF_BLOCKED_REQUESTS = 100  # requests the WebACL blocked per period
# Anomaly detection on the request count: 5-minute periods, 3 in a row above a 3-sigma band.
MONITORING_ANOMALY_BAND_WIDTH = 3.0
MONITORING_ANOMALY_PERIOD = Duration.minutes(5)
MONITORING_ANOMALY_EVALUATION_PERIODS = 3
MONITORING_TOP_CONTRIBUTORS = 10  # rows in each Contributor Insights dashboard widget
MONITORING_METRIC_NAMESPACE = "SecureApi"  # metric filters on the access logs
KEY_GUARD_METRIC_NAMESPACE = "SecureApi/KeyGuard"  # the key guard's embedded-metric-format findings

# Key guard: per-key anomaly detection (lambdas/key_guard; the same defaults as its environment).
KEY_GUARD_SCHEDULE = Duration.minutes(5)
KEY_GUARD_TIMEOUT = Duration.minutes(5)  # capped at the schedule so runs do not pile up
KEY_GUARD_QUERY_TIMEOUT = Duration.minutes(2)  # capped at half the function timeout
KEY_GUARD_MEMORY_MB = 512
KEY_GUARD_QUARANTINE_ON = ("spike", "unusual_place")
KEY_GUARD_FINDING_KINDS = ("spike", "error_burst", "unusual_time", "unusual_place", "unknown_key")
KEY_GUARD_SPIKE_MULTIPLIER = 4.0
KEY_GUARD_SPIKE_MIN_Z = 4.0
KEY_GUARD_SPIKE_MIN_REQUESTS = 50
KEY_GUARD_ERROR_RATIO = 0.5
KEY_GUARD_ERROR_MIN_REQUESTS = 20
KEY_GUARD_LEARNING_WINDOWS = 2016  # 7 days of 5-minute windows
KEY_GUARD_NEW_PREFIX_THRESHOLD = 8
KEY_GUARD_TTL_ATTRIBUTE = "expiresAt"  # baselines of keys idle for long are forgotten

# ---- Usage tiers and API keys -----------------------------------------------------------------
KEY_ROTATION_DAYS = 90
KEY_GRACE_PERIOD = Duration.hours(24)
KEY_EXPIRY_SCHEDULE = Duration.hours(1)
KEY_SECRET_PREFIX = "secure-api"  # noqa: S105 (a name prefix, not a secret)
KEY_PROVISIONER_TIMEOUT = Duration.minutes(10)  # one slice of the provisioner's work
KEY_PROVISIONER_WORK_SECONDS = 300  # a slice starts no new batch after this; well under the timeout
KEY_PROVISIONER_QUERY_INTERVAL = Duration.seconds(15)  # the provider framework's isComplete polling
# CloudFormation gives a custom resource at most one hour (ServiceTimeout 3600 s); the waiter gives up
# just before that so that the failure says "Operation timed out" instead of a bare timeout.
KEY_PROVISIONER_TOTAL_TIMEOUT = Duration.minutes(58)
# Declared consumers beyond this many bytes of JSON go into the ConsumersGzip property: the waiter state
# machine's input (the custom resource event) is limited to 256 KB.
KEY_CONSUMERS_INLINE_MAX_BYTES = 32 * 1024
KEY_ROTATION_ALARM_PERIOD = Duration.hours(1)  # rotations are rare and expiry runs hourly
KEY_PROVISIONER_ALARM_PERIOD = Duration.minutes(5)
KEY_ROTATION_TIMEOUT = Duration.minutes(5)
KEY_CREATOR_TIMEOUT = Duration.seconds(30)  # one CreateApiKey or CreateUsagePlanKey, with retries

# OpenAPI bodies (SecureRestApi.from_openapi): up to this size (compact JSON) the body is inline in the
# template, whose limit is 1 MB with everything else in it and which CDK writes indented (a body takes
# about 1.7 times its compact size there); above it, an S3 asset included with AWS::Include.
OPENAPI_INLINE_MAX_BYTES = 150_000
# API Gateway imports definitions of at most 6 MB.
OPENAPI_MAX_DEFINITION_BYTES = 6 * 1024 * 1024
# API Gateway's default quota of resources (path segments, the root included) per REST API; AWS raises
# it on request (Service Quotas, "Resources per API"): above it the library warns.
API_GATEWAY_DEFAULT_RESOURCES_PER_API = 300
# CloudFormation refuses a stack of more resources, or a template of more bytes.
CLOUDFORMATION_MAX_RESOURCES = 500
CLOUDFORMATION_MAX_TEMPLATE_BYTES = 1024 * 1024
# What a resource other than the route table's parts takes in a synthesized template, at most on
# average (the example stack's resources average well under it): the template-size estimate's base.
TEMPLATE_BYTES_PER_RESOURCE = 1500

# ---- WebSocket APIs (secure_api/websocket/) -----------------------------------------------------
WEBSOCKET_ROUTE_SELECTION_EXPRESSION = "$request.body.action"
WEBSOCKET_API_KEY_HEADER_EXPRESSION = "$request.header.x-api-key"
WEBSOCKET_API_KEY_AUTHORIZER_EXPRESSION = "$context.authorizer.usageIdentifierKey"
WEBSOCKET_LOGGING_LEVEL = "ERROR"  # execution logging: errors only, never data traces
# Without a token query parameter the $connect authorizer's identity source is the Authorization header:
# API Gateway then answers 401 to a handshake without it before the function runs.
WEBSOCKET_AUTHORIZER_IDENTITY_SOURCE = "route.request.header.Authorization"
# $connect without a connect_handler: a MOCK integration answering 200 (the handshake completes).
WEBSOCKET_MOCK_CONNECT_TEMPLATES = {"200": '{"statusCode": 200}'}
WEBSOCKET_MOCK_CONNECT_TEMPLATE_SELECTION = "200"
WEBSOCKET_MANAGE_CONNECTIONS_METHODS = ("POST", "GET", "DELETE")

# ---- HTTP APIs (secure_api/http/) ------------------------------------------------------------------
# HTTP APIs cannot be mapped to a custom domain with an enhanced (SecurityPolicy_*) policy.
HTTP_DOMAIN_SECURITY_POLICY = apigw.SecurityPolicy.TLS_1_2
# API Gateway's native JWT authorizer verifies RS256 signatures only.
HTTP_NATIVE_JWT_ALGORITHMS = ("RS256",)
HTTP_NATIVE_JWT_IDENTITY_SOURCE = "$request.header.Authorization"
# The Lambda REQUEST authorizer (payload format 2.0, IAM policy responses): its answer is cached per
# token and source address, since the IP lists it enforces make the answer depend on both.
HTTP_LAMBDA_AUTHORIZER_PAYLOAD_VERSION = "2.0"
HTTP_LAMBDA_AUTHORIZER_IDENTITY_SOURCES = ("$request.header.Authorization", "$context.identity.sourceIp")
