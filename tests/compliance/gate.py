"""Runs every compliance checker on a stack and counts findings before and after acknowledgement.

cdk-nag (five packs) and cfn-guard run as CDK validation plugins during synth; checkov and cfn-lint
run on the synthesized template. ``secure_api.compliance`` holds every acknowledgement.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from secure_api.compliance import IGNORE_ACKNOWLEDGEMENTS, validation_plugins
from tests.cdk_context import app_context

BIN = Path(sys.executable).parent
StackBuilder = Callable[[cdk.App], cdk.Stack]


@dataclass
class Findings:
    """Unacknowledged findings per checker, as ``"rule @ resource"`` strings."""

    by_checker: dict[str, list[str]] = field(default_factory=dict)
    template: dict[str, Any] = field(default_factory=dict, repr=False)

    def total(self) -> int:
        """Number of findings over all checkers."""
        return sum(len(v) for v in self.by_checker.values())


def synth(build: StackBuilder, *, acknowledge: bool) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Synthesize with the validation plugins; return the template and the plugin reports."""
    with tempfile.TemporaryDirectory(prefix="secure-api-compliance-") as outdir:
        extra = {} if acknowledge else {IGNORE_ACKNOWLEDGEMENTS: True}
        app = cdk.App(context=app_context(**extra), outdir=outdir)
        cdk.Validations.of(app).add_plugins(*validation_plugins())
        stack = build(app)
        try:
            app.synth()
        except Exception as error:  # the plugins raise when anything is unacknowledged
            if "Validation failed" not in str(error) and "ValidationFailed" not in str(error):
                raise
        report_file = Path(outdir) / "validation-report.json"
        reports = json.loads(report_file.read_text())["pluginReports"] if report_file.exists() else []
        template = json.loads((Path(outdir) / f"{stack.artifact_id}.template.json").read_text())
    return template, reports


def plugin_findings(reports: list[dict[str, Any]]) -> dict[str, list[str]]:
    """``pack -> ["rule @ construct path", ...]`` from the CDK validation report."""
    out: dict[str, list[str]] = {}
    for report in reports:
        out[report["pluginName"]] = [
            f"{v['ruleName']} @ {c.get('constructPath', '?')}"
            for v in report["violations"]
            for c in v["violatingConstructs"]
        ]
    return out


def checkov_findings(template: dict[str, Any]) -> list[str]:
    """checkov (offline) on the template; skips come from the resources' ``checkov`` metadata."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "template.json"
        path.write_text(json.dumps(template))
        proc = subprocess.run(
            [str(BIN / "checkov"), "-f", str(path), "--framework", "cloudformation", "--skip-download",
             "-o", "json", "--quiet"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    data = json.loads(proc.stdout)
    results = (data[0] if isinstance(data, list) else data).get("results", {})
    return [f"{f['check_id']} @ {f['resource']}" for f in results.get("failed_checks", [])]


def cfn_lint_findings(template: dict[str, Any]) -> list[str]:
    """cfn-lint on the template (offline); ignores come from the resources' ``cfn-lint`` metadata."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "template.json"
        path.write_text(json.dumps(template))
        proc = subprocess.run(
            [str(BIN / "cfn-lint"), "--format", "json", str(path)],
            capture_output=True,
            text=True,
            check=False,
        )
    return [
        f"{m['Rule']['Id']} @ {'/'.join(map(str, m['Location']['Path']))}"
        for m in json.loads(proc.stdout or "[]")
    ]


def run_all(build: StackBuilder, *, acknowledge: bool = True) -> Findings:
    """Every checker on the stack ``build`` makes."""
    template, reports = synth(build, acknowledge=acknowledge)
    findings = Findings(plugin_findings(reports), template)
    findings.by_checker["checkov"] = checkov_findings(template)
    findings.by_checker["cfn-lint"] = cfn_lint_findings(template)
    return findings
