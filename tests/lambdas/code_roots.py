"""Where the Lambda code roots are and how tests load them (``lambdas/<name>/``).

Each Lambda is deployed as a flat code root (``handler.handler``), so its sibling modules are imported
by their plain names. Tests put that root on ``sys.path`` and load ``handler.py`` under a unique module
name, so that several Lambdas' ``handler`` modules can live in one pytest session. Nothing here imports
``aws_cdk``.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

LAMBDAS = Path(__file__).resolve().parents[2] / "lambdas"
EVENTS = Path(__file__).resolve().parent / "events"


def lambda_root(name: str) -> Path:
    """Return the code root of ``lambdas/<name>`` and make its modules importable."""
    root = LAMBDAS / name
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return root


def load_handler(name: str) -> ModuleType:
    """Import ``lambdas/<name>/handler.py`` as the module ``<name>_handler`` (fresh each call)."""
    root = lambda_root(name)
    module_name = f"{name}_handler"
    spec = importlib.util.spec_from_file_location(module_name, root / "handler.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def load_event(file_name: str) -> dict[str, Any]:
    """Read a JSON event fixture from ``tests/lambdas/events``."""
    data: dict[str, Any] = json.loads((EVENTS / file_name).read_text())
    return data
