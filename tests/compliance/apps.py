"""The stacks the compliance gate checks, and the apps it builds them in.

Each builder makes one stack in an app, under the id it is given and, for the env-specific runs, with
an explicit account and region (cdk-nag then prints literal ARNs, which acknowledgements must match).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns

from example.http_stack import HttpExampleStack
from example.openapi_stack import OpenApiExampleStack
from example.stack import ExampleStack, orders_function
from example.websocket_stack import WebSocketExampleStack
from secure_api import (
    AccessPolicy,
    AuditTrail,
    BearerAuth,
    Consumer,
    CorsPolicy,
    CustomDomain,
    Firewall,
    Monitoring,
    MutualTls,
    SecureHttpApi,
    SecureRestApi,
    SecureWebSocketApi,
    Throttle,
    UsageTier,
)
from secure_api.rest.firewall import ManagedRuleGroup
from tests.fixtures.openapi_documents import github_hostable, operation_ids

ENV = cdk.Environment(account="123456789012", region="eu-west-1")
"""The account and region of the env-specific stacks."""

_CERTIFICATE_ARN = "arn:aws:acm:eu-west-1:123456789012:certificate/12345678-1234-1234-1234-123456789012"
"""The imported certificate of the stacks with a custom domain given by certificate ARN."""
_PARTNERS_MTLS = MutualTls(
    truststore_bucket="truststores-example",
    truststore_key="partners/truststore.pem",
    truststore_version="3sL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY",
)
"""The truststore (bucket given by name) of the stacks with a mutual TLS domain."""

StackBuilder = Callable[[cdk.App, str, "cdk.Environment | None"], cdk.Stack]


def example(
    app: cdk.App, stack_id: str = "SecureApiExample", env: cdk.Environment | None = None
) -> cdk.Stack:
    """The example app's stack, exactly as ``make synth`` builds it."""
    return ExampleStack(app, stack_id, env=env)


def variants(
    app: cdk.App, stack_id: str = "SecureApiVariants", env: cdk.Environment | None = None
) -> cdk.Stack:
    """The branches the example does not take: an imported certificate with a TLS 1.3 policy and a
    multi-level base path, an organization trail, every optional WAF rule, keys from the authorizer, auto-quarantine."""
    stack = cdk.Stack(app, stack_id, env=env)
    api = SecureRestApi(
        stack,
        "VariantsApi",
        domain=CustomDomain(
            domain_name="api.example.org",
            certificate_arn=_CERTIFICATE_ARN,
            security_policy=apigw.SecurityPolicy.TLS13_1_3_2025_09,
            base_path="v2/orders",
        ),
        firewall=Firewall(
            rule_groups=[
                ManagedRuleGroup(
                    name="AWSManagedRulesCommonRuleSet", excluded_rules=["SizeRestrictions_BODY"]
                ),
                ManagedRuleGroup(name="AWSManagedRulesKnownBadInputsRuleSet"),
                ManagedRuleGroup(name="AWSManagedRulesAmazonIpReputationList", count_only=True),
            ],
            sql_injection=True,
            anonymous_ip=True,
            bot_control=True,
            # No rate_limit_per_api_key: with api_key_claim clients send no x-api-key header.
            evaluation_window_sec=60,
            allow_ip_ranges=["198.51.100.0/24", "2001:db8:1::/48"],
            block_ip_ranges=["192.0.2.0/24"],
            block_countries=["KP"],
        ),
        audit=AuditTrail.existing("aws-controltower/CloudTrailLogs"),
        auth=BearerAuth(
            issuer="https://id.example.org/", audience=["orders"], api_key_claim="custom:api_key_consumer"
        ),
        usage_tiers=[UsageTier("standard")],
        consumers=[Consumer("batch", tier="standard"), Consumer("legacy", tier="standard", enabled=False)],
        monitoring=Monitoring(auto_quarantine=True, quarantine_exempt=["batch"]),
    )
    api.add_route("GET", "/orders/{id}", orders_function(stack), scopes=["orders:read"])
    return stack


