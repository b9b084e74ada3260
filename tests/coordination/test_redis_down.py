"""With Redis unreachable Kith degrades: pages render without who is online and say so,
and every write commits, its events kept in the log for sockets to heal from.

Redis is "down" here by pointing REDIS_URL and the channel layer at a port nothing
listens on (the ``redis_down`` fixture), so these run on every backend and never touch
the machine's Redis.
"""

from __future__ import annotations

import logging

import pytest
import time_machine
from django.test import Client as Browser

from care.models import Visit
from coordination import presence
from coordination.events import EventRecord
from coordination.events.streams import person_stream
from coordination.notifications.models import Notification
from tests.care.visit_helpers import at
from tests.coordination.board.world import DAY, MORNING, build
from tests.doors import api

UNAVAILABLE = "Who is around is unavailable just now"


@pytest.fixture
def w(personas, redis_down):
    with time_machine.travel(MORNING, tick=False):
        w = build(personas)
        # Ben is on his 14:00 visit already (started early), so the page has someone
        # "around" that the database alone can tell.
        Visit.objects.filter(pk=w.bens.pk).update(
            status=Visit.Status.IN_PROGRESS, actual_start=at(DAY, "07:20")
        )
        yield w


def browser(person, htmx: bool = False) -> Browser:
    b = Browser()
    b.force_login(person)
    if htmx:
        b.defaults["HTTP_HX_REQUEST"] = "true"
    return b


# --- pages render without presence ---------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/teams/noord/board/", "/teams/noord/", "/teams/noord/sections/around/"],
    ids=["board", "team home", "team section"],
)
def test_team_pages_render_without_presence_and_say_so(w, url, caplog):
    with caplog.at_level(logging.WARNING, logger="kith.presence"):
        response = browser(w.ana).get(url, {"date": DAY})
    assert response.status_code == 200
    html = response.content.decode()
    assert UNAVAILABLE in html
    assert "online unknown" in html
    # Who is on a visit comes from the database: still shown.
    assert "on a visit to Wilma Jansen" in html
    # Nobody is called offline when nobody can tell.
    assert "Offline:" not in html
    assert any("who is online is unavailable" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db
def test_the_rest_of_the_board_works_without_presence(w):
    html = browser(w.ben).get("/teams/noord/board/", {"date": DAY}).content.decode()
    assert f'data-visit="{w.open.pk}"' in html  # the open visit, to claim
    assert f'data-offer="{w.offer.pk}"' in html  # Ana's offer to Ben
    # The board's own live refresh (htmx) and the around section's.
    part = browser(w.ben, htmx=True).get("/teams/noord/board/", {"date": DAY, "part": "board"})
    assert part.status_code == 200 and f'data-visit="{w.open.pk}"' in part.content.decode()
    around = browser(w.ben, htmx=True).get("/teams/noord/board/", {"part": "around"})
    assert around.status_code == 200 and UNAVAILABLE in around.content.decode()


@pytest.mark.django_db
def test_with_redis_up_nothing_says_unavailable(personas, monkeypatch):
    """The notice is about Redis only: with presence readable, the count shows."""
    monkeypatch.setattr(presence, "online", lambda ids: {personas.ana.pk} & set(ids))
    html = browser(personas.ana).get("/teams/noord/").content.decode()
    assert "1 online" in html
    assert UNAVAILABLE not in html


# --- writes commit; their events wait in the log -----------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_api_write_commits_when_its_event_cannot_be_rung(w, caplog):
    with caplog.at_level(logging.WARNING, logger="kith"):
        response = api(w.ben).post(
            f"/api/v1/visits/{w.open.pk}/claim", {}, format="json", headers={"If-Match": '"1"'}
        )
    assert response.status_code == 200, response.content
    w.open.refresh_from_db()
    assert (w.open.assignee_id, w.open.status) == (w.ben.pk, Visit.Status.ASSIGNED)
    # The event is in the log (sockets catch up from it) although the ring failed.
    claimed = EventRecord.objects.filter(stream=w.noord.stream, type="visit.claimed")
    assert claimed.count() == 1
    assert any("live delivery failed" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_a_page_write_commits_and_notifies_when_rings_fail(w):
    """Ana offers Ben her spare visit from the board page: the offer, its notification
    and both their events are kept, and the page answers as usual."""
    response = browser(w.ana).post(
        f"/teams/noord/board/visits/{w.spare.pk}/offer/",
        {"version": w.spare.version, "to": w.ben.pk, "date": DAY},
    )
    assert response.status_code == 302
    assert w.spare.handover_offers.filter(to_person=w.ben, status="offered").exists()
    assert Notification.objects.filter(person=w.ben, kind="handover_offered").exists()
    assert EventRecord.objects.filter(stream=person_stream(w.ben.pk)).exists()
    # The next page still loads, and says what it cannot show.
    assert UNAVAILABLE in browser(w.ben).get("/teams/noord/board/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_notifications_read_through_the_api_when_rings_fail(w):
    notification = Notification.objects.filter(person=w.ben).first()
    assert notification is not None  # Ana's offer of her 11:00 (build)
    response = api(w.ben).post(f"/api/v1/notifications/{notification.pk}/read", {}, format="json")
    assert response.status_code == 200, response.content
    notification.refresh_from_db()
    assert notification.read_at is not None
