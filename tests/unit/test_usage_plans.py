from __future__ import annotations

import json
import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template

from secure_api import BearerAuth, Consumer, Quota, SecureRestApi, Throttle, UsageTier
from secure_api.errors import SecureApiConfigError
from secure_api.rest.openapi.render import KEY_SCHEME
from secure_api.usage_plans import KeyRotation, check_tiers_and_consumers
from tests.cdk_context import app_context
from tests.unit.helpers import inline_function, new_stack, operations, resources

TIERS = [
    UsageTier(
        "gold",
        throttle=Throttle(rate_limit=500, burst_limit=1000),
        quota=Quota(limit=1_000_000, period=apigw.Period.MONTH, offset=2),
        method_throttles={"GET /orders/{id}": Throttle(rate_limit=50, burst_limit=0)},
    ),
    UsageTier(
        "silver",
        throttle=Throttle(rate_limit=10, burst_limit=20),
        quota=Quota(limit=1000, period=apigw.Period.DAY),
    ),
]
CONSUMERS = [Consumer("mobile-app", tier="gold"), Consumer("partner", tier="silver", enabled=False)]


def _tiered_stack(consumers: list[Consumer] = CONSUMERS) -> tuple[cdk.Stack, SecureRestApi]:
    _, stack = new_stack()
    api = SecureRestApi(stack, "Api", usage_tiers=TIERS, consumers=consumers)
    backend = inline_function(stack)
    api.add_route("GET", "/orders", backend, auth="iam")
    api.add_route("GET", "/orders/{id}", backend, auth="iam")
    api.add_route("GET", "/health", backend, auth="none", api_key_required=False)
    return stack, api


