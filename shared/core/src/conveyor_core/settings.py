"""Settings read from environment variables, with working local defaults: the one loader.

Every deployable has a typed settings object in its own ``settings.py``, built from a
:class:`Reader` over the environment (or a mapping tests give). A reader collects every bad
value and :meth:`Reader.check` raises one :class:`ConfigurationError` naming each variable,
so a misconfigured process stops at start, not on the first request that needs the value.

The reader is environs (marshmallow fields, which the services already use for bodies) over
a given mapping instead of ``os.environ``. Nothing here runs at import time: services build
their settings inside ``create_app`` or their entry point.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import timedelta
from pathlib import Path
from typing import Any, Self, TypeVar

import environs
from marshmallow import ValidationError

from conveyor_core.exceptions import ConfigurationError

DEFAULT_TIER_WEIGHTS = "free=1,pro=3,enterprise=9"
"""Fair-scheduling weight per tier, as ``tier=weight`` pairs."""

DEFAULT_ACCESS_TOKEN_TTL = 900
"""Access token lifetime in seconds (15 minutes)."""

DEFAULT_REFRESH_TOKEN_TTL = 30 * 24 * 3600
"""Refresh token lifetime in seconds (30 days)."""

T = TypeVar("T")

JWT_ALGORITHM = "EdDSA"
"""The one signing algorithm every service accepts (Ed25519)."""

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})
"""A flag's spellings; any other text is refused (it was read as true by one service and as
false by another before there was one parser)."""


def parse_flag(text: str) -> bool:
    """Read ``1/0``, ``true/false``, ``yes/no``, ``on/off`` (any case; blank is false)."""
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"not a flag: {text!r} (use 1/0, true/false, yes/no or on/off)")


def parse_tier_weights(text: str) -> dict[str, int]:
    """Parse ``free=1,pro=3`` into ``{"free": 1, "pro": 3}``."""
    weights: dict[str, int] = {}
    for pair in filter(None, (p.strip() for p in text.split(","))):
        name, _, value = pair.partition("=")
        try:
            weight = int(value)
        except ValueError:
            raise ConfigurationError(f"bad tier weight {pair!r}") from None
        if weight < 1:
            raise ConfigurationError(f"tier weight must be >= 1: {pair!r}")
        weights[name.strip()] = weight
    return weights


class _MappingEnv(environs.Env):
    """environs reading one mapping, so tests and scripts can pass their own environment.

    ``_get_value`` is environs' one lookup (``Env`` reads ``os.environ`` there);
    ``shared/tests/test_settings.py`` checks that it is still the one."""

    def __init__(self, environ: Mapping[str, str], blank_is_unset: bool) -> None:
        super().__init__(eager=False)
        self._mapping = environ
        self._blank_is_unset = blank_is_unset

    def _get_value(self, env_key: str, default: Any) -> Any:
        value = self._mapping.get(env_key, default)
        return default if self._blank_is_unset and value == "" else value


class Reader:
    """Typed reads of environment variables; :meth:`check` raises for every bad one at once."""

    def __init__(
        self, environ: Mapping[str, str] | None = None, *, blank_is_unset: bool = False
    ) -> None:
        """``blank_is_unset``: a variable set to "" takes its default (gunicorn's settings,
        which compose files may set blank); otherwise blank is a value, refused where a
        number is expected."""
        self.environ: Mapping[str, str] = os.environ if environ is None else environ
        self._env = _MappingEnv(self.environ, blank_is_unset)

    def text(self, name: str, default: str) -> str:
        """A string; blank is a value."""
        value = self._env.str(name, default)
        return default if value is None else value

    def optional_text(self, name: str) -> str | None:
        """A string, or ``None`` when unset or blank."""
        return self.environ.get(name) or None

    def integer(self, name: str, default: int, minimum: int | None = None) -> int:
        """A whole number, at least ``minimum`` when given."""
        check = None if minimum is None else environs.validate.Range(min=minimum)
        value = self._env.int(name, default, validate=check)
        return default if value is None else value

    def number(self, name: str, default: float, positive: bool = False) -> float:
        """A finite number (``nan``/``inf`` refused); above zero when ``positive``."""
        checks: list[Callable[[Any], Any]] = [_finite]
        if positive:
            checks.append(environs.validate.Range(min=0, min_inclusive=False))
        value = self._env.float(name, default, validate=checks)
        return default if value is None else value

    def flag(self, name: str, default: bool) -> bool:
        """A yes/no setting read by :func:`parse_flag`."""
        value = self._env.str(name, "1" if default else "0", validate=_parsed_by(parse_flag))
        return default if value is None else parse_flag(value)

    def parsed(self, name: str, default: str, parse: Callable[[str], Any]) -> Any:
        """Text turned into a value by ``parse``, which raises ``ValueError`` on bad text."""
        value = self._env.str(name, default, validate=_parsed_by(parse))
        return parse(default if value is None else value)

    def check(self) -> None:
        """Raise :class:`ConfigurationError` naming every variable read with a bad value."""
        try:
            self._env.seal()
        except environs.EnvValidationError as error:
            found = error.error_messages
            if not isinstance(found, Mapping):  # a list only when environs names no variable
                raise ConfigurationError(f"bad settings: {error}") from None
            problems = "; ".join(f"{name}: {' '.join(map(str, found[name]))}" for name in found)
            raise ConfigurationError(f"bad settings: {problems}") from None


def _finite(value: float) -> None:
    if not math.isfinite(value):
        raise ValidationError("Must be a finite number.")


def _parsed_by(parse: Callable[[str], Any]) -> Callable[[str], None]:
    def validate(text: str) -> None:
        try:
            parse(text)
        except (ValueError, ConfigurationError) as error:
            raise ValidationError(str(error)) from None

    return validate


def _read_key(path: str) -> str | None:
    file = Path(path)
    return file.read_text() if file.is_file() else None


class Settings:
    """Base of the settings objects (frozen dataclasses): their Flask config mapping.

    A field ``name`` is the config key ``NAME`` (``metadata={"key": ...}`` names another);
    a field holding settings, or a mapping marked ``metadata={"flatten": True}``, adds its
    keys; paths become strings."""

    def flask_config(self) -> dict[str, Any]:
        """The settings under the config keys the service reads (``app.config``)."""
        config: dict[str, Any] = {}
        for item in fields(self):  # type: ignore[arg-type]  # every subclass is a dataclass
            value = getattr(self, item.name)
            if isinstance(value, Settings):
                config.update(value.flask_config())
            elif item.metadata.get("flatten"):
                config.update(value)
            else:
                key = item.metadata.get("key", item.name.upper())
                config[key] = str(value) if isinstance(value, Path) else value
        return config


class DeployableSettings(Settings):
    """One deployable's settings: :meth:`read` builds them, :meth:`from_env` checks them."""

    @classmethod
    def read(cls, env: Reader) -> Self:
        """Build the settings from ``env`` (bad values are collected, not raised)."""
        raise NotImplementedError

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        """Read and check the settings; a bad value raises ``ConfigurationError`` naming it."""
        return checked(cls.read, environ)


