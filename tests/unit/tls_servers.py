"""HTTPS servers on 127.0.0.1 for the ``secure-api verify --url`` tests: a throwaway CA made with
``cryptography``, a server that accepts or refuses TLS 1.0/1.1, answers 401 or 200, and reflects the
preflight's origin or not. Each server stops when its ``with`` block ends, and by itself after a
deadline. Holds no tests itself."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"
MAX_LIFETIME_SECONDS = 60.0


@dataclass(frozen=True)
class Pki:
    """A CA certificate file (the ``--ca-bundle``) and a server certificate for 127.0.0.1 it signed."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def make_pki(directory: Path) -> Pki:
    """Create a CA and a leaf certificate for ``127.0.0.1`` / ``localhost`` under ``directory``."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "secure-api verify test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pki = Pki(directory / "ca.pem", directory / "server.pem", directory / "server-key.pem")
    pki.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    pki.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return pki


@dataclass
class Behaviour:
    """How the server answers."""

    legacy_tls: bool = False
    """Accept TLS 1.0 and 1.1 (else TLS 1.2+ only)."""
    open_paths: tuple[str, ...] = ()
    """GET paths answered 200 without credentials; every other GET gets 401."""
    reflect_origin: bool = False
    """Echo the preflight's Origin in Access-Control-Allow-Origin (else the one allowed origin)."""
    allowed_origin: str | None = "https://app.example.com"
    fixed: tuple[int, str] | None = None
    """Answer every request with this status and JSON body (an execute-api endpoint stand-in)."""
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)


def _handler(behaviour: Behaviour) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _answer(self, status: int, body: str = "", headers: dict[str, str] | None = None) -> None:
            payload = body.encode()
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _record(self) -> None:
            behaviour.requests.append(
                (self.command, self.path, {k.lower(): v for k, v in self.headers.items()})
            )

        def do_GET(self) -> None:
            self._record()
            if behaviour.fixed:
                self._answer(*behaviour.fixed)
            elif self.path in behaviour.open_paths:
                self._answer(200, '{"ok": true}')
            else:
                self._answer(401, '{"message":"Unauthorized"}')

        def do_OPTIONS(self) -> None:
            self._record()
            if behaviour.fixed:
                self._answer(*behaviour.fixed)
                return
            origin = self.headers.get("Origin", "")
            allowed = origin if behaviour.reflect_origin else behaviour.allowed_origin
            headers = {"Access-Control-Allow-Origin": allowed} if allowed else {}
            self._answer(204, "", headers | {"Access-Control-Allow-Methods": "GET,POST,OPTIONS"})

        def _refuse(self) -> None:
            raise AssertionError(f"the probe sent a {self.command} request")

        do_POST = do_PUT = do_DELETE = do_PATCH = _refuse

    return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # a probe that drops the connection after the handshake is expected, not an error


def server_context(pki: Pki, *, legacy_tls: bool) -> ssl.SSLContext:
    """The server's TLS context: TLS 1.0+ with security level 0 when ``legacy_tls``, else TLS 1.2+."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.cert_file, pki.key_file)
    if legacy_tls:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
    else:
        context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


@contextmanager
def https_server(pki: Pki, behaviour: Behaviour | None = None) -> Iterator[tuple[str, Behaviour]]:
    """Serve HTTPS on 127.0.0.1 (a free port) while the block runs; yields ``(base_url, behaviour)``."""
    behaviour = behaviour or Behaviour()
    server = _QuietServer((HOST, 0), _handler(behaviour))
    server.socket = server_context(pki, legacy_tls=behaviour.legacy_tls).wrap_socket(
        server.socket, server_side=True
    )
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    deadline = threading.Timer(MAX_LIFETIME_SECONDS, server.shutdown)
    deadline.daemon = True
    deadline.start()
    try:
        yield f"https://{HOST}:{server.server_address[1]}/", behaviour
    finally:
        deadline.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
