"""Fixtures for testing the Lambda code roots in ``lambdas/<name>/``, and the helpers that load them.

The helpers (``lambda_root``, ``load_handler``, ``load_event``) live in ``code_roots`` and are re-exported
here. The authorizer suites (``test_authorizer*.py``) share the fixtures below: the signing ``keys`` and
the local JWKS ``server`` (one per test module), and handlers loaded with a given environment
(``make_authz``/``authz`` for TOKEN events, ``make_connect`` for WebSocket ``$connect`` REQUEST events);
their helpers are in ``authorizer_harness``. The key guard suites (``test_key_guard*.py``) share ``aws``,
a moto world per test (``key_guard_harness.Env``). Nothing here imports ``aws_cdk``.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from moto import mock_aws

from tests.lambdas.authorizer_harness import (
    AUDIENCE,
    CONNECT_VARS,
    ENV_VARS,
    ISSUER,
    NOW,
    Authz,
    Connect,
    JwksServer,
    Keys,
    default_jwks,
)
from tests.lambdas.code_roots import EVENTS, LAMBDAS, lambda_root, load_event, load_handler
from tests.lambdas.key_guard_harness import REGION, Env
from tests.moto_api_keys import tag_api_keys

__all__ = ["EVENTS", "LAMBDAS", "lambda_root", "load_event", "load_handler"]


@pytest.fixture(scope="module")
def keys() -> Keys:
    return Keys(
        rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rsa2=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        ec=ec.generate_private_key(ec.SECP256R1()),
        ed=ed25519.Ed25519PrivateKey.generate(),
        attacker=rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


class _QuietServer(ThreadingHTTPServer):
    """A client that gave up (the timeout tests) closes its socket mid-answer: not an error here."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


@pytest.fixture(scope="module")
def server() -> Iterator[JwksServer]:
    state = JwksServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.fetches[self.path] = state.fetches.get(self.path, 0) + 1
            if state.delay:
                time.sleep(state.delay)
            self.send_response(state.status)
            if state.location:
                self.send_header("Location", state.location)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = _QuietServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    state.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def _reset(server: JwksServer, keys: Keys, caplog: pytest.LogCaptureFixture) -> None:
    """The module's JWKS server back to serving the default keys, and the authorizer's log captured."""
    server.serve(default_jwks(keys))
    server.status = 200
    server.location = None
    server.delay = 0.0
    server.fetches.clear()
    caplog.set_level("INFO", logger="secure_api.authorizer")


def _load_authorizer(
    monkeypatch: pytest.MonkeyPatch, server: JwksServer, clear: tuple[str, ...], env: dict[str, str | None]
) -> ModuleType:
    """A freshly loaded authorizer handler configured for ``server``'s JWKS and ``env`` (the variables
    ``clear`` unset first; a None value leaves its variable unset)."""
    for name in clear:
        monkeypatch.delenv(name, raising=False)
    for name, value in {"JWKS_URI": server.uri, "ISSUER": ISSUER, "AUDIENCE": AUDIENCE, **env}.items():
        if value is not None:
            monkeypatch.setenv(name, value)
    return load_handler("authorizer")


@pytest.fixture
def make_authz(
    server: JwksServer, keys: Keys, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> Callable[..., Authz]:
    _reset(server, keys, caplog)

    def factory(**env: str | None) -> Authz:
        module = _load_authorizer(monkeypatch, server, ENV_VARS, env)
        now = [NOW]
        monkeypatch.setattr(module, "clock", lambda: now[0])
        return Authz(module, caplog, server, now)

    return factory


@pytest.fixture
def authz(make_authz: Callable[..., Authz]) -> Authz:
    return make_authz()


@pytest.fixture
def make_connect(
    server: JwksServer, keys: Keys, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> Callable[..., Connect]:
    _reset(server, keys, caplog)

    def factory(**env: str | None) -> Connect:
        module = _load_authorizer(monkeypatch, server, (*ENV_VARS, *CONNECT_VARS), env)
        monkeypatch.setattr(module, "clock", lambda: NOW)
        return Connect(module, caplog)

    return factory


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    tag_api_keys(monkeypatch)
    with mock_aws():
        yield Env(monkeypatch)
