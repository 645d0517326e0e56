"""An OAuth issuer on 127.0.0.1 for the end-to-end suite: an RS256 key generated per session, its JWKS
and OpenID Connect discovery document served over HTTPS (API Gateway's native JWT authorizer fetches
them over HTTPS only) with a certificate for 127.0.0.1 signed by a CA made for the session
(``tests/unit/tls_servers.make_pki``), which the emulator and its functions trust through
``SSL_CERT_FILE`` (``ca_file``), and real tokens."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import ssl
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from joserfc import jwt
from joserfc.jwk import RSAKey

from tests.unit.tls_servers import Pki, make_pki, server_context

ISSUER_PATH = "/issuer/"
# BearerAuth's default key set URL for the issuer (``<issuer>.well-known/jwks.json``).
JWKS_PATH = ISSUER_PATH + ".well-known/jwks.json"
# OpenID Connect discovery: where API Gateway's native JWT authorizer finds the issuer's jwks_uri.
DISCOVERY_PATH = "/issuer/.well-known/openid-configuration"


@dataclass
class Issuer:
    """The signing key, the server that publishes its public half (the folder of its TLS
    certificates, and those certificates), and a token factory."""

    key: RSAKey
    server: ThreadingHTTPServer
    thread: threading.Thread
    folder: Path
    pki: Pki
    other_key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "rogue"}))
    # The paths requested from the server, in order (which documents an authorizer fetched).
    fetched: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        """``https://127.0.0.1:<port>``."""
        return f"https://127.0.0.1:{self.server.server_address[1]}"

    @property
    def port(self) -> int:
        """The server's port."""
        port: int = self.server.server_address[1]
        return port

    @property
    def ca_file(self) -> Path:
        """The certificate (PEM) of the CA that signed the server's: the CA bundle a client of the
        server trusts."""
        return self.pki.ca_file

    @property
    def issuer(self) -> str:
        """The ``iss`` every valid token carries."""
        return self.base_url + ISSUER_PATH

    @property
    def jwks_uri(self) -> str:
        """Where the authorizer fetches the key set."""
        return self.base_url + JWKS_PATH

    def token(
        self,
        *,
        scope: str = "orders:read orders:write",
        audience: str = "orders-api",
        issuer: str | None = None,
        expires_in: int = 600,
        key: RSAKey | None = None,
        kid: str | None = None,
        sub: str = "user-1",
        **claims: Any,
    ) -> str:
        """A signed RS256 token (claims overridable)."""
        now = int(time.time())
        signing_key = key or self.key
        header = {"alg": "RS256", "kid": kid or str(signing_key.kid), "typ": "JWT"}
        payload = {
            "iss": issuer or self.issuer,
            "aud": audience,
            "sub": sub,
            "scope": scope,
            "iat": now - 5,
            "nbf": now - 5,
            "exp": now + expires_in,
            **claims,
        }
        return jwt.encode(header, payload, signing_key)

    def unsigned_token(self, **claims: Any) -> str:
        """An ``alg: none`` token with otherwise valid claims."""
        now = int(time.time())
        payload = {"iss": self.issuer, "aud": "orders-api", "sub": "user-1", "scope": "orders:read",
                   "iat": now, "exp": now + 600, **claims}  # fmt: skip
        parts = [{"alg": "none", "typ": "JWT", "kid": str(self.key.kid)}, payload]
        encoded = [base64.urlsafe_b64encode(json.dumps(p).encode()).rstrip(b"=").decode() for p in parts]
        return ".".join(encoded) + "."

    def close(self) -> None:
        """Stop serving, free the port and remove the certificates' folder."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
        shutil.rmtree(self.folder, ignore_errors=True)


class _TlsServer(ThreadingHTTPServer):
    """A threading HTTP server whose connections are TLS, the handshake done in each request's thread."""

    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], context: ssl.SSLContext
    ):
        self.context = context
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client refusing the certificate (or hanging up) is not the server's error; others are."""
        if not isinstance(sys.exc_info()[1], ssl.SSLError | ConnectionError):
            super().handle_error(request, client_address)

    def get_request(self) -> tuple[socket.socket, Any]:
        connection, address = super().get_request()
        return self.context.wrap_socket(connection, server_side=True, do_handshake_on_connect=False), address


def start_issuer() -> Issuer:
    """Generate the key and serve its JWKS and discovery document over HTTPS on 127.0.0.1 (a free
    port)."""
    key = RSAKey.generate_key(2048, parameters={"kid": "e2e-1", "use": "sig", "alg": "RS256"})
    jwks = json.dumps({"keys": [key.as_dict(private=False)]}).encode()
    documents: dict[str, bytes] = {JWKS_PATH: jwks}
    fetched: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            fetched.append(self.path)
            document = documents.get(self.path)
            if document is None:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, *_args: Any) -> None:
            return

    folder = Path(tempfile.mkdtemp(prefix="secure-api-e2e-issuer-"))
    pki = make_pki(folder)
    server = _TlsServer(("127.0.0.1", 0), Handler, server_context(pki, legacy_tls=False))
    thread = threading.Thread(target=server.serve_forever, name="e2e-jwks", daemon=True)
    thread.start()
    issuer = Issuer(key=key, server=server, thread=thread, folder=folder, pki=pki, fetched=fetched)
    documents[DISCOVERY_PATH] = json.dumps({"issuer": issuer.issuer, "jwks_uri": issuer.jwks_uri}).encode()
    return issuer


# Tokens every bearer authorizer must refuse with 401, each built from the session's issuer.
BAD_TOKENS: dict[str, Callable[[Issuer], str]] = {
    "malformed": lambda i: "not-a-jwt",
    "three garbage segments": lambda i: "abc.def.ghi",
    "badly signed": lambda i: i.token(key=i.other_key, kid=str(i.key.kid)),
    "expired": lambda i: i.token(expires_in=-3600),
    "wrong issuer": lambda i: i.token(issuer="https://login.example.com/"),
    "wrong audience": lambda i: i.token(audience="another-api"),
    "alg none": lambda i: i.unsigned_token(),
    "unknown kid": lambda i: i.token(key=i.other_key),
}
