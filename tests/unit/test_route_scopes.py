"""Route scopes at scale and per API (issue 10, items 3 and 4).

The construct writes each API's route scopes into its own authorizer's code package
(``route_scopes.json``, ``ROUTE_SCOPES_FILE``). These tests bundle for real (pip, no Docker) once per
module, then read what was synthesized: the template's environments, and the file in the asset.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from secure_api import BearerAuth, SecureRestApi
from secure_api.grammar import LAMBDA_ENVIRONMENT_MAX_BYTES, environment_size
from tests.cdk_context import app_context
from tests.lambdas.conftest import lambda_root
from tests.unit.helpers import BARE, inline_function, new_stack, resources

lambda_root("authorizer")
import authorizer_config  # type: ignore[import-not-found]  # noqa: E402
import authorizer_policy  # type: ignore[import-not-found]  # noqa: E402

AUTH = BearerAuth(issuer="https://id.example.com/", audience=["orders"])
ROUTES = 1000
API_ID = "a1b2c3d4e5"


def _many_scoped_routes(api: SecureRestApi, stack: cdk.Stack) -> None:
    """1,000 scoped routes with nested paths: two through add_route, the rest the way
    ``from_openapi`` declares routes whose methods live in the API's body (``add_route_scopes``); a
    stack holds 500 resources, so 1,000 ``add_route`` methods could not be deployed anyway."""
    fn = inline_function(stack)
    api.add_route("GET", "/tenants/{tenantId}/orders/{orderId}", fn, scopes=["orders:read"])
    api.add_route("POST", "/tenants/{tenantId}/orders", fn, scopes=["orders:write"])
    for i in range(ROUTES - 2):
        key = f"GET /tenants/{{tenantId}}/catalog/group-{i // 100}/items-{i}/{{itemId}}/variants"
        api._bearer.add_route_scopes(key, (f"catalog:read:{i}", "catalog:read"))  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One app, bundled for real: ``Big`` (1,000 scoped routes) and ``Shared`` (two APIs, one BearerAuth)."""
    outdir = tmp_path_factory.mktemp("cdk.out")
    app = cdk.App(context=app_context(bundle=True), outdir=str(outdir))
    big = cdk.Stack(app, "Big")
    _many_scoped_routes(SecureRestApi(big, "Api", auth=AUTH, **BARE), big)
    shared = cdk.Stack(app, "Shared")
    orders = SecureRestApi(shared, "OrdersApi", auth=AUTH, **BARE)
    orders.add_route("GET", "/orders/{id}", inline_function(shared, "Orders"), scopes=["orders:read"])
    billing = SecureRestApi(shared, "BillingApi", auth=AUTH, **BARE)
    billing.add_route("GET", "/orders/{orderId}", inline_function(shared, "Billing"))
    billing.add_route("POST", "/invoices", inline_function(shared, "Invoices"), scopes=["billing:write"])
    app.synth()
    return {"outdir": outdir, "big": big, "shared": shared}


def _functions(stack: cdk.Stack) -> dict[str, dict[str, Any]]:
    return {
        k: v["Properties"] for k, v in resources(Template.from_stack(stack), "AWS::Lambda::Function").items()
    }


def _asset_dir(outdir: Path, stack: cdk.Stack, function: dict[str, Any]) -> Path:
    """The bundled directory of a function's code asset, found through the stack's asset manifest."""
    key = function["Code"]["S3Key"]
    manifest = json.loads((outdir / f"{stack.artifact_id}.assets.json").read_text())
    for asset_hash, asset in manifest["files"].items():
        if key == f"{asset_hash}.zip":
            return Path(outdir / asset["source"]["path"])
    raise AssertionError(f"no asset for {key}")


def _authorizer(stack: cdk.Stack, api_id: str) -> dict[str, Any]:
    return next(f for k, f in _functions(stack).items() if k.startswith(f"{api_id}AuthorizerFunction"))


