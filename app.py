#!/usr/bin/env python3
"""The example app: ``make synth`` (or ``npx cdk synth``) writes cdk.out/SecureApiExample.template.json."""

from __future__ import annotations

import aws_cdk as cdk

from example.stack import ExampleStack

app = cdk.App()
ExampleStack(app, "SecureApiExample", description="secure_api example: an orders REST API")
app.synth()
