"""What the board's writes share."""

from __future__ import annotations

from django.core.exceptions import ValidationError

NOTE_LIMIT = 300


def note(name: str, value) -> str:
    """A short note or reason: text, trimmed, at most NOTE_LIMIT characters."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({name: ["Must be text."]})
    value = value.strip()
    if len(value) > NOTE_LIMIT:
        raise ValidationError({name: [f"At most {NOTE_LIMIT} characters."]})
    return value
