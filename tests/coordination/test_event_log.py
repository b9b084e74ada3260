"""The durable event log: numbering, transactions, the read API."""

from __future__ import annotations

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from coordination import events
from coordination.events import Event, EventRecord, publish

# The log's own mechanics, with made-up event types: logged, not refused (tests/conftest.py).
# Its streams are literal names of no row ("team.1"): the log takes any name it is given.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("loose_events")]


def test_sequence_numbers_start_at_one_and_have_no_gaps(captured_sends):
    for i in range(5):
        with transaction.atomic():
            publish(Event("thing.happened", {"i": i}), streams=["team.1"])
    seqs = list(EventRecord.objects.filter(stream="team.1").values_list("seq", flat=True))
    assert seqs == [1, 2, 3, 4, 5]
    assert events.head("team.1") == 5


def test_each_stream_counts_on_its_own(captured_sends):
    with transaction.atomic():
        publish(Event("a"), streams=["team.1"])
        publish(Event("b"), streams=["team.1", "team.2"])
    assert events.heads(["team.1", "team.2", "team.3"]) == {"team.1": 2, "team.2": 1, "team.3": 0}
    assert [(r.stream, r.seq, r.type) for r in EventRecord.objects.order_by("stream", "seq")] == [
        ("team.1", 1, "a"),
        ("team.1", 2, "b"),
        ("team.2", 1, "b"),
    ]


def test_rollback_sends_nothing_and_logs_nothing(captured_sends):
    with transaction.atomic():
        publish(Event("kept"), streams=["team.1"])

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        publish(Event("lost"), streams=["team.1"])
        raise Boom

    assert [m["event"] for _, m in captured_sends] == ["kept"]
    assert list(EventRecord.objects.values_list("type", flat=True)) == ["kept"]
    # The number the rolled-back event took is handed out again: still no gap.
    with transaction.atomic():
        publish(Event("next"), streams=["team.1"])
    assert list(EventRecord.objects.order_by("seq").values_list("seq", "type")) == [
        (1, "kept"),
        (2, "next"),
    ]


def test_nothing_is_sent_before_commit(captured_sends):
    with transaction.atomic():
        publish(Event("x", {"id": 7}), streams=["team.4"])
        assert captured_sends == []
    assert captured_sends == [
        (
            "s.team.4",
            {
                "type": "stream.event",
                "stream": "team.4",
                "seq": 1,
                "event": "x",
                "data": {"id": 7},
                "actor": None,
                "at": captured_sends[0][1]["at"],
            },
        )
    ]


def test_a_failing_channel_layer_loses_nothing_from_the_log(monkeypatch):
    def broken(messages):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(events, "_send_all", broken)
    with transaction.atomic():
        publish(Event("still.logged"), streams=["team.1"])
    assert events.read("team.1", after=0)[0].type == "still.logged"


def test_read_returns_events_after_a_sequence_number(captured_sends):
    for i in range(1, 8):
        with transaction.atomic():
            publish(Event("n", {"i": i}), streams=["team.1"])
    assert [r.seq for r in events.read("team.1", after=4)] == [5, 6, 7]
    assert [r.seq for r in events.read("team.1", after=0, limit=2)] == [1, 2]
    assert events.read("team.1", after=7) == []


def test_publish_needs_a_stream():
    with pytest.raises(ValueError):
        publish(Event("x"), streams=[])


class TestReadApi:
    def test_a_member_reads_their_team_stream(self, personas, captured_sends):
        stream = personas.noord.stream
        for i in range(3):
            with transaction.atomic():
                publish(Event("n", {"i": i}), streams=[stream])
        client = APIClient()
        client.force_authenticate(personas.ana)
        response = client.get(f"/api/v1/streams/{stream}/events", {"after": 1})
        assert response.status_code == 200
        body = response.json()
        assert body["head"] == 3
        assert [e["seq"] for e in body["events"]] == [2, 3]
        assert body["events"][0]["data"] == {"i": 1}
        assert body["more"] is False

    def test_pages_with_more(self, personas, captured_sends):
        stream = personas.noord.stream
        for _ in range(5):
            with transaction.atomic():
                publish(Event("n"), streams=[stream])
        client = APIClient()
        client.force_authenticate(personas.ana)
        body = client.get(f"/api/v1/streams/{stream}/events", {"after": 0, "limit": 2}).json()
        assert [e["seq"] for e in body["events"]] == [1, 2]
        assert body["more"] is True

    @pytest.mark.parametrize("who", ["outsider", "coach", "inspector", "client", "family"])
    def test_everyone_else_is_refused(self, personas, outsiders, who, captured_sends):
        with transaction.atomic():
            publish(Event("secret"), streams=[personas.noord.stream])
        client = APIClient()
        client.force_authenticate(outsiders[who])
        response = client.get(f"/api/v1/streams/{personas.noord.stream}/events")
        assert response.status_code == 403
        assert "secret" not in response.content.decode()

    def test_anonymous_is_refused(self, personas):
        response = APIClient().get(f"/api/v1/streams/{personas.noord.stream}/events")
        assert response.status_code == 401

    def test_bad_query_is_a_400_with_fields(self, personas):
        client = APIClient()
        client.force_authenticate(personas.ana)
        response = client.get(f"/api/v1/streams/{personas.noord.stream}/events", {"after": "x"})
        assert response.status_code == 400
        assert "after" in response.json()["extra"]["fields"]


def test_the_live_message_carries_the_clients_json_written_once(monkeypatch):
    """The channel layer carries the position and the text each socket sends as is."""
    import json

    raw = []
    monkeypatch.setattr(events, "_send_all", raw.extend)
    with transaction.atomic():
        publish(Event("x", {"id": 7}, actor=3), streams=["team.4", "team.2"])
    assert [(group, sorted(m)) for group, m in raw] == [
        ("s.team.2", ["seq", "stream", "text", "type"]),
        ("s.team.4", ["seq", "stream", "text", "type"]),
    ]
    for group, message in raw:
        sent = json.loads(message["text"])
        assert sent == {
            "type": "event",
            "stream": message["stream"],
            "seq": 1,
            "event": "x",
            "data": {"id": 7},
            "actor": 3,
            "at": sent["at"],
        }
        assert group == f"s.{message['stream']}"


def test_an_event_in_two_streams_rings_both_in_one_hop(monkeypatch):
    """A service's worker thread waits for each hop to the event loop: the event of
    a write (the team's stream and the client's) rings its groups in one."""
    calls = []
    monkeypatch.setattr(events, "_send_all", lambda messages: calls.append(list(messages)))
    with transaction.atomic():
        publish(Event("x"), streams=["team.4", "client.9.visits"])
        publish(Event("y"), streams=["team.4"])
    assert [[group for group, _ in call] for call in calls] == [
        ["s.client.9.visits", "s.team.4"],
        ["s.team.4"],
    ]


def test_one_failing_group_send_still_sends_the_others_then_raises(monkeypatch):
    import channels.layers

    sent = []

    class Layer:
        async def group_send(self, group, message):
            if group == "down":
                raise ConnectionError("redis is down")
            sent.append(group)

    monkeypatch.setattr(channels.layers, "get_channel_layer", lambda: Layer())
    with pytest.raises(ConnectionError):
        events._send_all([("down", {}), ("up", {})])
    assert sent == ["up"]
