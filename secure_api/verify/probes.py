"""Network probes of ``secure-api verify --url``: TLS handshakes, single HTTP requests and WebSocket
opening handshakes.

Each probe returns plain data (:class:`Handshake`, :class:`Answer`) and never raises for what the
network or the server does; the checks in :mod:`secure_api.verify.http_checks` (and
:mod:`secure_api.verify.websocket_checks`) judge them. No probe sends credentials, only GET and OPTIONS
requests are made, and an opened WebSocket connection is closed at once.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI, WebSocketException
from websockets.sync.client import connect

DEFAULT_TIMEOUT = 10.0
BODY_LIMIT = 2048
SWITCHING_PROTOCOLS = 101
"""The status of a WebSocket handshake the server accepted."""
ACCEPTED = "accepted"
REFUSED = "refused"
UNTESTABLE = "untestable"
UNREACHABLE = "unreachable"

# Reasons OpenSSL gives when it cannot even offer the version locally: no server was asked.
_LOCAL_REASONS = frozenset(
    {"NO_PROTOCOLS_AVAILABLE", "NO_CIPHERS_AVAILABLE", "NO_SUITABLE_SIGNATURE_ALGORITHM"}
)
LEGACY_VERSIONS = ("1.0", "1.1")
_DEFAULT_PORTS = {"https": 443, "http": 80, "wss": 443, "ws": 80}
WEBSOCKET_SCHEMES = frozenset({"wss", "ws"})
TLS_SCHEMES = frozenset({"https", "wss"})


@dataclass(frozen=True)
class Handshake:
    """The outcome of a TLS handshake offering exactly one protocol ``version``."""

    version: str
    outcome: str
    detail: str


@dataclass(frozen=True)
class Answer:
    """The outcome of one HTTP request: a ``status`` (and headers, lower-case) or an ``error``.

    ``error_kind`` is ``dns``, ``connect``, ``tls``, ``certificate``, ``timeout`` or ``other``.
    """

    url: str
    status: int | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str = ""
    error: str | None = None
    error_kind: str | None = None


@dataclass(frozen=True)
class Target:
    """Where ``--url`` points: scheme, host, port and the base path routes are appended to."""

    scheme: str
    host: str
    port: int
    base_path: str

    @classmethod
    def parse(cls, url: str) -> Target:
        """Split ``url``; :class:`ValueError` unless it is an absolute http(s) or ws(s) URL."""
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ValueError(
                f"--url {url!r}: expected an absolute https URL, e.g. https://api.example.com/ "
                "(wss://ws.example.com/ for a WebSocket API)"
            )
        try:
            port = parts.port or _DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise ValueError(f"--url {url!r}: invalid port") from None
        return cls(parts.scheme, parts.hostname, port, parts.path.rstrip("/"))

    def url(self, path: str) -> str:
        """The URL of ``path`` (``/orders/x``) under this target."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = _DEFAULT_PORTS[self.scheme]
        netloc = host if self.port == default else f"{host}:{self.port}"
        return f"{self.scheme}://{netloc}{self.base_path}{path}"


_VERSIONS = {"1.0": "TLSv1", "1.1": "TLSv1_1"}


