"""Overlaps on the board page: a visit of yours that clashes with another of yours is
marked; taking a clashing visit or accepting a clashing handover shows the clash
beside the form with a "Take it anyway" box, and taking it with the box ticked goes
ahead. With and without JavaScript (htmx)."""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext

from care.models import Visit
from coordination.events import EventRecord
from coordination.models import HandoverOffer
from tests.care.visit_helpers import at, plan
from tests.coordination.board.world import DAY, MORNING, build

pytestmark = pytest.mark.django_db

BOARD = "/teams/noord/board/"
CLASH_0910 = "It clashes with your visit at 09:10–10:10 on Tue 8 Dec (45 minutes)."


@pytest.fixture
def w(personas):
    """Noord's Tuesday (``world.build``), and Ben has a visit at 09:10: the open 09:00
    clashes with it; Ana's 11:00, offered to Ben, clashes with his new 11:10."""
    with time_machine.travel(MORNING, tick=False):
        w = build(personas)
        w.ben_0910 = plan(w.ana, w.client, at(DAY, "09:10"), assignee=w.ben)
        w.ben_1110 = plan(w.ana, w.client, at(DAY, "11:10"), assignee=w.ben)
        yield w


def browser(person, *, js: bool = True) -> Browser:
    b = Browser()
    b.force_login(person)
    if js:
        b.defaults["HTTP_HX_REQUEST"] = "true"
    return b


def claim(person, w, *, js: bool = True, **more):
    with time_machine.travel(MORNING, tick=False):
        return browser(person, js=js).post(
            f"{BOARD}visits/{w.open.pk}/claim/", {"version": 1, "date": DAY, **more}
        )


def test_the_board_marks_your_visits_that_clash_with_another_of_yours(w):
    html = browser(w.ben, js=False).get(BOARD, {"date": DAY}).content.decode()
    assert "data-clash" not in html  # 09:10, 11:10 and 14:00 fit (Ana still has 11:00)
    with time_machine.travel(MORNING, tick=False):
        plan(w.ana, w.client, at(DAY, "14:10"), assignee=w.ben)
    html = browser(w.ben, js=False).get(BOARD, {"date": DAY}).content.decode()
    assert html.count("data-clash") == 2
    assert "Clashes with your 14:10 visit" in html
    assert "Clashes with your 14:00 visit" in html
    # Only the reader's own: Ana's board marks none of Ben's.
    assert "Clashes with" not in browser(w.ana, js=False).get(BOARD, {"date": DAY}).content.decode()


def test_marking_clashes_keeps_the_boards_query_count(w):
    b = browser(w.ben)

    def count() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as queries:
            html = b.get(BOARD, {"date": DAY, "part": "board"}).content.decode()
        return len(queries), html.count("Clashes with your")

    few, marked = count()
    with time_machine.travel(MORNING, tick=False):
        for i in range(10):
            plan(w.ana, w.client, at(DAY, f"{15 + i % 5:02d}:{10 + i:02d}"), assignee=w.ben)
    more, now_marked = count()
    assert more == few
    assert now_marked > marked


def test_taking_a_clashing_visit_shows_the_clash_and_the_box_and_takes_nothing(w):
    before = EventRecord.objects.count()
    response = claim(w.ben, w)
    assert response.status_code == 400
    html = response.content.decode()
    assert CLASH_0910 in html
    assert f'id="overlap-visit-{w.open.pk}"' in html
    assert 'name="confirm_overlap"' in html and "Take it anyway" in html
    assert Visit.objects.get(pk=w.open.pk).assignee_id is None
    assert EventRecord.objects.count() == before


def test_taking_it_anyway_with_the_box_ticked_takes_it(w):
    response = claim(w.ben, w, confirm_overlap="on")
    assert response.status_code == 200, response.content.decode()
    assert "You have the visit to Wilma Jansen at 09:00." in response.content.decode()
    assert Visit.objects.get(pk=w.open.pk).assignee_id == w.ben.pk


def test_without_javascript_the_refusal_is_the_board_page_with_the_box(w):
    response = claim(w.ben, w, js=False)
    assert response.status_code == 400
    html = response.content.decode()
    assert "<html" in html and CLASH_0910 in html
    assert f'id="overlap-visit-{w.open.pk}-confirm"' in html
    assert Visit.objects.get(pk=w.open.pk).assignee_id is None


def test_a_visit_that_fits_is_taken_without_a_box(w):
    response = claim(w.ana, w)
    assert response.status_code == 200
    assert "data-overlap" not in response.content.decode()


def test_accepting_a_clashing_handover_shows_the_box_then_accepts_with_it(w):
    path = f"{BOARD}offers/{w.offer.pk}/accept/"
    with time_machine.travel(MORNING, tick=False):
        refused = browser(w.ben).post(path, {"version": 1, "date": DAY})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "It clashes with your visit at 11:10–12:10 on Tue 8 Dec (45 minutes)." in html
    assert f'id="overlap-offer-{w.offer.pk}"' in html
    assert HandoverOffer.objects.get(pk=w.offer.pk).status == "offered"
    with time_machine.travel(MORNING, tick=False):
        taken = browser(w.ben).post(path, {"version": 1, "date": DAY, "confirm_overlap": "on"})
    assert taken.status_code == 200, taken.content.decode()
    assert Visit.objects.get(pk=w.anas.pk).assignee_id == w.ben.pk
