"""One handler per job type: ``handler(context) -> Outcome``."""

from __future__ import annotations

from collections.abc import Callable

from ..context import JobContext, Outcome
from ..exceptions import JobFailure
from . import email, export, image, timed

Handler = Callable[[JobContext], Outcome]

HANDLERS: dict[str, Handler] = {
    "timed": timed.handle,
    "email": email.handle,
    "image": image.handle,
    "export": export.handle,
}


def for_type(job_type: str) -> Handler:
    """Return the handler of ``job_type``."""
    try:
        return HANDLERS[job_type]
    except KeyError:
        raise JobFailure(f"no handler for job type {job_type!r}") from None
