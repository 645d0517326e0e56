"""Fixtures of the end-to-end suite: one ministack, one issuer, each example stack synthesized once
(one app) and deployed once, everything stopped and removed after the suite's last test (and checked)."""

from __future__ import annotations

import contextlib
import http.client
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import emulator_gaps, harness, synth
from tests.e2e.tokens import Issuer, start_issuer


@dataclass
class World:
    """What the session started: the issuer, the emulator, the synthesized templates, the stacks."""

    issuer: Issuer
    emulator: harness.Emulator
    outdir: Path
    templates: dict[str, dict[str, Any]]
    deployed: dict[str, dict[str, str]] = field(default_factory=dict)

    def deploy(self, which: str) -> dict[str, str]:
        """Deploy the example stack ``which`` once (publishing its assets first); its outputs."""
        if which not in self.deployed:
            name = synth.STACKS[which]
            harness.publish_assets(self.emulator, self.outdir, name)
            self.deployed[which] = self.deploy_template(name, self.templates[which])
        return self.deployed[which]

    def deploy_template(self, name: str, template: dict[str, Any]) -> dict[str, str]:
        """Create or update the stack ``name`` from ``template`` as the emulator takes it
        (``emulator_gaps.for_emulator``), every call (nothing cached, no assets published); its outputs.
        A failure carries the tail of the emulator's log."""
        try:
            return harness.deploy(
                self.emulator, name, emulator_gaps.for_emulator(template, self.emulator.endpoint)
            )
        except RuntimeError as error:
            raise RuntimeError(f"{error}\n--- emulator log ---\n{self.emulator.log_tail()}") from None


@pytest.fixture(scope="package")
def world() -> Iterator[World]:
    """Start everything the suite needs; stop and remove all of it whatever happens, then check that
    no process, port or folder is left. Package-scoped: torn down after the suite's last test, not at
    the end of the whole pytest session."""
    python = harness.ensure_venv()
    with contextlib.ExitStack() as stack:
        issuer = start_issuer()
        stack.callback(issuer.close)
        outdir = Path(tempfile.mkdtemp(prefix="secure-api-e2e-synth-"))
        stack.callback(shutil.rmtree, outdir, True)
        templates = synth.synthesize(outdir, synth.STACKS, issuer=issuer.issuer)
        # The emulator (the native JWT authorizer) and its functions (the library's authorizer) fetch
        # the issuer's documents over HTTPS: they trust its certificate.
        emulator = harness.start(python, env={"SSL_CERT_FILE": str(issuer.ca_file)})
        stack.callback(harness.stop, emulator)
        yield World(issuer=issuer, emulator=emulator, outdir=outdir, templates=templates)
    _assert_nothing_left(issuer, emulator, outdir)


def _assert_nothing_left(issuer: Issuer, emulator: harness.Emulator, outdir: Path) -> None:
    deadline = time.monotonic() + 5
    while harness.group_alive(emulator.process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not harness.group_alive(emulator.process.pid), "a process of the emulator's group outlived it"
    assert not harness.port_in_use(emulator.port), f"port {emulator.port} still accepts connections"
    assert not harness.port_in_use(issuer.port), f"the JWKS port {issuer.port} still accepts connections"
    assert not issuer.folder.exists(), f"{issuer.folder} was left behind"
    assert not emulator.folder.exists(), f"{emulator.folder} was left behind"
    assert not outdir.exists(), f"{outdir} was left behind"


@dataclass
class Response:
    """An HTTP answer: status, headers (lower-case names), body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body or b"null")


class Gateway:
    """Requests to a deployed API's stage through the emulator's execute-api path, or, given
    ``host``, through that custom domain (its name in the ``Host`` header, its mapping's stage)."""

    def __init__(
        self, emulator: harness.Emulator, api_id: str, stage: str, *, host: str | None = None
    ) -> None:
        self.port = emulator.port
        self.host = host
        self.prefix = "" if host else f"/_aws/execute-api/{api_id}/{stage}"

    def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = None,
        api_key: str | None = None,
        headers: dict[str, str] | None = None,
        body: Any = None,
        source: str = "127.0.0.1",
    ) -> Response:
        """One request from ``source`` (a loopback address); ``token`` goes in ``Authorization:
        Bearer``, ``api_key`` in ``x-api-key``."""
        sent = dict(headers or {})
        if self.host:
            sent["Host"] = self.host
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        if api_key is not None:
            sent["x-api-key"] = api_key
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent.setdefault("Content-Type", "application/json")
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=30, source_address=(source, 0)
        )
        try:
            connection.request(method, self.prefix + path, body=payload, headers=sent)
            answer = connection.getresponse()
            return Response(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read())
        finally:
            connection.close()


# Bursts stop at the first 429; none sends more than this many requests.
BURST_LIMIT = 200
BURST_WIDTH = 8


def burst(send: Callable[[], Response], limit: int = BURST_LIMIT) -> list[int]:
    """Send up to ``limit`` requests in waves of ``BURST_WIDTH`` concurrent ones (one at a time, a
    backend answering in ~150 ms in the emulator never outruns a 20 requests/s refill), stopping after
    the wave that met the first 429; the statuses seen, in order."""
    statuses: list[int] = []
    with ThreadPoolExecutor(BURST_WIDTH) as pool:
        while len(statuses) < limit and 429 not in statuses:
            statuses += pool.map(lambda _: send().status, range(min(BURST_WIDTH, limit - len(statuses))))
    return statuses


@dataclass
class RestApi:
    """The deployed REST example: its gateway, ids and the consumers' keys as consumers read them."""

    gateway: Gateway
    api_id: str
    outputs: dict[str, str]
    world: World

    @classmethod
    def from_outputs(cls, world: World, outputs: dict[str, str]) -> RestApi:
        """The REST API a REST example stack's ``outputs`` name, reached on its stage."""
        api_id = outputs["OrdersApiRestApiId"]
        return cls(Gateway(world.emulator, api_id, outputs["OrdersApiStageName"]), api_id, outputs, world)

    def consumer_key(self, consumer: str) -> str:
        """The consumer's current API key, read from Secrets Manager the way a consumer reads it."""
        secret = self.world.emulator.client("secretsmanager").get_secret_value(
            SecretId=f"{self.outputs['OrdersApiKeySecretsPrefix']}{consumer}"
        )
        value: str = json.loads(secret["SecretString"])["apiKey"]
        return value


def deployed_rest_api(world: World, name: str) -> RestApi:
    """The REST example stack ``name`` (``rest`` or ``openapi``), deployed once per session."""
    return RestApi.from_outputs(world, world.deploy(name))


@pytest.fixture(scope="package")
def rest(world: World) -> RestApi:
    """The REST example stack, deployed once."""
    return deployed_rest_api(world, "rest")


@pytest.fixture(scope="package")
def issuer(world: World) -> Issuer:
    """The session's token issuer."""
    return world.issuer


@pytest.fixture(scope="package")
def gold_key(rest: RestApi) -> str:
    """mobile-app's key (tier gold)."""
    return rest.consumer_key("mobile-app")
