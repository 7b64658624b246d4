"""Request builders shared by job-api's tests."""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image


def png(width: int = 64, height: int = 48, color: tuple[int, int, int] = (200, 30, 30)) -> str:
    """A generated RGB PNG, base64-encoded."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def timed(duration: float = 0.0, **fields: Any) -> dict[str, Any]:
    """A timed job submission."""
    payload = {"duration_seconds": duration}
    payload.update(fields.pop("payload", {}))
    return {"type": "timed", "payload": payload, **fields}


def finish(app: Any, job_id: str, status: str = "completed", artifact: bytes | None = None) -> None:
    """Move a job to ``status`` as a worker would (pick, claim, end, announce), without one."""
    from pathlib import Path

    from conveyor_core.fair import FairQueue, queue_name
    from conveyor_core.jobs import events, runs, store
    from conveyor_core.jobs.models import utcnow
    from conveyor_web.redis_client import get_redis
    from job_api.extensions import db

    with app.app_context():
        job = store.fetch(db.session, job_id)
        assert job is not None and job.run_id is not None
        run_id = job.run_id
        line = FairQueue(queue_name(job.user_id, job.priority), connection=get_redis())
        line.remove(run_id)  # what the dispatcher's pick does
        runs.claim(db.session, job_id, run_id, "test-worker", utcnow())
        if status == "running":
            pass
        elif status == "completed":
            named = None
            if artifact is not None:
                folder = Path(app.config["ARTIFACTS_DIR"]) / job_id
                folder.mkdir(parents=True, exist_ok=True)
                (folder / "out.txt").write_bytes(artifact)
                named = ("out.txt", "text/plain", len(artifact))
            runs.complete(db.session, job_id, run_id, result={"ok": True}, elapsed=0.1,
                           now=utcnow(), artifact=named)  # fmt: skip
        elif status == "failed":
            runs.fail(db.session, job_id, run_id, error="boom", elapsed=0.1, now=utcnow(),
                       retry_in=None)  # fmt: skip
        db.session.commit()
        changed = store.fetch(db.session, job_id)
        assert changed is not None
        events.publish(get_redis(), changed)
