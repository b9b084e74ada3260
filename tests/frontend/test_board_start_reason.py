"""Starting a visit from the board far outside its window asks why, and the board's
start form can say it; the help page and the helper's API can too."""

from __future__ import annotations

import pytest
import time_machine

from care.models import Visit
from care.services import visits as visit_services
from tests.care.visit_helpers import at, jansen_client, plan
from tests.doors import api, pages

pytestmark = pytest.mark.django_db

DAY = "2026-12-08"


@pytest.fixture
def w(personas):
    with time_machine.travel(at(DAY, "07:00"), tick=False):
        w = personas
        w.client = jansen_client(w)
        w.visit = plan(w.ana, w.client, at(DAY, "08:00"), 45, assignee=w.ana)
        yield w


def test_the_board_asks_why_and_takes_the_reason(w):
    url = f"/teams/noord/board/visits/{w.visit.pk}/start/"
    with time_machine.travel(at(DAY, "14:00"), tick=False):
        board = pages(w.ana).get(f"/teams/noord/board/?date={DAY}").content.decode()
        assert f'id="start-reason-{w.visit.pk}" name="reason"' in board
        refused = pages(w.ana).post(url, {"version": "1", "date": DAY})
        assert refused.status_code == 400 and "needs a reason" in refused.content.decode()
        sent = {"version": "1", "date": DAY, "reason": "Hospital appointment ran over"}
        assert pages(w.ana).post(url, sent).status_code == 200
    assert Visit.objects.get(pk=w.visit.pk).start_note == "Hospital appointment ran over"


def test_a_helper_says_why_through_the_api(w):
    open_visit = plan(w.ana, w.client, at(DAY, "09:00"), 30)
    with time_machine.travel(at(DAY, "07:30"), tick=False):
        visit_services.visit_lend(
            actor=w.ana,
            visit=open_visit,
            helper=w.cas,
            version=open_visit.version,
            expires_at=at(DAY, "20:00"),
            reason="help request 1",
        )
    url = f"/api/v1/granted-visits/{open_visit.pk}/start"
    with time_machine.travel(at(DAY, "13:00"), tick=False):
        refused = api(w.cas).post(url, {}, format="json", headers={"If-Match": "2"})
        assert refused.status_code == 400, refused.json()
        assert "reason" in refused.json()["extra"]["fields"]
        sent = {"reason": "The family asked for after lunch"}
        response = api(w.cas).post(url, sent, format="json", headers={"If-Match": "2"})
    assert response.status_code == 200, response.json()
