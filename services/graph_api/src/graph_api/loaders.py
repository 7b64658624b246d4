"""Per-request batching: the users a response needs are read in one REST call per 100, and
so are the users' job lists (one call per 100 users and per distinct arguments)."""

from __future__ import annotations

import asyncio
import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from .backend import Backend

BATCH = 100
"""Most ids one ``GET /api/users?ids=`` asks for (REST's page limit)."""

JobsKey = tuple[int, str | None, int | None, int | None]
"""``(user_id, status, page, per_page)`` of one user's job list."""


class Loaders:
    """The DataLoaders of one request (never shared: each caller sees what REST shows them)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.users: DataLoader[int, dict[str, Any] | None] = DataLoader(self._load_users)
        self.user_jobs: DataLoader[JobsKey, dict[str, Any]] = DataLoader(self._load_user_jobs)

    async def _load_users(self, ids: Sequence[int]) -> list[dict[str, Any] | None]:
        found: dict[int, dict[str, Any]] = {}
        pages = await asyncio.gather(
            *(
                self.backend.call(
                    "GET",
                    self.backend.user_path(),
                    params={"ids": ",".join(map(str, chunk)), "per_page": BATCH},
                )
                for chunk in _batches(ids)
            )
        )
        for page in pages:
            found.update({int(item["id"]): item for item in page["items"]})
        return [found.get(user_id) for user_id in ids]

    async def _load_user_jobs(self, keys: Sequence[JobsKey]) -> list[dict[str, Any]]:
        # One REST read per distinct (status, page, perPage) and 100 users: job-api pages each
        # user's list apart and decides whose jobs the caller may see (another user's list
        # is empty unless the caller is an admin).
        groups: dict[tuple[str | None, int | None, int | None], list[int]] = defaultdict(list)
        for user_id, status, page, per_page in keys:
            groups[(status, page, per_page)].append(user_id)
        requests = [
            (options, chunk) for options, user_ids in groups.items() for chunk in _batches(user_ids)
        ]
        answers = await asyncio.gather(
            *(
                self.backend.call(
                    "GET",
                    self.backend.job_path(),
                    params={
                        "user_ids": ",".join(map(str, chunk)),
                        "status": status,
                        "page": page,
                        "per_page": per_page,
                    },
                )
                for (status, page, per_page), chunk in requests
            )
        )
        pages: dict[JobsKey, dict[str, Any]] = {}
        for ((status, page, per_page), chunk), answer in zip(requests, answers, strict=True):
            for user_id in chunk:
                pages[(user_id, status, page, per_page)] = _one_users_page(answer, user_id)
        return [pages[key] for key in keys]


def _batches(ids: Sequence[int]) -> list[Sequence[int]]:
    """``ids`` in runs of ``BATCH``, the most one REST read may name."""
    return [ids[start : start + BATCH] for start in range(0, len(ids), BATCH)]


def _one_users_page(answer: dict[str, Any], user_id: int) -> dict[str, Any]:
    """One user's page out of job-api's answer for many users (``GET /api/jobs?user_ids=``)."""
    total = int(answer["totals"].get(str(user_id), 0))
    per_page = int(answer["per_page"])
    return {
        "items": [item for item in answer["items"] if int(item["user_id"]) == user_id],
        "page": answer["page"],
        "per_page": per_page,
        "total": total,
        "pages": math.ceil(total / per_page),
    }