@pytest.fixture(scope="module")
def tiered() -> tuple[cdk.Stack, SecureRestApi, Template]:
    stack, api = _tiered_stack()
    role = iam.Role(stack, "AppRole", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    api.grant_read_key("mobile-app", role)
    return stack, api, Template.from_stack(stack)


def _plans(template: Template) -> dict[str, dict[str, object]]:
    out = {}
    for plan in resources(template, "AWS::ApiGateway::UsagePlan").values():
        tags = {t["Key"]: t["Value"] for t in plan["Properties"]["Tags"]}
        out[tags["secure-api:tier"]] = plan
    return out


def test_one_tagged_plan_per_tier_on_the_stage(tiered: tuple[cdk.Stack, SecureRestApi, Template]) -> None:
    _, api, template = tiered
    plans = _plans(template)
    assert sorted(plans) == ["gold", "silver"]
    gold = plans["gold"]["Properties"]
    assert gold["Throttle"] == {"RateLimit": 500, "BurstLimit": 1000}
    assert gold["Quota"] == {"Limit": 1_000_000, "Period": "MONTH", "Offset": 2}
    stage_id = next(iter(resources(template, "AWS::ApiGateway::Stage")))
    assert gold["ApiStages"][0]["Stage"] == {"Ref": stage_id}  # the Ref orders the plan after the stage
    assert set(api.usage_plans) == {"gold", "silver"}


def test_method_throttles_use_usage_plan_encoding(tiered: tuple[cdk.Stack, SecureRestApi, Template]) -> None:
    _, _, template = tiered
    gold = _plans(template)["gold"]["Properties"]
    assert gold["ApiStages"][0]["Throttle"] == {"/orders/{id}/GET": {"RateLimit": 50, "BurstLimit": 0}}
    assert not _plans(template)["silver"]["Properties"]["ApiStages"][0].get("Throttle")


def test_method_throttle_key_with_dots_stays_one_key() -> None:
    """A '.' in a path (``/v1.0/items``) must not split the usage plan's throttle key into nested
    objects: API Gateway reads the key ``/v1.0/items/GET`` whole."""
    _, stack = new_stack()
    tier = UsageTier("gold", method_throttles={"GET /v1.0/items": Throttle(rate_limit=5, burst_limit=10)})
    api = SecureRestApi(stack, "Api", usage_tiers=[tier])
    api.add_route("GET", "/v1.0/items", inline_function(stack), auth="iam")
    gold = _plans(Template.from_stack(stack))["gold"]["Properties"]
    assert gold["ApiStages"][0]["Throttle"] == {"/v1.0/items/GET": {"RateLimit": 5, "BurstLimit": 10}}


def test_routes_require_keys_once_tiers_exist(tiered: tuple[cdk.Stack, SecureRestApi, Template]) -> None:
    _, _, template = tiered
    ops = operations(template)
    required = {key: KEY_SCHEME in op["security"][0] for key, op in ops.items() if op["security"]}
    assert required == {"GET /orders": True, "GET /orders/{id}": True}
    assert ops["GET /health"]["security"] == []
    api = next(iter(resources(template, "AWS::ApiGateway::RestApi").values()))["Properties"]
    assert api["ApiKeySourceType"] == "HEADER"


def test_one_custom_resource_for_every_consumer(tiered: tuple[cdk.Stack, SecureRestApi, Template]) -> None:
    _, _, template = tiered
    provisioners = resources(template, "Custom::SecureApiKeys")
    assert len(provisioners) == 1
    props = next(iter(provisioners.values()))["Properties"]
    assert props["Consumers"] == [
        {"name": "mobile-app", "tier": "gold", "enabled": "true"},
        {"name": "partner", "tier": "silver", "enabled": "false"},
    ]
    assert set(props["UsagePlans"]) == {"gold", "silver"}
    assert props["RotationDays"] == "90" and props["GraceHours"] == "24"
    assert not resources(template, "AWS::ApiGateway::ApiKey")
    assert not resources(template, "AWS::SecretsManager::Secret")


def test_consumer_count_does_not_grow_the_template() -> None:
    small, _ = _tiered_stack([Consumer("a", tier="gold")])
    many = [Consumer(f"app-{i:03d}", tier="gold" if i % 2 else "silver") for i in range(200)]
    large, _ = _tiered_stack(many)
    small_t, large_t = Template.from_stack(small).to_json(), Template.from_stack(large).to_json()
    assert len(small_t["Resources"]) == len(large_t["Resources"])
    text = json.dumps(large_t)
    # No key material: nothing that looks like a generated 40+ character key value, no ApiKey value.
    assert not re.search(r'"Value"\s*:\s*"[A-Za-z0-9]{40,}"', text)
    assert "GenerateSecretString" not in text and "SecretString" not in text
    # Outputs: only the documented ones (ids, URL, stage, the secrets' prefix and KMS key), no key value.
    documented = {f"Api{n}" for n in ("RestApiId", "Url", "StageName", "KeySecretsPrefix", "KeysKmsKeyArn")}
    assert {k for k in large_t.get("Outputs", {}) if not k.startswith("ApiEndpoint")} <= documented


def test_key_secrets_key_and_least_privilege(tiered: tuple[cdk.Stack, SecureRestApi, Template]) -> None:
    _, _, template = tiered
    policies = resources(template, "AWS::IAM::ManagedPolicy")
    for name in ("KeyRotation", "KeyProvisionerFunction"):
        document = next(p for k, p in policies.items() if name in k)["Properties"]["PolicyDocument"]
        assert "secure-api/" in json.dumps(document)
        for statement in document["Statement"]:
            if statement["Resource"] == "*":
                assert all(a.startswith("xray:") for a in statement["Action"]), statement
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            assert not any(a.endswith(":*") or a == "*" for a in actions), statement


def test_rotation_schedule_and_expiry(tiered: tuple[cdk.Stack, SecureRestApi, Template]) -> None:
    _, _, template = tiered
    rules = [
        r
        for r in resources(template, "AWS::Events::Rule").values()
        if "key guard" not in r["Properties"].get("Description", "")
    ]
    assert [r["Properties"]["ScheduleExpression"] for r in rules] == ["rate(1 hour)"]
    assert '\\"action\\":\\"expire\\"' in json.dumps(rules[0]["Properties"]["Targets"][0]["Input"])
    permissions = [p["Properties"] for p in resources(template, "AWS::Lambda::Permission").values()]
    assert any(p["Principal"] == "secretsmanager.amazonaws.com" for p in permissions)


def test_grant_read_key_is_one_consumer_only(tiered: tuple[cdk.Stack, SecureRestApi, Template]) -> None:
    _, _, template = tiered
    policies = resources(template, "AWS::IAM::Policy")
    app_policy = next(p for k, p in policies.items() if k.startswith("AppRole"))["Properties"][
        "PolicyDocument"
    ]
    text = json.dumps(app_policy)
    assert "mobile-app-??????" in text
    assert "secretsmanager:GetSecretValue" in text
    assert "/*" not in text.split("mobile-app")[0][-40:]


def _app_role_statements(template: Template) -> list[dict[str, object]]:
    policies = resources(template, "AWS::IAM::Policy")
    policy = next(p for k, p in policies.items() if k.startswith("AppRole"))
    statements: list[dict[str, object]] = policy["Properties"]["PolicyDocument"]["Statement"]
    return statements


def _websocket_grant_template() -> Template:
    from secure_api import SecureWebSocketApi

    _, stack = new_stack()
    chat = SecureWebSocketApi(
        stack,
        "Chat",
        auth=BearerAuth(issuer="https://login.example.com/", audience=["chat"]),
        usage_tiers=[UsageTier("gold")],
        consumers=[Consumer("mobile-app", tier="gold")],
        audit=None,
        monitoring=None,
    )
    role = iam.Role(stack, "AppRole", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"))
    chat.grant_read_key("mobile-app", role)
    return Template.from_stack(stack)


@pytest.mark.parametrize("kind", ["rest", "websocket"])
def test_grant_read_key_decrypts_only_through_secrets_manager(
    kind: str, tiered: tuple[cdk.Stack, SecureRestApi, Template]
) -> None:
    # Without kms:ViaService the role could decrypt any ciphertext made with the keys' KMS key
    # (a copied secret blob, another consumer's version) directly with kms:Decrypt.
    template = tiered[2] if kind == "rest" else _websocket_grant_template()
    kms_statements = [s for s in _app_role_statements(template) if "kms:" in json.dumps(s["Action"])]
    assert kms_statements
    for statement in kms_statements:
        assert statement["Condition"] == {
            "StringEquals": {
                "kms:ViaService": {
                    "Fn::Join": ["", ["secretsmanager.", {"Ref": "AWS::Region"}, ".amazonaws.com"]]
                }
            }
        }


def test_authorizer_key_source() -> None:
    _, stack = new_stack()
    api = SecureRestApi(
        stack,
        "Api",
        auth=BearerAuth(issuer="https://id.example.com", audience=["a"], api_key_claim="client_id"),
        usage_tiers=[UsageTier("basic")],
    )
    api.add_route("GET", "/x", inline_function(stack))
    template = Template.from_stack(stack)
    rest_api = next(iter(resources(template, "AWS::ApiGateway::RestApi").values()))["Properties"]
    assert rest_api["ApiKeySourceType"] == "AUTHORIZER"


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: UsageTier("gold tier"), "UsageTier.name"),
        (
            lambda: UsageTier("g", method_throttles={"GET orders": Throttle()}),
            "UsageTier('g').method_throttles",
        ),
        (lambda: UsageTier("g", method_throttles={"GET /x": 5}), "UsageTier('g').method_throttles"),
        (lambda: Quota(limit=0), "Quota.limit"),
        (lambda: Quota(limit=10, period=apigw.Period.WEEK, offset=7), "Quota.offset"),
        (lambda: Quota(limit=10, period=apigw.Period.DAY, offset=1), "Quota.offset"),
        (lambda: Consumer("", tier="gold"), "Consumer.name"),
        (lambda: Consumer("a/b", tier="gold"), "Consumer.name"),
        (lambda: Consumer("x" * 129, tier="gold"), "Consumer.name"),
        (lambda: Consumer("a", tier=""), "Consumer('a').tier"),
        (lambda: KeyRotation(every_days=-1), "KeyRotation.every_days"),
        (lambda: KeyRotation(grace_period=cdk.Duration.days(31)), "KeyRotation.grace_period"),
    ],
)
def test_fails_invalid_tier_options(build: object, field: str) -> None:
    with pytest.raises(SecureApiConfigError) as info:
        build()  # type: ignore[operator]
    assert str(info.value).startswith(field)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"usage_tiers": [UsageTier("a"), UsageTier("a")]}, "usage_tiers"),
        ({"usage_tiers": [UsageTier("a")], "consumers": [Consumer("c", tier="b")]}, "Consumer('c').tier"),
        (
            {
                "usage_tiers": [UsageTier("a")],
                "consumers": [Consumer("c", tier="a"), Consumer("c", tier="a")],
            },
            "consumers",
        ),
        ({"consumers": [Consumer("c", tier="a")]}, "consumers"),
    ],
)
def test_fails_cross_option_checks_before_any_resource(kwargs: dict[str, object], field: str) -> None:
    _, stack = new_stack()
    with pytest.raises(SecureApiConfigError) as info:
        SecureRestApi(stack, "Api", **kwargs)  # type: ignore[arg-type]
    assert str(info.value).startswith(field)
    assert stack.node.try_find_child("Api") is None


