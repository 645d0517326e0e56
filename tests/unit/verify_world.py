"""A REST API set up in moto the way ``SecureRestApi`` deploys it, for the ``secure-api verify`` tests;
every protection can be switched off one at a time. Holds no tests itself."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3

from secure_api.verify import model as m
from secure_api.verify.gather import VerifyClients

REGION = "us-east-1"
ACCOUNT = "123456789012"
STAGE = "prod"
DOMAIN = "api.example.com"
LIBRARY_POLICY = "SecurityPolicy_TLS13_1_2_PFS_PQ_2025_09"
TRUSTSTORE = {"truststoreUri": "s3://orders-truststore/truststore.pem", "truststoreVersion": "v3Xk2"}
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
    security_policy: str = LIBRARY_POLICY
    # The REST API's own securityPolicy / endpointAccessMode (moto keeps neither: see WIRE_ANSWERS).
    api_security_policy: str | None = LIBRARY_POLICY
    endpoint_access_mode: str | None = "STRICT"
    # The domain's mutualTlsAuthentication (moto keeps none: see WIRE_ANSWERS).
    mtls: Mapping[str, Any] | None = None
    # The domain's ACM certificate: ISSUED (imported, valid certificate_days) or PENDING_VALIDATION.
    certificate_status: str = "ISSUED"
    certificate_days: int = 395
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
    stage_variables: Mapping[str, str] = field(default_factory=dict)
    cache_cluster: bool = False
    # Method settings paths ("*/*", "~1orders/GET") with caching on, and whether their data is encrypted.
    caching: tuple[str, ...] = ()
    cache_encrypted: bool = True
    data_trace_methods: tuple[str, ...] = ()
    # "POST /orders" gets a body model; validator: "body", "params" (parameters only) or None.
    body_model: bool = True
    validator: str | None = "body"


@dataclass
class Deployed:
    """The ids of what :func:`deploy` created."""

    api_id: str
    resources: dict[str, str] = field(default_factory=dict)
    web_acl_arn: str | None = None
    trail_arn: str | None = None


WIRE_ANSWERS: dict[str, dict[str, dict[str, Any]]] = {"GetRestApi": {}, "GetDomainNames": {}}
"""Fields AWS puts in an answer that moto 5.2 does not keep, as recorded from AWS: ``GetRestApi``'s
``securityPolicy``/``endpointAccessMode`` (by API id) and ``GetDomainNames``' items'
``mutualTlsAuthentication`` (by domain name). :func:`clients` adds them to moto's answer on the wire,
before botocore parses it, so the gatherer reads them the way it reads AWS's."""


def _forget_wire_answers_of_a_new_account(ag: Any) -> None:
    if not ag.get_rest_apis()["items"]:
        for answers in WIRE_ANSWERS.values():
            answers.clear()


def _add_wire_answers(response_dict: dict[str, Any], operation: str, **_kwargs: Any) -> None:
    body = json.loads(response_dict.get("body") or b"{}")
    if operation == "GetRestApi":
        body.update(WIRE_ANSWERS[operation].get(str(body.get("id")), {}))
    else:
        for item in body.get("item") or body.get("items") or []:
            item.update(WIRE_ANSWERS[operation].get(str(item.get("domainName")), {}))
    response_dict["body"] = json.dumps(body).encode()


def with_wire_answers(apigateway: Any) -> Any:
    """``apigateway`` answering with :data:`WIRE_ANSWERS` added to moto's answers."""
    for operation in WIRE_ANSWERS:
        apigateway.meta.events.register_first(
            f"before-parse.api-gateway.{operation}",
            lambda operation=operation, **kwargs: _add_wire_answers(operation=operation, **kwargs),
        )
    return apigateway


def assert_statuses(results: dict[str, m.CheckResult], expected: dict[str, str]) -> None:
    """The checks that ran are exactly ``expected``'s, each with its status (the details when not)."""
    assert {cid: r.status for cid, r in results.items()} == expected, {
        cid: r.detail for cid, r in results.items()
    }


def clients() -> VerifyClients:
    """Clients of the mocked account."""
    return VerifyClients(
        apigateway=with_wire_answers(boto3.client("apigateway", region_name=REGION)),
        wafv2=boto3.client("wafv2", region_name=REGION),
        cloudtrail=boto3.client("cloudtrail", region_name=REGION),
        region=REGION,
        apigatewayv2=boto3.client("apigatewayv2", region_name=REGION),
        acm_in=lambda region: boto3.client("acm", region_name=region),
    )


