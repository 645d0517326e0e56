"""Benchmark of the bearer-token authorizer (``lambdas/authorizer``).

Measures, in one run: microseconds per warm handler call for RS256 and ES256 tokens, on the REST TOKEN
event, on the WebSocket ``$connect`` REQUEST event (with connect scopes, an Origin allow list and an
IP allow list, so every connect check runs) and on the HTTP API's payload 2.0 REQUEST event (the IP
allow list checked); the JWKS is served on 127.0.0.1 and fetched before measuring, so the measured path
makes no network call. Each event is measured twice: repeated (the same token again, as a reconnecting
WebSocket client or an expired API Gateway cache entry sends it: the authorizer's verified-token memory
answers, every claim and address check still runs) and at first sight (the memory emptied before each
call, so the token is parsed and its signature verified). Beside them: the raw ``cryptography``
verification of the same token with the same key (the floor) and each path's ratio to it, joserfc's
verification of the same token for reference, and the cold import time of ``handler.py`` in fresh
interpreters. Writes ``bench/results/authorizer.json`` and prints a table.

Run: ``.venv/bin/python bench/authorizer.py``
"""

from __future__ import annotations

import base64
import datetime
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import cryptography
import pybase64
from cryptography.hazmat.backends.openssl.backend import backend as openssl_backend
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.hashes import SHA256

REPO = Path(__file__).resolve().parents[1]
LAMBDA_ROOT = REPO / "lambdas" / "authorizer"
RESULTS = REPO / "bench" / "results" / "authorizer.json"
ISSUER = "https://issuer.example.com/"
AUDIENCE = "orders-api"
ARN = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET/orders/42"
CONNECT_ARN = "arn:aws:execute-api:eu-west-1:123456789012:w5s6t7u8v9/prod/$connect"
REQUEST_FIXTURE = REPO / "tests" / "lambdas" / "events" / "authorizer_request.json"
HTTP_FIXTURE = REPO / "tests" / "lambdas" / "events" / "authorizer_http_request.json"
CONNECT_ENV = {
    "CONNECT_SCOPES": '["profile"]',
    "ALLOWED_ORIGINS": '["https://admin.example.com", "https://app.example.com"]',
    "ALLOW_IP_RANGES": '["198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32"]',
}
TARGET_RATIO = 1.5
TARGET_IMPORT_MS = 32.0
# (row key prefix, label, event kind) of each measured path.
PATHS = (("handler", "TOKEN", "token"), ("request", "WS REQ", "request"), ("http", "HTTP REQ", "http"))
COLD_RUNS = 15


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def int_b64(value: int, size: int | None = None) -> str:
    return b64(value.to_bytes(size or (value.bit_length() + 7) // 8, "big"))


def make_token(alg: str, kid: str, key: Any) -> tuple[str, bytes, bytes]:
    """A realistic access token: (compact JWS, signing input, raw signature)."""
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "248289761001",
        "client_id": "mobile-app",
        "scope": "orders:read orders:write profile",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "jti": "3b1f0c1e-4c4a-4f6e-9d2a-5d1c2a7b9e10",
    }
    header = {"alg": alg, "kid": kid, "typ": "JWT"}
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}".encode()
    if alg == "RS256":
        signature = key.sign(signing_input, padding.PKCS1v15(), SHA256())
    else:
        r, s = decode_dss_signature(key.sign(signing_input, ec.ECDSA(SHA256())))
        signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return f"{signing_input.decode()}.{b64(signature)}", signing_input, signature


def serve(document: bytes) -> tuple[ThreadingHTTPServer, dict[str, int]]:
    counter = {"fetches": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            counter["fetches"] += 1
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, counter


def interleaved_us(
    fns: dict[str, Callable[[], object]], *, number: int, repeat: int = 9
) -> dict[str, dict[str, float]]:
    """Per-call microseconds of each function, rounds interleaved so machine noise hits all alike.

    Returns the best round (``min``, as ``timeit`` recommends) and the median round of each.
    """
    rounds: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(number):
                fn()
            rounds[name].append((time.perf_counter() - start) / number * 1e6)
    return {name: {"min": min(r), "median": statistics.median(r)} for name, r in rounds.items()}


def raw_verifier(alg: str, key: Any, signing_input: bytes, signature: bytes) -> Callable[[], object]:
    """The floor: one ``cryptography`` verification of the same token with the same key."""
    public = key.public_key()
    if alg == "RS256":
        pkcs1, sha256 = padding.PKCS1v15(), SHA256()
        return lambda: public.verify(signature, signing_input, pkcs1, sha256)
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    ecdsa = ec.ECDSA(SHA256())
    return lambda: public.verify(der, signing_input, ecdsa)


def cold_import_ms() -> list[float]:
    code = "import time; t = time.perf_counter(); import handler; print((time.perf_counter() - t) * 1000)"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    samples = []
    for _ in range(COLD_RUNS):
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=LAMBDA_ROOT, env=env, capture_output=True, text=True, check=True
        )
        samples.append(float(out.stdout.strip()))
    return samples


