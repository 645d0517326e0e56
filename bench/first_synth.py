"""The first ``make synth`` on a clean clone: ``git clone`` of this repository's current branch into an
empty temporary folder, then ``make synth`` there, timed (wall clock), per step and in total.

It uses this machine's pip and npm caches and package index, as a developer's second project would;
the temporary folder is removed afterwards. Writes ``bench/results/first_synth.json``.

    .venv/bin/python bench/first_synth.py
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEPS = {
    "python venv and runtime requirements": ".venv/.stamp-runtime",
    "Node when none is supported, and the CDK CLI (npm ci)": "node_modules/.stamp-installed",
    "cdk synth (with bundling)": "synth",
}


def main() -> None:
    """Clone, run the steps of ``make synth`` one after another, write the timings."""
    branch = subprocess.run(
        ["git", "rev-parse", "--abbrev-ref", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT))
    )
    tmp = tempfile.mkdtemp(prefix="secure-api-first-synth-")
    try:
        clone = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "--quiet", "--branch", branch, str(ROOT), str(clone)], check=True)
        steps: dict[str, float] = {}
        for name, target in STEPS.items():
            start = time.perf_counter()
            subprocess.run(["make", target], cwd=clone, env=env, check=True, capture_output=True)
            steps[name] = round(time.perf_counter() - start, 1)
        assert (clone / "cdk.out" / "SecureApiExample.template.json").exists()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()[0]
    result = {
        "what": "wall time of the first `make synth` on a fresh clone (pip and npm caches warm)",
        "commit": commit,
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, load average {load:.1f} at the end",
        "steps_s": steps,
        "total_s": round(sum(steps.values()), 1),
    }
    out = ROOT / "bench" / "results" / "first_synth.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
