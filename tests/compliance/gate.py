"""Runs every compliance checker on the stacks of an app and counts findings before and after
acknowledgement.

cdk-nag (five packs), cfn-guard and the Security Hub checker (``tests.compliance.securityhub``: AWS
Security Hub's API Gateway controls) run as CDK validation plugins during synth; checkov and cfn-lint (with
AWS's serverless rules, ``cfn-lint-serverless``) run on the synthesized templates, all of an app's templates
in one run each; the library's own check runs on every operation of every OpenAPI body (which the other
checkers cannot see), and its alarm-topic rule (``tests.compliance.alarm_topics``: CloudWatch may publish
to every alarm's topic and use its key) on every template.
``secure_api.compliance`` holds every acknowledgement. An app is built once per feature-flag context
and stack list: flag sets with the same context (``cdk.json`` and ``cdk init``'s, today) share one
synthesis.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aws_cdk as cdk

from secure_api.compliance import IGNORE_ACKNOWLEDGEMENTS, validation_plugins
from secure_api.rest.openapi.body import METADATA_KEY
from secure_api.rest.openapi.check import check_body
from tests.cdk_context import app_context
from tests.compliance import alarm_topics
from tests.compliance.apps import GateStack
from tests.compliance.securityhub.plugin import SecurityHubPlugin

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]
CHECKOV_VENV = ROOT / ".venv-checkov"


@dataclass
class Findings:
    """Unacknowledged findings per checker, as ``"rule @ resource"`` strings."""

    by_checker: dict[str, list[str]] = field(default_factory=dict)
    template: dict[str, Any] = field(default_factory=dict, repr=False)
    stack: cdk.Stack | None = field(default=None, repr=False)

    def total(self) -> int:
        """Number of findings over all checkers."""
        return sum(len(v) for v in self.by_checker.values())


def synth(
    context: dict[str, Any], stacks: Sequence[GateStack], *, acknowledge: bool
) -> tuple[dict[str, tuple[cdk.Stack, dict[str, Any]]], list[dict[str, Any]], Path]:
    """Synthesize ``stacks`` in one app with ``context`` (feature flags included) and the validation
    plugins; return ``stack id -> (stack, template)``, the plugin reports and cdk.out."""
    outdir = tempfile.mkdtemp(prefix="secure-api-compliance-")
    extra = {} if acknowledge else {IGNORE_ACKNOWLEDGEMENTS: True}
    app = cdk.App(context={**context, **extra}, outdir=outdir)
    security_hub = SecurityHubPlugin()
    cdk.Validations.of(app).add_plugins(*validation_plugins(), security_hub)
    built = [gate_stack.build(app) for gate_stack in stacks]
    try:
        app.synth()
    except Exception as error:  # the plugins raise when anything is unacknowledged
        if "Validation failed" not in str(error) and "ValidationFailed" not in str(error):
            raise
    report_file = Path(outdir) / "validation-report.json"
    reports = json.loads(report_file.read_text())["pluginReports"] if report_file.exists() else []
    if security_hub.evaluated and not any(r["pluginName"] == security_hub.name for r in reports):
        reports.append({"pluginName": security_hub.name, "violations": []})  # it ran and found nothing
    templates = {
        stack.stack_name: (stack, json.loads((Path(outdir) / stack.template_file).read_text()))
        for stack in built
    }
    return templates, reports, Path(outdir)


def plugin_findings(reports: list[dict[str, Any]], stack_id: str) -> dict[str, list[str]]:
    """``pack -> ["rule @ construct path", ...]`` of one stack from the CDK validation report."""
    out: dict[str, list[str]] = {}
    for report in reports:
        out[report["pluginName"]] = [
            f"{v['ruleName']} @ {c.get('constructPath', '?')}"
            for v in report["violations"]
            for c in v["violatingConstructs"]
            if c.get("constructPath", "").split("/")[0] in (stack_id, "?", "")
        ]
    return out


def checkov_bin() -> Path:
    """checkov, from its own virtual environment (it pins an old boto3 the library cannot use)."""
    return CHECKOV_VENV / "bin" / "checkov"


def checkov_file_names(stack_ids: Sequence[str]) -> dict[str, str]:
    """``stack id -> short fixed file name``: checkov copies each template's path into every
    ``Environment.Variables`` map it reads (``__file__``, upstream issue 7310), and CKV_AWS_45 reads a
    run of exactly 40 characters of ``[A-Za-z0-9/+=]`` as an AWS secret key, so a random folder name
    plus a stack id of the wrong length would fail a clean function on some runs. ``c0.json``,
    ``c1.json``, ... in checkov's working folder, passed as relative paths, form no such run."""
    return {stack_id: f"c{i}.json" for i, stack_id in enumerate(stack_ids)}


