"""The example WebSocket stack: a chat API with every option the library offers for WebSocket APIs,
synthesizable with no AWS account.

The custom domain is ``chat.<zone>`` in the hosted zone of ``cdk.json``'s context
(``secure-api:hostedZoneId``, ``secure-api:hostedZoneName``); the placeholders there synthesize
without an account.
"""

from __future__ import annotations

from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from example.stack import allow_ip_ranges, backend_function, bearer_auth, zone_domain
from secure_api import (
    AccessPolicy,
    AuditTrail,
    Consumer,
    Monitoring,
    SecureWebSocketApi,
    Throttle,
    UsageTier,
)

CHAT_CODE = Path(__file__).resolve().parent / "chat"


class WebSocketExampleStack(cdk.Stack):
    """A chat API: bearer tokens (header or ``access_token`` query parameter) with a connect scope, one
    browser origin, an IP allow list, a TLS 1.2 custom domain, a usage tier with one consumer, routes
    ``sendMessage`` (throttled), ``$default`` and ``$disconnect``, the audit trail and monitoring."""

    def __init__(self, scope: Construct, id_: str, **kwargs: object) -> None:
        super().__init__(scope, id_, **kwargs)  # type: ignore[arg-type]
        chat = chat_function(self)
        self.api = SecureWebSocketApi(
            self,
            "ChatApi",
            stage_name="prod",
            auth=bearer_auth(self, audience=["chat"]),
            connect_handler=chat,
            connect_scopes=["chat:connect"],
            allowed_origins=["https://app.example.com"],
            token_query_parameter="access_token",  # noqa: S106 (a parameter name, not a secret)
            access=AccessPolicy(allow_ip_ranges=allow_ip_ranges(self)),
            domain=zone_domain(self, "chat"),
            throttle=Throttle(rate_limit=1000, burst_limit=2000),
            usage_tiers=[UsageTier("gold", throttle=Throttle(rate_limit=50, burst_limit=100))],
            consumers=[Consumer("mobile-app", tier="gold")],
            audit=AuditTrail(),
            monitoring=Monitoring(alarm_email="oncall@example.com"),
        )
        self.api.add_route("sendMessage", chat, throttle=Throttle(rate_limit=100, burst_limit=200))
        self.api.add_route("$default", chat)
        self.api.add_route("$disconnect", chat)
        self.api.grant_manage_connections(chat)


def chat_function(scope: Construct) -> lambda_.IFunction:
    """The chat backend, hardened with the library's own function recipe."""
    return backend_function(scope, "chat", CHAT_CODE)
