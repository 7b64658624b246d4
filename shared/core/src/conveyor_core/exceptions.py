"""Exceptions raised by the shared library."""


class ConveyorError(Exception):
    """Root of every error the shared library raises."""


class ConfigurationError(ConveyorError):
    """A setting is missing or malformed."""


class RedisServerError(ConveyorError):
    """A private redis-server could not be started."""
