"""The shared diary: who may add a note, what a note may hold, what is audited and
published, and that a note, once written, stays as it was written."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from care.models import DiaryNote, Grant, NetworkMember
from care.selectors.diary import diary_of
from care.services import diary as diary_services
from coordination.events import EventRecord
from teams.models import AuditEntry
from tests.care.visit_helpers import jansen_client
from tests.factories import GrantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def jansen(personas):
    """Her daughter may read visits and budget, not (yet) the diary."""
    return jansen_client(personas)


def events(stream: str) -> list[EventRecord]:
    return list(EventRecord.objects.filter(stream=stream, type="diary.added").order_by("seq"))


def grant_diary(personas, client) -> Grant:
    daughter = NetworkMember.objects.get(client=client, account=personas.daughter)
    return GrantFactory(member=daughter, scope="diary", granted_by=personas.mrs_jansen)


def test_the_team_adds_a_note_audited_and_published_once_with_ids_only(personas, jansen):
    note = diary_services.diary_add(
        actor=personas.ana, client=jansen, body="  Wilma slept badly; Petra will call.  "
    )
    assert (note.client, note.author, note.body) == (
        jansen,
        personas.ana,
        "Wilma slept badly; Petra will call.",
    )
    for stream in (personas.noord.stream, jansen.stream("diary")):
        (event,) = events(stream)
        assert event.data == {"note": note.pk, "client": jansen.pk, "author": personas.ana.pk}
        assert event.actor_id == personas.ana.pk
        text = json.dumps(event.data)
        for words in ("Wilma", "Petra", "slept", "Ana"):
            assert words not in text
    assert not EventRecord.objects.filter(stream=jansen.stream("visits")).exists()
    (entry,) = AuditEntry.objects.filter(action="diary.added")
    assert entry.actor == personas.ana and entry.target == f"care.diarynote:{note.pk}"


def test_the_client_and_a_granted_member_may_write(personas, jansen):
    diary_services.diary_add(actor=personas.mrs_jansen, client=jansen, body="Thank you for today.")
    with pytest.raises(PermissionDenied):
        diary_services.diary_add(actor=personas.daughter, client=jansen, body="Shopping done.")
    grant = grant_diary(personas, jansen)
    diary_services.diary_add(actor=personas.daughter, client=jansen, body="Shopping done.")
    assert [n.body for n in diary_of(jansen)] == ["Shopping done.", "Thank you for today."]
    # A revoke takes the pen away at once.
    Grant.objects.filter(pk=grant.pk).update(revoked_at=grant.granted_at)
    with pytest.raises(PermissionDenied):
        diary_services.diary_add(actor=personas.daughter, client=jansen, body="Again.")


@pytest.mark.parametrize("who", ["cas", "coach", "inspector"])
def test_outsiders_are_refused_and_nothing_is_written(personas, jansen, who):
    with pytest.raises(PermissionDenied):
        diary_services.diary_add(actor=getattr(personas, who), client=jansen, body="Hello")
    assert not DiaryNote.objects.exists()
    assert not AuditEntry.objects.filter(action="diary.added").exists()
    assert not events(jansen.stream("diary"))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", "Required."),
        ("   ", "Required."),
        ("x" * 1001, "At most 1,000 characters (this has 1,001)."),
    ],
)
def test_an_empty_or_too_long_note_names_the_field_and_saves_nothing(
    personas, jansen, body, message
):
    with pytest.raises(ValidationError) as exc:
        diary_services.diary_add(actor=personas.ana, client=jansen, body=body)
    assert exc.value.message_dict == {"body": [message]}
    assert not DiaryNote.objects.exists() and not events(jansen.stream("diary"))


def test_a_note_of_exactly_1000_characters_is_kept(personas, jansen):
    note = diary_services.diary_add(actor=personas.ana, client=jansen, body="x" * 1000)
    assert len(note.body) == 1000


def test_a_note_is_never_edited_or_deleted(personas, jansen):
    note = diary_services.diary_add(actor=personas.ana, client=jansen, body="As written.")
    note.body = "Rewritten."
    with pytest.raises(ValueError, match="append-only"):
        note.save()
    with pytest.raises(ValueError, match="append-only"):
        note.delete()
    assert DiaryNote.objects.get().body == "As written."
