"""A certificate AWS would refuse at deploy time is refused at declaration: an ACM certificate of
another Region (the us-east-1 one made for CloudFront), account or partition than a concrete stack's."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from secure_api import BearerAuth, CustomDomain, SecureApiConfigError, SecureRestApi, SecureWebSocketApi
from tests.cdk_context import app_context

AUTH = BearerAuth(issuer="https://login.example.com/", audience=["api"])
UUID = "12345678-1234-1234-1234-123456789012"


def _cert(region: str, account: str = "123456789012", partition: str = "aws") -> str:
    return f"arn:{partition}:acm:{region}:{account}:certificate/{UUID}"


def _stack(env: cdk.Environment | None) -> cdk.Stack:
    return cdk.Stack(cdk.App(context=app_context()), "Test", env=env)


def _rest(stack: cdk.Stack, certificate_arn: str) -> SecureRestApi:
    domain = CustomDomain(domain_name="api.example.com", certificate_arn=certificate_arn)
    return SecureRestApi(stack, "Api", auth=AUTH, domain=domain, firewall=None, audit=None, monitoring=None)


def _websocket(stack: cdk.Stack, certificate_arn: str) -> SecureWebSocketApi:
    domain = CustomDomain(domain_name="chat.example.com", certificate_arn=certificate_arn)
    return SecureWebSocketApi(stack, "Chat", auth=AUTH, domain=domain, audit=None, monitoring=None)


EU = cdk.Environment(account="123456789012", region="eu-west-1")


@pytest.mark.parametrize("build", [_rest, _websocket])
def test_fails_with_a_certificate_of_another_region(build: object) -> None:
    with pytest.raises(SecureApiConfigError) as raised:
        build(_stack(EU), _cert("us-east-1"))  # type: ignore[operator]
    message = str(raised.value)
    assert "CustomDomain.certificate_arn" in message
    assert "us-east-1" in message and "eu-west-1" in message


def test_fails_with_a_certificate_of_another_account() -> None:
    with pytest.raises(SecureApiConfigError, match=r"CustomDomain\.certificate_arn.*210987654321"):
        _rest(_stack(EU), _cert("eu-west-1", account="210987654321"))


def test_a_certificate_of_the_stacks_region_and_account_is_accepted() -> None:
    _rest(_stack(EU), _cert("eu-west-1"))


def test_an_env_agnostic_stack_cannot_be_judged_and_accepts_any_region() -> None:
    _rest(_stack(None), _cert("us-east-1"))
    _rest(_stack(cdk.Environment(region="eu-west-1")), _cert("eu-west-1", account="210987654321"))
