"""``secure-api verify --stack`` against the deployed REST example: every check whose facts the
emulator keeps reports the status the README promises for the example (pass; the HTTP probes skip
without ``--url``); the checks whose facts it drops are named in emulator_gaps.VERIFY_FACTS_NOT_KEPT."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.e2e import emulator_gaps, harness, synth
from tests.e2e.conftest import RestApi

NOT_CONFIGURED = frozenset({"domain.mtls", "stage.cache_encryption"})
HTTP_PROBES = {
    "http.tls_min_version",
    "http.unauthenticated",
    "http.cors_foreign_origin",
    "http.execute_api_url",
}


def test_verify_stack_reports_the_promised_statuses(rest: RestApi) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "secure_api", "verify", "--stack", synth.STACKS["rest"], "--json"],
        cwd=harness.ROOT,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
            **rest.world.emulator.env(),
        },
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads(proc.stdout)
    statuses = {c["id"]: c["status"] for c in report["checks"]}
    assert report["apiId"] == rest.api_id
    kept = {c: s for c, s in statuses.items() if c not in emulator_gaps.VERIFY_FACTS_NOT_KEPT}
    # The example has no mutual TLS and no stage cache: those checks skip, as the README promises.
    expected = {c: ("skip" if c in HTTP_PROBES | NOT_CONFIGURED else "pass") for c in kept}
    assert kept == expected, [c for c in report["checks"] if kept.get(c["id"]) != expected.get(c["id"])]
    assert {"policy.resource_policy", "domain.tls_policy", "methods.auth", "methods.api_keys"} <= set(kept)
    # The exit code follows the statuses: 1 when a check fails (here only the emulator's gaps do).
    assert proc.returncode == (1 if "fail" in statuses.values() else 0), proc.stderr


def test_source_address_outside_the_allow_list_is_403(rest: RestApi) -> None:
    # The stack allows 127.0.0.1/32 (and 203.0.113.0/24); 127.0.0.2 is another loopback address.
    token = rest.world.issuer.token()
    answer = rest.gateway.call(
        "GET", "/orders", token=token, api_key=rest.consumer_key("mobile-app"), source="127.0.0.2"
    )
    if answer.status == 200:
        pytest.skip(emulator_gaps.skip_reason("rest.resource_policy_ip"))
    assert answer.status == 403, answer.body


def test_default_execute_api_endpoint_is_disabled(rest: RestApi) -> None:
    pytest.skip(emulator_gaps.skip_reason("rest.execute_api_disabled"))
