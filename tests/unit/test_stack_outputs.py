"""Reading the stack outputs ``SecureRestApi`` writes: pure parsing and the choice of one API."""

from __future__ import annotations

import pytest

from secure_api.keys.errors import KeyOpsError
from secure_api.keys.stack_outputs import HTTP_API_ID, StackApi, apis_from_outputs, output_prefix, select_api


def outputs(**values: str) -> list[dict[str, str]]:
    return [{"OutputKey": key, "OutputValue": value, "Description": "-"} for key, value in values.items()]


def test_one_api_per_rest_api_id_output_with_its_siblings() -> None:
    found = apis_from_outputs(
        outputs(
            OrdersApiRestApiId="a1b2c3d4e5",
            OrdersApiUrl="https://api.example.com/",
            OrdersApiStageName="prod",
            OrdersApiKeySecretsPrefix="secure-api/a1b2c3d4e5/",
            OrdersApiKeysKmsKeyArn="arn:aws:kms:us-east-1:123456789012:key/k",
            AdminRestApiId="f6g7h8i9j0",
            ApiUrl="https://api.example.com/",
        )
    )
    assert found == [
        StackApi(prefix="Admin", rest_api_id="f6g7h8i9j0"),
        StackApi(
            prefix="OrdersApi",
            rest_api_id="a1b2c3d4e5",
            url="https://api.example.com/",
            stage_name="prod",
            key_secrets_prefix="secure-api/a1b2c3d4e5/",
            keys_kms_key_arn="arn:aws:kms:us-east-1:123456789012:key/k",
        ),
    ]


def test_prefix_is_the_construct_path_without_non_alphanumerics() -> None:
    assert output_prefix("Nested/Orders-Api_v2") == "NestedOrdersApiv2"


def test_select_the_only_api_or_the_one_named() -> None:
    apis = [StackApi("A", "aaaaaaaaaa"), StackApi("B", "bbbbbbbbbb")]
    assert select_api("S", apis[:1]).rest_api_id == "aaaaaaaaaa"
    assert select_api("S", apis, "bbbbbbbbbb").prefix == "B"


def test_fails_several_apis_without_api_id_lists_them() -> None:
    apis = [StackApi("A", "aaaaaaaaaa"), StackApi("B", "bbbbbbbbbb")]
    with pytest.raises(KeyOpsError) as raised:
        select_api("S", apis)
    assert raised.value.exit_code == 2
    assert "A (aaaaaaaaaa), B (bbbbbbbbbb)" in str(raised.value)
    assert "--api-id" in str(raised.value)


def test_fails_unknown_api_id_and_empty_stack() -> None:
    with pytest.raises(KeyOpsError, match="holds no API 'zzz'"):
        select_api("S", [StackApi("A", "aaaaaaaaaa")], "zzz")
    with pytest.raises(KeyOpsError, match="has no secure-api API"):
        select_api("S", [])


def test_fails_empty_stack_names_the_three_id_outputs() -> None:
    with pytest.raises(KeyOpsError) as raised:
        select_api("S", [])
    assert str(raised.value).endswith(
        "none of its outputs ends in 'RestApiId', 'WebSocketApiId' or 'HttpApiId'"
    )


def test_a_websocket_api_is_found_by_its_websocket_api_id_output() -> None:
    found = apis_from_outputs(
        outputs(
            ChatApiWebSocketApiId="w5s6t7u8v9",
            ChatApiUrl="wss://ws.example.com/",
            ChatApiStageName="prod",
            OrdersApiRestApiId="a1b2c3d4e5",
        )
    )
    assert found == [
        StackApi(
            prefix="ChatApi",
            rest_api_id="w5s6t7u8v9",
            url="wss://ws.example.com/",
            stage_name="prod",
            protocol="WEBSOCKET",
        ),
        StackApi(prefix="OrdersApi", rest_api_id="a1b2c3d4e5"),
    ]
    assert found[1].protocol == "REST"
    assert select_api("S", found, "w5s6t7u8v9").prefix == "ChatApi"


def test_an_http_api_is_found_by_its_http_api_id_output() -> None:
    assert HTTP_API_ID == "HttpApiId"
    found = apis_from_outputs(
        outputs(
            OrdersHttpApiHttpApiId="h1t2t3p4a5",
            OrdersHttpApiUrl="https://api.example.com",
            OrdersHttpApiStageName="prod",
            ChatApiWebSocketApiId="w5s6t7u8v9",
        )
    )
    assert found == [
        StackApi(prefix="ChatApi", rest_api_id="w5s6t7u8v9", protocol="WEBSOCKET"),
        StackApi(
            prefix="OrdersHttpApi",
            rest_api_id="h1t2t3p4a5",
            url="https://api.example.com",
            stage_name="prod",
            protocol="HTTP",
        ),
    ]
    assert select_api("S", found, "h1t2t3p4a5").protocol == "HTTP"