def openapi(
    app: cdk.App, stack_id: str = "SecureApiOpenApiExample", env: cdk.Environment | None = None
) -> cdk.Stack:
    """The example app's second stack: the orders API from an OpenAPI document."""
    return OpenApiExampleStack(app, stack_id, env=env)


def websocket(
    app: cdk.App, stack_id: str = "SecureApiWebSocketExample", env: cdk.Environment | None = None
) -> cdk.Stack:
    """The example app's chat WebSocket API, exactly as ``make synth`` builds it."""
    return WebSocketExampleStack(app, stack_id, env=env)


def websocket_iam(app: cdk.App, stack_id: str, env: cdk.Environment | None = None) -> cdk.Stack:
    """A WebSocket API with the defaults and ``auth="iam"``: AWS_IAM on $connect, MOCK $connect."""
    stack = cdk.Stack(app, stack_id, env=env)
    api = SecureWebSocketApi(stack, "Api", auth="iam")
    api.add_route("$default", orders_function(stack))
    return stack


def http(
    app: cdk.App, stack_id: str = "SecureApiHttpExample", env: cdk.Environment | None = None
) -> cdk.Stack:
    """The example app's orders HTTP API, exactly as ``make synth`` builds it (native JWT authorizer)."""
    return HttpExampleStack(app, stack_id, env=env)


def http_lambda(app: cdk.App, stack_id: str, env: cdk.Environment | None = None) -> cdk.Stack:
    """An HTTP API with what the native authorizer cannot do (IP lists: the Lambda authorizer), a custom
    domain with mutual TLS (certificate by ARN), CORS with credentials and an IAM route."""
    stack = cdk.Stack(app, stack_id, env=env)
    api = SecureHttpApi(
        stack,
        "Api",
        auth=_AUTH,
        access=AccessPolicy(allow_ip_ranges=["203.0.113.0/24"], deny_ip_ranges=["203.0.113.128/25"]),
        cors=CorsPolicy(["https://app.example.com"], allow_credentials=True),
        domain=CustomDomain(
            domain_name="partners-http.example.org",
            certificate_arn=_CERTIFICATE_ARN,
            mtls=_PARTNERS_MTLS,
        ),
    )
    backend = orders_function(stack)
    api.add_route(
        "GET",
        "/orders/{id}",
        backend,
        scopes=["orders:read"],
        throttle=Throttle(rate_limit=10, burst_limit=20),
    )
    api.add_route("ANY", "/admin/{proxy+}", backend, auth="iam")
    return stack


def github(app: cdk.App, stack_id: str = "SecureApiGitHub", env: cdk.Environment | None = None) -> cdk.Stack:
    """A real published document with 1,200 operations (GitHub's REST API), every protection on."""
    stack = cdk.Stack(app, stack_id, env=env)
    document, _ = github_hostable()
    backend = orders_function(stack)
    api = SecureRestApi.from_openapi(
        stack,
        "GitHubApi",
        document,
        integrations=dict.fromkeys(operation_ids(document), backend),
        cors=CorsPolicy(["https://app.example.com"]),
        auth=BearerAuth(issuer="https://login.example.com/", audience=["github"]),
        usage_tiers=[UsageTier("standard")],
        consumers=[Consumer("ci", tier="standard")],
        monitoring=Monitoring(alarm_email="oncall@example.com"),
    )
    cdk.Annotations.of(api).acknowledge_warning(
        "secure-api:openapi-body-unvalidated",
        "GitHub's document has octet-stream and form bodies; their backend validates them",
    )
    cdk.Annotations.of(api).acknowledge_warning(
        "secure-api:path-resource-quota",
        "GitHub's 1,201 operations need more path resources than API Gateway's default quota: deploying "
        "it takes a raised 'Resources per API' quota, which is the warning's point, not a finding",
    )
    return stack


_AUTH = BearerAuth(issuer="https://login.example.com/", audience=["orders-api"])