def acm_certificate(domain: str, *, days: int = 395, status: str = "ISSUED") -> str:
    """An ACM certificate for ``domain`` in the mocked account: imported and valid for ``days`` (ISSUED),
    or requested and still ``PENDING_VALIDATION``."""
    acm = boto3.client("acm", region_name=REGION)
    if status == "PENDING_VALIDATION":
        arn: str = acm.request_certificate(DomainName=domain, ValidationMethod="DNS")["CertificateArn"]
        return arn
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(domain)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    arn = acm.import_certificate(
        Certificate=certificate.public_bytes(serialization.Encoding.PEM),
        PrivateKey=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ),
    )["CertificateArn"]
    return arn


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
    _forget_wire_answers_of_a_new_account(ag)
    api_args: dict[str, Any] = {
        "name": "SecureApiExample-OrdersApi",
        "endpointConfiguration": {"types": ["REGIONAL"]},
        "apiKeySource": "HEADER",
        "disableExecuteApiEndpoint": setup.disable_execute_api,
    }
    if setup.policy:
        api_args["policy"] = json.dumps(POLICY)
    api_id = ag.create_rest_api(**api_args)["id"]
    WIRE_ANSWERS["GetRestApi"][api_id] = {
        k: v
        for k, v in (
            ("securityPolicy", setup.api_security_policy),
            ("endpointAccessMode", setup.endpoint_access_mode),
        )
        if v
    }
    root = ag.get_resources(restApiId=api_id)["items"][0]["id"]
    deployed = Deployed(api_id=api_id, resources={"/": root})
    validator = None
    if setup.validator:
        validator = ag.create_request_validator(
            restApiId=api_id,
            name=f"validate-{setup.validator}",
            validateRequestBody=setup.validator == "body",
            validateRequestParameters=True,
        )["id"]
    if setup.body_model:
        ag.create_model(
            restApiId=api_id, name="Order", contentType="application/json", schema='{"type": "object"}'
        )
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
        extra: dict[str, Any] = {"authorizerId": authorizer} if auth == "CUSTOM" else {}
        if http_method != "OPTIONS" and validator:
            extra["requestValidatorId"] = validator
        if (http_method, path) == ("POST", "/orders") and setup.body_model:
            extra["requestModels"] = {"application/json": "Order"}
        ag.put_method(
            restApiId=api_id,
            resourceId=resource,
            httpMethod=http_method,
            authorizationType=auth,
            apiKeyRequired=key,
            **extra,
        )
        ag.put_integration(restApiId=api_id, resourceId=resource, httpMethod=http_method, type="MOCK")
    ag.create_deployment(restApiId=api_id, stageName=STAGE, variables=dict(setup.stage_variables))
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
    if setup.cache_cluster:
        patches.append({"op": "replace", "path": "/cacheClusterEnabled", "value": "true"})
    for path in setup.caching:
        prefix = "/*/*" if path == "*/*" else f"/{path}"
        patches += [
            {"op": "replace", "path": f"{prefix}/caching/enabled", "value": "true"},
            {
                "op": "replace",
                "path": f"{prefix}/caching/dataEncrypted",
                "value": str(setup.cache_encrypted).lower(),
            },
        ]
    for path in setup.data_trace_methods:
        patches.append({"op": "replace", "path": f"/{path}/logging/dataTrace", "value": "true"})
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
            regionalCertificateArn=acm_certificate(
                domain, days=setup.certificate_days, status=setup.certificate_status
            ),
            endpointConfiguration={"types": ["REGIONAL"]},
            securityPolicy=setup.security_policy,
        )
        if setup.mtls:
            WIRE_ANSWERS["GetDomainNames"][domain] = {"mutualTlsAuthentication": dict(setup.mtls)}
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
        _forget_wire_answers_of_a_new_account(self.ag)
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
        WIRE_ANSWERS["GetRestApi"][api_id] = {
            wire: api[prop]
            for prop, wire in (
                ("SecurityPolicy", "securityPolicy"),
                ("EndpointAccessMode", "endpointAccessMode"),
            )
            if prop in api
        }
        for lid, props in self.of_type("AWS::ApiGateway::RequestValidator"):
            self.refs[lid] = self.ag.create_request_validator(
                restApiId=api_id,
                name=props.get("Name", lid),
                validateRequestBody=bool(props.get("ValidateRequestBody")),
                validateRequestParameters=bool(props.get("ValidateRequestParameters")),
            )["id"]
        for lid, props in self.of_type("AWS::ApiGateway::Model"):
            self.refs[lid] = self.ag.create_model(
                restApiId=api_id,
                name=props.get("Name", lid),
                contentType=props.get("ContentType", "application/json"),
                schema=json.dumps(props.get("Schema", {})),
            )["name"]
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
            extra: dict[str, Any] = (
                {"authorizerId": self.resolve(props["AuthorizerId"])} if "AuthorizerId" in props else {}
            )
            if props.get("AuthorizationScopes"):
                extra["authorizationScopes"] = props["AuthorizationScopes"]
            if props.get("RequestValidatorId"):
                extra["requestValidatorId"] = self.resolve(props["RequestValidatorId"])
            if props.get("RequestModels"):
                extra["requestModels"] = self.resolve(props["RequestModels"])
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
        if "Body" in api:
            self.deploy_body(api_id, created["rootResourceId"], self.resolve(api["Body"]))
        for lid, props in self.of_type("AWS::ApiGateway::Stage"):
            self.deploy_stage(api_id, lid, props)
        for lid, props in self.of_type("AWS::CertificateManager::Certificate"):
            # CloudFormation waits for the certificate's DNS validation: a deployed one is ISSUED.
            self.refs[lid] = acm_certificate(props["DomainName"])
        for lid, props in self.of_type("AWS::ApiGateway::DomainName"):
            self.refs[lid] = props["DomainName"]
            certificate = props.get("RegionalCertificateArn") or props.get("CertificateArn")
            self.ag.create_domain_name(
                domainName=props["DomainName"],
                regionalCertificateArn=self.resolve(certificate)
                if certificate
                else f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/example",
                endpointConfiguration={"types": props["EndpointConfiguration"]["Types"]},
                securityPolicy=props["SecurityPolicy"],
            )
            if props.get("MutualTlsAuthentication"):
                mtls = self.resolve(props["MutualTlsAuthentication"])
                WIRE_ANSWERS["GetDomainNames"][props["DomainName"]] = {
                    "mutualTlsAuthentication": {
                        "truststoreUri": mtls["TruststoreUri"],
                        **(
                            {"truststoreVersion": mtls["TruststoreVersion"]}
                            if "TruststoreVersion" in mtls
                            else {}
                        ),
                        "truststoreWarnings": [],
                    }
                }
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

    def deploy_body(self, api_id: str, root_id: str, body: dict[str, Any]) -> None:
        """What API Gateway's import of the REST API's OpenAPI body creates: validators, models, the
        authorizer, resources and methods (integrations as MOCK, as above)."""
        validators = {
            name: self.ag.create_request_validator(
                restApiId=api_id,
                name=name,
                validateRequestBody=bool(v.get("validateRequestBody")),
                validateRequestParameters=bool(v.get("validateRequestParameters")),
            )["id"]
            for name, v in body.get("x-amazon-apigateway-request-validators", {}).items()
        }
        components = body.get("components", {})
        schemes = components.get("securitySchemes", {})
        for name, schema in components.get("schemas", {}).items():
            self.ag.create_model(
                restApiId=api_id, name=name, contentType="application/json", schema=json.dumps(schema)
            )
        authorizers: dict[str, str] = {}
        for name, scheme in schemes.items():
            authorizer = scheme.get("x-amazon-apigateway-authorizer")
            if authorizer is not None:
                authorizers[name] = self.ag.create_authorizer(
                    restApiId=api_id,
                    name=name,
                    type=authorizer["type"].upper(),
                    authorizerUri=authorizer["authorizerUri"],
                    identitySource=authorizer["identitySource"],
                    authorizerResultTtlInSeconds=authorizer.get("authorizerResultTtlInSeconds", 300),
                )["id"]
        known = {"/": root_id}
        for path, item in body.get("paths", {}).items():
            resource = _resource(self.ag, api_id, known, path)
            for method, op in item.items():
                requirement = (op.get("security") or [{}])[0]
                extra: dict[str, Any] = {}
                auth = "NONE"
                for name in requirement:
                    if name in authorizers:
                        auth, extra["authorizerId"] = "CUSTOM", authorizers[name]
                    elif schemes.get(name, {}).get("x-amazon-apigateway-authtype") == "awsSigv4":
                        auth = "AWS_IAM"
                validator = op.get("x-amazon-apigateway-request-validator")
                if validator in validators:
                    extra["requestValidatorId"] = validators[validator]
                content = op.get("requestBody", {}).get("content", {})
                if content:
                    extra["requestModels"] = {
                        ct: media["schema"]["$ref"].rsplit("/", 1)[1] for ct, media in content.items()
                    }
                http_method = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
                key_required = any(
                    schemes.get(n, {}).get("name") == "x-api-key"
                    and "x-amazon-apigateway-authtype" not in schemes[n]
                    for n in requirement
                )
                self.ag.put_method(
                    restApiId=api_id,
                    resourceId=resource,
                    httpMethod=http_method,
                    authorizationType=auth,
                    apiKeyRequired=key_required,
                    **extra,
                )
                self.ag.put_integration(
                    restApiId=api_id, resourceId=resource, httpMethod=http_method, type="MOCK"
                )

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
        self.ag.create_deployment(
            restApiId=api_id,
            stageName=stage,
            variables={k: str(self.resolve(v)) for k, v in (props.get("Variables") or {}).items()},
        )
        names = {
            "ThrottlingRateLimit": "throttling/rateLimit",
            "ThrottlingBurstLimit": "throttling/burstLimit",
            "LoggingLevel": "logging/loglevel",
            "DataTraceEnabled": "logging/dataTrace",
            "MetricsEnabled": "metrics/enabled",
            "CachingEnabled": "caching/enabled",
            "CacheDataEncrypted": "caching/dataEncrypted",
        }
        patches = []
        if props.get("CacheClusterEnabled"):
            patches.append({"op": "replace", "path": "/cacheClusterEnabled", "value": "true"})
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


