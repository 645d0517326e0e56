"""The compliance checks the library is held to, and every acknowledgement, each with its reason.

The packs: cdk-nag's AwsSolutions, Serverless, NIST 800-53 R5, HIPAA Security and PCI DSS 3.2.1,
cfn-guard with the Control Tower rules (as CDK validation plugins), AWS Security Hub's API Gateway
controls (the gate's own checker, also a validation plugin), checkov and cfn-lint with AWS's serverless
rules (``cfn-lint-serverless``; run on the synthesized template by ``tests/compliance``). A finding is fixed wherever the fix is real; what is
left is acknowledged here, on the narrowest construct, and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aws_cdk import Acknowledgment, CfnElement, CfnResource, Stack, Validations
from constructs import IConstruct

from secure_api import defaults

NAG_PACKS = ("AwsSolutions", "Serverless", "NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")


@dataclass(frozen=True)
class Acknowledgement:
    """Rules (``<pack>::<rule>`` for cdk-nag and cfn-guard, ``securityhub::APIGateway.<n>`` for the Security
    Hub controls, ``CKV_...`` for checkov, ``cfn-lint::<id>`` for cfn-lint and its serverless rules) and why."""

    rules: tuple[str, ...]
    reason: str


def _nag(rule: str, packs: Iterable[str] = NAG_PACKS) -> tuple[str, ...]:
    return tuple(f"{pack}::{pack}-{rule}" for pack in packs)


# Rules that name resources are written with placeholders, filled in per construct as cdk-nag prints
# the values: ``{partition}``, ``{region}`` and ``{account}`` from the construct's stack (``<AWS::Region>``
# in an env-agnostic stack, ``eu-west-1`` in one with an explicit env, ``aws`` with partition
# literals), and ``{api}``, ``{plan}``, ... with the logical ids of the constructs given for them.

# The consumers' key secrets of one API, as cdk-nag prints the resource (``{api}``: the RestApi).
_API_SECRETS = (
    f"arn:{{partition}}:secretsmanager:{{region}}:{{account}}:secret:{defaults.KEY_SECRET_PREFIX}/<{{api}}>/*"
)

ACKNOWLEDGEMENTS: dict[str, Acknowledgement] = {
    "cloudwatch-role-log-groups": Acknowledgement(
        (
            "AwsSolutions::AwsSolutions-IAM5[Resource::arn:{partition}:logs:{region}:{account}:log-group:*]",
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
        ),
        "API Gateway's CloudWatch role is account-wide: every REST API of the account and region writes its "
        "execution and access logs through it, to log groups API Gateway names at run time, so it may write to "
        "this account's and region's log groups; logs:DescribeLogGroups has no resource-level permission.",
    ),
    "xray-wildcard": Acknowledgement(
        ("AwsSolutions::AwsSolutions-IAM5[Resource::*]",),
        "Only xray:PutTraceSegments and xray:PutTelemetryRecords use '*': X-Ray has no resource-level "
        "permissions for them; every other statement names its resource.",
    ),
    "stage-cache-off": Acknowledgement(
        (
            *_nag("APIGWCacheEnabledAndEncrypted", ("NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")),
            "CKV_AWS_120",
        ),
        "Response caching is off on purpose: on an authenticated API a cached response can be served to "
        "a different caller, and a cache cluster costs money around the clock. No cached data exists to encrypt.",
    ),
    "stage-client-certificate": Acknowledgement(
        (
            *_nag("APIGWSSLEnabled", ("NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")),
            "securityhub::APIGateway.2",
        ),
        "A stage client certificate only authenticates API Gateway to HTTP backends; the integrations "
        "here are Lambda functions invoked through IAM, and clients reach the API over TLS 1.2+ only.",
    ),
    "sync-lambda-no-dlq": Acknowledgement(
        (*_nag("LambdaDLQ", ("Serverless", "NIST.800.53.R5", "HIPAA.Security")), "CKV_AWS_116"),
        "Invoked synchronously by API Gateway: a dead-letter queue only ever receives failed "
        "asynchronous invocations, so it would stay empty; failures surface as alarms instead.",
    ),
    "lambda-no-reserved-concurrency": Acknowledgement(
        (*_nag("LambdaConcurrency", ("NIST.800.53.R5", "HIPAA.Security")), "CKV_AWS_115"),
        "Reserved concurrency is opt-in (BearerAuth(reserved_concurrency=...)): a default cap would "
        "throttle legitimate traffic and fails to deploy in accounts with the minimum concurrency quota; "
        "API Gateway stage and route throttling bound the invocation rate instead.",
    ),
    "lambda-outside-vpc": Acknowledgement(
        (
            *_nag("LambdaInsideVPC", ("NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")),
            "cdk-validator-cfnguard::lambda_inside_vpc_check",
            "CKV_AWS_117",
        ),
        "The library's functions reach only AWS APIs and the issuer's public JWKS endpoint over HTTPS and "
        "hold no data at rest; a VPC would add NAT gateways or endpoints and no protection.",
    ),
    "openapi-body-validator": Acknowledgement(
        ("AwsSolutions::AwsSolutions-APIG2",),
        "The API's routes and its request validator live in its OpenAPI body (add_route and from_openapi alike), "
        "which cdk-nag cannot read; the library's own check (secure_api.rest.openapi.check, run by the compliance "
        "gate) proves every operation uses the validator that checks bodies and parameters.",
    ),
    "permission-source-arn-join": Acknowledgement(
        ("cdk-validator-cfnguard::lambda_function_public_access_prohibited_check",),
        "The permission is scoped to this API with a SourceArn built by Fn::Join from the API's id; the "
        "rule only recognises literal strings or bare Refs, so it cannot see that the permission is not public.",
    ),
    "rotation-no-dlq": Acknowledgement(
        (*_nag("LambdaDLQ", ("Serverless", "NIST.800.53.R5", "HIPAA.Security")), "CKV_AWS_116"),
        "The key rotation/expiry function is invoked synchronously by Secrets Manager (which retries a "
        "failed rotation step) and asynchronously by an hourly schedule whose expiry job is idempotent: a "
        "run that fails Lambda's retries goes to its on-failure destination (the API's alarm topic, an "
        "EventInvokeConfig), the next hour redoes what is left, and every failure trips KeyRotationErrorsAlarm.",
    ),
    "rotation-invoke-permissions": Acknowledgement(
        ("cdk-validator-cfnguard::lambda_function_public_access_prohibited_check", "cfn-lint::WS1002"),
        "The key rotation/expiry function may be invoked only by Secrets Manager on behalf of this account "
        "(SourceAccount) for this API's key secrets (SourceArn) and by this API's expiry schedule (SourceArn of the rule, a GetAtt the rule cannot "
        "read); neither permission is public. One function has both invokers on purpose: a rotation step and "
        "the hourly expiry change the same keys and secrets with the same permissions.",
    ),
    "key-creator-no-dlq": Acknowledgement(
        (*_nag("LambdaDLQ", ("Serverless", "NIST.800.53.R5", "HIPAA.Security")), "CKV_AWS_116"),
        "The API key creator is invoked synchronously by the key rotation and provisioner functions, "
        "which fail (and are retried) when it fails: a dead-letter queue only receives failed asynchronous "
        "invocations; every failure trips its KeyCreatorErrorsAlarm.",
    ),
    "provisioner-no-dlq": Acknowledgement(
        (*_nag("LambdaDLQ", ("Serverless", "NIST.800.53.R5", "HIPAA.Security")), "CKV_AWS_116"),
        "The API key provisioner is invoked synchronously by CDK's provider framework (onEvent, then the "
        "waiter's isComplete): a dead-letter queue only receives failed asynchronous invocations; a failed "
        "slice is retried by the waiter, resumes from its saved progress, and trips KeyProvisionerErrorsAlarm.",
    ),
    "key-functions-no-reserved-concurrency": Acknowledgement(
        (*_nag("LambdaConcurrency", ("NIST.800.53.R5", "HIPAA.Security")), "CKV_AWS_115"),
        "The key provisioner runs one slice at a time during deployments, the rotation/expiry function "
        "once per rotation step or hourly run and the key creator once per key they create, so none can "
        "crowd out other functions; reserving "
        "concurrency fails to deploy in accounts with the minimum concurrency quota.",
    ),
    "idempotent-schedule-no-dlq": Acknowledgement(
        ("Serverless::Serverless-EventBusDLQ", "cfn-lint::ES4000"),
        "The hourly expiry job is idempotent and its events carry a fixed input: an event EventBridge could "
        "not hand to Lambda after its retries holds nothing the next hour's run does not redo, so a target "
        "dead-letter queue would hold nothing worth replaying. A run that fails in the function goes to its "
        "on-failure destination (the alarm topic) and trips KeyRotationErrorsAlarm.",
    ),
    "key-functions-read-keys": Acknowledgement(
        ("AwsSolutions::AwsSolutions-IAM5[Resource::arn:{partition}:apigateway:{region}::/apikeys/*]",),
        "API key ids are generated at run time, so reading, updating and deleting a key (GET, PATCH, DELETE "
        "/apikeys/<id>) names /apikeys/*, each conditioned on the key's tag secure-api:api=<this API> "
        "(aws:ResourceTag): no other key, nor its value. The list of every key (GET /apikeys, with "
        "includeValues) has no tags to condition on and is granted to no function: they find their keys "
        "through this API's own usage plans (GET /usageplans/<plan>/keys).",
    ),
    "key-functions-tag-new-keys": Acknowledgement(
        (
            "AwsSolutions::AwsSolutions-IAM5[Resource::arn:{partition}:apigateway:{region}::/tags/"
            "arn%3A{partition}%3Aapigateway%3A{region}%3A%3A%2Fapikeys%2F*]",
        ),
        "Creating a tagged key also authorizes PUT on the new key's tags ARN (URL-encoded), whose id is "
        "generated at run time: only API keys, only the tag keys secure-api:api and secure-api:consumer, "
        "only secure-api:api=<this API> (aws:RequestTag, aws:TagKeys). Still broad: IAM cannot tell that "
        "PUT from TagResource on an existing key (there is no aws:ResourceTag for tags), so this role "
        "could put this API's tag on another API's key. It is the key creator's role alone, which may not "
        "change or delete any key (the functions that may have no PUT), and a TagResource on an API key "
        "trips the audit trail's api-key-tagged alarm.",
    ),
    "key-functions-plan-keys": Acknowledgement(
        (
            "AwsSolutions::AwsSolutions-IAM5[Resource::arn:{partition}:apigateway:{region}::"
            "/usageplans/<{plan}>/keys/*]",
        ),
        "Detaching a key (DELETE /usageplans/<plan>/keys/<keyId>) names a key id generated at run time; the "
        "plans are this API's own usage plans, and listing and attaching (GET, POST .../keys) name them "
        "without a wildcard. A plan's list carries its keys' values: only the key creator attaches, and only "
        "keys tagged for this API.",
    ),
    "key-functions-secrets": Acknowledgement(
        (f"AwsSolutions::AwsSolutions-IAM5[Resource::{_API_SECRETS}]",),
        "Secrets are named secure-api/<restApiId>/<consumer> at run time (with Secrets Manager's random "
        "suffix), so the key functions get this API's prefix and no other secret.",
    ),
    "provider-invoke-versions": Acknowledgement(
        ("AwsSolutions::AwsSolutions-IAM5[Resource::<{function}.Arn>:*]",),
        "The provider framework may invoke any version of the one provisioner function it serves (<arn>:*).",
    ),
    "provider-framework": Acknowledgement(
        (
            *_nag("LambdaDLQ", ("Serverless", "NIST.800.53.R5", "HIPAA.Security")),
            *_nag("LambdaConcurrency", ("NIST.800.53.R5", "HIPAA.Security")),
            "Serverless::Serverless-LambdaDefaultMemorySize",
            "cfn-lint::ES1005",
            "CKV_AWS_116",
            "CKV_AWS_115",
        ),
        "CDK's provider framework functions of the API key provisioner (onEvent, isComplete, onTimeout): they "
        "run only during deployments, a failure is reported to CloudFormation and trips KeyProviderErrorsAlarm, "
        "and CDK owns their memory setting, which cr.Provider offers no option for (they are traced with X-Ray).",
    ),
    "provider-waiter": Acknowledgement(
        (
            "AwsSolutions::AwsSolutions-SF1",
            "AwsSolutions::AwsSolutions-IAM5[Resource::<{waiter_targets}.Arn>:*]",
            "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
            *_nag("IAMNoInlinePolicy", ("NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")),
        ),
        "CDK's waiter state machine of the API key provisioner only calls the isComplete and onTimeout "
        "framework functions (any version, <arn>:*) until the work is done; CDK grants that and Step "
        "Functions' log delivery (whose APIs take no resource) in an inline policy of the role it creates, "
        "the only one no option replaces. It logs errors without execution data (the input is the custom "
        "resource event) and is traced.",
    ),
    "provider-waiter-log-delivery": Acknowledgement(
        ("CKV_AWS_111",),
        "The write actions without a resource in CDK's waiter role are Step Functions' log delivery APIs "
        "(logs:CreateLogDelivery and friends) and X-Ray trace submission, which have no resource-level "
        "permissions; everything else in that policy names the two framework functions it invokes.",
    ),
    "key-guard-logs-query-results": Acknowledgement(
        ("AwsSolutions::AwsSolutions-IAM5[Resource::*]",),
        "logs:GetQueryResults and logs:StopQuery have no resource-level permissions; the key guard may only "
        "start queries on the API's own access log group.",
    ),
    "key-guard-api-key-ids": Acknowledgement(
        (
            "AwsSolutions::AwsSolutions-IAM5[Resource::arn:{partition}:apigateway:{region}::/apikeys/*]",
            "AwsSolutions::AwsSolutions-IAM5[Resource::arn:{partition}:apigateway:{region}::/tags/*]",
        ),
        "API keys are created at run time, so the key guard cannot name their ids: it may read any key, disable "
        "only keys tagged secure-api:api=<this API> (aws:ResourceTag) and set only the quarantine tags (aws:TagKeys).",
    ),
    "key-guard-schedule-no-dlq": Acknowledgement(
        ("Serverless::Serverless-EventBusDLQ", "cfn-lint::ES4000"),
        "The key guard reads nothing from the schedule's events (it evaluates the last complete window at run "
        "time), so an event EventBridge could not hand to Lambda after its retries could not be replayed from "
        "a target dead-letter queue to recover its window; the next run evaluates the next window. Failed "
        "runs of the key guard go to its on-failure destination (the alarm topic) and the KeyGuardErrors alarm.",
    ),
    "key-guard-failure-destination": Acknowledgement(
        (*_nag("LambdaDLQ", ("Serverless", "NIST.800.53.R5", "HIPAA.Security")), "CKV_AWS_116"),
        "The key guard runs only asynchronously (its schedule), and a run that fails Lambda's retries goes to "
        "its on-failure destination, the API's alarm topic (an EventInvokeConfig whose record carries the "
        "error); a dead-letter queue as well would deliver every failed run twice.",
    ),
    "key-guard-table-no-backup-plan": Acknowledgement(
        _nag("DynamoDBInBackupPlan", ("NIST.800.53.R5", "HIPAA.Security")),
        "The table holds only per-key baselines the key guard relearns from the access logs; point-in-time "
        "recovery and deletion protection cover it, and a Backup plan would add cost and nothing recoverable.",
    ),
    "audit-bucket-no-replication": Acknowledgement(
        _nag("S3BucketReplicationEnabled", ("NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")),
        "Replication needs a destination bucket in another region or account, which one regional stack "
        "cannot own; the audit buckets are versioned, Object Lock (AuditTrail.object_lock_days, on by "
        "default) protects every object, CloudTrail's log file validation proves tampering, and accounts "
        "with an organization trail use AuditTrail.existing().",
    ),
    "access-logs-bucket-sse-s3": Acknowledgement(
        (
            *_nag("S3DefaultEncryptionKMS", ("NIST.800.53.R5", "HIPAA.Security", "PCI.DSS.321")),
            "cdk-validator-cfnguard::s3_bucket_default_encryption_kms_check",
        ),
        "S3 delivers server access logs only to a bucket whose default encryption is SSE-S3 (AES-256): with "
        "SSE-KMS as default the logs are silently dropped. The trail itself is in the KMS-encrypted bucket.",
    ),
    "access-logs-bucket-not-logged": Acknowledgement(
        ("cdk-validator-cfnguard::s3_bucket_logging_enabled_check", "CKV_AWS_18"),
        "This is the server access log bucket of the trail bucket; logging it into itself would log its own "
        "log deliveries without end, and a third bucket would only move the finding there.",
    ),
    "bucket-emptier-no-dlq": Acknowledgement(
        (*_nag("LambdaDLQ", ("Serverless", "NIST.800.53.R5", "HIPAA.Security")), "CKV_AWS_116"),
        "The bucket emptier runs only when CloudFormation deletes the development stack's audit trail "
        "(AuditTrail(removal_policy=DESTROY)); it answers CloudFormation itself, FAILED with the reason "
        "when a bucket cannot be emptied, so a failure shows in the stack's events and the deletion can be "
        "retried: a dead-letter queue would hold a stale deletion event nobody can replay.",
    ),
    "bucket-emptier-no-reserved-concurrency": Acknowledgement(
        (*_nag("LambdaConcurrency", ("NIST.800.53.R5", "HIPAA.Security")), "CKV_AWS_115"),
        "The bucket emptier runs once, when the stack is deleted, so it cannot crowd out other functions; "
        "reserving concurrency fails to deploy in accounts with the minimum concurrency quota.",
    ),
    "bucket-emptier-objects": Acknowledgement(
        ("AwsSolutions::AwsSolutions-IAM5[Resource::<{buckets}.Arn>/*]",),
        "Emptying a bucket deletes every object version in it, whose keys CloudTrail chooses at run time: "
        "the object actions name each audit bucket's objects (<bucket>/*), and no other bucket.",
    ),
    "alarm-email-no-redrive": Acknowledgement(
        ("Serverless::Serverless-SNSRedrivePolicy", "cfn-lint::ES7000"),
        "An e-mail subscription's failed deliveries are retried by SNS; the alarm and its state history stay "
        "in CloudWatch and on the dashboard, so a dead-letter queue would only hold copies nobody reads.",
    ),
    "authorizer-key-secrets": Acknowledgement(
        (f"AwsSolutions::AwsSolutions-IAM5[Resource::{_API_SECRETS}]",),
        "With BearerAuth(api_key_claim=...) the authorizer returns the key of whichever consumer the token "
        "names, so it reads secrets under this API's secure-api/<restApiId>/ prefix and no others.",
    ),
    "domain-tls13-policy": Acknowledgement(
        ("cdk-validator-cfnguard::api_gw_domain_tls_check",),
        "The Control Tower rule accepts only the literal 'TLS_1_2'; the domain uses one of API Gateway's "
        "enhanced SecurityPolicy_TLS13_* policies, which allow TLS 1.2 at the least and TLS 1.3 first.",
    ),
    "domain-mtls-tls12": Acknowledgement(
        ("securityhub::APIGateway.11",),
        "The domain has mutual TLS (CustomDomain.mtls), which AWS cannot combine with an enhanced "
        "SecurityPolicy_* policy: API Gateway offers mutual TLS only with TLS_1_2, which still refuses TLS 1.0 "
        "and 1.1; every client must present a certificate from the version-pinned truststore, and the "
        "execute-api endpoint is disabled so the domain cannot be bypassed.",
    ),
    "function-log-group": Acknowledgement(
        ("cfn-lint::WS1004",),
        "The function writes to its own log group, KMS-encrypted and with a retention, named in its "
        "LoggingConfig; the rule only recognises a log group named /aws/lambda/<function name>, which this "
        "function never writes to (naming ours so would need a fixed function name or a dependency cycle).",
    ),
    "role-dependency": Acknowledgement(
        ("cfn-lint::W3005",),
        "CDK makes a function depend explicitly on its role so that the role's policies exist before the "
        "function is invoked; the extra DependsOn is redundant and harmless.",
    ),
    "websocket-route-on-connection": Acknowledgement(
        (
            "securityhub::APIGateway.8",
            "AwsSolutions::AwsSolutions-APIG4",
            "cdk-validator-cfnguard::api_gw_v2_authorization_type_configured_check",
        ),
        "AWS allows an authorizer (or AWS_IAM) only on a WebSocket API's $connect route: every other route "
        "(custom keys, $default, $disconnect) runs on a connection that $connect has already authorized.",
    ),
    "websocket-domain-tls12": Acknowledgement(
        ("securityhub::APIGateway.11",),
        "API Gateway supports only the TLS_1_2 security policy on custom domains of WebSocket APIs; the "
        "enhanced SecurityPolicy_* policies that APIGateway.11 recommends are refused for them at deploy time.",
    ),
    "http-domain-tls12": Acknowledgement(
        ("securityhub::APIGateway.11",),
        "API Gateway cannot map an HTTP API to a custom domain with an enhanced SecurityPolicy_* policy (the "
        "ones APIGateway.11 recommends): TLS_1_2 is the only policy an HTTP API's domain can have, and it "
        "still refuses TLS 1.0 and 1.1; the execute-api endpoint is disabled so the domain cannot be bypassed.",
    ),
}

IGNORE_ACKNOWLEDGEMENTS = "secure-api:compliance:ignoreAcknowledgements"
_PLACEHOLDERS = ("{partition}", "{region}", "{account}")


def acknowledge(scope: IConstruct, *names: str, **resources: IConstruct | Sequence[IConstruct]) -> None:
    """Acknowledge the named findings on ``scope`` (cdk-nag and cfn-guard: the constructs under it too;
    checkov and cfn-lint: its CloudFormation resource).

    Placeholders in a rule are filled in as cdk-nag prints the values, so that the acknowledgement
    matches in env-agnostic and env-specific stacks alike: ``{partition}``, ``{region}``,
    ``{account}`` from ``scope``'s stack, and any other ``{name}`` with the logical ids of the
    constructs given as ``name=...``.

    With the context key ``secure-api:compliance:ignoreAcknowledgements`` set, nothing is acknowledged:
    the compliance report uses that to count every finding before acknowledgement. Rules that name
    resources (``{plan}``) are expanded with the logical ids of the constructs given for them.
    """
    if scope.node.try_get_context(IGNORE_ACKNOWLEDGEMENTS):
        return
    acknowledgements = [ACKNOWLEDGEMENTS[name] for name in names]
    # Each value costs calls into CDK's Node process: resolve only the placeholders the rules use.
    placeholders = {
        key for ack in acknowledgements for rule in ack.rules for key in _PLACEHOLDERS if key in rule
    }
    ids: dict[str, list[str]] = {}
    if placeholders:
        stack = Stack.of(scope)
        values = {"{partition}": stack.partition, "{region}": stack.region, "{account}": stack.account}
        ids = {key.strip("{}"): [nag_text(stack, values[key])] for key in placeholders}
    ids.update({key: _logical_ids(value) for key, value in resources.items()})
    validations = None
    for ack in acknowledgements:
        for rule in _expand(ack.rules, ids):
            if rule.startswith("CKV"):
                _add_to_metadata(scope, "checkov", "skip", {"id": rule, "comment": ack.reason})
            elif rule.startswith("cfn-lint::"):
                _add_to_metadata(scope, "cfn-lint", "config", rule.removeprefix("cfn-lint::"))
            else:
                validations = validations or Validations.of(scope)
                validations.acknowledge(Acknowledgment(id=rule, reason=ack.reason))


def nag_text(stack: Stack, value: Any) -> str:
    """``value`` as cdk-nag prints it in a finding: resolved, references as ``<LogicalId>``,
    ``<LogicalId.Attribute>`` or ``<AWS::Region>``, joins joined (cdk-nag's ``flattenCfnReference``)."""
    return _flatten(stack.resolve(value))


def _flatten(node: Any) -> str:
    if isinstance(node, str):
        return node.replace("${", "<").replace("}", ">")
    if isinstance(node, dict):
        if "Ref" in node:
            return f"<{_flatten(node['Ref'])}>"
        if "Fn::GetAtt" in node:
            resource, attribute = node["Fn::GetAtt"]
            return f"<{_flatten(resource)}.{_flatten(attribute)}>"
        if "Fn::Join" in node:
            delimiter, items = node["Fn::Join"]
            return str(delimiter).join(_flatten(item) for item in items)
    return str(node)


def _logical_ids(value: IConstruct | Sequence[IConstruct]) -> list[str]:
    constructs = list(value) if isinstance(value, Sequence) else [value]
    out = []
    for construct in constructs:
        resource = construct if isinstance(construct, CfnElement) else construct.node.default_child
        assert isinstance(resource, CfnElement), construct.node.path
        out.append(str(Stack.of(resource).resolve(Stack.of(resource).get_logical_id(resource))))
    return out


def _expand(rules: Sequence[str], ids: dict[str, list[str]]) -> list[str]:
    expanded: list[str] = []
    for rule in rules:
        variants = [rule]
        for key, values in ids.items():
            if "{" + key + "}" in rule:
                variants = [v.replace("{" + key + "}", value) for v in variants for value in values]
        expanded += [v for v in variants if "{" not in v]
    return expanded


def _add_to_metadata(scope: IConstruct, tool: str, key: str, entry: Any) -> None:
    resource = scope if isinstance(scope, CfnResource) else scope.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{tool} acknowledgement needs a CloudFormation resource, not {scope.node.path}")
    metadata: dict[str, Any] = resource.get_metadata(tool) or {}
    if tool == "cfn-lint":
        metadata.setdefault("config", {}).setdefault("ignore_checks", []).append(entry)
    else:
        metadata.setdefault(key, []).append(entry)
    resource.add_metadata(tool, metadata)


def validation_plugins() -> list[Any]:
    """The five cdk-nag packs and cfn-guard with the Control Tower rules, for ``Validations.add_plugins``."""
    import cdk_nag
    from cdklabs.cdk_validator_cfnguard import CfnGuardValidator

    return [
        cdk_nag.AwsSolutionsChecks(),
        cdk_nag.ServerlessChecks(),
        cdk_nag.NIST80053R5Checks(),
        cdk_nag.HIPAASecurityChecks(),
        cdk_nag.PCIDSS321Checks(),
        CfnGuardValidator(control_tower_rules_enabled=True),
    ]
