"""The network probe of ``secure-api verify --url wss://...``: one WebSocket opening handshake.

The handshake is made with the ``websockets`` library (the protocol is not written by hand here), sends
no credentials, and closes at once when the server accepts it. Like :mod:`secure_api.verify.probes`, it
returns plain data and never raises for what the network or the server does.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass

from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI, WebSocketException
from websockets.sync.client import connect

from secure_api.verify.probes import DEFAULT_TIMEOUT, describe_error

SWITCHING_PROTOCOLS = 101


@dataclass(frozen=True)
class Handshake:
    """A WebSocket opening handshake's outcome: the HTTP ``status`` (101 when the connection opened) or
    an ``error`` of kind ``dns``, ``connect``, ``tls``, ``certificate``, ``timeout``, ``handshake`` or
    ``other``."""

    url: str
    status: int | None = None
    body: str = ""
    error: str | None = None
    error_kind: str | None = None

    @property
    def opened(self) -> bool:
        """True when the server accepted the connection (101 Switching Protocols)."""
        return self.status == SWITCHING_PROTOCOLS


def websocket_handshake(
    url: str, *, context: ssl.SSLContext | None = None, timeout: float = DEFAULT_TIMEOUT
) -> Handshake:
    """Open ``url`` (``wss://`` or ``ws://``) without credentials and close it again at once."""
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
            return Handshake(url=url, status=SWITCHING_PROTOCOLS)
    except InvalidStatus as exc:
        response = exc.response
        body = bytes(response.body or b"")[:2048].decode("utf-8", "replace")
        return Handshake(url=url, status=response.status_code, body=body)
    except InvalidURI as exc:
        return Handshake(url=url, error=describe_error(exc), error_kind="other")
    except socket.gaierror as exc:
        return Handshake(url=url, error=f"name not resolved ({describe_error(exc)})", error_kind="dns")
    except ssl.SSLCertVerificationError as exc:
        return Handshake(
            url=url, error=f"certificate not trusted ({exc.verify_message})", error_kind="certificate"
        )
    except ssl.SSLError as exc:
        return Handshake(url=url, error=f"TLS failed ({exc.reason or describe_error(exc)})", error_kind="tls")
    except TimeoutError:
        return Handshake(url=url, error=f"no answer within {timeout:g} s", error_kind="timeout")
    except ConnectionRefusedError as exc:
        return Handshake(url=url, error=f"connection refused ({describe_error(exc)})", error_kind="connect")
    except (InvalidHandshake, WebSocketException) as exc:
        return Handshake(url=url, error=f"handshake failed ({describe_error(exc)})", error_kind="handshake")
    except OSError as exc:
        return Handshake(url=url, error=describe_error(exc), error_kind="other")
