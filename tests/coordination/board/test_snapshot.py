"""The board's snapshot: what it shows, its shape, its query count, bad queries."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from care.models import Visit
from care.services import visits as visit_services
from coordination import events, selectors
from coordination.events import EventRecord
from coordination.models import HandoverOffer
from tests.care.visit_helpers import at, plan
from tests.coordination.board.world import (
    API,
    DAY,
    fields,
)
from tests.doors import api

pytestmark = pytest.mark.django_db


# --- the board ----------------------------------------------------------------------------


def test_the_board_shows_the_teams_day_with_carers_lateness_and_open_offers(w):
    visit_services.visit_running_late(
        actor=w.ben, visit=w.bens, version=1, until=at(DAY, "14:20"), note="Dentist"
    )
    plan(w.ana, w.client, at("2026-12-09", "09:00"))  # tomorrow: not on a one-day board
    response = api(w.ana).get(f"{API}/teams/{w.noord.pk}/board?date={DAY}")
    assert response.status_code == 200
    body = response.json()
    assert (body["team"], body["start"], body["end"], body["days"]) == (w.noord.pk, DAY, DAY, 1)
    assert body["stream"] == w.noord.stream
    assert body["seq"] == events.head(w.noord.stream)
    rows = {row["id"]: row for row in body["visits"]}
    assert list(rows) == [w.open.pk, w.anas.pk, w.bens.pk, w.spare.pk]  # in time order
    assert rows[w.open.pk]["assignee"] is None
    assert rows[w.open.pk]["client_name"] == "Wilma Jansen"
    assert rows[w.anas.pk]["assignee"] == {"id": w.ana.pk, "name": "Ana de Vries"}
    assert rows[w.bens.pk]["late"] is True
    assert rows[w.bens.pk]["late_until"] == at(DAY, "14:20").isoformat().replace("+00:00", "Z")
    assert rows[w.bens.pk]["late_note"] == "Dentist"
    assert rows[w.bens.pk]["version"] == 2
    assert not rows[w.open.pk]["late"]
    (offer,) = rows[w.anas.pk]["offers"]
    assert offer["id"] == w.offer.pk
    assert (offer["kind"], offer["status"], offer["version"]) == ("handover", "offered", 1)
    assert offer["from_person"]["name"] == "Ana de Vries"
    assert offer["to_person"]["name"] == "Ben Mulder"
    assert rows[w.spare.pk]["offers"] == []
    assert w.zuid_visit.pk not in rows


def test_the_written_out_board_row_is_what_the_declared_fields_give(w):
    """BoardVisitOut.to_representation is written out for speed: for visits in every
    state (unassigned, assigned, late, started, done, with an offer, with none) it
    gives exactly what DRF's walk over the declared fields gives."""
    from rest_framework import serializers

    from coordination.api.visits import BoardVisitOut

    visit_services.visit_running_late(
        actor=w.ben, visit=w.bens, version=1, until=at(DAY, "14:20"), note="Dentist"
    )
    with time_machine.travel(at(DAY, "17:00"), tick=False):
        started = visit_services.visit_start(
            actor=w.ana, visit=w.spare, version=1, at=at(DAY, "16:05")
        )
        visit_services.visit_finish(
            actor=w.ana, visit=started, version=started.version, actual_end=at(DAY, "16:50")
        )
    board = selectors.board(w.noord, datetime.date.fromisoformat(DAY))
    statuses = {v.status for v in board.visits}
    assert {"planned", "assigned", "done"} <= statuses
    assert any(v.open_offers for v in board.visits)
    assert any(not v.open_offers for v in board.visits)
    assert any(v.late_until for v in board.visits)
    out = BoardVisitOut()
    for visit in board.visits:
        walked = serializers.Serializer.to_representation(out, visit)
        assert out.to_representation(visit) == dict(walked), visit.pk


def test_the_board_reads_rows_that_show_as_the_visits_do(w):
    """The board reads its visits as values, not model instances (``BoardVisit``): each
    row says and names exactly what the visit read as a model says, whatever names a
    person or client has (preferred, full, only a username)."""
    from coordination.api.visits import BoardVisitOut

    w.ana.preferred_name, w.ana.first_name, w.ana.last_name = "", "", ""
    w.ana.save()  # named by username alone
    w.ben.preferred_name = "Benny"
    w.ben.save()
    w.client.preferred_name = "Mies"
    w.client.save()
    board = selectors.board(w.noord, datetime.date.fromisoformat(DAY))
    assert {v.pk for v in board.visits} == {w.open.pk, w.anas.pk, w.bens.pk, w.spare.pk}
    out = BoardVisitOut()
    for row in board.visits:
        model = selectors.board_visit(row.pk)
        assert out.to_representation(row) == out.to_representation(model), row.pk
        assert row.get_status_display() == model.get_status_display()
        assert (row.id, row.client_id, row.assignee_id) == (
            model.id,
            model.client_id,
            model.assignee_id,
        )
        assert row.tasks == model.tasks
    names = {v.pk: v.assignee and v.assignee.display_name for v in board.visits}
    assert names[w.anas.pk] == w.ana.username
    assert names[w.bens.pk] == "Benny"
    assert names[w.open.pk] is None
    assert board.visits[0].client.display_name == "Mies " + w.client.last_name


