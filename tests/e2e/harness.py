"""Starting and stopping ministack, and deploying synthesized stacks through its CloudFormation API.

ministack (PyPI ``ministack``, pinned in ``requirements-ministack.txt``) lives in its own virtual
environment, ``.venv-ministack`` (``make e2e-setup`` creates it; so does ``ensure_venv``): it pins
botocore exactly, which the project's ``.venv`` must not inherit. It is bound to 127.0.0.1 only, with
its temporary files and state in a folder of its own, on a free port, in a process group of its own
that ``stop`` kills whole.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-ministack"
REQUIREMENTS = ROOT / "requirements-ministack.txt"
ACCOUNT = "000000000000"
REGION = "us-east-1"
# CloudFormation takes a template body of at most 51,200 bytes; larger ones go by TemplateURL.
TEMPLATE_BODY_LIMIT = 51_200


def venv_python() -> Path:
    """The interpreter of ministack's own venv."""
    return VENV / "bin" / "python"


def ensure_venv() -> Path:
    """Create ``.venv-ministack`` from ``requirements-ministack.txt`` if it is missing or stale (what
    ``make e2e-setup`` does), and return its interpreter."""
    stamp = VENV / ".stamp-installed"
    inputs = (REQUIREMENTS, ROOT / "lambdas" / "authorizer" / "requirements.txt")
    if stamp.exists() and all(stamp.stat().st_mtime >= p.stat().st_mtime for p in inputs):
        return venv_python()
    if not venv_python().exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(VENV)], check=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(venv_python()), "--disable-pip-version-check",
         "install", "--quiet", "--no-compile", "pip", "-r", str(REQUIREMENTS)],
        check=True,
    )  # fmt: skip
    stamp.touch()
    return venv_python()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def port_in_use(port: int) -> bool:
    """Whether something accepts connections on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


@dataclass
class Emulator:
    """A running ministack: its endpoint, process and folder."""

    port: int
    process: subprocess.Popen[bytes]
    folder: Path
    log_path: Path
    clients: dict[str, Any] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        """The gateway URL every AWS client and HTTP request goes to."""
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The environment of an AWS client (or ``secure-api``) pointed at the emulator."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "test",
            "AWS_SECRET_ACCESS_KEY": "test",
            "AWS_REGION": REGION,
            "AWS_DEFAULT_REGION": REGION,
        }

    def client(self, service: str) -> Any:
        """A boto3 client of the emulator (cached)."""
        if service not in self.clients:
            import boto3
            from botocore.config import Config

            env = self.env()
            self.clients[service] = boto3.client(
                service,
                endpoint_url=self.endpoint,
                region_name=REGION,
                aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
                config=Config(retries={"max_attempts": 2, "mode": "standard"}),
            )
        return self.clients[service]

    def log_tail(self, lines: int = 60) -> str:
        """The end of the emulator's log, for a failure message."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def start(python: Path, *, timeout: float = 60.0, env: dict[str, str] | None = None) -> Emulator:
    """Start ministack on 127.0.0.1 and a free port; its temp files and state in a new folder; ``env``
    adds to its environment (which its Lambda functions inherit), e.g. ``SSL_CERT_FILE``."""
    extra = dict(env or {})
    folder = Path(tempfile.mkdtemp(prefix="secure-api-e2e-"))
    port = free_port()
    log_path = folder / "ministack.log"
    tmp = folder / "tmp"
    tmp.mkdir()
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON", "VIRTUAL_ENV"))}
    environment.update(
        BIND_HOST="127.0.0.1",
        GATEWAY_PORT=str(port),
        IOT_MTLS_ENABLED="0",
        SFTP_ENABLED="0",
        PERSIST_STATE="0",
        STATE_DIR=str(folder / "state"),
        TMPDIR=str(tmp),
        LOG_LEVEL="WARNING",
        MINISTACK_REGION=REGION,
    )
    environment.update(extra)
    log = log_path.open("wb")
    process = subprocess.Popen(
        [str(python), "-m", "ministack"],
        cwd=folder,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    log.close()
    emulator = Emulator(port=port, process=process, folder=folder, log_path=log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = emulator.log_tail()
            stop(emulator)
            raise RuntimeError(f"ministack exited with {process.returncode}:\n{tail}")
        if port_in_use(port):
            return emulator
        time.sleep(0.1)
    tail = emulator.log_tail()
    stop(emulator)
    raise RuntimeError(f"ministack did not listen on 127.0.0.1:{port} within {timeout} s:\n{tail}")


def stop(emulator: Emulator) -> None:
    """Kill the emulator's whole process group (its Lambda workers too) and remove its folder."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(emulator.process.pid, signal.SIGTERM)
    try:
        emulator.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(emulator.process.pid, signal.SIGKILL)
        emulator.process.wait(timeout=10)
    # Lambda workers share the group; make sure none outlived the server.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(emulator.process.pid, signal.SIGKILL)
    shutil.rmtree(emulator.folder, ignore_errors=True)


def group_alive(pgid: int) -> bool:
    """Whether any process of the group is still alive."""
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def zip_directory(path: Path) -> bytes:
    """A Lambda asset directory as the zip CDK's asset publishing would upload."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(path.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(path).as_posix())
    return buffer.getvalue()


def publish_assets(emulator: Emulator, cloud_assembly: Path, stack_name: str) -> None:
    """Upload the stack's file assets where its template expects them (the CDK CLI's publish step)."""
    manifest = json.loads((cloud_assembly / f"{stack_name}.assets.json").read_text())
    s3 = emulator.client("s3")
    for asset in manifest.get("files", {}).values():
        source = cloud_assembly / asset["source"]["path"]
        body = zip_directory(source) if asset["source"].get("packaging") == "zip" else source.read_bytes()
        for destination in asset["destinations"].values():
            bucket = _resolve(destination["bucketName"])
            key = destination["objectKey"]
            _ensure_bucket(s3, bucket)
            s3.put_object(Bucket=bucket, Key=key, Body=body)


def _resolve(text: str) -> str:
    return (
        text.replace("${AWS::AccountId}", ACCOUNT)
        .replace("${AWS::Region}", REGION)
        .replace("${AWS::Partition}", "aws")
    )


def _ensure_bucket(s3: Any, bucket: str) -> None:
    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        s3.create_bucket(Bucket=bucket)


def deploy(
    emulator: Emulator, stack_name: str, template: dict[str, Any], *, timeout: float = 120.0
) -> dict[str, str]:
    """Create or update the stack from ``template`` and wait; return its outputs."""
    cfn = emulator.client("cloudformation")
    body = json.dumps(template)
    args: dict[str, Any] = {
        "StackName": stack_name,
        "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    }
    if len(body.encode()) > TEMPLATE_BODY_LIMIT:
        s3 = emulator.client("s3")
        bucket = "secure-api-e2e-templates"
        _ensure_bucket(s3, bucket)
        key = f"{stack_name}-{time.monotonic_ns()}.json"
        s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
        args["TemplateURL"] = f"{emulator.endpoint}/{bucket}/{key}"
    else:
        args["TemplateBody"] = body
    exists = bool(_stack_status(cfn, stack_name))
    (cfn.update_stack if exists else cfn.create_stack)(**args)
    status = wait(emulator, stack_name, timeout=timeout)
    if status not in ("CREATE_COMPLETE", "UPDATE_COMPLETE"):
        raise RuntimeError(f"{stack_name}: {status}\n{failure_events(emulator, stack_name)}")
    return outputs(emulator, stack_name)


def wait(emulator: Emulator, stack_name: str, *, timeout: float) -> str:
    """Poll the stack until it leaves its *_IN_PROGRESS state; return its status."""
    cfn = emulator.client("cloudformation")
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        status = _stack_status(cfn, stack_name)
        if not status.endswith("_IN_PROGRESS"):
            return status
        time.sleep(0.25)
    return f"{status} (still, after {timeout} s)"


def _stack_status(cfn: Any, stack_name: str) -> str:
    try:
        stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    except cfn.exceptions.ClientError:
        return ""
    return str(stacks[0]["StackStatus"]) if stacks else ""


def outputs(emulator: Emulator, stack_name: str) -> dict[str, str]:
    """The stack's outputs, key -> value."""
    stack = emulator.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}


def failure_events(emulator: Emulator, stack_name: str) -> str:
    """The stack's failed events, one a line."""
    events = emulator.client("cloudformation").describe_stack_events(StackName=stack_name)["StackEvents"]
    return "\n".join(
        f"{e['LogicalResourceId']} {e['ResourceType']} {e['ResourceStatus']}: {e.get('ResourceStatusReason', '')}"
        for e in events
        if "FAILED" in e["ResourceStatus"]
    )


@contextlib.contextmanager
def running(python: Path, *, env: dict[str, str] | None = None) -> Iterator[Emulator]:
    """``start`` ... ``stop``, whatever happens in between."""
    emulator = start(python, env=env)
    try:
        yield emulator
    finally:
        stop(emulator)