def test_fails_with_consumers_without_tiers() -> None:
    message = "consumers: got ['c']; expected usage_tiers for them to belong to"
    _, stack = new_stack()
    with pytest.raises(SecureApiConfigError) as info:
        SecureRestApi(stack, "Api", consumers=[Consumer("c", tier="a")])
    assert str(info.value) == message
    with pytest.raises(SecureApiConfigError) as info:
        check_tiers_and_consumers((), (Consumer("c", tier="a"),))
    assert str(info.value) == message


def test_fails_method_throttle_for_a_route_never_added() -> None:
    app = cdk.App(context=app_context())
    stack = cdk.Stack(app, "S")
    api = SecureRestApi(
        stack, "Api", usage_tiers=[UsageTier("g", method_throttles={"GET /nope": Throttle()})]
    )
    api.add_route("GET", "/x", inline_function(stack), auth="iam")
    with pytest.raises(Exception, match=r"UsageTier\('g'\).method_throttles: got 'GET /nope'"):
        app.synth()


# --------------------------------------------------------------------------------------------------
# least privilege of the key functions, their alarms, the provisioner's async completion
# --------------------------------------------------------------------------------------------------


def _key_policy(template: Template, name: str) -> list[dict[str, object]]:
    policies = resources(template, "AWS::IAM::ManagedPolicy")
    document = next(p for k, p in policies.items() if name in k)["Properties"]["PolicyDocument"]
    return list(document["Statement"])


