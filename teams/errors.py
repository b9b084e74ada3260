"""Errors services raise beyond Django's own (ValidationError, PermissionDenied).

``teams`` is the base layer, so every app can raise these; ``config.api`` turns them
into the API's one error shape.
"""

from __future__ import annotations

from typing import Any


class Conflict(Exception):
    """The row changed since the caller read it: 409 with the current state."""

    def __init__(self, message: str, *, current: dict[str, Any]):
        super().__init__(message)
        self.message = message
        self.current = current


class PreconditionRequired(Exception):
    """A write that must say which version it saw did not (428)."""

    def __init__(self, message: str = "Send the version you saw in an If-Match header."):
        super().__init__(message)
        self.message = message
