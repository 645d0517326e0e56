"""Escape hatch paths built from user-supplied strings (route paths, route keys) made safe.

``CfnResource.add_property_override`` splits its path on ``.`` and reads ``\\`` as an escape, so a key
such as the usage plan throttle key ``/v1.0/items/GET`` or the WebSocket route key ``chat.send`` would
otherwise come out as nested objects: the template would hold a key API Gateway never sees.
"""

from __future__ import annotations


def escape_segment(segment: str) -> str:
    """``segment`` as one literal segment of an override path (``\\`` and ``.`` escaped)."""
    return segment.replace("\\", "\\\\").replace(".", "\\.")


def override_path(*segments: str | int) -> str:
    """The override path whose segments are exactly ``segments`` (strings escaped, indexes as is)."""
    return ".".join(str(s) if isinstance(s, int) else escape_segment(s) for s in segments)
