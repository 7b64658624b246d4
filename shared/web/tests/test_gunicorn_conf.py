"""The gunicorn hooks every Conveyor server shares (``conveyor_web.gunicorn_conf``)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from conveyor_web import gunicorn_conf


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()


@pytest.mark.usefixtures("unfrozen")
def test_a_started_worker_keeps_what_it_loaded_out_of_the_collectors_walks() -> None:
    loaded = [object() for _ in range(100)]
    gunicorn_conf.post_worker_init(worker=None)
    assert gc.get_freeze_count() >= len(loaded)
