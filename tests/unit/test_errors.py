from __future__ import annotations

import aws_cdk as cdk
import pytest

from secure_api.errors import SecureApiConfigError, require_cidr, require_cidrs, require_int


def test_error_names_field_value_and_expectation() -> None:
    error = SecureApiConfigError("Throttle.rate_limit", -1, "an integer >= 0")
    assert isinstance(error, ValueError)
    assert str(error) == "Throttle.rate_limit: got -1; expected an integer >= 0"


@pytest.mark.parametrize("value", ["10.0.0.0/8", "2001:db8::/32", "198.51.100.7/32"])
def test_valid_cidrs_pass(value: str) -> None:
    assert require_cidr("f", value) == value


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("10.0.0.1/8", "host bits"),
        ("10.0.0.0", "prefix"),
        ("300.0.0.0/8", "CIDR"),
        ("2001:db8::1/32", "host bits"),
    ],
)
def test_fails_invalid_cidr(value: str, hint: str) -> None:
    with pytest.raises(SecureApiConfigError, match="field") as info:
        require_cidr("field", value)
    assert hint in str(info.value)


def test_fails_duplicate_cidrs() -> None:
    with pytest.raises(SecureApiConfigError, match="appears twice"):
        require_cidrs("f", ["10.0.0.0/8", "10.0.0.0/8"])


def test_tokens_are_not_validated() -> None:
    require_int("f", cdk.Token.as_number(cdk.Aws.ACCOUNT_ID))


def test_fails_bool_is_not_an_integer() -> None:
    with pytest.raises(SecureApiConfigError, match="f: got True"):
        require_int("f", True)