def iam_routes(app: cdk.App, stack_id: str, env: cdk.Environment | None = None) -> cdk.Stack:
    """A default API (no option given) whose routes use IAM authorization."""
    stack = cdk.Stack(app, stack_id, env=env)
    api = SecureRestApi(stack, "Api")
    # The warning that the API has no BearerAuth is the point of this configuration.
    cdk.Annotations.of(api).acknowledge_warning("secure-api:auth-disabled", "IAM-only API")
    backend = orders_function(stack)
    api.add_route("GET", "/orders", backend, auth="iam")
    api.add_route("POST", "/orders", backend, auth="iam")
    return stack


def private(app: cdk.App, stack_id: str, env: cdk.Environment | None = None) -> cdk.Stack:
    """A PRIVATE API reachable through one VPC endpoint."""
    stack = cdk.Stack(app, stack_id, env=env)
    api = SecureRestApi(
        stack, "Api", access=AccessPolicy.private(vpc_endpoint_ids=["vpce-0123456789abcdef0"]), auth=_AUTH
    )
    api.add_route("GET", "/orders", orders_function(stack), scopes=["orders:read"])
    return stack


def shared_bearer(app: cdk.App, stack_id: str, env: cdk.Environment | None = None) -> cdk.Stack:
    """Two default APIs in one stack sharing one ``BearerAuth`` (and, by default, one trail)."""
    stack = cdk.Stack(app, stack_id, env=env)
    backend = orders_function(stack)
    orders = SecureRestApi(stack, "OrdersApi", auth=_AUTH)
    orders.add_route("GET", "/orders/{id}", backend, scopes=["orders:read"])
    billing = SecureRestApi(stack, "BillingApi", auth=_AUTH)
    billing.add_route("GET", "/invoices/{id}", backend)
    return stack


def mtls_domain(app: cdk.App, stack_id: str, env: cdk.Environment | None = None) -> cdk.Stack:
    """An API behind a custom domain with mutual TLS (truststore bucket given by name): TLS_1_2, the
    only policy AWS offers with it, and its APIGateway.11 finding acknowledged."""
    stack = cdk.Stack(app, stack_id, env=env)
    api = SecureRestApi(
        stack,
        "Api",
        domain=CustomDomain(
            domain_name="partners.example.org",
            certificate_arn=_CERTIFICATE_ARN,
            mtls=_PARTNERS_MTLS,
        ),
        auth=_AUTH,
    )
    # The warning that mutual TLS means TLS_1_2 is the point of this configuration.
    cdk.Annotations.of(api).acknowledge_warning("secure-api:domain-mtls-tls12", "mutual TLS on purpose")
    api.add_route("GET", "/orders", orders_function(stack), scopes=["orders:read"])
    return stack


def cloudwatch_role(app: cdk.App, stack_id: str, env: cdk.Environment | None = None) -> cdk.Stack:
    """An API that also creates the account's API Gateway CloudWatch role."""
    stack = cdk.Stack(app, stack_id, env=env)
    api = SecureRestApi(stack, "Api", auth=_AUTH, create_cloudwatch_role=True)
    api.add_route("GET", "/orders", orders_function(stack))
    return stack


def hundred_routes(app: cdk.App, stack_id: str, env: cdk.Environment | None = None) -> cdk.Stack:
    """An API with 100 routes: GET and POST on 50 paths, half of them scoped."""
    stack = cdk.Stack(app, stack_id, env=env)
    api = SecureRestApi(stack, "Api", auth=_AUTH)
    backend = orders_function(stack)
    for i in range(50):
        api.add_route("GET", f"/collection{i}", backend, scopes=[f"c{i}:read"] if i % 2 else [])
        api.add_route("POST", f"/collection{i}", backend, scopes=[f"c{i}:write"] if i % 2 else [])
    return stack