def cold_first_call_ms(env: dict[str, str], token: str) -> list[float]:
    """Import plus the first call (which fetches the JWKS over loopback) in fresh interpreters."""
    code = (
        "import time, json, sys; t = time.perf_counter(); import handler; "
        "handler.handler({'type': 'TOKEN', 'authorizationToken': 'Bearer ' + sys.argv[1], "
        f"'methodArn': {ARN!r}}}, None); print((time.perf_counter() - t) * 1000)"
    )
    samples = []
    for _ in range(COLD_RUNS):
        out = subprocess.run(
            [sys.executable, "-c", code, token],
            cwd=LAMBDA_ROOT,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(float(out.stdout.strip()))
    return samples


def load_handler() -> Any:
    sys.path.insert(0, str(LAMBDA_ROOT))
    spec = importlib.util.spec_from_file_location("authorizer_handler", LAMBDA_ROOT / "handler.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def joserfc_verifier(token: str, key: Any, alg: str) -> Callable[[], object]:
    from joserfc import jwt
    from joserfc.jwk import ECKey, RSAKey

    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    jwk = RSAKey.import_key(pem) if alg == "RS256" else ECKey.import_key(pem)
    return lambda: jwt.decode(token, jwk, algorithms=[alg])


def connect_event(token: str) -> dict[str, Any]:
    """A realistic WebSocket ``$connect`` REQUEST event (the test fixture) carrying ``token``."""
    event: dict[str, Any] = json.loads(REQUEST_FIXTURE.read_text().replace("<jwt>", token))
    event["methodArn"] = CONNECT_ARN
    return event


def http_event(token: str) -> dict[str, Any]:
    """A realistic HTTP API payload 2.0 REQUEST event (the test fixture) carrying ``token``."""
    event: dict[str, Any] = json.loads(HTTP_FIXTURE.read_text().replace("<jwt>", token))
    return event


def first_sight(handler: Any, event: dict[str, Any]) -> Callable[[], object]:
    """A call that finds the verified-token memory empty, so the token is parsed and verified."""
    remembered = handler._get_authorizer().verified_tokens

    def call() -> object:
        remembered.clear()
        return handler.handler(event, None)

    return call


def main() -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rsa_numbers = rsa_key.public_key().public_numbers()
    ec_numbers = ec_key.public_key().public_numbers()
    jwks = {
        "keys": [
            {"kty": "RSA", "kid": "rsa", "alg": "RS256", "use": "sig"}
            | {"n": int_b64(rsa_numbers.n), "e": int_b64(rsa_numbers.e)},
            {"kty": "EC", "kid": "ec", "alg": "ES256", "use": "sig", "crv": "P-256"}
            | {"x": int_b64(ec_numbers.x, 32), "y": int_b64(ec_numbers.y, 32)},
        ]
    }
    httpd, counter = serve(json.dumps(jwks).encode())
    env = {
        "JWKS_URI": f"http://127.0.0.1:{httpd.server_address[1]}/.well-known/jwks.json",
        "ISSUER": ISSUER,
        "AUDIENCE": AUDIENCE,
        "ALGORITHMS": "RS256,ES256",
        **CONNECT_ENV,
    }
    os.environ.update(env)
    handler = load_handler()

    rows: dict[str, dict[str, float]] = {}
    for alg, kid, key, number in (("RS256", "rsa", rsa_key, 10_000), ("ES256", "ec", ec_key, 5_000)):
        token, signing_input, signature = make_token(alg, kid, key)
        event = {"type": "TOKEN", "authorizationToken": f"Bearer {token}", "methodArn": ARN}
        handler.handler(event, None)  # warm: fetches the JWKS once
        request = connect_event(token)
        answer = handler.handler(request, None)
        # A broken REQUEST path (a Deny, or an exception above) must not be benchmarked.
        assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow", answer
        http = http_event(token)
        answer = handler.handler(http, None)
        assert answer["policyDocument"]["Statement"][0]["Effect"] == "Allow", answer
        events = {"token": event, "request": request, "http": http}
        fetches_before = counter["fetches"]
        fns: dict[str, Callable[[], object]] = {}
        for name, event_ in events.items():
            fns[name] = lambda event_=event_: handler.handler(event_, None)
            fns[f"{name}_first"] = first_sight(handler, event_)
        fns["floor"] = raw_verifier(alg, key, signing_input, signature)
        fns["joserfc"] = joserfc_verifier(token, key, alg)
        timings = interleaved_us(fns, number=number)
        assert counter["fetches"] == fetches_before, "the warm path made a network call"
        floor_us, floor_median = timings["floor"]["min"], timings["floor"]["median"]
        row: dict[str, float] = {
            "raw_verify_floor_us": round(floor_us, 2),
            "raw_verify_floor_us_median": round(floor_median, 2),
            "joserfc_decode_us": round(timings["joserfc"]["min"], 2),
        }
        for prefix, _, kind in PATHS:
            for suffix, fn in (("", kind), ("_first", f"{kind}_first")):
                best, median = timings[fn]["min"], timings[fn]["median"]
                row[f"{prefix}{suffix}_us"] = round(best, 2)
                row[f"{prefix}{suffix}_ratio"] = round(best / floor_us, 2)
                row[f"{prefix}{suffix}_us_median"] = round(median, 2)
                row[f"{prefix}{suffix}_ratio_of_medians"] = round(median / floor_median, 2)
        row["calls_per_round"] = number
        rows[alg] = row

    imports = cold_import_ms()
    first_calls = cold_first_call_ms(env, make_token("RS256", "rsa", rsa_key)[0])
    httpd.shutdown()
    httpd.server_close()

    result = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "platform": platform.platform(),
            "machine": platform.machine(),
            "processor": platform.processor(),
            "cpu_count": os.cpu_count(),
            "cryptography": cryptography.__version__,
            "openssl": openssl_backend.openssl_version_text(),
            "pybase64": pybase64.get_version(),
        },
        "warm": rows,
        "cold_import_ms": {
            "median": round(statistics.median(imports), 2),
            "min": round(min(imports), 2),
            "max": round(max(imports), 2),
            "runs": len(imports),
        },
        "cold_import_and_first_call_ms": {
            "median": round(statistics.median(first_calls), 2),
            "runs": len(first_calls),
            "note": "import + config + JWKS fetch over loopback + first RS256 verification",
        },
        "targets": {
            "rs256_ratio_max": TARGET_RATIO,
            **{
                f"rs256_{prefix}{suffix}_ratio_met": rows["RS256"][f"{prefix}{suffix}_ratio"] <= TARGET_RATIO
                for prefix, _, _ in PATHS
                for suffix in ("", "_first")
            },
            "cold_import_ms_max": TARGET_IMPORT_MS,
            "cold_import_met": statistics.median(imports) <= TARGET_IMPORT_MS,
        },
        "note": (
            "<path>_us: the same token again (verified-token memory hit; claim, time and address checks "
            "still run); <path>_first_us: the memory emptied before each call (parse + signature check). "
            "handler = REST TOKEN, request = WebSocket $connect REQUEST, http = HTTP API payload 2.0 REQUEST."
        ),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")

    print(f"authorizer benchmark -- Python {platform.python_version()} on {platform.platform()}")
    print("best of 9 interleaved rounds (median round in parentheses); ratio to the raw verify")
    print(
        f"{'alg':<6} {'event':<9} {'repeated token µs':>19} {'ratio':>13} {'first sight µs':>19} {'ratio':>13}"
    )
    for alg, row in rows.items():
        for prefix, label, _ in PATHS:
            cells = ""
            for suffix in ("", "_first"):
                us, median = row[f"{prefix}{suffix}_us"], row[f"{prefix}{suffix}_us_median"]
                ratio, ratio_median = (
                    row[f"{prefix}{suffix}_ratio"],
                    row[f"{prefix}{suffix}_ratio_of_medians"],
                )
                cells += f" {us:>8.2f} ({median:>8.2f}) {ratio:>5.2f} ({ratio_median:>5.2f})"
            print(f"{alg:<6} {label:<9}{cells}")
        floor = f"{row['raw_verify_floor_us']:.2f} ({row['raw_verify_floor_us_median']:.2f})"
        print(f"{alg:<6} raw verify {floor} µs; joserfc decode {row['joserfc_decode_us']:.2f} µs")
    cold = result["cold_import_ms"]
    first = result["cold_import_and_first_call_ms"]
    spread = f"min {cold['min']}, max {cold['max']}, n={cold['runs']}"
    print(f"cold import of handler.py: median {cold['median']} ms ({spread})")
    print(f"cold import + first call (JWKS fetch on loopback): median {first['median']} ms")
    targets = result["targets"]
    met = {True: "met", False: "MISSED"}
    paths = ", ".join(
        f"{label} {met[targets[f'rs256_{prefix}_ratio_met']]} (first sight {met[targets[f'rs256_{prefix}_first_ratio_met']]})"
        for prefix, label, _ in PATHS
    )
    print(f"targets: RS256 <= {TARGET_RATIO}x the raw verify: {paths}")
    print(f"targets: cold import <= {TARGET_IMPORT_MS} ms: {met[targets['cold_import_met']]}")
    print(f"written {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
