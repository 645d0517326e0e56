"""Every default value of the library, in one place (pure values and small pure functions)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_logs as logs

STAGE_NAME = "prod"

# Stage-wide throttling (API Gateway's account default is 10,000 rps / 5,000 burst: far too generous).
THROTTLE_RATE_LIMIT = 1000
THROTTLE_BURST_LIMIT = 2000

LOG_RETENTION = logs.RetentionDays.ONE_YEAR

# API Gateway's limits for stage and method throttling.
MAX_RATE_LIMIT = 1_000_000
MAX_BURST_LIMIT = 1_000_000

# Lambda functions the library deploys.
LAMBDA_PYTHON_VERSION = "3.14"  # the latest Python runtime Lambda offers (cdk-nag L1)
LAMBDA_MEMORY_MB = 256

# Bearer authorizer.
AUTHORIZER_CACHE_TTL = Duration.minutes(5)
AUTHORIZER_LEEWAY = Duration.seconds(30)
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
