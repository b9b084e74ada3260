"""The board page: what each member sees and can do, lost races, who may open it."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

import pytest
import time_machine
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext

from care.models import Visit
from coordination.models import HandoverOffer
from tests.care.visit_helpers import at, plan
from tests.coordination.board.world import DAY, MORNING, build

pytestmark = pytest.mark.django_db

BOARD = "/teams/noord/board/"


@pytest.fixture
def w(personas):
    with time_machine.travel(MORNING, tick=False):
        yield build(personas)


def browser(person) -> Browser:
    b = Browser()
    b.force_login(person)
    return b


def htmx(person) -> Browser:
    b = browser(person)
    b.defaults["HTTP_HX_REQUEST"] = "true"
    return b


def test_the_day_shows_what_is_open_each_members_visits_and_offers(w):
    html = browser(w.ben).get(BOARD, {"date": DAY}).content.decode()
    assert "Board: Tuesday 8 December" in html
    # Not taken yet: the 09:00; Ben's own lane; Ana's lane with her two.
    assert html.count('data-action="claim"') == 1
    assert f'data-visit="{w.open.pk}"' in html
    assert "Your visits" in html
    # Ana offered Ben her 11:00: he can accept or decline it.
    assert f'data-offer="{w.offer.pk}"' in html
    assert "offers you the visit to Wilma Jansen at 11:00" in html
    # The snapshot carries the head the socket resumes from, and asks for presence.
    assert f'"{w.noord.stream}": ' in html
    assert "data-live-presence" in html
    # Zuid's visit is not on Noord's board.
    assert f'data-visit="{w.zuid_visit.pk}"' not in html


def test_the_week_view_lists_each_day(w):
    html = browser(w.ana).get(BOARD, {"date": DAY, "view": "week"}).content.decode()
    assert "Board: week of 7 Dec" in html
    assert "Monday 7 Dec" in html and "Sunday 13 Dec" in html
    assert 'Tuesday 8 Dec <span class="count">4</span>' in html


def test_taking_a_visit_from_the_board(w):
    with time_machine.travel(MORNING, tick=False):
        response = htmx(w.ben).post(
            f"{BOARD}visits/{w.open.pk}/claim/", {"version": w.open.version, "date": DAY}
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert "You have the visit to Wilma Jansen at 09:00." in html
    w.open.refresh_from_db()
    assert (w.open.assignee, w.open.status) == (w.ben, Visit.Status.ASSIGNED)
    assert 'data-action="claim"' not in html


def test_the_loser_of_a_race_is_told_who_has_the_visit(w):
    with time_machine.travel(MORNING, tick=False):
        assert (
            htmx(w.ana)
            .post(f"{BOARD}visits/{w.open.pk}/claim/", {"version": 1, "date": DAY})
            .status_code
            == 200
        )
        # Ben's board still showed it open (version 1).
        response = htmx(w.ben).post(
            f"{BOARD}visits/{w.open.pk}/claim/", {"version": 1, "date": DAY}
        )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Wilma Jansen, 09:00: Ana de Vries has already taken this visit" in html
    assert 'role="alert"' in html
    w.open.refresh_from_db()
    assert w.open.assignee == w.ana


def test_without_javascript_an_action_goes_back_to_the_board_with_its_message(w):
    with time_machine.travel(MORNING, tick=False):
        b = browser(w.ben)
        response = b.post(f"{BOARD}visits/{w.open.pk}/claim/", {"version": 1, "date": DAY})
        assert response.status_code == 302
        assert response.headers["Location"] == f"{BOARD}?date={DAY}"
        page = b.get(response.headers["Location"]).content.decode()
    assert "You have the visit to Wilma Jansen at 09:00." in page


def test_start_late_offer_accept_and_finish_from_the_board(w):
    with time_machine.travel(at(DAY, "08:00"), tick=False):
        ana = htmx(w.ana)
        r = ana.post(f"{BOARD}visits/{w.spare.pk}/late/", {"version": 1, "minutes": "30"})
        assert r.status_code == 200, r.content.decode()
        w.spare.refresh_from_db()
        assert w.spare.late_until == at(DAY, "16:30")
        assert "Running late" in r.content.decode()
        # Ben accepts the 11:00 Ana offered him.
        r = htmx(w.ben).post(f"{BOARD}offers/{w.offer.pk}/accept/", {"version": w.offer.version})
        assert r.status_code == 200, r.content.decode()
        w.anas.refresh_from_db()
        assert w.anas.assignee == w.ben
    with time_machine.travel(at(DAY, "14:05"), tick=False):
        ben = htmx(w.ben)
        r = ben.post(f"{BOARD}visits/{w.bens.pk}/start/", {"version": w.bens.version, "date": DAY})
        assert r.status_code == 200
        w.bens.refresh_from_db()
        assert w.bens.status == Visit.Status.IN_PROGRESS
    with time_machine.travel(at(DAY, "14:40"), tick=False):
        # "Finish…" opens the record sheet above the board, and it comes back to the board.
        board = r.content.decode()
        back = f"{BOARD}?date={DAY}"
        sheet_url = f"/day/visits/{w.bens.pk}/done/?back={quote(back, safe='')}"
        assert f'hx-get="{html.escape(sheet_url)}" hx-target="#sheet-slot"' in board
        assert "/finish/" not in board
        sheet = ben.get(sheet_url).content.decode()
        assert f'name="back" value="{html.escape(back)}"' in sheet
        assert re.search(rf'name="actual_start"[^>]* value="{DAY}T14:05"', sheet)  # as started
        key = re.search(r'name="idempotency_key" value="([^"]+)"', sheet).group(1)
        body = {
            "version": w.bens.version,
            "idempotency_key": key,
            "actual_start": f"{DAY}T14:05",
            "actual_end": f"{DAY}T14:35",  # she left at 14:35, recorded at 14:40
            "done": "Dressing changed",
            "back": back,
        }
        r = ben.post(f"/day/visits/{w.bens.pk}/done/", body)
        assert r.status_code == 200 and r["HX-Redirect"] == back
        # The same sheet sent twice (a double tap) records once.
        again = ben.post(f"/day/visits/{w.bens.pk}/done/", body)
        assert again.status_code == 200 and again["HX-Redirect"] == back
    w.bens.refresh_from_db()
    assert (w.bens.status, w.bens.done_note) == (Visit.Status.DONE, "Dressing changed")
    assert w.bens.actual_end == at(DAY, "14:35")  # the real time, not the tap's


def test_the_sheet_goes_back_only_to_a_page_of_this_site(w):
    with time_machine.travel(at(DAY, "14:05"), tick=False):
        ben = browser(w.ben)
        for odd in ("https://evil.example/", "//evil.example/", "javascript:alert(1)", ""):
            sheet = ben.get(f"/day/visits/{w.bens.pk}/done/", {"back": odd}).content.decode()
            assert 'name="back" value="/day/"' in sheet, odd


def test_offering_to_someone_outside_the_team_is_refused_at_the_field(w):
    with time_machine.travel(MORNING, tick=False):
        r = htmx(w.ana).post(
            f"{BOARD}visits/{w.spare.pk}/offer/", {"version": 1, "to": str(w.cas.pk)}
        )
    assert r.status_code == 400
    assert "Only a current member of the team." in r.content.decode()
    assert not HandoverOffer.objects.filter(visit=w.spare).exists()


def test_a_swap_offer_from_the_board(w):
    with time_machine.travel(MORNING, tick=False):
        r = htmx(w.ana).post(
            f"{BOARD}visits/{w.spare.pk}/swap/",
            {"version": 1, "swap": f"{w.bens.pk}:{w.bens.version}", "date": DAY},
        )
    assert r.status_code == 200, r.content.decode()
    offer = HandoverOffer.objects.get(visit=w.spare)
    assert (offer.kind, offer.to_person, offer.swap_visit) == ("swap", w.ben, w.bens)
    html = browser(w.ben).get(BOARD, {"date": DAY}).content.decode()
    assert "asks to swap" in html


@pytest.mark.parametrize("who", ["cas", "coach", "inspector", "mrs_jansen", "daughter"])
def test_everyone_outside_the_team_gets_404_and_changes_nothing(w, who):
    person = getattr(w, who)
    b = browser(person)
    assert b.get(BOARD).status_code == 404
    assert b.get(BOARD, {"part": "board"}).status_code == 404
    for action in ["claim", "start", "finish", "late", "offer", "swap"]:
        r = b.post(f"{BOARD}visits/{w.open.pk}/{action}/", {"version": 1, "to": w.ben.pk})
        assert r.status_code == 404
    for action in ["accept", "decline", "withdraw"]:
        assert b.post(f"{BOARD}offers/{w.offer.pk}/{action}/", {"version": 1}).status_code == 404
    w.open.refresh_from_db()
    assert w.open.assignee is None
    assert HandoverOffer.objects.get(pk=w.offer.pk).status == "offered"


def test_another_teams_visit_is_not_on_this_board(w):
    r = browser(w.ana).post(f"{BOARD}visits/{w.zuid_visit.pk}/claim/", {"version": 1})
    assert r.status_code == 404


def test_the_board_section_keeps_its_query_count_as_visits_grow(w):
    b = htmx(w.ana)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert b.get(BOARD, {"date": DAY, "part": "board"}).status_code == 200
        return len(queries)

    few = count()
    for i in range(20):
        plan(w.ana, w.client, at(DAY, f"{8 + i % 10:02d}:{10 + i:02d}"), assignee=w.ben)
    assert count() == few
