"""The command's API id variable names no single kind; its older REST-only name still works."""

from __future__ import annotations

from secure_api.keys.cli import build_parser
from secure_api.keys.environment import API_ID_ENV, env_api_id


def test_the_variable_and_its_alias() -> None:
    assert API_ID_ENV == "SECURE_API_API_ID"
    assert env_api_id({}) is None
    assert env_api_id({"SECURE_API_REST_API_ID": "old1234567"}) == "old1234567"
    assert (
        env_api_id({"SECURE_API_API_ID": "new1234567", "SECURE_API_REST_API_ID": "old1234567"})
        == "new1234567"
    )
    assert env_api_id({"SECURE_API_API_ID": " ", "SECURE_API_REST_API_ID": "old1234567"}) == "old1234567"


def test_help_names_every_kind_served() -> None:
    text = build_parser().format_help()
    assert all(name in text for name in ("SecureRestApi", "SecureWebSocketApi", "SecureHttpApi"))
    api_id_help = next(a.help for a in build_parser()._actions if "--api-id" in a.option_strings)
    assert api_id_help is not None
    assert "REST, WebSocket or HTTP" in api_id_help and "SECURE_API_API_ID" in api_id_help
