"""Issue 27 item 7, the authorizer's part: one deadline for the JWKS fetch, no reserved context names.

A server that sends one byte every half second never trips a per-read timeout; the fetch must still give
up at its deadline, and the authorizer answer ``Unauthorized`` before its own (5 s) Lambda timeout.
Names API Gateway gives a meaning in ``$context.authorizer`` are never copied from a token's claims.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from tests.lambdas.authorizer_harness import Authz, Connect, Keys, make_token, request_event
from tests.lambdas.conftest import lambda_root

lambda_root("authorizer")  # the tests import authorizer_jwks by its plain name

DRIP_INTERVAL = 0.5
MARGIN = 0.5


@dataclass
class DripServer:
    """Answers every connection on 127.0.0.1 one byte every ``DRIP_INTERVAL`` seconds.

    ``head`` is sent at once, then ``drip`` byte by byte; gives up after ``limit`` seconds.
    """

    head: bytes = b""
    drip: bytes = b""
    limit: float = 10.0
    port: int = 0
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}/jwks.json"

    def serve_one(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(1.0)
            try:
                conn.recv(65536)  # the request
                conn.sendall(self.head)
                started = time.monotonic()
                for byte in self.drip:
                    if self.stop.wait(DRIP_INTERVAL) or time.monotonic() - started > self.limit:
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return  # the client gave up


def _drip_body() -> bytes:
    return json.dumps({"keys": [], "padding": "x" * 200}).encode()


@pytest.fixture
def drip() -> Iterator[DripServer]:
    state = DripServer()
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    state.port = listener.getsockname()[1]

    def accept() -> None:
        while not state.stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=state.serve_one, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield state
    state.stop.set()
    thread.join(timeout=5)
    listener.close()


def _status_and_headers(length: int) -> bytes:
    return (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n").encode()


# --- a) one deadline for the whole fetch --------------------------------------------------------


@pytest.mark.parametrize("phase", ["status_and_headers", "body"])
def test_fails_slow_drip_jwks_fetch_at_its_deadline(drip: DripServer, phase: str) -> None:
    import authorizer_jwks

    body = _drip_body()
    if phase == "status_and_headers":
        drip.drip = _status_and_headers(len(body)) + body
    else:
        drip.head, drip.drip = _status_and_headers(len(body)), body
    started = time.monotonic()
    with pytest.raises(authorizer_jwks.JwksError, match="deadline"):
        authorizer_jwks.fetch_jwks(drip.uri, timeout=1.0)
    assert time.monotonic() - started < 1.0 + MARGIN


def test_fails_slow_drip_jwks_authorizer_answers_unauthorized_within_the_default_deadline(
    make_authz: Callable[..., Authz], keys: Keys, drip: DripServer
) -> None:
    import authorizer_jwks

    body = _drip_body()
    drip.head, drip.drip = _status_and_headers(len(body)), body
    authz = make_authz(JWKS_URI=drip.uri)
    started = time.monotonic()
    authz.deny_token(make_token(keys.rsa), "jwks_unavailable")
    elapsed = time.monotonic() - started
    assert elapsed < authorizer_jwks.FETCH_TIMEOUT_SECONDS + MARGIN
    assert authorizer_jwks.FETCH_TIMEOUT_SECONDS < 5  # the authorizer function's own timeout


def test_fails_jwks_larger_than_the_cap_even_without_content_length(drip: DripServer) -> None:
    import authorizer_jwks

    drip.head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
    drip.head += b"x" * (authorizer_jwks.MAX_JWKS_BYTES + 10)
    drip.drip = b"x"
    with pytest.raises(authorizer_jwks.JwksError, match="too large"):
        authorizer_jwks.fetch_jwks(drip.uri, timeout=2.0)


def test_a_prompt_jwks_is_still_fetched(drip: DripServer) -> None:
    import authorizer_jwks

    body = _drip_body()
    drip.head = _status_and_headers(len(body)) + body
    assert authorizer_jwks.fetch_jwks(drip.uri, timeout=2.0) == body


# --- d) reserved names never come from claims ---------------------------------------------------

RESERVED_CLAIMS = {
    "principalId": "admin",
    "usageIdentifierKey": "stolen-key-value-0123456789abcdefghij",
    "integrationLatency": 0,
    "integrationStatus": "200",
    "latency": 1,
    "error": "none",
    "status": 200,
    "claims": "x",
}


def test_fails_reserved_claims_in_token_context(authz: Authz, keys: Keys) -> None:
    result = authz.allow(make_token(keys.rsa, claims=RESERVED_CLAIMS))
    assert set(RESERVED_CLAIMS).isdisjoint(result["context"]), result["context"]
    assert result["principalId"] == "user-123"
    assert "usageIdentifierKey" not in result
    assert result["context"]["client_id"] == "app-1"  # ordinary claims still pass


def test_fails_reserved_claims_in_connect_context(make_connect: Callable[..., Connect], keys: Keys) -> None:
    token = make_token(keys.rsa, scope="chat:connect", claims=RESERVED_CLAIMS)
    result = make_connect().allow(request_event("authorizer_request.json", token))
    assert set(RESERVED_CLAIMS).isdisjoint(result["context"]), result["context"]
    assert result["principalId"] == "user-123" and "usageIdentifierKey" not in result


@pytest.fixture
def authz(make_authz: Callable[..., Authz]) -> Authz:
    return make_authz()
