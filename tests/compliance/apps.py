"""The stacks the compliance gate checks."""

from __future__ import annotations

import aws_cdk as cdk

from example.stack import ExampleStack


def example(app: cdk.App) -> cdk.Stack:
    """The example app's stack, exactly as ``make synth`` builds it."""
    return ExampleStack(app, "SecureApiExample")


STACKS = {"example": example}