def _listed(value: object) -> list[object]:
    return value if isinstance(value, list) else [value]


def _api_ref(template: Template) -> dict[str, str]:
    (api_id,) = resources(template, "AWS::ApiGateway::RestApi")
    return {"Ref": api_id}


@pytest.mark.parametrize("function", ["KeyRotation", "KeyProvisionerFunction", "KeyCreator"])
def test_key_functions_change_only_this_apis_keys_and_plans(
    tiered: tuple[cdk.Stack, SecureRestApi, Template], function: str
) -> None:
    _, _, template = tiered
    api_ref = _api_ref(template)
    plan_ids = set(resources(template, "AWS::ApiGateway::UsagePlan"))
    for statement in _key_policy(template, function):
        actions = [str(a) for a in _listed(statement["Action"])]
        gateway = [a for a in actions if a.startswith("apigateway:")]
        if not gateway:
            continue
        text = json.dumps(statement["Resource"])
        conditions = statement.get("Condition") or {}
        writes = [a for a in gateway if a != "apigateway:GET"]
        assert "/tags/*" not in text, "tagging any API Gateway resource"
        if writes and "/apikeys" in text:
            if "apigateway:POST" in writes or "apigateway:PUT" in writes:
                # Creation (and tagging on creation) only with this API's tag and our two tag keys.
                assert conditions["StringEquals"] == {"aws:RequestTag/secure-api:api": api_ref}, statement
                assert conditions["ForAllValues:StringEquals"] == {
                    "aws:TagKeys": ["secure-api:api", "secure-api:consumer"]
                }
            else:
                assert conditions == {"StringEquals": {"aws:ResourceTag/secure-api:api": api_ref}}, statement
        if "apigateway:PUT" in writes:
            assert "%2Fapikeys%2F*" in text, "PUT only on the tags of API keys"
        if "/usageplans" in text and writes:
            # Writes to usage plans name this API's plans (no wildcard plan id, no other plan).
            assert all(any(p in json.dumps(r) for p in plan_ids) for r in _listed(statement["Resource"]))
            assert set(writes) <= {"apigateway:POST", "apigateway:DELETE"}
    # Reads: this API's keys by tag, plus (rotation, provisioner) the plans and this API's plans' keys.
    for read in [s for s in _key_policy(template, function) if _listed(s["Action"]) == ["apigateway:GET"]]:
        text = json.dumps(read["Resource"])
        if "/apikeys" in text:
            assert read["Condition"] == {"StringEquals": {"aws:ResourceTag/secure-api:api": api_ref}}
        else:
            assert "/usageplans" in text and "/usageplans/*" not in text, read


def test_key_functions_ack_says_what_stays_broad() -> None:
    from secure_api.compliance import ACKNOWLEDGEMENTS

    assert "key-operations-wildcards" not in ACKNOWLEDGEMENTS
    assert "Still broad" in ACKNOWLEDGEMENTS["key-functions-tag-new-keys"].reason
    # Reading is no longer broad: every read of a key is conditioned on its tag; the list is not granted.
    reason = ACKNOWLEDGEMENTS["key-functions-read-keys"].reason
    assert "Still broad" not in reason and "aws:ResourceTag" in reason and "granted to no function" in reason


