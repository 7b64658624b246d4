"""What every resolver of one request shares: the REST client and the batch loaders."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Response

from .backend import Backend
from .loaders import Loaders


@dataclass
class Context:
    backend: Backend
    response: Response
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.backend)
