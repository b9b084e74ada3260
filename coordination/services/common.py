"""What the board's writes share."""

from __future__ import annotations

from teams import cleaning

NOTE_LIMIT = 300


def note(name: str, value) -> str:
    """A short note or reason: text, trimmed, at most NOTE_LIMIT characters."""
    return cleaning.text(name, value, limit=NOTE_LIMIT)
