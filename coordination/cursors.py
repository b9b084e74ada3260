"""Keyset cursors for lists that run newest first on (created, id): a cursor names
the last row of a page, so the next page is one indexed query however deep it is
(no OFFSET). Opaque to clients; a cursor Kith did not give out is a 400."""

from __future__ import annotations

import base64
import binascii
import datetime
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet

from teams.numbers import is_id


def pack(*parts: object) -> str:
    """A cursor carrying ``parts`` (none of them holds a "|")."""
    raw = "|".join(str(part) for part in parts).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unpack(cursor: str, parts: int, *, bad: str) -> list[str]:
    """The ``parts`` texts a cursor of ``pack`` carries; else a 400 on "cursor"."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValidationError({"cursor": [bad]}) from None
    found = raw.split("|")
    if len(found) != parts:
        raise ValidationError({"cursor": [bad]})
    return found


def row_id(text: str, *, bad: str) -> int:
    """The id part of a cursor: a key's whole number (teams.numbers)."""
    if not text.isdecimal() or not is_id(int(text)):
        raise ValidationError({"cursor": [bad]})
    return int(text)


def moment(text: str, *, bad: str) -> datetime.datetime:
    """The time part of a cursor: an ISO moment with its offset."""
    try:
        found = datetime.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError({"cursor": [bad]}) from None
    if found.tzinfo is None:
        raise ValidationError({"cursor": [bad]})
    return found


def encode(created: datetime.datetime, pk: int) -> str:
    return pack(created.isoformat(), pk)


def decode(cursor: str, *, bad: str) -> tuple[datetime.datetime, int]:
    """(created, id) of the row a cursor names; ``bad`` is the message of the 400."""
    created, pk = unpack(cursor, 2, bad=bad)
    return moment(created, bad=bad), row_id(pk, bad=bad)


@dataclass
class Page:
    """One page of a list, newest first, and the cursor where the next starts (None: last)."""

    items: list[Any]
    next: str | None


def newest_first(rows: QuerySet, cursor: str | None, limit: int, *, bad: str) -> Page:
    """The page of ``rows`` after ``cursor``, ``limit`` rows at most: one query however
    deep the page (no OFFSET)."""
    rows = rows.order_by("-created", "-id")
    if cursor:
        created, pk = decode(cursor, bad=bad)
        rows = rows.filter(Q(created__lt=created) | Q(created=created, id__lt=pk))
    items = list(rows[: limit + 1])
    last = items[limit - 1] if len(items) > limit else None
    return Page(items=items[:limit], next=encode(last.created, last.pk) if last else None)
