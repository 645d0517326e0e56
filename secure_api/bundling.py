"""Docker-free bundling of the library's Lambda functions.

Each function's code root is ``lambdas/<name>/``. ``pip install --platform manylinux2014_<arch>
--implementation cp --python-version X.Y --only-binary=:all: --target`` installs its
``requirements.txt`` for the runtime's exact Python version and architecture, then the sources are
copied beside it. Functions that run the API key operations also get ``secure_api/keys/``.
pip runs with the user's own configuration (``pip.conf``, ``PIP_INDEX_URL``, ``PIP_EXTRA_INDEX_URL``,
``PIP_FIND_LINKS``, proxies), so a mirror configured for pip is used here too.
CDK's standard ``aws:cdk:bundling-stacks`` context (``[]``) skips bundling, e.g. in fast tests; the CDK
CLI refuses ``aws:`` keys, so ``cdk synth -c secure-api:skipBundling=true`` does the same from the command
line (the sources are staged without their requirements; the asset hash, and so the template, is the same).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import AssetHashType, BundlingOptions, DockerImage, ILocalBundling
from aws_cdk import aws_lambda as lambda_
from constructs import IConstruct

from secure_api import defaults

PACKAGE_DIR = Path(__file__).resolve().parent
# A checkout (or editable install) has lambdas/ beside the package; a wheel carries them inside it.
LAMBDAS_DIR = next(
    (d for d in (PACKAGE_DIR.parent / "lambdas", PACKAGE_DIR / "_lambdas") if d.is_dir()),
    PACKAGE_DIR / "_lambdas",
)
_SHARED_FILES = ("__init__.py", "py.typed")


def runtime() -> lambda_.Runtime:
    """The Python runtime of every function the library deploys."""
    return lambda_.Runtime(
        f"python{defaults.LAMBDA_PYTHON_VERSION}",
        lambda_.RuntimeFamily.PYTHON,
        supports_code_guru_profiling=True,
    )


def _sources(name: str, with_keys: bool) -> list[tuple[Path, str]]:
    """(file, path inside the asset) for every file the asset is built from."""
    root = LAMBDAS_DIR / name
    files = [(p, str(p.relative_to(root))) for p in sorted(root.rglob("*")) if _wanted(p)]
    if with_keys:
        files += [(PACKAGE_DIR / f, f"secure_api/{f}") for f in _SHARED_FILES if (PACKAGE_DIR / f).exists()]
        keys = PACKAGE_DIR / "keys"
        files += [(p, f"secure_api/keys/{p.relative_to(keys)}") for p in sorted(keys.rglob("*.py"))]
    return files


def _wanted(path: Path) -> bool:
    return path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"


@jsii.implements(ILocalBundling)
class PipLocalBundling:
    """Builds a Lambda asset on this machine with pip, for the target platform (no Docker)."""

    def __init__(self, name: str, *, architecture: lambda_.Architecture, with_keys: bool) -> None:
        self.name = name
        self.arch = "aarch64" if architecture.name == lambda_.Architecture.ARM_64.name else "x86_64"
        self.with_keys = with_keys

    def try_bundle(self, output_dir: str, *_options: Any, **_kwargs: Any) -> bool:
        """Install the requirements for the target platform, then copy the sources."""
        out = Path(output_dir)
        requirements = LAMBDAS_DIR / self.name / "requirements.txt"
        if requirements.exists() and _has_requirements(requirements):
            platform = f"manylinux2014_{self.arch}"
            proc = subprocess.run(  # noqa: S603 - fixed argument list, no shell
                [
                    sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--no-compile",
                    "--requirement", str(requirements), "--target", str(out),
                    "--platform", platform, "--implementation", "cp",
                    "--python-version", defaults.LAMBDA_PYTHON_VERSION, "--only-binary=:all:",
                ],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            if proc.returncode != 0:
                output = proc.stderr or proc.stdout
                if "No module named pip" in output:
                    raise BundlingError(
                        f"secure_api could not bundle the Lambda function {self.name!r}: the Python that runs "
                        f"your app ({sys.executable}) has no pip; install it there (python -m ensurepip), or "
                        f"skip bundling where nothing is deployed: `cdk synth -c {defaults.SKIP_BUNDLING_CONTEXT}=true`."
                    )
                raise BundlingError(bundling_error_message(self.name, requirements, platform, output))
        for source, relative in _sources(self.name, self.with_keys):
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
        return True


class BundlingError(RuntimeError):
    """pip could not install a function's requirements for its Lambda platform."""


def bundling_error_message(name: str, requirements: Path, platform: str, pip_output: str) -> str:
    """What failed (packages, platform, Python version) and the two ways out, then pip's last lines."""
    packages = ", ".join(_requirement_lines(requirements)) or str(requirements)
    tail = "\n".join(f"    {line}" for line in pip_output.strip().splitlines()[-6:])
    return (
        f"secure_api could not bundle the Lambda function {name!r}: pip found no {packages} wheel for "
        f"{platform}, CPython {defaults.LAMBDA_PYTHON_VERSION} (binary wheels only) on the package "
        "index your pip configuration names (pip.conf, PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, "
        "PIP_FIND_LINKS), or could not reach that index.\n"
        "Either: (1) make an index or mirror that serves that wheel reachable (e.g. "
        "PIP_INDEX_URL=https://<your mirror>/simple), or (2) skip bundling where nothing is deployed "
        f"(a synth in CI, tests): `cdk synth -c {defaults.SKIP_BUNDLING_CONTEXT}=true`, or in a test "
        'cdk.App(context={"aws:cdk:bundling-stacks": []}).\n'
        f"pip said:\n{tail}"
    )


def _requirement_lines(path: Path) -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def _has_requirements(path: Path) -> bool:
    return any(line.strip() and not line.strip().startswith("#") for line in path.read_text().splitlines())


def skip_bundling(scope: IConstruct) -> bool:
    """Whether the app's context asks to skip pip (``secure-api:skipBundling`` true)."""
    value = scope.node.try_get_context(defaults.SKIP_BUNDLING_CONTEXT)
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def lambda_code(
    name: str, *, architecture: lambda_.Architecture, with_keys: bool = False, bundle: bool = True
) -> lambda_.Code:
    """The asset of ``lambdas/<name>``, bundled without Docker.

    The asset hash covers every input (sources, shared key code, requirements, target platform), so
    a change to any of them redeploys the function, whether or not bundling runs.
    """
    digest = hashlib.sha256()
    digest.update(f"{defaults.LAMBDA_PYTHON_VERSION}|{architecture.name}|{with_keys}".encode())
    for source, relative in _sources(name, with_keys):
        digest.update(relative.encode() + b"\0" + source.read_bytes() + b"\0")
    if not bundle:
        return lambda_.Code.from_asset(
            str(LAMBDAS_DIR / name), asset_hash=digest.hexdigest(), asset_hash_type=AssetHashType.CUSTOM
        )
    return lambda_.Code.from_asset(
        str(LAMBDAS_DIR / name),
        asset_hash=digest.hexdigest(),
        asset_hash_type=AssetHashType.CUSTOM,
        bundling=BundlingOptions(
            image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.12"),
            local=PipLocalBundling(name, architecture=architecture, with_keys=with_keys),
        ),
    )
