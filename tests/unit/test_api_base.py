"""The one base of the three roots (``secure_api/api_base.py``, ``api_target.py``, ``v2/``), exercised on an
HTTP API: a minimal root built only from the shared pieces, as ``SecureHttpApi`` is."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template
from constructs import Construct

from secure_api import AuditTrail, Consumer, CustomDomain, Monitoring, MutualTls, Throttle, UsageTier
from secure_api.access_logs import HTTP_ACCESS_LOG_FIELDS
from secure_api.api_base import SecureApiBase
from secure_api.api_target import ApiKind, ApiTarget
from secure_api.domain import apply_domain
from secure_api.errors import SecureApiConfigError
from secure_api.keys import stack_outputs
from secure_api.usage_plans import KeyRotation, UsageTiers
from secure_api.v2 import Integrations, create_v2_stage, set_route_settings
from tests.unit.helpers import inline_function, new_stack, only, resources


class _HttpRoot(SecureApiBase):
    """What an HTTP root does with the base: its API, its stage, then the shared protections."""

    def __init__(self, scope: Construct, id_: str, *, domain: CustomDomain | None = None) -> None:
        audit = AuditTrail()
        retention = cdk.aws_logs.RetentionDays.ONE_MONTH
        super().__init__(
            scope, id_, removal_policy=cdk.RemovalPolicy.RETAIN, audit=audit, log_retention=retention
        )
        throttle = Throttle()
        self._warn_above_account_limits(throttle)
        self._create_logs(retention)
        self.http_api = apigwv2.HttpApi(self, "Api", create_default_stage=False)
        self.stage = create_v2_stage(
            self,
            "Stage",
            api=self.http_api,
            stage_name="prod",
            throttle=throttle,
            access_log_group=self.access_log_group,
            access_log_fields=HTTP_ACCESS_LOG_FIELDS,
        )
        assert isinstance(self.stage, apigwv2.HttpStage)
        self.target = ApiTarget.http(self.http_api, self.stage)
        self.integrations = Integrations(self, self.target)
        self.url = self.stage.url
        if domain is not None:
            # The kind-generic entry point: a v2 target gets the v2 domain.
            self.domain_name = apply_domain(self, domain, target=self.target)
        monitoring = Monitoring()
        self.alarm_topic = self._alarm_topic(monitoring, audit)
        self._apply_audit(audit, retention)
        self._add_outputs(execute_api_disabled=domain is not None)
        self._apply_monitoring(monitoring, retention)

    def route(self, key: str, fn: Any, throttle: Throttle | None = None) -> apigwv2.HttpRoute:
        method, path = key.split(" ", 1)
        route = apigwv2.HttpRoute(
            self,
            f"Route{key}",
            http_api=self.http_api,
            route_key=apigwv2.HttpRouteKey.with_(path, apigwv2.HttpMethod(method)),
            integration=self.integrations.integration_for(fn, field="add_route.integration"),
        )
        if throttle is not None:
            set_route_settings(self.stage, key, throttle)
        return route


@pytest.fixture(scope="module")
def http() -> tuple[cdk.Stack, _HttpRoot, Template]:
    _, stack = new_stack()
    bucket = s3.Bucket(stack, "Truststore", versioned=True)
    api = _HttpRoot(
        stack,
        "Orders",
        domain=CustomDomain(
            domain_name="api.example.com",
            hosted_zone_id="Z0123456789ABC",
            hosted_zone_name="example.com",
            mtls=MutualTls(truststore_bucket=bucket, truststore_key="ca.pem", truststore_version="3"),
        ),
    )
    fn = inline_function(stack)
    api.route("GET /orders/{id}", fn, Throttle(rate_limit=10, burst_limit=20))
    api.route("POST /orders", fn)
    return stack, api, Template.from_stack(stack)


def test_http_stage_has_default_and_per_route_key_settings_without_execution_logs(http: Any) -> None:
    _, _, template = http
    props = only(template, "AWS::ApiGatewayV2::Stage")["Properties"]
    assert props["AutoDeploy"] is True
    assert props["DefaultRouteSettings"] == {
        "DetailedMetricsEnabled": True,
        "ThrottlingBurstLimit": 2000,
        "ThrottlingRateLimit": 1000,
    }
    assert props["RouteSettings"] == {
        "GET /orders/{id}": {
            "DetailedMetricsEnabled": True,
            "ThrottlingBurstLimit": 20,
            "ThrottlingRateLimit": 10,
        }
    }
    assert '"routeKey":"$context.routeKey"' in props["AccessLogSettings"]["Format"]


def test_http_lambda_integrations_are_payload_2_with_one_permission_per_function(http: Any) -> None:
    stack, api, template = http
    integrations = resources(template, "AWS::ApiGatewayV2::Integration")
    assert len(integrations) == 1
    props = next(iter(integrations.values()))["Properties"]
    assert props["IntegrationType"] == "AWS_PROXY"
    assert props["PayloadFormatVersion"] == "2.0"
    permissions = resources(template, "AWS::Lambda::Permission")
    assert len(permissions) == 1
    source = str(next(iter(permissions.values()))["Properties"]["SourceArn"])
    assert stack.get_logical_id(api.http_api.node.default_child) in source


def test_fails_an_integration_of_another_kind(http: Any) -> None:
    _, api, _ = http
    with pytest.raises(SecureApiConfigError, match=r"^add_route.integration: .*HttpRouteIntegration"):
        api.integrations.integration_for("not-a-function", field="add_route.integration")


def test_http_domain_is_regional_tls12_with_mutual_tls(http: Any) -> None:
    _, _, template = http
    props = only(template, "AWS::ApiGatewayV2::DomainName")["Properties"]
    config = props["DomainNameConfigurations"][0]
    assert config["EndpointType"] == "REGIONAL"
    assert config["SecurityPolicy"] == "TLS_1_2"
    assert props["MutualTlsAuthentication"]["TruststoreVersion"] == "3"
    assert len(resources(template, "AWS::ApiGatewayV2::ApiMapping")) == 1
    assert len(resources(template, "AWS::Route53::RecordSet")) == 2


def test_http_audit_alarms_watch_this_api(http: Any) -> None:
    stack, api, template = http
    filters = resources(template, "AWS::Logs::MetricFilter")
    patterns = {k: str(v["Properties"]["FilterPattern"]) for k, v in filters.items()}
    audit = [p for p in patterns.values() if "apigateway.amazonaws.com" in p]
    assert len(audit) == 2  # HttpApiChanges (narrowed to the API) and ApiMappingChanges
    api_id = stack.get_logical_id(api.http_api.node.default_child)
    assert any("UpdateApi" in p and api_id in p for p in audit)


def test_http_alarms_use_http_metrics(http: Any) -> None:
    _, _, template = http
    names = str(template.find_resources("AWS::CloudWatch::Alarm"))
    assert "'5xx'" in names and "'4xx'" in names and "'Latency'" in names
    assert "5XXError" not in names
    alarm_ids = set(resources(template, "AWS::CloudWatch::Alarm"))
    for wanted in (
        "ServerErrorRateAlarm",
        "ClientErrorRateAlarm",
        "LatencyP99Alarm",
        "ThrottledRequestsAlarm",
    ):
        assert any(wanted in logical_id for logical_id in alarm_ids), wanted
    assert not any("Anomaly" in logical_id or "Waf" in logical_id for logical_id in alarm_ids)
    assert not resources(template, "AWS::DynamoDB::Table")  # no key guard: HTTP APIs have no keys
    assert len(resources(template, "AWS::CloudWatch::Dashboard")) == 1


def test_http_outputs(http: Any) -> None:
    _, api, template = http
    found = template.to_json()["Outputs"]
    assert {"OrdersHttpApiId", "OrdersUrl", "OrdersStageName"} <= set(found)
    assert set(api.outputs) == {stack_outputs.HTTP_API_ID, stack_outputs.URL, stack_outputs.STAGE_NAME}
    assert api.target.kind is ApiKind.HTTP


def test_fails_usage_tiers_on_an_http_api(http: Any) -> None:
    _, api, _ = http
    with pytest.raises(SecureApiConfigError, match=r"^usage_tiers: .*SecureRestApi"):
        UsageTiers(
            api,
            "Tiers",
            target=api.target,
            tiers=[UsageTier("free", throttle=Throttle(rate_limit=1, burst_limit=1))],
            consumers=[Consumer("app", tier="free")],
            rotation=KeyRotation(),
            logs_key=api.logs_key,
            retention=cdk.aws_logs.RetentionDays.ONE_MONTH,
        )


def test_fails_grant_read_key_without_consumers(http: Any) -> None:
    _, api, _ = http
    role = cdk.aws_iam.Role(api, "Reader", assumed_by=cdk.aws_iam.AccountRootPrincipal())
    with pytest.raises(SecureApiConfigError, match=r"^grant_read_key.consumer: .*declares none"):
        api.grant_read_key("app", role)