def _allowed(policy: dict[str, Any], arn: str) -> bool:
    """IAM's evaluation of an execute-api policy: an explicit Deny wins, else an Allow is needed."""

    def matches(effect: str) -> bool:
        return any(
            fnmatch.fnmatchcase(arn, resource)
            for statement in policy["Statement"]
            if statement["Effect"] == effect
            for resource in statement["Resource"]
        )

    return matches("Allow") and not matches("Deny")


def test_every_function_environment_stays_under_4_kb_with_1000_scoped_routes(bundled: dict[str, Any]) -> None:
    for name, function in _functions(bundled["big"]).items():
        env = function.get("Environment", {}).get("Variables", {})
        assert environment_size(env) < LAMBDA_ENVIRONMENT_MAX_BYTES, name
    env = _authorizer(bundled["big"], "Api")["Environment"]["Variables"]
    assert env["ROUTE_SCOPES_FILE"] == "route_scopes.json"
    assert "ROUTE_SCOPES" not in env


def test_route_scopes_file_is_in_the_code_package(bundled: dict[str, Any]) -> None:
    asset = _asset_dir(bundled["outdir"], bundled["big"], _authorizer(bundled["big"], "Api"))
    scopes = json.loads((asset / "route_scopes.json").read_text())
    assert len(scopes) == ROUTES
    assert scopes["GET /tenants/{tenantId}/orders/{orderId}"] == ["orders:read"]
    assert (asset / "handler.py").exists() and (asset / "secure_api" / "grammar.py").exists()


_INVOKE = textwrap.dedent(
    """
    import base64, json, os, sys, threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
    # The bundle's cryptography is built for Lambda (arm64, Python 3.14): use this machine's build,
    # imported before the bundle goes first on the path; everything else comes from the bundle.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa
    sys.path.insert(0, sys.argv[1])
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = key.public_key().public_numbers()
    b64 = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    as_b64 = lambda n: b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))
    jwks = json.dumps({"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "n": as_b64(numbers.n),
                                 "e": as_b64(numbers.e)}]}).encode()
    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200); self.send_header("Content-Length", str(len(jwks))); self.end_headers()
            self.wfile.write(jwks)
        def log_message(self, *args): pass
    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ.update(json.loads(sys.argv[2]))
    os.environ["JWKS_URI"] = f"http://127.0.0.1:{server.server_address[1]}/jwks.json"
    import handler, secure_api.grammar
    assert secure_api.grammar.__file__.startswith(sys.argv[1]), secure_api.grammar.__file__
    import time
    head = b64(json.dumps({"alg": "RS256", "kid": "k1", "typ": "JWT"}).encode())
    body = b64(json.dumps({"iss": os.environ["ISSUER"], "aud": os.environ["AUDIENCE"], "sub": "u1",
                           "exp": int(time.time()) + 300, "scope": sys.argv[3]}).encode())
    signature = key.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    event = {"type": "TOKEN", "authorizationToken": f"Bearer {head}.{body}.{b64(signature)}",
             "methodArn": "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/tenants/t/orders/1"}
    try:
        print(json.dumps(handler.handler(event, None)))
    except Exception as error:
        print(json.dumps({"raised": str(error)}))
    server.shutdown()
    """
)


