"""What ministack does with an HTTP API (API Gateway v2, protocol ``HTTP``), proved on a plain
aws-cdk-lib ``HttpApi`` deployed through the harness: ``python -m tests.e2e.probe_http`` prints one
line per behaviour (and the answer that shows it). Rerun it after upgrading ministack: the lines are
the evidence behind ``emulator_gaps``' HTTP API entries (the CORS translation and the ``http.*``
skips). The template is deployed as synthesized, without ``emulator_gaps.for_emulator`` (it holds
nothing to drop), so the probe shows the emulator's own behaviour, not the translated one.

Not collected by pytest (not ``test_*``): the suite's ``test_6_http.py`` checks ``SecureHttpApi``
itself; this script checks the emulator.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.e2e import harness
from tests.e2e.conftest import Gateway, burst
from tests.e2e.tokens import Issuer, start_issuer

STACK = "SecureApiProbeHttp"
ORIGIN = "https://app.example.com"
DOMAIN = "api.probe.test"

BACKEND = """
import json
def handler(event, context):
    rc = event.get("requestContext") or {}
    body = {"routeKey": event.get("routeKey"), "version": event.get("version"),
            "authorizer": rc.get("authorizer"), "sourceIp": (rc.get("http") or {}).get("sourceIp")}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
"""

# A payload 2.0 REQUEST authorizer answering an IAM policy: "Bearer allow" -> Allow on the route ARN,
# "Bearer raise" -> Exception("Unauthorized") (API Gateway's 401), anything else -> Deny (403).
AUTHORIZER = """
def handler(event, context):
    token = (event.get("headers") or {}).get("authorization", "")
    if token == "Bearer raise":
        raise Exception("Unauthorized")
    effect = "Allow" if token == "Bearer allow" else "Deny"
    rc = event.get("requestContext") or {}
    return {"principalId": "probe",
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": event.get("routeArn")}]},
            "context": {"version": event.get("version"), "type": event.get("type"),
                        "routeArn": event.get("routeArn"),
                        "sourceIp": (rc.get("http") or {}).get("sourceIp")}}
