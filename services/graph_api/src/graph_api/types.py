"""The graph's types, built from REST's JSON answers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import strawberry
from strawberry.scalars import JSON

if TYPE_CHECKING:
    from .context import Context


def when(value: Any) -> datetime | None:
    """REST's ISO 8601 text as a datetime (``None`` stays ``None``)."""
    return datetime.fromisoformat(value) if isinstance(value, str) else None


@strawberry.enum
class JobStatus(enum.Enum):
    """A job's status, lower case as REST writes it."""

    scheduled = "scheduled"
    queued = "queued"
    running = "running"
    completed = "completed"
    failed = "failed"
    canceled = "canceled"


@strawberry.enum
class JobType(enum.Enum):
    timed = "timed"
    email = "email"
    image = "image"
    export = "export"


@strawberry.type
class Progress:
    percent: float | None
    message: str | None


@strawberry.type
class User:
    id: strawberry.ID
    username: str
    email: str | None = strawberry.field(description="Null where REST hides it.")
    role: str
    tier: str
    created_at: datetime | None

    @classmethod
    def of(cls, data: dict[str, Any]) -> User:
        return cls(
            id=strawberry.ID(str(data["id"])),
            username=data["username"],
            email=data.get("email"),
            role=data["role"],
            tier=data["tier"],
            created_at=when(data.get("created_at")),
        )

    @strawberry.field(description="The user's jobs (own or admin only; others see none).")
    async def jobs(
        self,
        info: strawberry.Info[Context, None],
        status: JobStatus | None = None,
        page: int | None = None,
        per_page: int | None = None,
    ) -> JobPage:
        key = (int(self.id), status.value if status else None, page, per_page)
        return JobPage.of(await info.context.loaders.user_jobs.load(key))


@strawberry.type
class Job:
    id: strawberry.ID
    type: JobType
    status: JobStatus
    priority: str
    payload: JSON
    result: JSON | None
    progress: Progress
    error: str | None
    attempts: int
    max_retries: int
    created_at: datetime | None
    scheduled_for: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    time_spent_seconds: float | None
    queue_position: int | None
    user_id: strawberry.Private[int]

    @classmethod
    def of(cls, data: dict[str, Any]) -> Job:
        progress = data.get("progress") or {}
        return cls(
            id=strawberry.ID(data["id"]),
            type=JobType(data["type"]),
            status=JobStatus(data["status"]),
            priority=data["priority"],
            payload=data.get("payload") or {},  # type: ignore[arg-type]
            result=data.get("result"),
            progress=Progress(percent=progress.get("percent"), message=progress.get("message")),
            error=data.get("error"),
            attempts=data["attempts"],
            max_retries=data["max_retries"],
            created_at=when(data.get("created_at")),
            scheduled_for=when(data.get("scheduled_for")),
            started_at=when(data.get("started_at")),
            finished_at=when(data.get("finished_at")),
            time_spent_seconds=data.get("time_spent_seconds"),
            queue_position=data.get("queue_position"),
            user_id=int(data["user_id"]),
        )

    @strawberry.field(description="Who submitted the job (read in one batch per response).")
    async def owner(self, info: strawberry.Info[Context, None]) -> User | None:
        found = await info.context.loaders.users.load(self.user_id)
        return User.of(found) if found else None


@strawberry.type
class Schedule:
    id: strawberry.ID
    name: str
    type: JobType
    payload: JSON
    priority: str | None
    cron: str | None
    timezone: str | None
    interval_seconds: int | None
    enabled: bool
    next_run_at: datetime | None
    created_at: datetime | None

    @classmethod
    def of(cls, data: dict[str, Any]) -> Schedule:
        return cls(
            id=strawberry.ID(str(data["id"])),
            name=data["name"],
            type=JobType(data["type"]),
            payload=data.get("payload") or {},  # type: ignore[arg-type]
            priority=data.get("priority"),
            cron=data.get("cron"),
            timezone=data.get("timezone"),
            interval_seconds=data.get("interval_seconds"),
            enabled=bool(data.get("enabled", True)),
            next_run_at=when(data.get("next_run_at")),
            created_at=when(data.get("created_at")),
        )


def _page_fields(envelope: dict[str, Any]) -> dict[str, int]:
    return {
        name: envelope[key]
        for name, key in (
            ("page", "page"),
            ("per_page", "per_page"),
            ("total", "total"),
            ("pages", "pages"),
        )
    }


@strawberry.type
class UserPage:
    items: list[User]
    page: int
    per_page: int
    total: int
    pages: int

    @classmethod
    def of(cls, envelope: dict[str, Any]) -> UserPage:
        return cls(items=[User.of(item) for item in envelope["items"]], **_page_fields(envelope))


@strawberry.type
class JobPage:
    items: list[Job]
    page: int
    per_page: int
    total: int
    pages: int

    @classmethod
    def of(cls, envelope: dict[str, Any]) -> JobPage:
        return cls(items=[Job.of(item) for item in envelope["items"]], **_page_fields(envelope))


@strawberry.type
class SchedulePage:
    items: list[Schedule]
    page: int
    per_page: int
    total: int
    pages: int

    @classmethod
    def of(cls, envelope: dict[str, Any]) -> SchedulePage:
        items = [Schedule.of(item) for item in envelope["items"]]
        return cls(items=items, **_page_fields(envelope))


@strawberry.input
class CreateUserInput:
    username: str
    email: str
    password: str


@strawberry.input
class UpdateUserInput:
    username: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    password: str | None = strawberry.UNSET
    current_password: str | None = strawberry.UNSET
    role: str | None = strawberry.UNSET
    tier: str | None = strawberry.UNSET


@strawberry.input
class SubmitJobInput:
    type: JobType
    payload: JSON
    priority: str | None = strawberry.UNSET
    delay_seconds: int | None = strawberry.UNSET
    max_retries: int | None = strawberry.UNSET
    timeout_seconds: int | None = strawberry.UNSET
    notify_email: bool | None = strawberry.UNSET