class V2TemplateDeployment(TemplateDeployment):
    """Creates in moto what a ``SecureWebSocketApi`` or ``SecureHttpApi`` template declares that ``verify``
    reads: the API Gateway v2 API, its authorizer (Lambda or JWT), routes, stage, domain (its certificate
    imported into ACM) and API mapping, the usage plans and trails."""

    def __init__(self, template: dict[str, Any]) -> None:
        super().__init__(template)
        self.v2 = boto3.client("apigatewayv2", region_name=REGION)

    def deploy(self) -> str:
        """Deploy; return the API id."""
        (api_lid, api), *_ = self.of_type("AWS::ApiGatewayV2::Api")
        optional = {
            key: api[key]
            for key in (
                "DisableExecuteApiEndpoint",
                "ApiKeySelectionExpression",
                "RouteSelectionExpression",
                "CorsConfiguration",
            )
            if key in api
        }
        api_id = self.v2.create_api(
            Name=api["Name"],
            ProtocolType=api["ProtocolType"],
            Tags={k: str(self.resolve(v)) for k, v in (api.get("Tags") or {}).items()},
            **optional,
        )["ApiId"]
        self.refs[api_lid] = api_id
        for lid, props in self.of_type("AWS::ApiGatewayV2::Authorizer"):
            kind = {"JwtConfiguration": props["JwtConfiguration"]} if "JwtConfiguration" in props else {}
            if "AuthorizerUri" in props:
                kind["AuthorizerUri"] = self.resolve(props["AuthorizerUri"])
            self.refs[lid] = self.v2.create_authorizer(
                ApiId=api_id,
                AuthorizerType=props["AuthorizerType"],
                Name=props["Name"],
                IdentitySource=props.get("IdentitySource") or [],
                **kind,
            )["AuthorizerId"]
        for _lid, props in self.of_type("AWS::ApiGatewayV2::Route"):
            extra = {"AuthorizerId": self.resolve(props["AuthorizerId"])} if "AuthorizerId" in props else {}
            if props.get("AuthorizationScopes"):
                extra["AuthorizationScopes"] = props["AuthorizationScopes"]
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
            mtls = props.get("MutualTlsAuthentication")
            self.v2.create_domain_name(
                DomainName=props["DomainName"],
                DomainNameConfigurations=[
                    {
                        "CertificateArn": acm_certificate(props["DomainName"]),
                        "EndpointType": c.get("EndpointType", "REGIONAL"),
                        "SecurityPolicy": c.get("SecurityPolicy", "TLS_1_2"),
                    }
                    for c in props["DomainNameConfigurations"]
                ],
                **({"MutualTlsAuthentication": self.resolve(mtls)} if mtls else {}),
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


def verify_template(template: dict[str, Any], stage: str = STAGE, **options: Any) -> dict[str, m.CheckResult]:
    """``secure-api verify`` (``VerifyOptions`` ``options``) of a WebSocket or HTTP API deployed in moto as
    ``template`` declares it (:class:`V2TemplateDeployment`): each check's result by its id."""
    from secure_api.verify.command import VerifyOptions, verify

    api_id = V2TemplateDeployment(template).deploy()
    report = verify(clients(), VerifyOptions(api_id=api_id, stage=stage, **options))
    return {c.id: c for c in report.checks}


class DenyingV2:
    """A moto API Gateway v2 client whose ``operation`` is denied the way IAM denies it."""

    def __init__(self, client: Any, operation: str) -> None:
        self._client = client
        self._operation = operation

    def __getattr__(self, name: str) -> Any:
        if name != self._operation:
            return getattr(self._client, name)

        def deny(**_kwargs: Any) -> Any:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, name)

        return deny
