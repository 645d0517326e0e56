"""The example WebSocket stack (app.py's SecureApiWebSocketExample) deployed in ministack: the $connect
authorizer refuses a missing token, a missing connect scope, a foreign Origin and a source address
outside the allow list; a valid token (with the consumer's API key) connects, and a message reaches
its function, whose answer comes back through the @connections API."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from tests.e2e import emulator_gaps
from tests.e2e.conftest import World
from tests.e2e.tokens import Issuer

ORIGIN = "https://app.example.com"


@dataclass
class ChatApi:
    """The deployed WebSocket example: its URL and mobile-app's key (as a consumer reads it)."""

    url: str
    api_key: str


@pytest.fixture(scope="package")
def chat(world: World) -> ChatApi:
    """The WebSocket example stack, deployed once."""
    outputs = world.deploy("websocket")
    api_id = next(v for k, v in outputs.items() if k.endswith("ApiId"))
    stage = next((v for k, v in outputs.items() if k.endswith("StageName")), "prod")
    secret = world.emulator.client("secretsmanager").get_secret_value(
        SecretId=f"secure-api/{api_id}/mobile-app"
    )
    return ChatApi(
        f"ws://127.0.0.1:{world.emulator.port}/_aws/execute-api/{api_id}/{stage}",
        json.loads(secret["SecretString"])["apiKey"],
    )


def open_chat(
    chat: ChatApi,
    token: str | None,
    *,
    origin: str | None = ORIGIN,
    source: str = "127.0.0.1",
    api_key: str | None = None,
) -> ClientConnection:
    """Connect with ``Authorization: Bearer <token>`` from ``source`` (a loopback address)."""
    headers: dict[str, str] = {"x-api-key": api_key or chat.api_key}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    kwargs: dict[str, Any] = {"source_address": (source, 0)}
    return connect(
        chat.url,
        additional_headers=headers,
        origin=origin,  # type: ignore[arg-type]
        open_timeout=30,
        **kwargs,
    )


def refused_status(chat: ChatApi, token: str | None, **kwargs: Any) -> int:
    """The HTTP status of a refused handshake (fails if the connection opens)."""
    with pytest.raises(InvalidStatus) as refused, open_chat(chat, token, **kwargs):
        pass
    return int(refused.value.response.status_code)


def chat_token(issuer: Issuer, scope: str = "chat:connect") -> str:
    """A valid token for the chat API."""
    return issuer.token(audience="chat", scope=scope)


def test_connect_without_token_is_refused(chat: ChatApi) -> None:
    status = refused_status(chat, None)
    assert status in (401, 500)
    if status == 500:
        pytest.skip(emulator_gaps.skip_reason("ws.unauthorized_status"))
    assert status == 401


def test_connect_with_a_bad_token_is_refused(chat: ChatApi, issuer: Issuer) -> None:
    status = refused_status(chat, issuer.token(audience="chat", scope="chat:connect", expires_in=-3600))
    assert status in (401, 500)
    if status == 500:
        pytest.skip(emulator_gaps.skip_reason("ws.unauthorized_status"))
    assert status == 401


def test_token_without_the_connect_scope_is_403(chat: ChatApi, issuer: Issuer) -> None:
    assert refused_status(chat, chat_token(issuer, scope="chat:read")) == 403


def test_foreign_origin_is_403(chat: ChatApi, issuer: Issuer) -> None:
    assert refused_status(chat, chat_token(issuer), origin="https://evil.example.net") == 403


def test_source_address_outside_the_allow_list_is_403(chat: ChatApi, issuer: Issuer) -> None:
    # The stack allows 127.0.0.1/32 (and 203.0.113.0/24); 127.0.0.2 is another loopback address.
    assert refused_status(chat, chat_token(issuer), source="127.0.0.2") == 403


def test_connect_without_the_consumers_api_key_is_403(chat: ChatApi, issuer: Issuer) -> None:
    try:
        connection = open_chat(chat, chat_token(issuer), api_key="z" * 40)
    except InvalidStatus as refused:
        assert refused.response.status_code == 403
        return
    with connection:
        pass
    pytest.skip(emulator_gaps.skip_reason("ws.api_key_required"))


def test_valid_token_connects_and_a_message_reaches_its_function(chat: ChatApi, issuer: Issuer) -> None:
    with open_chat(chat, chat_token(issuer)) as connection:
        connection.send(json.dumps({"action": "sendMessage", "message": "hello"}))
        reply = json.loads(connection.recv(timeout=30))
    assert reply == {"echo": "hello"}
