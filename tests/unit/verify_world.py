"""A REST API set up in moto the way ``SecureRestApi`` deploys it, for the ``secure-api verify`` tests;
every protection can be switched off one at a time. Holds no tests itself."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3

from secure_api.verify.gather import VerifyClients

REGION = "us-east-1"
ACCOUNT = "123456789012"
STAGE = "prod"
DOMAIN = "api.example.com"
AUTHORIZER_URI = (
    f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
    f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:authorizer/invocations"
)
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "AllowInvoke",
            "Effect": "Allow",
            "Principal": {"AWS": "*"},
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
        },
        {
            "Sid": "DenyOutsideAllowedIpRanges",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": ["203.0.113.0/24"]}},
        },
    ],
}


@dataclass(frozen=True)
class Setup:
    """What to deploy; the defaults are what the library deploys, each field turns one thing off."""

    policy: bool = True
    disable_execute_api: bool = True
    domain: bool = True
    security_policy: str = "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09"
    waf: bool = True
    throttling: tuple[str, str] | None = ("1000", "2000")
    access_logs: bool = True
    logging_level: str = "ERROR"
    data_trace: bool = False
    tracing: bool = True
    usage_plan: bool = True
    trail: bool = True
    trail_logging: bool = True
    trail_management_events: bool = True
    # False: the trail never had PutEventSelectors called (GetEventSelectors answers no selectors).
    trail_selectors: bool = True
    # Extra methods: (method, path, authorization type, api key required)
    extra_methods: tuple[tuple[str, str, str, bool], ...] = ()


@dataclass
class Deployed:
    """The ids of what :func:`deploy` created."""

    api_id: str
    resources: dict[str, str] = field(default_factory=dict)
    web_acl_arn: str | None = None
    trail_arn: str | None = None


def clients() -> VerifyClients:
    """Clients of the mocked account."""
    return VerifyClients(
        apigateway=boto3.client("apigateway", region_name=REGION),
        wafv2=boto3.client("wafv2", region_name=REGION),
        cloudtrail=boto3.client("cloudtrail", region_name=REGION),
        region=REGION,
        apigatewayv2=boto3.client("apigatewayv2", region_name=REGION),
    )


def _resource(ag: Any, api_id: str, known: dict[str, str], path: str) -> str:
    if path in known:
        return known[path]
    parent_path, _, part = path.rpartition("/")
    parent = _resource(ag, api_id, known, parent_path or "/")
    known[path] = ag.create_resource(restApiId=api_id, parentId=parent, pathPart=part)["id"]
    return known[path]


def deploy(setup: Setup = Setup()) -> Deployed:
    """Create the API, its stage, domain, usage plan, web ACL and trail in the (mocked) account."""
    ag = boto3.client("apigateway", region_name=REGION)
    api_args: dict[str, Any] = {
        "name": "SecureApiExample-OrdersApi",
        "endpointConfiguration": {"types": ["REGIONAL"]},
        "apiKeySource": "HEADER",
        "disableExecuteApiEndpoint": setup.disable_execute_api,
    }
    if setup.policy:
        api_args["policy"] = json.dumps(POLICY)
    api_id = ag.create_rest_api(**api_args)["id"]
    root = ag.get_resources(restApiId=api_id)["items"][0]["id"]
    deployed = Deployed(api_id=api_id, resources={"/": root})
    authorizer = ag.create_authorizer(
        restApiId=api_id,
        name="Authorizer",
        type="TOKEN",
        authorizerUri=AUTHORIZER_URI,
        identitySource="method.request.header.Authorization",
        authorizerResultTtlInSeconds=300,
    )["id"]
    methods = [
        ("GET", "/orders", "CUSTOM", True),
        ("POST", "/orders", "CUSTOM", True),
        ("OPTIONS", "/orders", "NONE", False),
        ("GET", "/orders/{id}", "CUSTOM", True),
        ("OPTIONS", "/orders/{id}", "NONE", False),
        *setup.extra_methods,
    ]
    for http_method, path, auth, key in methods:
        resource = _resource(ag, api_id, deployed.resources, path)
        extra = {"authorizerId": authorizer} if auth == "CUSTOM" else {}
        ag.put_method(
            restApiId=api_id,
            resourceId=resource,
            httpMethod=http_method,
            authorizationType=auth,
            apiKeyRequired=key,
            **extra,
        )
        ag.put_integration(restApiId=api_id, resourceId=resource, httpMethod=http_method, type="MOCK")
    ag.create_deployment(restApiId=api_id, stageName=STAGE)
    patches = [
        {"op": "replace", "path": "/*/*/logging/loglevel", "value": setup.logging_level},
        {"op": "replace", "path": "/*/*/logging/dataTrace", "value": str(setup.data_trace).lower()},
        {"op": "replace", "path": "/*/*/metrics/enabled", "value": "true"},
        {"op": "replace", "path": "/tracingEnabled", "value": str(setup.tracing).lower()},
    ]
    if setup.throttling:
        rate, burst = setup.throttling
        patches += [
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": rate},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": burst},
            {"op": "replace", "path": "/~1orders~1{id}/GET/throttling/rateLimit", "value": "100"},
            {"op": "replace", "path": "/~1orders~1{id}/GET/throttling/burstLimit", "value": "200"},
        ]
    if setup.access_logs:
        patches += [
            {
                "op": "replace",
                "path": "/accessLogSettings/destinationArn",
                "value": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:orders-access-logs",
            },
            {
                "op": "replace",
                "path": "/accessLogSettings/format",
                "value": '{"requestId":"$context.requestId"}',
            },
        ]
    ag.update_stage(restApiId=api_id, stageName=STAGE, patchOperations=patches)
    if setup.domain:
        # A second API in the same test gets a domain of its own.
        taken = {d["domainName"] for d in ag.get_domain_names()["items"]}
        domain = DOMAIN if DOMAIN not in taken else f"{api_id}.example.com"
        ag.create_domain_name(
            domainName=domain,
            regionalCertificateArn=f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0000",
            endpointConfiguration={"types": ["REGIONAL"]},
            securityPolicy=setup.security_policy,
        )
        ag.create_base_path_mapping(domainName=domain, restApiId=api_id, stage=STAGE)
    if setup.usage_plan:
        ag.create_usage_plan(
            name="orders-gold",
            apiStages=[{"apiId": api_id, "stage": STAGE}],
            throttle={"rateLimit": 500, "burstLimit": 1000},
            quota={"limit": 1000000, "period": "MONTH"},
            tags={"secure-api:tier": "gold"},
        )
    if setup.waf:
        waf = boto3.client("wafv2", region_name=REGION)
        acl = waf.create_web_acl(
            Name=f"orders-acl-{api_id}",
            Scope="REGIONAL",
            DefaultAction={"Allow": {}},
            VisibilityConfig={
                "SampledRequestsEnabled": True,
                "CloudWatchMetricsEnabled": True,
                "MetricName": "orders",
            },
        )["Summary"]
        arn = f"arn:aws:apigateway:{REGION}::/restapis/{api_id}/stages/{STAGE}"
        waf.associate_web_acl(WebACLArn=acl["ARN"], ResourceArn=arn)
        deployed.web_acl_arn = acl["ARN"]
    existing = boto3.client("cloudtrail", region_name=REGION).describe_trails()["trailList"]
    if setup.trail and not existing:  # one account-wide trail serves every API of a test
        deployed.trail_arn = create_trail(
            logging=setup.trail_logging,
            management_events=setup.trail_management_events,
            selectors=setup.trail_selectors,
        )
    return deployed


def create_trail(
    *,
    name: str = "orders-audit",
    logging: bool = True,
    management_events: bool = True,
    selectors: bool = True,
) -> str:
    """A multi-region trail (with its bucket), logging management events unless told otherwise;
    ``selectors=False`` leaves it with CloudTrail's default selection (no selectors at all)."""
    s3 = boto3.client("s3", region_name=REGION)
    bucket = f"{name}-trail-bucket"
    s3.create_bucket(Bucket=bucket)
    ct = boto3.client("cloudtrail", region_name=REGION)
    arn: str = ct.create_trail(
        Name=name, S3BucketName=bucket, IsMultiRegionTrail=True, EnableLogFileValidation=True
    )["TrailARN"]
    if selectors:
        ct.put_event_selectors(
            TrailName=name,
            EventSelectors=[
                {
                    "ReadWriteType": "All",
                    "IncludeManagementEvents": management_events,
                    "DataResources": []
                    if management_events
                    else [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
                }
            ],
        )
    if logging:
        ct.start_logging(Name=name)
    return arn


# -- the example stack, deployed in moto the way its template says --------------------------------------


class TemplateDeployment:
    """Creates, with boto3 in moto, the API Gateway, WAF and CloudTrail resources of a synthesized
    template with the properties the template gives them (intrinsic functions resolved)."""

    PSEUDO = {
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT,
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
        "AWS::StackName": "SecureApiExample",
    }

    def __init__(self, template: dict[str, Any]) -> None:
        self.resources: dict[str, Any] = template["Resources"]
        self.refs: dict[str, str] = {}
        self.attrs: dict[tuple[str, str], str] = {}
        self.ag = boto3.client("apigateway", region_name=REGION)
        self.waf = boto3.client("wafv2", region_name=REGION)
        self.ct = boto3.client("cloudtrail", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)

    def of_type(self, type_: str) -> list[tuple[str, dict[str, Any]]]:
        return [(lid, r.get("Properties", {})) for lid, r in self.resources.items() if r["Type"] == type_]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            (fn, arg), *_ = value.items()
            if fn == "Ref":
                return self.PSEUDO.get(arg) or self.refs.get(arg) or f"unresolved-{arg}"
            if fn == "Fn::GetAtt":
                lid, attr = arg
                return self.attrs.get((lid, attr)) or f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{lid}"
            if fn == "Fn::Join":
                sep, parts = arg
                return sep.join(str(self.resolve(p)) for p in parts)
            if fn == "Fn::Select":
                index, items = arg
                return self.resolve(items)[int(index)]
            if fn == "Fn::Split":
                sep, text = arg
                return str(self.resolve(text)).split(sep)
        return {k: self.resolve(v) for k, v in value.items()}

    def deploy(self) -> str:
        """Deploy; return the REST API id."""
        (api_lid, api), *_ = self.of_type("AWS::ApiGateway::RestApi")
        created = self.ag.create_rest_api(
            name=api["Name"],
            policy=json.dumps(self.resolve(api["Policy"])),
            disableExecuteApiEndpoint=bool(api.get("DisableExecuteApiEndpoint")),
            endpointConfiguration={"types": api["EndpointConfiguration"]["Types"]},
            apiKeySource=api.get("ApiKeySourceType", "HEADER"),
        )
        api_id = created["id"]
        self.refs[api_lid] = api_id
        self.attrs[(api_lid, "RootResourceId")] = created["rootResourceId"]
        for lid, props in self.of_type("AWS::ApiGateway::Authorizer"):
            self.refs[lid] = self.ag.create_authorizer(
                restApiId=api_id,
                name=props["Name"],
                type=props["Type"],
                authorizerUri=self.resolve(props["AuthorizerUri"]),
                identitySource=props["IdentitySource"],
                authorizerResultTtlInSeconds=props.get("AuthorizerResultTtlInSeconds", 300),
            )["id"]
        pending = dict(self.of_type("AWS::ApiGateway::Resource"))
        while pending:  # parents before children
            for lid, props in list(pending.items()):
                parent = self.resolve(props["ParentId"])
                if parent.startswith("unresolved-"):
                    continue
                self.refs[lid] = self.ag.create_resource(
                    restApiId=api_id, parentId=parent, pathPart=props["PathPart"]
                )["id"]
                del pending[lid]
        for _lid, props in self.of_type("AWS::ApiGateway::Method"):
            resource = self.resolve(props["ResourceId"])
            extra = {"authorizerId": self.resolve(props["AuthorizerId"])} if "AuthorizerId" in props else {}
            if props.get("AuthorizationScopes"):
                extra["authorizationScopes"] = props["AuthorizationScopes"]
            self.ag.put_method(
                restApiId=api_id,
                resourceId=resource,
                httpMethod=props["HttpMethod"],
                authorizationType=props.get("AuthorizationType", "NONE"),
                apiKeyRequired=bool(props.get("ApiKeyRequired")),
                **extra,
            )
            self.ag.put_integration(
                restApiId=api_id, resourceId=resource, httpMethod=props["HttpMethod"], type="MOCK"
            )
        for lid, props in self.of_type("AWS::ApiGateway::Stage"):
            self.deploy_stage(api_id, lid, props)
        for lid, props in self.of_type("AWS::ApiGateway::DomainName"):
            self.refs[lid] = props["DomainName"]
            self.ag.create_domain_name(
                domainName=props["DomainName"],
                regionalCertificateArn=f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/example",
                endpointConfiguration={"types": props["EndpointConfiguration"]["Types"]},
                securityPolicy=props["SecurityPolicy"],
            )
        for _lid, props in self.of_type("AWS::ApiGateway::BasePathMapping"):
            self.ag.create_base_path_mapping(
                domainName=self.resolve(props["DomainName"]),
                restApiId=self.resolve(props["RestApiId"]),
                stage=self.resolve(props["Stage"]),
                **({"basePath": props["BasePath"]} if props.get("BasePath") else {}),
            )
        self.deploy_usage_plans()
        for lid, props in self.of_type("AWS::WAFv2::WebACL"):
            acl = self.waf.create_web_acl(
                Name=props["Name"],
                Scope=props["Scope"],
                DefaultAction=props["DefaultAction"],
                VisibilityConfig=props["VisibilityConfig"],
            )["Summary"]
            self.attrs[(lid, "Arn")] = acl["ARN"]
        for _lid, props in self.of_type("AWS::WAFv2::WebACLAssociation"):
            self.waf.associate_web_acl(
                WebACLArn=self.resolve(props["WebACLArn"]), ResourceArn=self.resolve(props["ResourceArn"])
            )
        self.deploy_trails()
        return api_id

    def deploy_usage_plans(self) -> None:
        for _lid, props in self.of_type("AWS::ApiGateway::UsagePlan"):
            self.ag.create_usage_plan(
                name=props["UsagePlanName"],
                apiStages=[
                    {"apiId": self.resolve(s["ApiId"]), "stage": self.resolve(s["Stage"])}
                    for s in props["ApiStages"]
                ],
                tags={t["Key"]: t["Value"] for t in props.get("Tags", [])},
            )

    def deploy_trails(self) -> None:
        for lid, props in self.of_type("AWS::CloudTrail::Trail"):
            bucket = f"{props['TrailName'].lower()}-bucket"
            self.s3.create_bucket(Bucket=bucket)
            self.ct.create_trail(
                Name=props["TrailName"],
                S3BucketName=bucket,
                IsMultiRegionTrail=bool(props.get("IsMultiRegionTrail")),
                IncludeGlobalServiceEvents=bool(props.get("IncludeGlobalServiceEvents")),
                EnableLogFileValidation=bool(props.get("EnableLogFileValidation")),
            )
            if props.get("EventSelectors"):
                self.ct.put_event_selectors(
                    TrailName=props["TrailName"], EventSelectors=props["EventSelectors"]
                )
            if props.get("IsLogging"):
                self.ct.start_logging(Name=props["TrailName"])
            self.refs[lid] = props["TrailName"]

    def deploy_stage(self, api_id: str, lid: str, props: dict[str, Any]) -> None:
        stage = props["StageName"]
        self.refs[lid] = stage
        self.ag.create_deployment(restApiId=api_id, stageName=stage)
        names = {
            "ThrottlingRateLimit": "throttling/rateLimit",
            "ThrottlingBurstLimit": "throttling/burstLimit",
            "LoggingLevel": "logging/loglevel",
            "DataTraceEnabled": "logging/dataTrace",
            "MetricsEnabled": "metrics/enabled",
        }
        patches = []
        for setting in props.get("MethodSettings", []):
            prefix = f"/{setting['ResourcePath'].lstrip('/')}/{setting['HttpMethod']}"
            for key, path in names.items():
                if key in setting:
                    value = setting[key]
                    text = str(value).lower() if isinstance(value, bool) else str(value)
                    patches.append({"op": "replace", "path": f"{prefix}/{path}", "value": text})
        if "AccessLogSetting" in props:
            log = self.resolve(props["AccessLogSetting"])
            patches += [
                {
                    "op": "replace",
                    "path": "/accessLogSettings/destinationArn",
                    "value": log["DestinationArn"],
                },
                {"op": "replace", "path": "/accessLogSettings/format", "value": log["Format"]},
            ]
        patches.append(
            {
                "op": "replace",
                "path": "/tracingEnabled",
                "value": str(bool(props.get("TracingEnabled"))).lower(),
            }
        )
        self.ag.update_stage(restApiId=api_id, stageName=stage, patchOperations=patches)


class WebSocketTemplateDeployment(TemplateDeployment):
    """Creates in moto what a ``SecureWebSocketApi`` template declares that ``verify`` reads: the API
    Gateway v2 API, its authorizer, routes, stage, domain and API mapping, the usage plans and trails."""

    def __init__(self, template: dict[str, Any]) -> None:
        super().__init__(template)
        self.v2 = boto3.client("apigatewayv2", region_name=REGION)

    def deploy(self) -> str:
        """Deploy; return the WebSocket API id."""
        (api_lid, api), *_ = self.of_type("AWS::ApiGatewayV2::Api")
        optional = {
            key: api[key] for key in ("DisableExecuteApiEndpoint", "ApiKeySelectionExpression") if key in api
        }
        api_id = self.v2.create_api(
            Name=api["Name"],
            ProtocolType=api["ProtocolType"],
            RouteSelectionExpression=api["RouteSelectionExpression"],
            Tags={k: str(self.resolve(v)) for k, v in (api.get("Tags") or {}).items()},
            **optional,
        )["ApiId"]
        self.refs[api_lid] = api_id
        for lid, props in self.of_type("AWS::ApiGatewayV2::Authorizer"):
            self.refs[lid] = self.v2.create_authorizer(
                ApiId=api_id,
                AuthorizerType=props["AuthorizerType"],
                Name=props["Name"],
                AuthorizerUri=self.resolve(props["AuthorizerUri"]),
                IdentitySource=props.get("IdentitySource") or [],
            )["AuthorizerId"]
        for _lid, props in self.of_type("AWS::ApiGatewayV2::Route"):
            extra = {"AuthorizerId": self.resolve(props["AuthorizerId"])} if "AuthorizerId" in props else {}
            self.v2.create_route(
                ApiId=api_id,
                RouteKey=props["RouteKey"],
                AuthorizationType=props.get("AuthorizationType", "NONE"),
                ApiKeyRequired=bool(props.get("ApiKeyRequired")),
                **extra,
            )
        for lid, props in self.of_type("AWS::ApiGatewayV2::Stage"):
            self.refs[lid] = props["StageName"]
            stage_args = {
                key: self.resolve(props[key])
                for key in ("DefaultRouteSettings", "RouteSettings", "AccessLogSettings")
                if key in props
            }
            self.v2.create_stage(ApiId=api_id, StageName=props["StageName"], **stage_args)
        for lid, props in self.of_type("AWS::ApiGatewayV2::DomainName"):
            self.refs[lid] = props["DomainName"]
            self.v2.create_domain_name(
                DomainName=props["DomainName"],
                DomainNameConfigurations=[
                    {
                        "CertificateArn": f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/example",
                        "EndpointType": c.get("EndpointType", "REGIONAL"),
                        "SecurityPolicy": c.get("SecurityPolicy", "TLS_1_2"),
                    }
                    for c in props["DomainNameConfigurations"]
                ],
            )
        for _lid, props in self.of_type("AWS::ApiGatewayV2::ApiMapping"):
            self.v2.create_api_mapping(
                ApiId=self.resolve(props["ApiId"]),
                DomainName=self.resolve(props["DomainName"]),
                Stage=self.resolve(props["Stage"]),
            )
        self.deploy_usage_plans()
        self.deploy_trails()
        return api_id
