"""Failed-login limits per account and per client address, counted in Redis.

Only failures count. Once either counter reaches its limit, logins for that account (or
from that address) are refused with one generic message until the window passes, even with
the right password: that is what makes guessing slow.
"""

from __future__ import annotations

from flask import Flask

from conveyor_web.redis_client import get_redis

from .exceptions import TooManyAttempts

ACCOUNT_KEY = "conveyor:user-service:login-failures:account:{}"
"""Failures for one account (user id, or the lower-cased name tried if no such user)."""

ADDRESS_KEY = "conveyor:user-service:login-failures:ip:{}"
"""Failures from one client address."""

DEFAULTS = {
    "LOGIN_MAX_FAILURES_PER_ACCOUNT": 5,
    "LOGIN_MAX_FAILURES_PER_IP": 20,
    "LOGIN_FAILURE_WINDOW": 900,
}
"""Failures allowed per window (seconds) before logins are refused."""

DETAIL = "Too many failed login attempts. Try again later."


def init_app(app: Flask) -> None:
    """Fill in the limits the config leaves out."""
    for name, value in DEFAULTS.items():
        app.config.setdefault(name, value)


def _keys(account: str, address: str) -> tuple[str, str]:
    return ACCOUNT_KEY.format(account), ADDRESS_KEY.format(address)


def check(account: str, address: str, limits: dict[str, int]) -> None:
    """Refuse with 429 when the account or the address is over its limit."""
    account_key, address_key = _keys(account, address)
    redis = get_redis()
    pipe = redis.pipeline()
    pipe.get(account_key)
    pipe.get(address_key)
    pipe.ttl(account_key)
    pipe.ttl(address_key)
    account_count, address_count, account_ttl, address_ttl = pipe.execute()
    over = []
    if int(account_count or 0) >= limits["LOGIN_MAX_FAILURES_PER_ACCOUNT"]:
        over.append(account_ttl)
    if int(address_count or 0) >= limits["LOGIN_MAX_FAILURES_PER_IP"]:
        over.append(address_ttl)
    if over:
        raise TooManyAttempts(DETAIL, retry_after=max(max(over), 1))


def record_failure(account: str, address: str, window: int) -> None:
    """Count one failure; each counter's window starts at its first failure."""
    pipe = get_redis().pipeline()
    for key in _keys(account, address):
        # SET NX EX, not EXPIRE NX: the embedded redis-server for local runs is 6.2.
        pipe.set(key, 0, ex=window, nx=True)
        pipe.incr(key)
    pipe.execute()


def reset_account(account: str) -> None:
    """Forget an account's failures after a successful login (the address keeps its count)."""
    get_redis().delete(ACCOUNT_KEY.format(account))
