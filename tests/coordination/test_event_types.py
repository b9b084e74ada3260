"""Event types are declared once (coordination/events/types.py and each app's
event_types.py); publish checks events against them; stream names are built once."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction

from coordination.events import Event, EventMismatch, EventRecord, publish, streams, types

pytestmark = pytest.mark.django_db

# Literal stream names here are the shapes the declared types are checked against
# ("client.7.plan" is a client's plan stream), written as clients send them.
CLAIMED = {"visit": 5, "client": 7, "version": 2, "assignee": 3, "status": "assigned"}


def test_a_declared_event_with_its_payload_is_published():
    with transaction.atomic():
        (record,) = publish(Event("visit.claimed", CLAIMED, actor=3), streams=["team.1"])
    assert (record.type, record.data) == ("visit.claimed", CLAIMED)


@pytest.mark.parametrize(
    "kind, data, stream, problem",
    [
        ("visit.clamed", CLAIMED, "team.1", "event type visit.clamed is not declared"),
        (
            "visit.claimed",
            {**CLAIMED, "note": "x"},
            "team.1",
            "visit.claimed does not declare note",
        ),
        (
            "visit.claimed",
            {"visit": 5, "client": 7, "version": 2},
            "team.1",
            "visit.claimed lacks assignee, status",
        ),
        ("visit.claimed", CLAIMED, "network", "visit.claimed does not go to network"),
        ("visit.claimed", CLAIMED, "client.7.plan", "visit.claimed does not go to client.7.plan"),
    ],
)
def test_when_strict_an_event_against_its_declaration_fails_the_write(kind, data, stream, problem):
    with pytest.raises(EventMismatch, match=problem), transaction.atomic():
        publish(Event(kind, data), streams=[stream])
    assert EventRecord.objects.count() == 0


def test_in_production_it_is_logged_and_published_all_the_same(settings, caplog):
    settings.EVENTS_STRICT = False
    with caplog.at_level(logging.WARNING, logger="kith.events"), transaction.atomic():
        (record,) = publish(Event("visit.clamed", {"visit": 5}), streams=["team.1"])
    assert record.type == "visit.clamed" and EventRecord.objects.count() == 1
    assert "event type visit.clamed is not declared" in caplog.text


def test_strict_follows_debug_unless_set(settings):
    del settings.EVENTS_STRICT
    settings.DEBUG = True
    with pytest.raises(EventMismatch), transaction.atomic():
        publish(Event("visit.clamed"), streams=["team.1"])
    settings.DEBUG = False
    with transaction.atomic():
        publish(Event("visit.clamed"), streams=["team.1"])


def test_a_type_is_declared_once():
    types.declare("visit.claimed", **_as_declared("visit.claimed"))  # the same: nothing changes
    with pytest.raises(ValueError, match="declared twice"):
        types.declare("visit.claimed", keys=("visit",), streams=("team",))


def _as_declared(name: str) -> dict:
    known = types.declared(name)
    return {
        "keys": known.keys,
        "optional": known.optional,
        "streams": known.streams,
        "words": known.words,
    }


def test_declared_words_name_only_declared_keys_and_stream_kinds_exist():
    kinds = {"team", "shared", "person", "help", "network"}
    scopes = {"client.plan", "client.visits", "client.budget", "client.diary"}
    for name, declared in types.every().items():
        assert declared.fields() <= declared.keys | declared.optional, name
        assert declared.streams <= kinds | scopes, name
        assert declared.keys.isdisjoint(declared.optional), name


def test_variants_choose_the_first_condition_that_holds():
    responded = types.declared("proposal.responded")
    assert "objected" in responded.template({"response": "objection"}, actor=True)
    assert "consented" in responded.template({"response": "consent"}, actor=True)
    generated = types.declared("visit.generated")
    assert generated.template({}, actor=False) == "Repeating visits were planned ahead"
    assert types.declared("client.created").template({}, actor=True) is None  # no words


def test_each_stream_kind_is_built_in_one_place_and_keeps_its_shape():
    # Literal names on purpose: this is the wire format the builders must keep.
    assert streams.team_stream(3) == "team.3"
    assert streams.shared_stream(3) == "shared.3"
    assert streams.client_stream(7, "visits") == "client.7.visits"
    assert streams.person_stream(9) == "person.9"
    assert (streams.HELP_STREAM, streams.NETWORK_STREAM) == ("help", "network")
    assert [streams.stream_of(k, 4, "plan") for k in ("team", "shared", "client", "person")] == [
        "team.4",
        "shared.4",
        "client.4.plan",
        "person.4",
    ]
    kinds = ["team.3", "shared.3", "client.7.visits", "person.9", "help", "network"]
    assert [streams.stream_kind(s) for s in kinds] == [
        "team",
        "shared",
        "client.visits",
        "person",
        "help",
        "network",
    ]
    assert streams.is_team_stream("team.3") and not streams.is_team_stream("teams.3")


def test_models_and_access_name_streams_through_the_builders(personas):
    from coordination import access

    team = personas.noord
    # The wire format on purpose: the model's names are the shape clients follow.
    assert (team.stream, team.shared_stream) == (f"team.{team.pk}", f"shared.{team.pk}")
    assert streams.team_stream(team.pk) in access.readable_streams(personas.ana)
    assert streams.HELP_STREAM in access.readable_streams(personas.ana)
    assert streams.person_stream(personas.ana.pk) in access.readable_streams(personas.ana)
