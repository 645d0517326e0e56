"""TLS WebSocket servers on 127.0.0.1 for the ``secure-api verify --url wss://`` tests, made with the
``websockets`` library and the throwaway CA of :mod:`tests.unit.tls_servers`: a server that refuses a
handshake without ``Authorization`` (401), opens every connection, or answers every handshake with a
fixed status and body; with TLS 1.0/1.1 accepted or refused. Each server stops when its ``with`` block
ends, and by itself after a deadline. Holds no tests itself."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from websockets.http11 import Request, Response
from websockets.sync.server import ServerConnection, serve

from tests.unit.tls_servers import HOST, MAX_LIFETIME_SECONDS, Pki, server_context


@dataclass
class WsBehaviour:
    """How the server answers a handshake; ``seen`` records each handshake's headers (lower-case)."""

    legacy_tls: bool = False
    open_without_token: bool = False
    fixed: tuple[int, str] | None = None
    seen: list[dict[str, str]] = field(default_factory=list)


@contextmanager
def wss_server(pki: Pki, behaviour: WsBehaviour | None = None) -> Iterator[tuple[str, WsBehaviour]]:
    """Serve WebSocket over TLS on 127.0.0.1 (a free port) while the block runs; yields
    ``(wss_url, behaviour)``."""
    behaviour = behaviour or WsBehaviour()

    def process_request(connection: ServerConnection, request: Request) -> Response | None:
        behaviour.seen.append({k.lower(): v for k, v in request.headers.raw_items()})
        if behaviour.fixed is not None:
            return connection.respond(behaviour.fixed[0], behaviour.fixed[1])
        if "Authorization" not in request.headers and not behaviour.open_without_token:
            return connection.respond(401, '{"message":"Unauthorized"}')
        return None

    def handler(connection: ServerConnection) -> None:
        connection.close()

    server = serve(
        handler,
        HOST,
        0,
        ssl=server_context(pki, legacy_tls=behaviour.legacy_tls),
        process_request=process_request,
        compression=None,
    )
    port = server.socket.getsockname()[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    deadline = threading.Timer(MAX_LIFETIME_SECONDS, server.shutdown)
    deadline.daemon = True
    deadline.start()
    try:
        yield f"wss://{HOST}:{port}/", behaviour
    finally:
        deadline.cancel()
        server.shutdown()
        thread.join(timeout=5)