def _invoke_bundled(asset: Path, env: dict[str, str], scope: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-c", _INVOKE, str(asset), json.dumps(env), scope],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith(("ROUTE_SCOPES", "JWKS_", "ISSUER"))},
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_bundled_handler_reads_its_route_scopes_file(bundled: dict[str, Any]) -> None:
    function = _authorizer(bundled["big"], "Api")
    asset = _asset_dir(bundled["outdir"], bundled["big"], function)
    env = function["Environment"]["Variables"]
    prefix = f"arn:aws:execute-api:eu-west-1:123456789012:{API_ID}/prod"
    policy = _invoke_bundled(asset, env, "orders:read catalog:read:7 catalog:read")["policyDocument"]
    assert _allowed(policy, f"{prefix}/GET/tenants/t1/orders/42")
    assert not _allowed(policy, f"{prefix}/POST/tenants/t1/orders")
    assert _allowed(policy, f"{prefix}/GET/tenants/t1/catalog/group-0/items-7/x/variants")
    assert not _allowed(policy, f"{prefix}/GET/tenants/t1/catalog/group-0/items-8/x/variants")
    # Both ROUTE_SCOPES and ROUTE_SCOPES_FILE: a configuration error, every request is 401.
    both = _invoke_bundled(asset, {**env, "ROUTE_SCOPES": json.dumps({"GET /a": []})}, "orders:read")
    assert both == {"raised": "Unauthorized"}


def _decisions(bundled: dict[str, Any], api_id: str, scopes: tuple[str, ...]) -> dict[str, bool]:
    """The deployed function's decisions for one API: its synthesized environment and package."""
    function = _authorizer(bundled["shared"], api_id)
    asset = _asset_dir(bundled["outdir"], bundled["shared"], function)
    env = {**function["Environment"]["Variables"]}
    config = authorizer_config.load_config(env, asset)
    stage = authorizer_policy.parse_method_arn(
        f"arn:aws:execute-api:eu-west-1:123456789012:{API_ID}/prod/GET/x"
    )
    policy = authorizer_policy.build_policy(stage, config.routes, scopes)
    prefix = f"arn:aws:execute-api:eu-west-1:123456789012:{API_ID}/prod"
    routes = {"GET /orders/42": f"{prefix}/GET/orders/42", "POST /invoices": f"{prefix}/POST/invoices"}
    return {route: _allowed(policy, arn) for route, arn in routes.items()}


def test_one_apis_scopes_never_deny_another_apis_routes(bundled: dict[str, Any]) -> None:
    # OrdersApi: GET /orders/{id} needs orders:read. BillingApi's GET /orders/{orderId} is unscoped
    # and must stay open to every valid token, whatever OrdersApi declares.
    assert _decisions(bundled, "BillingApi", ())["GET /orders/42"] is True
    assert _decisions(bundled, "BillingApi", ("billing:write",)) == {
        "GET /orders/42": True,
        "POST /invoices": True,
    }
    assert _decisions(bundled, "BillingApi", ())["POST /invoices"] is False
    assert _decisions(bundled, "OrdersApi", ())["GET /orders/42"] is False
    assert _decisions(bundled, "OrdersApi", ("orders:read",))["GET /orders/42"] is True
    assert _authorizer(bundled["shared"], "OrdersApi") != _authorizer(bundled["shared"], "BillingApi")


def _authorizer_code_key(scopes: list[str]) -> str:
    _, stack = new_stack()
    api = SecureRestApi(stack, "Api", auth=AUTH, **BARE)
    api.add_route("GET", "/x", inline_function(stack), scopes=scopes)
    return str(_authorizer(stack, "Api")["Code"]["S3Key"])


def test_route_scopes_are_part_of_the_asset_hash_even_without_bundling() -> None:
    # app_context() skips bundling (aws:cdk:bundling-stacks = []): the hash must still change.
    assert _authorizer_code_key(["a"]) != _authorizer_code_key(["b"])
    assert _authorizer_code_key(["a"]) == _authorizer_code_key(["a"])


def test_route_scopes_file_is_in_the_staged_package_even_without_bundling(tmp_path: Path) -> None:
    app = cdk.App(context=app_context(), outdir=str(tmp_path))  # bundling skipped
    stack = cdk.Stack(app, "Test")
    api = SecureRestApi(stack, "Api", auth=AUTH, **BARE)
    api.add_route("GET", "/orders/{id}", inline_function(stack), scopes=["orders:read"])
    api.add_route("GET", "/health", inline_function(stack, "Health"))
    app.synth()
    function = _authorizer(stack, "Api")
    asset = _asset_dir(tmp_path, stack, function)
    document = json.loads((asset / function["Environment"]["Variables"]["ROUTE_SCOPES_FILE"]).read_text())
    assert document == {"GET /health": [], "GET /orders/{id}": ["orders:read"]}
    config = authorizer_config.load_config(function["Environment"]["Variables"], asset)
    assert {r.path: r.scopes for r in config.routes} == {
        "/health": frozenset(),
        "/orders/{id}": {"orders:read"},
    }
