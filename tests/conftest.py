"""Shared fixtures: each test configuration's app and template is built once per session."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.cdk_context import app_context


@pytest.fixture(scope="session")
def context() -> dict[str, Any]:
    """``cdk.json``'s context with bundling skipped."""
    return app_context()


@pytest.fixture(scope="session")
def make_app(context: dict[str, Any]) -> Callable[..., Any]:
    """Factory for ``cdk.App`` objects carrying ``cdk.json``'s context."""
    import aws_cdk as cdk

    def factory(**extra: Any) -> cdk.App:
        return cdk.App(context={**context, **extra})

    return factory