def checkov_findings(templates: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """checkov (offline) on every template at once; skips come from the resources' ``checkov`` metadata.
    Returns ``stack id -> ["check @ resource", ...]``."""
    out: dict[str, list[str]] = {stack_id: [] for stack_id in templates}
    names = checkov_file_names(list(templates))
    by_name = {name: stack_id for stack_id, name in names.items()}
    with tempfile.TemporaryDirectory() as tmp:
        for stack_id, template in templates.items():
            (Path(tmp) / names[stack_id]).write_text(json.dumps(template))
        proc = subprocess.run(
            [str(checkov_bin()), "-d", ".", "--framework", "cloudformation", "--skip-download",
             "-o", "json", "--quiet"],
            capture_output=True, text=True, check=False, cwd=tmp,
        )  # fmt: skip
    if not proc.stdout.strip():
        raise RuntimeError(f"checkov printed nothing (exit {proc.returncode}): {proc.stderr[-2000:]}")
    data = json.loads(proc.stdout)
    for report in data if isinstance(data, list) else [data]:
        for failed in report.get("results", {}).get("failed_checks", []):
            stack_id = by_name[Path(failed["file_path"]).name]
            out[stack_id].append(f"{failed['check_id']} @ {failed['resource']}")
    return out


CFN_LINT_PLUGINS = ("cfn_lint_serverless.rules",)
"""Rule modules cfn-lint loads besides its own: AWS's serverless rules (``ES....``/``WS....`` ids). cfn-lint
applies a resource's ``Metadata: cfn-lint: config: ignore_checks`` to every rule it runs, appended ones
included, so ``secure_api.compliance`` acknowledges them like cfn-lint's own."""


def cfn_lint_findings(templates: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """cfn-lint (offline) with ``CFN_LINT_PLUGINS`` on every template at once; ignores come from the
    resources' ``cfn-lint`` metadata. Returns ``stack id -> ["rule @ path", ...]``."""
    out: dict[str, list[str]] = {stack_id: [] for stack_id in templates}
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for stack_id, template in templates.items():
            path = Path(tmp) / f"{stack_id}.template.json"
            path.write_text(json.dumps(template))
            paths.append(str(path))
        proc = subprocess.run(
            [str(BIN / "cfn-lint"), *(f"--append-rules={rules}" for rules in CFN_LINT_PLUGINS),
             "--format", "json", *paths],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    if proc.returncode % 2:  # 2, 4 and 8 flag findings; an odd code is cfn-lint (or a plugin) failing
        raise RuntimeError(f"cfn-lint failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    for match in json.loads(proc.stdout or "[]"):
        stack_id = Path(match["Filename"]).name.removesuffix(".template.json")
        out[stack_id].append(f"{match['Rule']['Id']} @ {'/'.join(map(str, match['Location']['Path']))}")
    return out


def run_app(flags: str, stacks: Sequence[GateStack], *, acknowledge: bool = True) -> dict[str, Findings]:
    """Every checker on the stacks of one app under ``flags``: ``stack id -> Findings``. Built once
    per context, stack list and ``acknowledge`` (cached for the session)."""
    context = json.dumps(app_context(flags=flags), sort_keys=True)
    return _run_app(context, tuple(stacks), acknowledge)


@functools.cache
def _run_app(context: str, stacks: tuple[GateStack, ...], acknowledge: bool) -> dict[str, Findings]:
    built, reports, outdir = synth(json.loads(context), stacks, acknowledge=acknowledge)
    templates = {stack_id: template for stack_id, (_, template) in built.items()}
    checkov = checkov_findings(templates)
    cfn_lint = cfn_lint_findings(templates)
    out: dict[str, Findings] = {}
    for stack_id, (stack, template) in built.items():
        findings = Findings(plugin_findings(reports, stack_id), template, stack)
        findings.by_checker["secure-api-openapi"] = openapi_findings(template, outdir)
        findings.by_checker[alarm_topics.CHECKER] = [str(f) for f in alarm_topics.check(template)]
        findings.by_checker["checkov"] = checkov[stack_id]
        findings.by_checker["cfn-lint"] = cfn_lint[stack_id]
        out[stack_id] = findings
    shutil.rmtree(outdir, ignore_errors=True)
    return out


def openapi_bodies(template: dict[str, Any], outdir: Path) -> dict[str, dict[str, Any]]:
    """Logical id -> OpenAPI body of every REST API with one (an included S3 asset read from cdk.out)."""
    bodies = {}
    for logical_id, resource in template["Resources"].items():
        body = (
            resource.get("Properties", {}).get("Body")
            if resource["Type"] == "AWS::ApiGateway::RestApi"
            else None
        )
        if body is None:
            continue
        include = body.get("Fn::Transform")
        if include is not None:
            location = json.dumps(include["Parameters"]["Location"])
            asset = location.rsplit("/", 1)[1].split('"')[0]
            body = json.loads((outdir / f"asset.{asset}").read_text())
        bodies[logical_id] = body
    return bodies


def openapi_findings(template: dict[str, Any], outdir: Path) -> list[str]:
    """``secure_api.rest.openapi.check`` on every body, with the exemptions the construct declared."""
    out = []
    for logical_id, body in openapi_bodies(template, outdir).items():
        meta = template["Resources"][logical_id].get("Metadata", {}).get(METADATA_KEY)
        if meta is None:
            out.append(f"body without the library's metadata @ {logical_id}")
            continue
        problems = check_body(
            body, public=meta["public"], key_exempt=meta["keyExempt"], tiers=meta["tiers"], cors=meta["cors"]
        )
        out += [f"{p} @ {logical_id}" for p in problems]
    return out