def test_the_board_takes_up_to_a_week_from_today_by_default(w):
    plan(w.ana, w.client, at("2026-12-14", "09:00"))  # the 7th day from the 8th
    plan(w.ana, w.client, at("2026-12-15", "09:00"))  # the 8th: not shown
    week = api(w.ana).get(f"{API}/teams/{w.noord.pk}/board?days=7").json()
    assert (week["start"], week["end"]) == (DAY, "2026-12-14")
    assert len(week["visits"]) == 5
    assert len(api(w.ana).get(f"{API}/teams/{w.noord.pk}/board").json()["visits"]) == 4


@pytest.mark.parametrize(
    ("query", "field"),
    [("days=0", "days"), ("days=8", "days"), ("days=a", "days"), ("date=2026-13-01", "date")],
)
def test_a_bad_board_query_is_400_naming_the_field(w, query, field):
    response = api(w.ana).get(f"{API}/teams/{w.noord.pk}/board?{query}")
    assert response.status_code == 400
    assert field in fields(response)


def _many_visits(w, count: int) -> None:
    """``count`` more visits on the day, alternately Ana's and Ben's, every third with an
    open offer, through the tables (the services' cost is not what is measured)."""
    start = at(DAY, "06:00")
    visits = Visit.objects.bulk_create(
        [
            Visit(
                client=w.client,
                window_start=start + datetime.timedelta(minutes=i),
                window_end=start + datetime.timedelta(minutes=i + 60),
                expected_minutes=30,
                assignee=(w.ana, w.ben)[i % 2],
                status=Visit.Status.ASSIGNED,
            )
            for i in range(count)
        ]
    )
    HandoverOffer.objects.bulk_create(
        [
            HandoverOffer(
                visit=v,
                from_person=v.assignee,
                to_person=w.ben if v.assignee == w.ana else w.ana,
                visit_version=v.version,
            )
            for v in visits[::3]
        ]
    )


def test_the_board_reads_in_three_queries_however_many_visits(w):
    counts = []
    for total in (5, 50):
        HandoverOffer.objects.filter(visit__window_start__lt=at(DAY, "08:00")).delete()
        Visit.objects.filter(window_start__lt=at(DAY, "08:00")).delete()
        _many_visits(w, total - 4)
        with CaptureQueriesContext(connection) as selector_queries:
            snapshot_ = selectors.board(w.noord, datetime.date(2026, 12, 8), 1)
            shown = [(v.client.display_name, v.assignee, v.open_offers) for v in snapshot_.visits]
            names = [
                (o.from_person.display_name, o.to_person.display_name)
                for _client, _carer, offers in shown
                for o in offers
            ]
        assert len(snapshot_.visits) == total
        assert names  # the offers were read, with both people
        assert len(selector_queries) <= 3
        with CaptureQueriesContext(connection) as api_queries:
            response = api(w.ana).get(f"{API}/teams/{w.noord.pk}/board?date={DAY}")
        assert len(response.json()["visits"]) == total
        counts.append((len(selector_queries), len(api_queries)))
    assert counts[0] == counts[1], counts


def test_the_team_with_its_head_then_the_visits_two_queries_when_no_offer_is_open(w):
    w_head = EventRecord.objects.filter(stream=w.noord.stream).count()
    for total in (5, 50):
        HandoverOffer.objects.all().delete()
        Visit.objects.filter(window_start__lt=at(DAY, "08:00")).delete()
        _many_visits(w, total - 4)
        HandoverOffer.objects.all().delete()  # _many_visits offers some: none open here
        with CaptureQueriesContext(connection) as queries:
            team = selectors.board_team(w.ana, pk=w.noord.pk)
            snapshot_ = selectors.board(team, datetime.date(2026, 12, 8), 1)
            shown = [(v.client.display_name, v.assignee, v.open_offers) for v in snapshot_.visits]
        assert len(shown) == total
        assert all(offers == [] for _client, _carer, offers in shown)
        assert snapshot_.seq == w_head  # the head came with the team
        assert len(queries) == 2, [q["sql"] for q in queries.captured_queries]
    # Someone else's team, or a team that does not exist: nothing, in one query.
    assert selectors.board_team(w.cas, pk=w.noord.pk) is None
    assert selectors.board_team(w.ana, pk=999_999) is None
