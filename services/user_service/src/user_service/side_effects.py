"""What happens around an account's life outside this service: welcome email, the tier the
fair dispatcher weighs, deletion.

A deleted account's schedules are deleted and its unfinished jobs canceled by the workers'
next sweep, which this service asks for through Redis alone (it never touches the jobs
database). ``ON_USER_DELETED`` (config) is a further seam for any other clean-up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import current_app

from conveyor_core.fair import set_tier
from conveyor_core.jobs.dispatch import cancel_user_jobs
from conveyor_core.notifications import WELCOME, send_email
from conveyor_web import request_id
from conveyor_web.redis_client import get_redis

from .models import User

logger = logging.getLogger(__name__)

UserDeletedHook = Callable[[int], None]
"""Called with the id of a user after their deletion is committed."""


def send_welcome(user: User) -> None:
    """Ask the email-notifier for the welcome email (idempotent per user id)."""
    try:
        send_email(
            get_redis(),
            key=f"welcome:{user.id}",
            to=user.email,
            template=WELCOME,
            context={"username": user.username},
            request_id=request_id.current(),
        )
    except Exception:  # the account exists either way; a lost welcome is not worth a 500
        logger.exception("could not enqueue the welcome email", extra={"user": user.id})


def tier_known(user: User) -> None:
    """Tell the fair dispatcher the user's tier: their next dispatch uses its weight."""
    try:
        set_tier(get_redis(), user.id, user.tier)
    except Exception:  # the change is committed; job-api fills a missing tier from tokens
        logger.exception("could not record the tier for dispatch", extra={"user": user.id})


def user_deleted(user_id: int) -> None:
    """Ask for the user's schedules to be deleted and jobs canceled, then run the
    ``ON_USER_DELETED`` hook, if any."""
    hook: UserDeletedHook | None = current_app.config.get("ON_USER_DELETED")
    try:
        cancel_user_jobs(get_redis(), user_id)
        if hook is not None:
            hook(user_id)
    except Exception:  # the deletion is committed; report, do not undo the response
        logger.exception("user deletion clean-up failed", extra={"user": user_id})
