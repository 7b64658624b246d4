"""Per-request batching: every user a response needs is read in one REST call per 100."""

from __future__ import annotations

import asyncio
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
        chunks = [ids[start : start + BATCH] for start in range(0, len(ids), BATCH)]
        pages = await asyncio.gather(
            *(
                self.backend.call(
                    "GET",
                    self.backend.user_path(),
                    params={"ids": ",".join(map(str, chunk)), "per_page": BATCH},
                )
                for chunk in chunks
            )
        )
        for page in pages:
            found.update({int(item["id"]): item for item in page["items"]})
        return [found.get(user_id) for user_id in ids]

    async def _load_user_jobs(self, keys: Sequence[JobsKey]) -> list[dict[str, Any]]:
        # One REST list per user: job-api decides whose jobs the caller may see (another
        # user's list is empty unless the caller is an admin).
        return list(
            await asyncio.gather(
                *(
                    self.backend.call(
                        "GET",
                        self.backend.job_path(),
                        params={
                            "user_id": user_id,
                            "status": status,
                            "page": page,
                            "per_page": per_page,
                        },
                    )
                    for user_id, status, page, per_page in keys
                )
            )
        )
