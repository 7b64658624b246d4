"""Queries and mutations: each one REST call (or a batch) made with the caller's token."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.types.unset import UNSET

from .backend import not_found
from .context import Context
from .limits import CostLimit, OnlyExecuted, should_mask
from .types import (
    CreateUserInput,
    Job,
    JobPage,
    JobStatus,
    JobType,
    SchedulePage,
    SubmitJobInput,
    UpdateUserInput,
    User,
    UserPage,
)

Info = strawberry.Info[Context, None]


def _user_id(value: strawberry.ID) -> int:
    """A user id as REST's routes take it; anything else names no user (as REST's 404)."""
    text = str(value)
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        raise not_found("User")
    return int(text)


def _body(data: Any) -> dict[str, Any]:
    """An input object as REST's snake_case body, without the fields the caller left out."""
    return {
        name: value.value if isinstance(value, enum.Enum) else value
        for name, value in vars(data).items()
        if value is not UNSET
    }


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user.")
    async def me(self, info: Info) -> User:
        backend = info.context.backend
        return User.of(await backend.call("GET", backend.user_path("/me")))

    @strawberry.field(description="One user; email only for that user and admins.")
    async def user(self, info: Info, id: strawberry.ID) -> User | None:
        found = await info.context.loaders.users.load(_user_id(id))
        if found is None:
            raise not_found("User")
        return User.of(found)

    @strawberry.field(description="Users, paginated and sorted by id, username or created_at.")
    async def users(
        self,
        info: Info,
        page: int | None = None,
        per_page: int | None = None,
        sort: str | None = None,
    ) -> UserPage:
        backend = info.context.backend
        params = {"page": page, "per_page": per_page, "sort": sort}
        return UserPage.of(await backend.call("GET", backend.user_path(), params=params))

    @strawberry.field(description="One job of the caller's (admins: anyone's).")
    async def job(self, info: Info, id: strawberry.ID) -> Job | None:
        backend = info.context.backend
        return Job.of(await backend.call("GET", backend.job_path(str(id))))

    @strawberry.field(description="The caller's jobs (admins: everyone's), filtered and sorted.")
    async def jobs(
        self,
        info: Info,
        status: JobStatus | None = None,
        type: JobType | None = None,
        page: int | None = None,
        per_page: int | None = None,
        sort: str | None = None,
    ) -> JobPage:
        backend = info.context.backend
        params = {
            "status": status.value if status else None,
            "type": type.value if type else None,
            "page": page,
            "per_page": per_page,
            "sort": sort,
        }
        return JobPage.of(await backend.call("GET", backend.job_path(), params=params))

    @strawberry.field(description="The caller's schedules (admins: everyone's).")
    async def schedules(
        self, info: Info, page: int | None = None, per_page: int | None = None
    ) -> SchedulePage:
        backend = info.context.backend
        params = {"page": page, "per_page": per_page}
        return SchedulePage.of(await backend.call("GET", backend.schedule_path(), params=params))


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Sign up (open to anyone).")
    async def create_user(self, info: Info, input: CreateUserInput) -> User:
        backend = info.context.backend
        return User.of(await backend.call("POST", backend.user_path(), json=_body(input)))

    @strawberry.mutation(description="Change a user (the user or an admin).")
    async def update_user(self, info: Info, id: strawberry.ID, input: UpdateUserInput) -> User:
        backend = info.context.backend
        path = backend.user_path(f"/{_user_id(id)}")
        return User.of(await backend.call("PATCH", path, json=_body(input)))

    @strawberry.mutation(description="Delete a user (the user or an admin).")
    async def delete_user(self, info: Info, id: strawberry.ID) -> bool:
        backend = info.context.backend
        await backend.call("DELETE", backend.user_path(f"/{_user_id(id)}"))
        return True

    @strawberry.mutation(description="Submit a job (honours an Idempotency-Key header).")
    async def submit_job(self, info: Info, input: SubmitJobInput) -> Job:
        backend = info.context.backend
        return Job.of(await backend.call("POST", backend.job_path(), json=_body(input)))

    @strawberry.mutation(description="Cancel a scheduled, queued or running job.")
    async def cancel_job(self, info: Info, id: strawberry.ID) -> Job:
        backend = info.context.backend
        return Job.of(await backend.call("POST", backend.job_path(str(id), "/cancel")))

    @strawberry.mutation(description="Run a failed or canceled job again.")
    async def retry_job(self, info: Info, id: strawberry.ID) -> Job:
        backend = info.context.backend
        return Job.of(await backend.call("POST", backend.job_path(str(id), "/retry")))


def build_schema(config: dict[str, Any] | None = None) -> strawberry.Schema:
    """The schema with its limits: depth, cost, aliases, tokens; masked unexpected errors."""
    config = config or {}
    max_tokens = int(config.get("GRAPHQL_MAX_TOKENS", 2000))
    max_depth = int(config.get("GRAPHQL_MAX_DEPTH", 10))
    max_aliases = int(config.get("GRAPHQL_MAX_ALIASES", 30))
    cost = CostLimit.rule(int(config.get("GRAPHQL_MAX_COST", 5000)))
    # Factories, not instances: strawberry builds fresh extensions for every request.
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        lambda: MaxTokensLimiter(max_token_count=max_tokens),
        lambda: QueryDepthLimiter(max_depth=max_depth),
        lambda: MaxAliasesLimiter(max_alias_count=max_aliases),
        lambda: AddValidationRules([cost]),
        OnlyExecuted,
        lambda: MaskErrors(should_mask_error=should_mask),
    ]
    if not config.get("GRAPHQL_INTROSPECTION", True):
        extensions.append(DisableIntrospection)
    return strawberry.Schema(query=Query, mutation=Mutation, extensions=extensions)