def legacy_context(version: str) -> ssl.SSLContext:
    """A client context offering only TLS ``version``, with the security level lowered to 0 so that the
    local OpenSSL never refuses the old protocol or its ciphers itself. No certificate is verified: the
    probe only asks whether the server accepts the protocol."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        tls_version = getattr(ssl.TLSVersion, _VERSIONS[version])
        context.minimum_version = tls_version
        context.maximum_version = tls_version
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


def tls_handshake(host: str, port: int, version: str, *, timeout: float = DEFAULT_TIMEOUT) -> Handshake:
    """Try a handshake with ``host:port`` offering only TLS ``version`` (``"1.0"`` or ``"1.1"``)."""
    try:
        context = legacy_context(version)
    except (ssl.SSLError, ValueError) as exc:
        return Handshake(version, UNTESTABLE, f"the local TLS library cannot offer TLS {version} ({exc})")
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        return Handshake(version, UNREACHABLE, f"cannot connect to {host}:{port} ({describe_error(exc)})")
    try:
        with context.wrap_socket(sock, server_hostname=host) as tls:
            negotiated = tls.version() or f"TLS {version}"
        return Handshake(version, ACCEPTED, f"{host}:{port} accepted a {negotiated} handshake")
    except ssl.SSLError as exc:
        if exc.reason in _LOCAL_REASONS:
            return Handshake(
                version, UNTESTABLE, f"the local TLS library cannot offer TLS {version} ({exc.reason})"
            )
        return Handshake(version, REFUSED, f"{host}:{port} refused TLS {version} ({exc.reason or exc})")
    except (ConnectionError, TimeoutError, OSError) as exc:
        # A server that drops the connection on a legacy ClientHello refuses it too.
        return Handshake(
            version, REFUSED, f"{host}:{port} closed the connection on TLS {version} ({describe_error(exc)})"
        )
    finally:
        sock.close()


def describe_error(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def https_context(ca_bundle: str | None = None) -> ssl.SSLContext:
    """A verifying client context trusting ``ca_bundle`` (else the system's CAs)."""
    return ssl.create_default_context(cafile=ca_bundle) if ca_bundle else ssl.create_default_context()


def unverified_context() -> ssl.SSLContext:
    """A context that does not verify the server: for probes that send nothing and only ask whether anything
    answers, so that a certificate the local trust store does not know never passes for a refusal."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def request(
    url: str,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    *,
    context: ssl.SSLContext | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> Answer:
    """Send one ``method`` request (GET or OPTIONS only) to ``url``; never follows redirects."""
    if method not in {"GET", "OPTIONS"}:
        raise ValueError(f"probes never send {method} requests")
    parts = urlsplit(url)
    host = parts.hostname or ""
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            host, parts.port, timeout=timeout, context=context or https_context()
        )
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    path = parts.path or "/"
    if parts.query:
        path += f"?{parts.query}"
    try:
        connection.request(method, path, headers=dict(headers or {}))
        response = connection.getresponse()
        body = response.read(BODY_LIMIT).decode("utf-8", "replace")
        return Answer(
            url=url,
            status=response.status,
            headers={k.lower(): v for k, v in response.getheaders()},
            body=body,
        )
    except (OSError, http.client.HTTPException) as exc:
        return failure(url, exc, timeout)
    finally:
        connection.close()


def failure(url: str, exc: BaseException, timeout: float) -> Answer:
    """The :class:`Answer` of a request to ``url`` that got no HTTP status because of ``exc``."""
    if isinstance(exc, socket.gaierror):
        return Answer(url=url, error=f"name not resolved ({describe_error(exc)})", error_kind="dns")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Answer(
            url=url, error=f"certificate not trusted ({exc.verify_message})", error_kind="certificate"
        )
    if isinstance(exc, ssl.SSLError):
        return Answer(url=url, error=f"TLS failed ({exc.reason or describe_error(exc)})", error_kind="tls")
    if isinstance(exc, TimeoutError):
        return Answer(url=url, error=f"no answer within {timeout:g} s", error_kind="timeout")
    if isinstance(exc, ConnectionRefusedError):
        return Answer(url=url, error=f"connection refused ({describe_error(exc)})", error_kind="connect")
    return Answer(url=url, error=describe_error(exc), error_kind="other")


def websocket_handshake(
    url: str, *, context: ssl.SSLContext | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Answer:
    """Open ``url`` (``wss://`` or ``ws://``) without credentials and close it again at once: the
    :class:`Answer`'s status is 101 when the server accepted the connection, else the status it refused
    it with. The handshake is the ``websockets`` library's (the protocol is not written by hand here);
    a failed one is an error of kind ``handshake``."""
    try:
        with connect(
            url,
            open_timeout=timeout,
            close_timeout=min(timeout, 2.0),
            proxy=None,
            compression=None,
            user_agent_header="secure-api-verify",
            ssl=context if url.startswith("wss://") else None,
        ):
            return Answer(url=url, status=SWITCHING_PROTOCOLS)
    except InvalidStatus as exc:
        response = exc.response
        body = bytes(response.body or b"")[:BODY_LIMIT].decode("utf-8", "replace")
        return Answer(url=url, status=response.status_code, body=body)
    except InvalidURI as exc:
        return Answer(url=url, error=describe_error(exc), error_kind="other")
    except OSError as exc:
        return failure(url, exc, timeout)
    except (InvalidHandshake, WebSocketException) as exc:
        return Answer(url=url, error=f"handshake failed ({describe_error(exc)})", error_kind="handshake")