def _every_alarm_text(template: Template) -> str:
    return json.dumps(resources(template, "AWS::CloudWatch::Alarm"))


@pytest.fixture(scope="module")
def full() -> Template:
    _, stack = new_stack()
    api = SecureRestApi(
        stack,
        "Api",
        auth=BearerAuth(issuer="https://id.example.com/", audience=["orders"]),
        usage_tiers=TIERS,
        consumers=CONSUMERS,
    )
    api.add_route("GET", "/orders/{id}", inline_function(stack))
    return Template.from_stack(stack)


def test_every_function_the_library_deploys_has_an_alarm(full: Template) -> None:
    """Authorizer, key guard, key rotation/expiry, provisioner and CDK's provider framework functions."""
    alarms = _every_alarm_text(full)
    functions = [k for k in resources(full, "AWS::Lambda::Function") if not k.startswith("Backend")]
    assert len(functions) >= 7
    missing = [k for k in functions if f'"Ref": "{k}"' not in alarms]
    assert missing == []
    (topic,) = resources(full, "AWS::SNS::Topic")
    for alarm_id in ("KeyRotationErrorsAlarm", "KeyProvisionerErrorsAlarm", "KeyProviderErrorsAlarm"):
        alarm = next(a for k, a in resources(full, "AWS::CloudWatch::Alarm").items() if alarm_id in k)
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": topic}]


def test_acknowledgement_reasons_name_their_function(full: Template) -> None:
    functions = resources(full, "AWS::Lambda::Function")
    rotation = next(f for k, f in functions.items() if "KeyRotation" in k)
    provisioner = next(f for k, f in functions.items() if "KeyProvisionerFunction" in k)
    alarms = set(resources(full, "AWS::CloudWatch::Alarm"))

    def skips(function: dict[str, object]) -> list[str]:
        metadata = function.get("Metadata") or {}
        assert isinstance(metadata, dict)
        return [s["comment"] for s in metadata["checkov"]["skip"] if s["id"] == "CKV_AWS_116"]

    (rotation_reason,) = skips(rotation)
    (provisioner_reason,) = skips(provisioner)
    assert "rotation" in rotation_reason and "API Gateway" not in rotation_reason
    assert "provisioner" in provisioner_reason and "API Gateway" not in provisioner_reason
    for reason, alarm in (
        (rotation_reason, "KeyRotationErrorsAlarm"),
        (provisioner_reason, "KeyProvisionerErrorsAlarm"),
    ):
        assert alarm in reason and any(alarm in a for a in alarms)


def test_provisioner_completes_asynchronously_within_cloudformations_hour(full: Template) -> None:
    functions = resources(full, "AWS::Lambda::Function")
    provisioner = next(f for k, f in functions.items() if "KeyProvisionerFunction" in k)["Properties"]
    work = int(provisioner["Environment"]["Variables"]["WORK_SECONDS"])
    assert provisioner["Timeout"] <= 600 and work <= provisioner["Timeout"] / 2
    assert provisioner["Handler"] == "handler.handler"
    (machine,) = resources(full, "AWS::StepFunctions::StateMachine").values()
    definition = json.dumps(machine["Properties"]["DefinitionString"])
    interval = int(re.search(r'IntervalSeconds\\\\?":\s*(\d+)', definition).group(1))  # type: ignore[union-attr]
    attempts = int(re.search(r'MaxAttempts\\\\?":\s*(\d+)', definition).group(1))  # type: ignore[union-attr]
    assert 0 < interval * attempts <= 3600
    assert any("framework-isComplete" in k or "frameworkisComplete" in k for k in functions)


def test_many_consumers_are_packed_for_the_waiter() -> None:
    from secure_api.keys.provision import decode_consumers

    many = [Consumer(f"partner-{i:05d}", tier="gold" if i % 2 else "silver") for i in range(10_000)]
    stack, _ = _tiered_stack(many)
    props = next(iter(resources(Template.from_stack(stack), "Custom::SecureApiKeys").values()))["Properties"]
    assert "Consumers" not in props
    assert len(props["ConsumersGzip"]) < 100 * 1024
    decoded = decode_consumers(props["ConsumersGzip"])
    assert decoded[0] == ["partner-00000", "silver", "true"] and len(decoded) == 10_000
