"""Errors services raise beyond Django's own (ValidationError, PermissionDenied).

``teams`` is the base layer, so every app can raise these; ``config.api`` turns them
into the API's one error shape. ``KeyReused`` is a ValidationError, so pages show it
as they show any other.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError


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


class KeyReused(ValidationError):
    """An idempotency key sent again with a different request (422, a field message
    at ``field``). A key names one request of one person: the same request again gets
    its first result, and a new request needs a new key, so nothing sent is ever
    silently dropped in favour of what the key was first used for."""

    def __init__(self, message: str, *, field: str = "idempotency_key"):
        super().__init__({field: [message]})
