"""A job's payload from the command line: JSON text, ``@file`` (``@-``: stdin), and for
``image`` jobs a picture file read and base64-encoded for the user."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

from .errors import UsageProblem

MAX_IMAGE_BYTES = 5 * 1024 * 1024
"""The API's limit on an image (SPEC 2): refused here before it is sent."""


def _read(source: str, what: str) -> str:
    if source == "-":
        return sys.stdin.read()
    try:
        return Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise UsageProblem(f"cannot read {what} file {source}: {reason}") from None


def parse_payload(text: str | None, option: str = "--payload") -> dict[str, Any]:
    """Return the JSON object given as ``text`` or ``@file``; ``{}`` when none is given."""
    if text is None:
        return {}
    raw = _read(text[1:], option) if text.startswith("@") else text
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise UsageProblem(
            f"{option} is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    if not isinstance(value, dict):
        raise UsageProblem(f"{option} must be a JSON object, not {type(value).__name__}")
    return value


def attach_image(payload: dict[str, Any], job_type: str, path: Path) -> dict[str, Any]:
    """Return ``payload`` with ``image`` set to ``path``'s bytes, base64-encoded."""
    if job_type != "image":
        raise UsageProblem(f"--file is for image jobs, not {job_type} jobs")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise UsageProblem(f"cannot read image file {path}: {error.strerror}") from None
    if len(data) > MAX_IMAGE_BYTES:
        raise UsageProblem(f"{path} is {len(data)} bytes; images may be 5 MB at most")
    return {**payload, "image": base64.b64encode(data).decode("ascii")}
