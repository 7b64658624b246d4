"""conveyor: the command-line client of Conveyor's public HTTP API."""

__version__ = "0.1.0"
