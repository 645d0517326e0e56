"""Write ``tests/e2e/fixtures/upgrade_old_shape.json``: ``upgrade_stack.py`` synthesized by the library
as it was before the route engine (``OLD_COMMIT``, per-route ``AWS::ApiGateway::Resource`` and
``Method``), for the end-to-end upgrade test.

Run from a clone with history: ``python tests/e2e/make_upgrade_fixture.py``. It checks ``OLD_COMMIT``
out into a temporary git worktree, synthesizes there (that checkout's ``secure_api`` and ``cdk.json``,
the placeholder issuer, bundling skipped), removes the worktree and writes the template normalised:
each Lambda function's file asset becomes ``CODE_PLACEHOLDER`` (the test deploys the code the current
synthesis has for the same logical id: only the template's shape is the old one) and asset metadata,
whose paths and hashes vary by machine, is dropped. The test itself never needs git.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "upgrade_old_shape.json"
# The last commit before "One route engine" (b718b07), which moved every route into the OpenAPI body.
OLD_COMMIT = "a496c0888e2742875ed139db549fbf2db3f2fc08"
CODE_PLACEHOLDER = "secure-api-e2e: the current synthesis's Code of this logical id"
RUN = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"


def normalise(template: dict[str, Any]) -> dict[str, Any]:
    """The template without what varies by machine or build: file assets of Lambda code become
    ``CODE_PLACEHOLDER``, ``aws:asset:*`` metadata is dropped."""
    for resource in template["Resources"].values():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Lambda::Function" and "S3Key" in props.get("Code", {}):
            props["Code"] = CODE_PLACEHOLDER
        metadata = resource.get("Metadata", {})
        for key in [k for k in metadata if k.startswith("aws:asset:")]:
            del metadata[key]
    return template


def synthesize_old(workdir: Path) -> dict[str, Any]:
    """``upgrade_stack.py`` synthesized by ``OLD_COMMIT``'s library, in a worktree removed afterwards."""
    tree, outdir = workdir / "old", workdir / "cdk.out"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), OLD_COMMIT], check=True)
    try:
        script = Path(__file__).resolve().parent / "upgrade_stack.py"
        printed = subprocess.run(
            [sys.executable, "-c", RUN, str(script), str(outdir)],
            cwd=tree,
            env={**os.environ, "PYTHONPATH": str(tree)},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=True)
    template: dict[str, Any] = json.loads(Path(printed.strip().splitlines()[-1]).read_text())
    return template


def main() -> None:
    """Regenerate the fixture."""
    with tempfile.TemporaryDirectory(prefix="secure-api-upgrade-") as workdir:
        template = normalise(synthesize_old(Path(workdir)))
    FIXTURE.parent.mkdir(exist_ok=True)
    FIXTURE.write_text(json.dumps(template, indent=1, sort_keys=True) + "\n")
    print(f"{FIXTURE.relative_to(ROOT)}: {len(template['Resources'])} resources")


if __name__ == "__main__":
    main()
