"""The stage-variable secret detector of ``stage.variables``: a table of what looks like a secret and
what does not."""

from __future__ import annotations

import pytest

from secure_api.verify.secret_values import secret_kind_of_value, secret_like_name, secret_reason

# Built from parts so that no scanner takes this file for a leak.
AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
SESSION_KEY_ID = "ASIA" + "Y34FZKBOKMUTVV7A"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
JWT = "eyJhbGciOiJSUzI1NiJ9." + "eyJzdWIiOiJvcmRlcnMifQ." + "c2lnbmF0dXJl"
PEM = "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEow..."
RANDOM_TOKEN = "q8Zr2Lx0Vb7Nw4Ty1Pk9Hs6Dg3Fj5Mc2" + "Qa8We"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dbPassword", True),
        ("DB_PASSWORD", True),
        ("client_secret", True),
        ("authToken", True),
        ("api_key", True),
        ("apiKey", True),
        ("PRIVATE_KEY", True),
        ("serviceCredentials", True),
        ("awsAccessKey", True),
        ("dbSecretArn", False),
        ("tokenUrl", False),
        ("apiKeyHeader", False),
        ("secretName", False),
        ("region", False),
        ("backendHost", False),
        ("keyspace", False),
    ],
)
def test_secret_like_names(name: str, expected: bool) -> None:
    assert secret_like_name(name) is expected


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        (AWS_KEY_ID, "an AWS access key id"),
        (SESSION_KEY_ID, "an AWS access key id"),
        (f"key={AWS_KEY_ID};", "an AWS access key id"),
        (AWS_SECRET, "an AWS secret access key"),
        (JWT, "a JWT"),
        (f"Bearer {JWT}", "a JWT"),
        (PEM, "a PEM private key"),
        ("-----BEGIN " + "PRIVATE KEY-----", "a PEM private key"),
        ("ghp_" + "a" * 20 + "B1c2D3e4F5g6H7i8", "a GitHub token"),
        (RANDOM_TOKEN, "a long high-entropy string"),
        ("eu-west-1", None),
        ("https://orders.internal.example.com/v1", None),
        ("arn:aws:secretsmanager:eu-west-1:123456789012:secret:orders-db-AbCdEf", None),
        ("0123456789abcdef0123456789abcdef01234567", None),  # a git commit: hex, 4 bits a character
        ("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", None),  # sha256
        ("123e4567-e89b-12d3-a456-426614174000", None),  # a UUID
        ("ThisIsAVeryLongConfigurationValueNameForOrders", None),  # words, no digits
        ("true", None),
        ("", None),
        ("AKIA", None),
    ],
)
def test_secret_kinds_of_values(value: str, kind: str | None) -> None:
    assert secret_kind_of_value(value) == kind


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("dbPassword", "hunter2", "its name"),
        ("dbPassword", "", None),  # an empty secret leaks nothing
        ("backend", AWS_KEY_ID, "its value looks like an AWS access key id"),
        ("dbSecretArn", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x", None),
        ("region", "eu-west-1", None),
    ],
)
def test_secret_reason_never_contains_the_value(name: str, value: str, reason: str | None) -> None:
    got = secret_reason(name, value)
    assert got == reason
    if got and value:
        assert value not in got
