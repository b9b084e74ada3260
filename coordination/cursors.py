"""Keyset cursors for lists that run newest first on (created, id): a cursor names
the last row of a page, so the next page is one indexed query however deep it is
(no OFFSET). Opaque to clients; a cursor Kith did not give out is a 400."""

from __future__ import annotations

import base64
import binascii
import datetime

from django.core.exceptions import ValidationError


def encode(created: datetime.datetime, pk: int) -> str:
    raw = f"{created.isoformat()}|{pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, *, bad: str) -> tuple[datetime.datetime, int]:
    """(created, id) of the row a cursor names; ``bad`` is the message of the 400."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, _, pk = raw.partition("|")
        moment = datetime.datetime.fromisoformat(created)
        if moment.tzinfo is None or not pk.isdecimal():
            raise ValueError(raw)
        return moment, int(pk)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ValidationError({"cursor": [bad]}) from None
