"""Docker-free bundling of the library's Lambda functions.

Each function's code root is ``lambdas/<name>/``. ``pip install --platform manylinux2014_<arch>
--implementation cp --python-version X.Y --only-binary=:all: --target`` installs its
``requirements.txt`` for the runtime's exact Python version and architecture, then the sources are
copied beside it, with ``secure_api/grammar.py`` (the grammar the construct and the functions share).
Functions that run the API key operations also get ``secure_api/keys/``. Generated files (the
authorizer's route scopes) are written into the package too, and are part of its asset hash.
CDK's standard ``aws:cdk:bundling-stacks`` context (``[]``) skips bundling, e.g. in fast tests.
pip runs with the user's own configuration (``pip.conf``, ``PIP_INDEX_URL``, ``PIP_EXTRA_INDEX_URL``,
``PIP_FIND_LINKS``, proxies), so a mirror configured for pip is used here too. The CDK CLI refuses
``aws:`` keys, so ``cdk synth -c secure-api:skipBundling=true`` skips bundling from the command line
(the sources are staged without their requirements; the bundling options, and so the asset hash and
the template, are the same).
``secure-api:bundleForHost`` (true) builds packages for a local emulator that runs the functions
with this machine's Python, whose environment already holds their requirements (the end-to-end
suite, tests/e2e, installs them into the emulator's venv): the sources, shared code and generated
files, without pip. Such packages never suit Lambda, so their hash differs.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import (
    AssetHashType,
    BundlingOptions,
    CfnResource,
    DockerImage,
    ILocalBundling,
    IStableStringProducer,
    Lazy,
    Stage,
)
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct, IConstruct

from secure_api import defaults

PACKAGE_DIR = Path(__file__).resolve().parent
# A checkout (or editable install) has lambdas/ beside the package; a wheel carries them inside it.
LAMBDAS_DIR = next(
    (d for d in (PACKAGE_DIR.parent / "lambdas", PACKAGE_DIR / "_lambdas") if d.is_dir()),
    PACKAGE_DIR / "_lambdas",
)
# Shared with every function: the package marker (its __init__ imports nothing heavy) and the grammar.
_SHARED_FILES = ("__init__.py", "py.typed", "grammar.py")


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
    files += [(PACKAGE_DIR / f, f"secure_api/{f}") for f in _SHARED_FILES if (PACKAGE_DIR / f).exists()]
    if with_keys:
        keys = PACKAGE_DIR / "keys"
        files += [(p, f"secure_api/keys/{p.relative_to(keys)}") for p in sorted(keys.rglob("*.py"))]
    return files


def _wanted(path: Path) -> bool:
    return path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"


@jsii.implements(ILocalBundling)
class PipLocalBundling:
    """Builds a Lambda asset on this machine with pip, for the target platform (no Docker)."""

    def __init__(
        self,
        name: str,
        *,
        architecture: lambda_.Architecture,
        with_keys: bool,
        extra_files: Mapping[str, bytes] | None = None,
        install: bool = True,
        host: bool = False,
    ) -> None:
        self.name = name
        self.arch = "aarch64" if architecture.name == lambda_.Architecture.ARM_64.name else "x86_64"
        self.with_keys = with_keys
        self.extra_files = dict(extra_files or {})
        self.install = install
        self.host = host

    def try_bundle(self, output_dir: str, *_options: Any, **_kwargs: Any) -> bool:
        """Install the requirements for the target platform (unless ``install`` is False: a synth that
        deploys nothing), then copy the sources."""
        out = Path(output_dir)
        requirements = LAMBDAS_DIR / self.name / "requirements.txt"
        if self.install and not self.host and requirements.exists() and _has_requirements(requirements):
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
        for relative, content in sorted(self.extra_files.items()):
            target = out / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
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
    return _context_flag(scope, defaults.SKIP_BUNDLING_CONTEXT)


def bundle_for_host(scope: IConstruct) -> bool:
    """Whether the app's context asks for packages run by this machine's Python, whose environment
    holds their requirements (``secure-api:bundleForHost`` true): a local emulator, never Lambda."""
    return _context_flag(scope, defaults.HOST_BUNDLING_CONTEXT)


def _context_flag(scope: IConstruct, key: str) -> bool:
    value = scope.node.try_get_context(key)
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def asset_hash(
    name: str,
    *,
    architecture: lambda_.Architecture,
    with_keys: bool = False,
    extra_files: Mapping[str, bytes] | None = None,
    host: bool = False,
) -> str:
    """The hash of every input of a function's package: sources, shared code, requirements, target
    platform and generated files."""
    digest = hashlib.sha256()
    digest.update(f"{defaults.LAMBDA_PYTHON_VERSION}|{architecture.name}|{with_keys}".encode())
    if host:
        digest.update(f"|host:{sys.platform}:{sys.version_info[0]}.{sys.version_info[1]}".encode())
    for source, relative in _sources(name, with_keys):
        digest.update(relative.encode() + b"\0" + source.read_bytes() + b"\0")
    for relative, content in sorted((extra_files or {}).items()):
        digest.update(b"extra\0" + relative.encode() + b"\0" + content + b"\0")
    return digest.hexdigest()


def _bundling(
    name: str,
    architecture: lambda_.Architecture,
    with_keys: bool,
    extra_files: Mapping[str, bytes] | None,
    *,
    install: bool,
    host: bool = False,
) -> BundlingOptions:
    # The same options whether or not pip runs: CDK mixes the bundling options into a custom asset
    # hash, so a synth that skips pip writes the template a deploy would (the hash covers the sources
    # and the requirements either way).
    return BundlingOptions(
        image=DockerImage.from_registry("public.ecr.aws/sam/build-python3.12"),
        local=PipLocalBundling(
            name,
            architecture=architecture,
            with_keys=with_keys,
            extra_files=extra_files,
            install=install,
            host=host,
        ),
    )


def lambda_code(
    name: str,
    *,
    architecture: lambda_.Architecture,
    with_keys: bool = False,
    extra_files: Mapping[str, bytes] | None = None,
    bundle: bool = True,
    host: bool = False,
) -> lambda_.Code:
    """The asset of ``lambdas/<name>``, bundled without Docker, with ``extra_files`` (path inside the
    package -> content) written into it; ``bundle=False`` stages the sources without running pip (the
    template is the same); ``host=True`` leaves the requirements to the emulator's Python (see
    ``bundle_for_host``).

    The asset hash covers every input (see ``asset_hash``), so a change to any of them redeploys the
    function, whether or not bundling runs.
    """
    return lambda_.Code.from_asset(
        str(LAMBDAS_DIR / name),
        asset_hash=asset_hash(
            name, architecture=architecture, with_keys=with_keys, extra_files=extra_files, host=host
        ),
        asset_hash_type=AssetHashType.CUSTOM,
        bundling=_bundling(name, architecture, with_keys, extra_files, install=bundle, host=host),
    )


class DeferredCode(lambda_.Code):
    """The code of ``lambdas/<name>`` whose package is completed late: ``finalize(extra_files)``, called
    once every generated file is known (at synthesis), creates the asset (construct id ``Code`` under
    the function, as ``Code.from_asset`` does). Until then the function's ``Code`` property is lazy.
    """

    def __init__(self, name: str, *, architecture: lambda_.Architecture, with_keys: bool = False) -> None:
        super().__init__()
        self._name = name
        self._architecture = architecture
        self._with_keys = with_keys
        self._scope: Construct | None = None
        self._resource: CfnResource | None = None
        self.asset: s3_assets.Asset | None = None

    def bind(self, scope: Construct) -> lambda_.CodeConfig:
        """Called by the function: its S3 location resolves to the asset created by ``finalize``."""
        if self._scope is not None and self._scope.node.path != scope.node.path:
            raise ValueError("a DeferredCode serves exactly one function")
        self._scope = scope
        return lambda_.CodeConfig(
            s3_location=s3.Location(
                bucket_name=Lazy.string(_AssetAttribute(self, "bucket")),
                object_key=Lazy.string(_AssetAttribute(self, "key")),
            )
        )

    def bind_to_resource(self, resource: CfnResource, *, resource_property: str | None = None) -> None:
        """Remember the function's resource, for the asset's metadata (``sam local``)."""
        self._resource = resource

    def finalize(self, extra_files: Mapping[str, bytes]) -> None:
        """Create the asset: the sources and ``extra_files`` (path inside the package -> content)."""
        if self.asset is not None:
            return
        if self._scope is None:
            raise ValueError("DeferredCode.finalize before a function was created with it")
        host = bundle_for_host(self._scope)
        digest = asset_hash(
            self._name,
            architecture=self._architecture,
            with_keys=self._with_keys,
            extra_files=extra_files,
            host=host,
        )
        source = LAMBDAS_DIR / self._name
        if extra_files:
            # The asset's source is the package itself (sources and generated files), so that even a
            # synth that skips bundling stages a directory holding the generated files.
            stage = Stage.of(self._scope)
            outdir = Path(stage.outdir if stage is not None else tempfile.gettempdir())
            source = _write_package(
                outdir / f"secure-api-src.{digest[:32]}",
                _sources(self._name, self._with_keys),
                extra_files,
            )
        self.asset = s3_assets.Asset(
            self._scope,
            "Code",
            path=str(source),
            deploy_time=True,
            asset_hash=digest,
            asset_hash_type=AssetHashType.CUSTOM,
            bundling=_bundling(
                self._name,
                self._architecture,
                self._with_keys,
                extra_files,
                install=not skip_bundling(self._scope),
                host=host,
            ),
        )
        if self._resource is not None:
            self.asset.add_resource_metadata(self._resource, "Code")


def _write_package(target: Path, sources: list[tuple[Path, str]], extra_files: Mapping[str, bytes]) -> Path:
    """Copy ``sources`` and write ``extra_files`` into ``target`` (once: its name carries their hash)."""
    if target.is_dir():
        return target
    staging = target.with_name(target.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    files = [*((relative, source.read_bytes()) for source, relative in sources), *sorted(extra_files.items())]
    for relative, content in files:
        path = staging / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    staging.rename(target)
    return target


@jsii.implements(IStableStringProducer)
class _AssetAttribute:
    def __init__(self, code: DeferredCode, attribute: str) -> None:
        self._code = code
        self._attribute = attribute

    def produce(self) -> str:
        asset = self._code.asset
        if asset is None:
            raise ValueError("the function's code was never finalized (DeferredCode.finalize)")
        return asset.s3_bucket_name if self._attribute == "bucket" else asset.s3_object_key
