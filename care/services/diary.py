"""The shared diary: a note added by the care team, the client, their representative
or a network member the client lets write in it (``care.access.can_write_diary``).

Notes are never edited or deleted. Each addition is audited and published once,
``diary.added``, on the team's stream and the client's diary stream, with ids only:
the note's words reach those who may read them through the page, never the event log.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction

from care import access
from care.models import Client, DiaryNote
from care.models.diary import MAX_BODY
from care.services.common import client_streams, record
from teams.cleaning import Errors, clean_text, raise_errors
from teams.models import Person


def diary_add(*, actor: Person, client: Client, body: str) -> DiaryNote:
    if not access.can_write_diary(actor, client):
        raise PermissionDenied("Only the client, their care team and those they let write can.")
    errors: Errors = {}
    body = clean_text(errors, "body", body, limit=MAX_BODY, required=True)
    raise_errors(errors)
    with transaction.atomic():
        note = DiaryNote.objects.create(client=client, author=actor, body=body)
        data = {"note": note.pk, "client": client.pk, "author": actor.pk}
        record(actor, "diary.added", note, data, client_streams(client, "diary"))
    return note
