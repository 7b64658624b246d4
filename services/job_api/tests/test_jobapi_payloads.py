"""Payload schemas: what each job type stores, and every bad payload refused with a 422."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from jobapi_helpers import png, timed
from PIL import Image

Auth = Callable[..., dict[str, str]]


def _bomb() -> str:
    """A tiny PNG whose header claims a 30000 x 30000 canvas."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 30000, 30000, 8, 0, 0, 0, 0)
    raw = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b""))
        + chunk(b"IEND", b"")
    )
    return base64.b64encode(raw).decode()


def _gif() -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "GIF")
    return base64.b64encode(buffer.getvalue()).decode()


GOOD_OPS = [{"op": "grayscale"}]


def _email(**payload: Any) -> dict[str, Any]:
    return {"type": "email", "payload": {"to": "user1@example.com", "subject": "s", "body": "b",
                                         **payload}}  # fmt: skip


def _image(image: str | None = None, **payload: Any) -> dict[str, Any]:
    payload = {"image": png() if image is None else image, "operations": GOOD_OPS, **payload}
    return {"type": "image", "payload": payload}


def _export(**payload: Any) -> dict[str, Any]:
    return {"type": "export", "payload": {"dataset": "jobs", **payload}}


def _resize(width: int, height: int) -> list[dict[str, Any]]:
    return [{"op": "resize", "width": width, "height": height}]


HUGE = "A" * (7 * 1024 * 1024)
CROP_OUTSIDE = [{"op": "crop", "left": 0, "top": 0, "right": 65, "bottom": 10}]
EARLIEST = "0001-01-01T00:00:00+01:00"
LATEST = "9999-12-31T23:30:00-01:00"
BAD_SUBMISSIONS: list[tuple[str, dict[str, Any], str]] = [
    ("no type", {"payload": {}}, "type"),
    ("unknown type", {"type": "shell", "payload": {}}, "type"),
    ("payload not an object", {"type": "timed", "payload": [1]}, "payload"),
    ("timed without duration", {"type": "timed", "payload": {}}, "payload.duration_seconds"),
    ("timed too long", timed(3601), "payload.duration_seconds"),
    ("timed negative", timed(-1), "payload.duration_seconds"),
    ("timed unknown field", timed(1, payload={"x": 1}), "payload.x"),
    ("bad priority", timed(1, priority="urgent"), "priority"),
    ("max_retries over 10", timed(1, max_retries=11), "max_retries"),
    ("timeout zero", timed(1, timeout_seconds=0), "timeout_seconds"),
    ("negative delay", timed(1, delay_seconds=-5), "delay_seconds"),
    ("delay and run_at", timed(1, delay_seconds=5, run_at="2030-01-01T00:00:00Z"), "run_at"),
    ("naive run_at", timed(1, run_at="2030-01-01T00:00:00"), "run_at"),
    ("email bad address", _email(to="nope"), "payload.to"),
    ("email no subject", _email(subject=None), "payload.subject"),
    ("email header injection", _email(subject="a\nBcc: x@y.z"), "payload.subject"),
    ("email NUL in subject", _email(subject="a\x00b"), "payload.subject"),
    ("email NUL in body", _email(body="a\x00b"), "payload.body"),
    ("email escape in body", _email(body="a\x1b[31mb"), "payload.body"),
    ("image not base64", _image("%%%"), "payload.image"),
    ("image not an image", _image(base64.b64encode(b"hello").decode()), "payload.image"),
    ("image gif", _image(_gif()), "payload.image"),
    ("image bomb", _image(_bomb()), "payload.image"),
    ("image too big", _image(HUGE), "payload.image"),
    ("image url", _image("http://example.com/a.png"), "payload.image"),
    ("image no operations", _image(operations=[]), "payload.operations"),
    ("image unknown op", _image(operations=[{"op": "sharpen"}]), "payload.operations"),
    ("image op a list", _image(operations=[{"op": ["resize"]}]), "payload.operations.0.op"),
    ("image op an object", _image(operations=[{"op": {"x": 1}}]), "payload.operations.0.op"),
    ("image resize too big", _image(operations=_resize(10000, 10000)), "payload.operations"),
    ("image crop outside", _image(png(64, 48), operations=CROP_OUTSIDE), "payload.operations"),
    ("image bad format", _image(format="bmp"), "payload.format"),
    ("export unknown dataset", _export(dataset="users"), "payload.dataset"),
    ("export bad format", _export(format="xml"), "payload.format"),
    ("export bad filter", _export(filters={"status": ["lost"]}), "payload.filters"),
    # Valid as written, but before year 1 / after year 9999 once in UTC (the worker's terms).
    ("export date before year 1 in UTC", _export(filters={"created_after": EARLIEST}),
     "payload.filters.created_after"),
    ("export date after year 9999 in UTC", _export(filters={"created_before": LATEST}),
     "payload.filters.created_before"),
]  # fmt: skip


def _has(errors: Any, dotted: str) -> bool:
    for part in dotted.split("."):
        if not isinstance(errors, dict) or part not in errors:
            return False
        errors = errors[part]
    return True


@pytest.mark.parametrize(("body", "field"), [(b, f) for _, b, f in BAD_SUBMISSIONS],
                         ids=[name for name, _, _ in BAD_SUBMISSIONS])  # fmt: skip
def test_bad_submission_is_422_naming_the_field(
    client: FlaskClient, auth: Auth, count_jobs: Callable[[], int], body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/jobs", json=body, headers=auth(1))
    assert response.status_code == 422, response.get_json()
    problem = response.get_json()
    assert response.mimetype == "application/problem+json"
    assert _has(problem["errors"], field), problem
    assert count_jobs() == 0


def test_image_payload_is_stored_without_the_pixels(client: FlaskClient, auth: Auth) -> None:
    body = {"type": "image", "payload": {"image": png(64, 48), "operations": GOOD_OPS}}
    job = client.post("/api/jobs", json=body, headers=auth(1)).get_json()
    assert job["payload"]["image"] == {
        "format": "PNG",
        "width": 64,
        "height": 48,
        "bytes": job["payload"]["image"]["bytes"],
    }


@pytest.mark.parametrize("op", [["resize"], {"x": 1}], ids=["list", "object"])
def test_batch_with_a_non_string_image_op_creates_none(
    client: FlaskClient, auth: Auth, count_jobs: Callable[[], int], op: object
) -> None:
    jobs = [timed(0), _image(operations=[{"op": op}])]
    response = client.post("/api/jobs/batch", json={"jobs": jobs}, headers=auth(1))
    assert response.status_code == 422, response.get_json()
    assert _has(response.get_json()["errors"], "jobs.1.payload.operations.0.op")
    assert count_jobs() == 0


def test_export_filter_dates_are_stored_in_utc(client: FlaskClient, auth: Auth) -> None:
    filters = {
        "created_after": "2030-01-01T01:00:00+01:00",
        "created_before": "2030-06-30T20:00:00-04:00",
    }
    job = client.post("/api/jobs", json=_export(filters=filters), headers=auth(1)).get_json()
    assert job["payload"]["filters"] == {
        "created_after": "2030-01-01T00:00:00+00:00",
        "created_before": "2030-07-01T00:00:00+00:00",
    }


def test_email_body_keeps_tabs_and_line_breaks(client: FlaskClient, auth: Auth) -> None:
    body = "Hello,\r\n\tthe report is attached.\n"
    response = client.post("/api/jobs", json=_email(body=body), headers=auth(1))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["payload"]["body"] == body