def checked(read: Callable[[Reader], T], environ: Mapping[str, str] | None = None) -> T:
    """``read(Reader(environ))``, raising ``ConfigurationError`` for every bad value."""
    env = Reader(environ)
    settings = read(env)
    env.check()
    return settings


@dataclass(frozen=True)
class ServiceSettings(Settings):
    """What every service reads: where its data, Redis, logs and keys are, and the tokens."""

    service_name: str
    var_dir: Path
    database_url: str = field(metadata={"key": "SQLALCHEMY_DATABASE_URI"})
    redis_url: str
    log_level: str
    log_dir: str
    jwt_public_key: str | None
    jwt_private_key: str | None
    jwt_issuer: str
    jwt_audience: str
    access_token_ttl: timedelta
    refresh_token_ttl: timedelta
    tier_weights: dict[str, int]
    cache_timeout: int
    public_url: str

    @classmethod
    def read(cls, env: Reader, service: str, database: str | None = None) -> ServiceSettings:
        """Read the shared settings; ``database`` names the local SQLite file used when
        ``DATABASE_URL`` is unset (job-api and worker share ``jobs``)."""
        var_dir = Path(env.text("VAR_DIR", "var")).resolve()
        sqlite_file = var_dir / f"{database or service.replace('-', '_')}.db"
        keys = var_dir / "keys"
        public_key_file = env.text("JWT_PUBLIC_KEY_FILE", str(keys / "jwt_public.pem"))
        private_key_file = env.text("JWT_PRIVATE_KEY_FILE", str(keys / "jwt_private.pem"))
        return cls(
            service_name=service,
            var_dir=var_dir,
            database_url=env.text("DATABASE_URL", f"sqlite:///{sqlite_file}"),
            redis_url=env.text("REDIS_URL", "redis://127.0.0.1:6379/0"),
            log_level=env.text("LOG_LEVEL", "INFO").upper(),
            log_dir=env.text("LOG_DIR", str(var_dir / "log")),
            jwt_public_key=env.optional_text("JWT_PUBLIC_KEY") or _read_key(public_key_file),
            jwt_private_key=env.optional_text("JWT_PRIVATE_KEY") or _read_key(private_key_file),
            jwt_issuer=env.text("JWT_ISSUER", "conveyor"),
            jwt_audience=env.text("JWT_AUDIENCE", "conveyor"),
            access_token_ttl=timedelta(
                seconds=env.integer("ACCESS_TOKEN_TTL", DEFAULT_ACCESS_TOKEN_TTL, minimum=1)
            ),
            refresh_token_ttl=timedelta(
                seconds=env.integer("REFRESH_TOKEN_TTL", DEFAULT_REFRESH_TOKEN_TTL, minimum=1)
            ),
            tier_weights=env.parsed("TIER_WEIGHTS", DEFAULT_TIER_WEIGHTS, parse_tier_weights),
            cache_timeout=env.integer("CACHE_TIMEOUT", 300, minimum=0),
            public_url=env.text("PUBLIC_URL", "http://127.0.0.1:8080"),
        )


def load(
    service: str, environ: Mapping[str, str] | None = None, database: str | None = None
) -> dict[str, Any]:
    """The shared settings of ``service`` as a Flask config mapping (scripts and tests)."""
    return checked(lambda env: ServiceSettings.read(env, service, database), environ).flask_config()
