"""checkov's verdict depends on the template only, never on where the gate wrote it (DESIGN.md's known
trap: checkov copies the file's path into every Environment.Variables map, and CKV_AWS_45 reads a run
of exactly 40 characters of [A-Za-z0-9/+=] as an AWS secret key)."""

from __future__ import annotations

import re
import tempfile
from typing import Any

from tests.compliance.gate import checkov_file_names, checkov_findings

_SECRET_LIKE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])")


def _clean_function() -> dict[str, Any]:
    return {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "Handler": "index.handler",
                    "Runtime": "python3.13",
                    "Role": "arn:aws:iam::123456789012:role/r",
                    "Code": {"ZipFile": "def handler(e, c):\n    return 1\n"},
                    "Environment": {"Variables": {"LOG_LEVEL": "INFO"}},
                },
            }
        }
    }


def test_file_names_are_short_and_fixed() -> None:
    ids = [f"Stack{'x' * n}" for n in range(60)]
    names = checkov_file_names(ids)
    assert names == checkov_file_names(ids)
    assert all(not _SECRET_LIKE.search(f"./{name}") and len(name) <= 8 for name in names.values())


def test_a_clean_function_passes_ckv_aws_45_whatever_the_stack_id() -> None:
    # The stack id whose "<temp folder>/<stack id>" was exactly 40 such characters under the old
    # "<random temp folder>/<stack id>.template.json" names (most runs, when the folder had no '_').
    prefix = len(tempfile.gettempdir()) + len("/tmpabcdefgh/")
    stack_id = "S" * max(1, 40 - prefix)
    found = checkov_findings({stack_id: _clean_function(), "Other": _clean_function()})
    assert not [f for f in found[stack_id] + found["Other"] if f.startswith("CKV_AWS_45 ")]