def dev_destroy(app: cdk.App, stack_id: str, env: cdk.Environment | None = None) -> cdk.Stack:
    """A development stack: a REST API with usage tiers and a WebSocket API, both with
    ``removal_policy=DESTROY`` and an ``AuditTrail(removal_policy=DESTROY)`` (the bucket emptier)."""
    stack = cdk.Stack(app, stack_id, env=env)
    audit = AuditTrail(removal_policy=cdk.RemovalPolicy.DESTROY, object_lock_days=None)
    backend = orders_function(stack)
    rest = SecureRestApi(
        stack,
        "Api",
        auth=_AUTH,
        audit=audit,
        usage_tiers=[UsageTier("free")],
        consumers=[Consumer("dev-app", tier="free")],
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    rest.add_route("GET", "/orders", backend)
    chat = SecureWebSocketApi(
        stack, "Chat", auth="iam", audit=audit, removal_policy=cdk.RemovalPolicy.DESTROY
    )
    chat.add_route("$default", backend)
    # The warnings that cdk destroy deletes keys, logs and evidence are the point of this configuration.
    for api in (rest, chat):
        for warning in ("secure-api:removal-policy-destroy", "secure-api:audit-removal-policy-destroy"):
            cdk.Annotations.of(api).acknowledge_warning(warning, "a development stack on purpose")
    return stack


def insecure(app: cdk.App, stack_id: str, env: cdk.Environment | None = None) -> cdk.Stack:
    """Plain CDK resources every checker finds something in: proof that the checkers run."""
    stack = cdk.Stack(app, stack_id, env=env)
    s3.Bucket(stack, "Bucket")
    # A TLS-only topic policy replaces SNS's default one: the alarm cannot notify.
    alarm = cloudwatch.Alarm(
        stack,
        "Alarm",
        metric=cloudwatch.Metric(namespace="Insecure", metric_name="Errors"),
        threshold=0,
        evaluation_periods=1,
    )
    alarm.add_alarm_action(cw_actions.SnsAction(sns.Topic(stack, "Topic", enforce_ssl=True)))
    lambda_.Function(
        stack,
        "Function",
        runtime=lambda_.Runtime.PYTHON_3_13,
        handler="index.handler",
        code=lambda_.Code.from_inline("def handler(event, context):\n    return None\n"),
    )
    return stack


STACKS: dict[str, StackBuilder] = {
    "example": example,
    "variants": variants,
    "openapi": openapi,
    "websocket": websocket,
    "http": http,
}
"""The stacks ``make compliance`` reports on and the README describes."""

CONFIGURATIONS: dict[str, StackBuilder] = {
    "iam-routes": iam_routes,
    "private": private,
    "shared-bearer": shared_bearer,
    "mtls-domain": mtls_domain,
    "cloudwatch-role": cloudwatch_role,
    "hundred-routes": hundred_routes,
    "github": github,
    "websocket-iam": websocket_iam,
    "http-lambda": http_lambda,
    "dev-destroy": dev_destroy,
}
"""Configurations the example does not cover, each in its own stack."""

BUILDERS: dict[str, StackBuilder] = {**STACKS, **CONFIGURATIONS, "insecure": insecure}


@dataclass(frozen=True)
class GateStack:
    """One stack of a gate app: the builder's name and whether the stack has an explicit env."""

    builder: str
    env_specific: bool = False

    @property
    def stack_id(self) -> str:
        """The stack's id (unique in its app)."""
        words = "".join(word.title() for word in self.builder.split("-"))
        return f"Gate{words}{'Eu' if self.env_specific else ''}"

    def build(self, app: cdk.App) -> cdk.Stack:
        """The stack, in ``app``."""
        return BUILDERS[self.builder](app, self.stack_id, ENV if self.env_specific else None)


_EVERY = (
    *(GateStack(name) for name in (*STACKS, *CONFIGURATIONS)),
    GateStack("example", True),
    GateStack("variants", True),
    GateStack("websocket", True),
    GateStack("http", True),
)
GATE: dict[str, tuple[GateStack, ...]] = {
    # The repository's flags: every configuration, env-agnostic, and the two main stacks env-specific.
    "cdk.json": _EVERY,
    # What `cdk init` writes (today the same flags as cdk.json: the gate then reuses that synthesis).
    "cdk-init": _EVERY,
    # A user's app without flags: the two main stacks, and the example env-specific (without partition
    # literals, cdk-nag then prints <AWS::Partition> next to a literal region and account).
    "none": (
        GateStack("example"),
        GateStack("variants"),
        GateStack("example", True),
        GateStack("websocket"),
        GateStack("http"),
    ),
}
"""Per feature-flag set (``tests.cdk_context.FLAG_SETS``): the stacks built together in one app."""
