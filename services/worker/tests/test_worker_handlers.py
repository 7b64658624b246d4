"""Job types run by an in-process burst worker (no subprocess needed for these)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from conveyor_core.jobs.models import Job, JobInput


def _png(width: int, height: int, mode: str = "RGBA") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height), (10, 200, 30, 255)[: len(mode)]).save(buffer, "PNG")
    return buffer.getvalue()


def _image_job(
    submit: Callable[..., Job],
    sessions: sessionmaker[Session],
    operations: list[dict[str, object]],
    fmt: str = "png",
) -> Job:
    data = _png(40, 20)
    payload = {"image": {"format": "PNG", "width": 40, "height": 20, "bytes": len(data)},
               "operations": operations, "format": fmt}  # fmt: skip
    job = submit(payload, job_type="image", run_at=None)
    with sessions() as session:
        session.add(JobInput(job_id=job.id, data=data))
        session.commit()
    return job


@pytest.mark.parametrize(
    ("operations", "size", "mode"),
    [
        ([{"op": "thumbnail", "width": 10, "height": 10}], (10, 5), "RGBA"),
        ([{"op": "rotate", "degrees": 90}], (20, 40), "RGBA"),
        ([{"op": "crop", "left": 5, "top": 5, "right": 25, "bottom": 15}], (20, 10), "RGBA"),
        ([{"op": "blur", "radius": 2}, {"op": "grayscale"}], (40, 20), "L"),
    ],
)
def test_image_operations(
    submit: Callable[..., Job], sessions: sessionmaker[Session], row: Callable[[str], Job],
    burst: Callable[[], None], settings: dict[str, str], operations: list[dict[str, object]],
    size: tuple[int, int], mode: str,
) -> None:  # fmt: skip
    job = _image_job(submit, sessions, operations)
    burst()
    done = row(job.id)
    assert done.status == "completed", done.error
    with Image.open(Path(settings["ARTIFACTS_DIR"]) / job.id / "output.png") as output:
        assert (output.size, output.mode) == (size, mode)


def test_jpeg_output_drops_alpha(
    submit: Callable[..., Job], sessions: sessionmaker[Session], row: Callable[[str], Job],
    burst: Callable[[], None],
) -> None:  # fmt: skip
    job = _image_job(submit, sessions, [{"op": "resize", "width": 8, "height": 8}], fmt="jpeg")
    burst()
    done = row(job.id)
    assert (done.status, done.artifact_type) == ("completed", "image/jpeg")
    assert done.result is not None and done.result["mode"] == "RGB"


@pytest.mark.parametrize("fmt", ["csv", "json", "jsonl"])
def test_export_formats_hold_the_owners_jobs(
    submit: Callable[..., Job], row: Callable[[str], Job], burst: Callable[[], None],
    settings: dict[str, str], fmt: str,
) -> None:  # fmt: skip
    from datetime import timedelta

    from conveyor_core.jobs.models import utcnow

    later = utcnow() + timedelta(hours=1)
    mine = {submit(run_at=later).id for _ in range(2)}
    submit(run_at=later, user_id=2)
    job = submit({"dataset": "jobs", "format": fmt, "filters": {"status": ["scheduled"]}},
                 job_type="export")  # fmt: skip
    burst()
    done = row(job.id)
    assert done.status == "completed", done.error
    text = (Path(settings["ARTIFACTS_DIR"]) / job.id / f"jobs-export.{fmt}").read_text()
    if fmt == "csv":
        ids = {r["id"] for r in csv.DictReader(io.StringIO(text))}
    elif fmt == "json":
        ids = {r["id"] for r in json.loads(text)}
    else:
        ids = {json.loads(line)["id"] for line in text.splitlines()}
    assert ids == mine


def test_failed_handler_records_the_error(
    submit: Callable[..., Job], row: Callable[[str], Job], burst: Callable[[], None]
) -> None:
    job = submit({"dataset": "jobs", "format": "csv"}, job_type="image", max_retries=0)
    burst()
    done = row(job.id)
    assert done.status == "failed"
    assert done.error is not None and done.error.startswith("KeyError")