"""


def synthesize(outdir: Path, issuer: Issuer) -> dict[str, Any]:
    """The probe stack: one HttpApi with JWT, Lambda REQUEST, IAM and open routes, CORS, a stage
    default throttle and a route throttle; a second HttpApi with its execute-api endpoint disabled."""
    import aws_cdk as cdk
    from aws_cdk import aws_apigatewayv2 as apigwv2
    from aws_cdk import aws_apigatewayv2_authorizers as authorizers
    from aws_cdk import aws_apigatewayv2_integrations as integrations
    from aws_cdk import aws_certificatemanager as acm
    from aws_cdk import aws_lambda as lambda_

    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(
        app, STACK, synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False)
    )

    def function(name: str, code: str) -> lambda_.Function:
        return lambda_.Function(
            stack, name, runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
            code=lambda_.Code.from_inline(code),
        )  # fmt: skip

    backend_fn = function("BackendFn", BACKEND)
    backend = integrations.HttpLambdaIntegration("Backend", backend_fn)
    api = apigwv2.HttpApi(
        stack,
        "Api",
        create_default_stage=False,
        cors_preflight=apigwv2.CorsPreflightOptions(
            allow_origins=[ORIGIN],
            allow_methods=[apigwv2.CorsHttpMethod.GET],
            allow_headers=["authorization"],
            max_age=cdk.Duration.minutes(10),
        ),
    )
    stage = apigwv2.HttpStage(
        stack, "Stage", http_api=api, stage_name="prod", auto_deploy=True,
        throttle=apigwv2.ThrottleSettings(rate_limit=1000, burst_limit=2000),
    )  # fmt: skip
    cfn_stage = stage.node.default_child
    assert isinstance(cfn_stage, apigwv2.CfnStage)
    cfn_stage.add_property_override(
        "RouteSettings", {"GET /throttled": {"ThrottlingRateLimit": 1, "ThrottlingBurstLimit": 1}}
    )
    jwt = authorizers.HttpJwtAuthorizer("Jwt", issuer.issuer, jwt_audience=["orders-api"])
    lambda_authorizer = authorizers.HttpLambdaAuthorizer(
        "LambdaAuth",
        function("AuthorizerFn", AUTHORIZER),
        response_types=[authorizers.HttpLambdaResponseType.IAM],
        results_cache_ttl=cdk.Duration.seconds(0),
    )
    routes: list[tuple[str, apigwv2.IHttpRouteAuthorizer | None, list[str]]] = [
        ("/jwt/read", jwt, ["orders:read"]),
        ("/jwt/any", jwt, []),
        ("/lambda", lambda_authorizer, []),
        ("/iam", authorizers.HttpIamAuthorizer(), []),
        ("/open", apigwv2.HttpNoneAuthorizer(), []),
        ("/throttled", apigwv2.HttpNoneAuthorizer(), []),
    ]
    for path, authorizer, scopes in routes:
        api.add_routes(
            path=path, methods=[apigwv2.HttpMethod.GET], integration=backend,
            authorizer=authorizer, authorization_scopes=scopes or None,
        )  # fmt: skip
    # aws-cdk-lib writes payload format 1.0 for an IAM-policy response; the library's authorizer
    # takes the 2.0 event (routeArn, requestContext.http), with an IAM policy response.
    for child in api.node.find_all():
        if isinstance(child, apigwv2.CfnAuthorizer) and child.authorizer_type == "REQUEST":
            child.authorizer_payload_format_version = "2.0"
    closed = apigwv2.HttpApi(stack, "Closed", disable_execute_api_endpoint=True)
    closed.add_routes(
        path="/open",
        methods=[apigwv2.HttpMethod.GET],
        integration=integrations.HttpLambdaIntegration("ClosedBackend", backend_fn),
    )
    domain = apigwv2.DomainName(
        stack, "Domain", domain_name=DOMAIN,
        certificate=acm.Certificate.from_certificate_arn(
            stack, "Cert", "arn:aws:acm:us-east-1:000000000000:certificate/probe"),
    )  # fmt: skip
    apigwv2.ApiMapping(stack, "Mapping", api=api, domain_name=domain, stage=stage)
    cdk.CfnOutput(stack, "ApiId", value=api.api_id)
    cdk.CfnOutput(stack, "ClosedId", value=closed.api_id)
    assembly = Path(app.synth().directory)
    template: dict[str, Any] = json.loads((assembly / f"{STACK}.template.json").read_text())
    return template


def probe(emulator: harness.Emulator, issuer: Issuer, outputs: dict[str, str]) -> dict[str, str]:
    """Each behaviour -> what the emulator answered."""
    api, closed = outputs["ApiId"], outputs["ClosedId"]
    gateway = Gateway(emulator, api, "prod")
    found: dict[str, str] = {}

    def status(path: str, token: str | None = None) -> int:
        return gateway.call("GET", path, token=token).status

    def preflight() -> tuple[int, dict[str, str]]:
        headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
        answer = gateway.call("OPTIONS", "/jwt/read", headers=headers)
        return answer.status, answer.headers

    def seen_by_the_authorizer() -> Any:
        answer = gateway.call("GET", "/lambda", token="allow", source="127.0.0.2")
        return json.loads(answer.body)["authorizer"]

    def record(name: str, measure: Callable[[], object]) -> None:
        try:
            found[name] = repr(measure())
        except Exception as error:
            found[name] = f"error: {error!r}"

    record("served over http (open route)", lambda: status("/open"))
    record("jwt: valid token", lambda: status("/jwt/read", issuer.token(scope="orders:read")))
    record("jwt: no token", lambda: status("/jwt/read"))
    record("jwt: expired", lambda: status("/jwt/read", issuer.token(expires_in=-3600)))
    record(
        "jwt: wrong issuer", lambda: status("/jwt/read", issuer.token(issuer="https://login.example.com/"))
    )
    record("jwt: wrong audience", lambda: status("/jwt/read", issuer.token(audience="another-api")))
    record("jwt: badly signed", lambda: status("/jwt/read", issuer.token(key=issuer.other_key, kid="e2e-1")))
    record("jwt: alg none", lambda: status("/jwt/read", issuer.unsigned_token()))
    record("jwt: missing scope", lambda: status("/jwt/read", issuer.token(scope="orders:write")))
    record(
        "jwt: route without scopes, token without scope", lambda: status("/jwt/any", issuer.token(scope=""))
    )
    record(
        "jwt: claims reach the backend",
        lambda: json.loads(gateway.call("GET", "/jwt/read", token=issuer.token(scope="orders:read")).body),
    )
    record("jwt: documents fetched from the issuer", lambda: sorted(set(issuer.fetched)))
    record("lambda: allow", lambda: status("/lambda", "allow"))
    record("lambda: event seen by the authorizer (from 127.0.0.2)", seen_by_the_authorizer)
    record("lambda: deny policy", lambda: status("/lambda", "deny"))
    record("lambda: raise Unauthorized", lambda: status("/lambda", "raise"))
    record("lambda: no identity source", lambda: status("/lambda"))
    record("iam: no Authorization", lambda: status("/iam"))
    record("cors: preflight", preflight)
    record("cors: header on a GET", lambda: gateway.call("GET", "/open", headers={"Origin": ORIGIN}).headers)
    record(
        "throttle: 40 requests on a 1 rps / burst 1 route",
        lambda: sorted(set(burst(lambda: gateway.call("GET", "/throttled"), limit=40))),
    )
    record(
        "custom domain (Host header)",
        lambda: Gateway(emulator, api, "prod", host=DOMAIN).call("GET", "/open").status,
    )
    record(
        "disabled execute-api endpoint",
        lambda: Gateway(emulator, closed, "$default").call("GET", "/open").status,
    )
    apigw = emulator.client("apigatewayv2")
    record("GetApi", lambda: {k: v for k, v in apigw.get_api(ApiId=api).items() if k != "ResponseMetadata"})
    record("GetApi (closed)", lambda: apigw.get_api(ApiId=closed)["DisableExecuteApiEndpoint"])
    record("GetStage", lambda: {k: v for k, v in apigw.get_stage(ApiId=api, StageName="prod").items()
                                if k != "ResponseMetadata"})  # fmt: skip
    return found


def main() -> None:
    """Synthesize, deploy, probe, print; stop everything."""
    python = harness.ensure_venv()
    issuer = start_issuer()
    outdir = Path(tempfile.mkdtemp(prefix="secure-api-probe-"))
    try:
        template = synthesize(outdir, issuer)
        with harness.running(python, env={"SSL_CERT_FILE": str(issuer.ca_file)}) as emulator:
            outputs = harness.deploy(emulator, STACK, template)
            for name, answer in probe(emulator, issuer, outputs).items():
                print(f"{name}: {answer}")
    finally:
        issuer.close()
        shutil.rmtree(outdir, ignore_errors=True)


if __name__ == "__main__":
    main()
