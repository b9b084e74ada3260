"""The help pages: the network's requests (/help/), the board's help section (ask,
answer offers, visits you help with) and the helper's view of a lent visit."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client as Browser

from care.models import AccessLogEntry, Visit, VisitGrant
from coordination.models import HelpOffer, HelpRequest
from coordination.services import help as help_services
from tests.care.visit_helpers import at
from tests.coordination.test_help import DAY, MORNING, NOTE, build

pytestmark = pytest.mark.django_db

OUTSIDERS = ["coach", "inspector", "mrs_jansen", "daughter"]


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


def test_the_help_page_lists_requests_without_saying_who_the_client_is(w):
    response = browser(w.cas).get("/help/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'data-request="{w.request.pk}"' in html
    assert "Team Noord" in html and "km away" in html and "Deventer, 7413" in html
    assert "Insulin injections" in html
    assert "Tue 8 Dec, 09:00–10:00 · 45 min" in html
    for secret in ("Jansen", "Wilma", "Ceintuurbaan", NOTE):
        assert secret not in html
    # Live: the snapshot carries the help stream's head; the list re-reads on help.*.
    assert '"help": 1' in html
    assert 'data-live-types="help."' in html


def test_offering_from_the_help_page_and_withdrawing_it(w):
    response = htmx(w.cas).post(f"/help/requests/{w.request.pk}/offer/", {"version": "1"})
    assert response.status_code == 200, response.content.decode()
    html = response.content.decode()
    assert "You offered to help team Noord" in html
    offer = HelpOffer.objects.get(request=w.request, person=w.cas)
    assert "Withdraw my offer" in html
    response = htmx(w.cas).post(f"/help/offers/{offer.pk}/withdraw/", {"version": "1"})
    assert response.status_code == 200
    offer.refresh_from_db()
    assert offer.status == "withdrawn"


def test_offering_on_your_own_teams_request_says_why_not(w):
    page = browser(w.ben).get("/help/").content.decode()
    assert "Your team asked" in page and "Offer to help" not in page
    response = htmx(w.ben).post(f"/help/requests/{w.request.pk}/offer/", {"version": "1"})
    assert response.status_code == 400
    assert help_services.OWN_REQUEST in response.content.decode()
    assert not HelpOffer.objects.exists()
    # Without JavaScript: back to the page, with the reason.
    b = browser(w.ben)
    back = b.post(f"/help/requests/{w.request.pk}/offer/", {"version": "1"})
    assert back.status_code == 302 and back.headers["Location"] == "/help/"
    assert help_services.OWN_REQUEST in b.get("/help/").content.decode()


def test_a_stale_offer_form_is_a_409_naming_what_happened(w):
    help_services.help_request_withdraw(actor=w.ana, request=w.request, version=1)
    response = htmx(w.cas).post(f"/help/requests/{w.request.pk}/offer/", {"version": "1"})
    assert response.status_code == 409
    assert "already withdrawn" in response.content.decode()


def test_the_board_asks_for_help_and_answers_offers(w):
    board = browser(w.ana).get("/teams/noord/board/", {"date": DAY}).content.decode()
    assert 'id="help-board"' in board
    assert "Ask other teams for help" in board
    assert f'name="visits" value="{w.lunch.pk}"' in board
    # Asked for already: not offered again.
    assert f'name="visits" value="{w.morning.pk}"' not in board
    assert NOTE in board  # the team reads its own note
    response = htmx(w.ana).post(
        "/teams/noord/help/", {"visits": [str(w.lunch.pk)], "skills": "Hoist"}
    )
    assert response.status_code == 200, response.content.decode()
    assert "Other teams can see your request now." in response.content.decode()
    lunch_request = HelpRequest.objects.get(visits=w.lunch)
    assert (lunch_request.team, lunch_request.raised_by, lunch_request.skills) == (
        w.noord,
        w.ana,
        "Hoist",
    )
    # Cas offers; Ben sees it on the board and accepts it.
    offer = help_services.help_offer_make(
        actor=w.cas, request=w.request, version=1, note="Free today"
    )
    part = htmx(w.ben).get("/teams/noord/help/").content.decode()
    assert f'data-help-offer="{offer.pk}"' in part
    assert "Cas Bakker" in part and "Free today" in part
    response = htmx(w.ben).post(f"/help/offers/{offer.pk}/accept/", {"version": "1"})
    assert response.status_code == 200, response.content.decode()
    html = response.content.decode()
    assert "Cas Bakker has the visits now" in html
    assert "Covered by Cas Bakker" in html
    assert Visit.objects.get(pk=w.morning.pk).assignee == w.cas


def test_asking_with_nothing_chosen_is_refused_and_saves_nothing(w):
    response = htmx(w.ana).post("/teams/noord/help/", {"skills": "Hoist"})
    assert response.status_code == 400
    assert "Choose the visits you need help with." in response.content.decode()
    assert HelpRequest.objects.count() == 1


def test_declining_and_withdrawing_from_the_board(w):
    offer = help_services.help_offer_make(actor=w.dina, request=w.request, version=1)
    response = htmx(w.ana).post(f"/help/offers/{offer.pk}/decline/", {"version": "1"})
    assert response.status_code == 200
    assert "You declined Dina Smit" in response.content.decode()
    response = htmx(w.ben).post(f"/help/requests/{w.request.pk}/withdraw/", {"version": "1"})
    assert response.status_code == 200
    assert HelpRequest.objects.get(pk=w.request.pk).status == "withdrawn"


def test_the_helper_sees_the_visits_he_helps_with_opens_one_and_does_it(w):
    offer = help_services.help_offer_make(actor=w.cas, request=w.request, version=1)
    help_services.help_offer_accept(actor=w.ana, offer=offer, version=1)
    board = browser(w.cas).get("/teams/zuid/board/", {"date": DAY}).content.decode()
    assert "Visits you are helping with" in board
    assert f'href="/help/visits/{w.morning.pk}/"' in board
    assert f'href="/help/visits/{w.evening.pk}/"' in board
    assert "for team Noord" in board
    assert "Jansen" not in board  # the list is times and teams; the name is behind the link
    assert "Visits you are helping with" in browser(w.cas).get("/help/").content.decode()
    page = browser(w.cas).get(f"/help/visits/{w.morning.pk}/").content.decode()
    assert "Helping team Noord" in page and "Wilma Jansen" in page and "0570 123456" in page
    assert 'data-action="start"' in page
    with time_machine.travel(at(DAY, "09:01"), tick=False):
        b = browser(w.cas)
        started = b.post(f"/help/visits/{w.morning.pk}/start/", {"version": "2"})
        assert started.status_code == 302
        page = b.get(started.headers["Location"]).content.decode()
        assert "Visit started." in page and 'data-action="finish"' in page
    with time_machine.travel(at(DAY, "09:48"), tick=False):
        done = b.post(
            f"/help/visits/{w.morning.pk}/finish/",
            {"version": "3", "note": "All well", "key": "k-1"},
        )
        assert done.status_code == 302 and done.headers["Location"] == "/help/"
        assert "Thank you for helping team Noord" in b.get("/help/").content.decode()
        assert Visit.objects.get(pk=w.morning.pk).status == "done"
        assert VisitGrant.objects.get(visit=w.morning).ended_at is not None
        assert b.get(f"/help/visits/{w.morning.pk}/").status_code == 404
        again = b.post(f"/help/visits/{w.morning.pk}/finish/", {"version": "4"})
        assert again.status_code == 404
    # Two reads of the visit's page (before and after starting it), both logged.
    assert AccessLogEntry.objects.filter(client=w.client, person=w.cas).count() == 2


def test_a_stale_start_form_says_so(w):
    offer = help_services.help_offer_make(actor=w.cas, request=w.request, version=1)
    help_services.help_offer_accept(actor=w.ana, offer=offer, version=1)
    b = browser(w.cas)
    response = b.post(f"/help/visits/{w.morning.pk}/start/", {"version": "1"})
    assert response.status_code == 302
    assert (
        "The visit changed since you opened it."
        in b.get(response.headers["Location"]).content.decode()
    )
    assert Visit.objects.get(pk=w.morning.pk).status == "assigned"


@pytest.mark.parametrize("who", OUTSIDERS)
def test_outsiders_get_404_from_every_help_page_and_change_nothing(w, who):
    offer = help_services.help_offer_make(actor=w.cas, request=w.request, version=1)
    help_services.help_offer_accept(actor=w.ana, offer=offer, version=1)
    b = browser(getattr(w, who))
    before = (
        list(HelpRequest.objects.values_list("pk", "status", "version")),
        list(HelpOffer.objects.values_list("pk", "status", "version")),
        list(Visit.objects.values_list("pk", "status", "version")),
        AccessLogEntry.objects.count(),
    )
    for method, path, data in [
        ("get", "/help/", {}),
        ("get", "/help/?part=list", {}),
        ("post", f"/help/requests/{w.request.pk}/offer/", {"version": "2"}),
        ("post", f"/help/requests/{w.request.pk}/withdraw/", {"version": "2"}),
        ("post", f"/help/offers/{offer.pk}/withdraw/", {"version": "2"}),
        ("post", f"/help/offers/{offer.pk}/accept/", {"version": "2"}),
        ("get", f"/help/visits/{w.morning.pk}/", {}),
        ("post", f"/help/visits/{w.morning.pk}/start/", {"version": "2"}),
        ("get", "/teams/noord/help/", {}),
        ("post", "/teams/noord/help/", {"visits": [str(w.lunch.pk)]}),
    ]:
        response = getattr(b, method)(path, data)
        assert response.status_code == 404, (path, response.status_code)
        # (Portal users' own names are on every page they see: look for the record.)
        assert "Ceintuurbaan" not in response.content.decode()
        assert "Insulin" not in response.content.decode()
    after = (
        list(HelpRequest.objects.values_list("pk", "status", "version")),
        list(HelpOffer.objects.values_list("pk", "status", "version")),
        list(Visit.objects.values_list("pk", "status", "version")),
        AccessLogEntry.objects.count(),
    )
    assert after == before


def test_another_team_cannot_use_noords_help_section(w):
    assert browser(w.cas).get("/teams/noord/help/").status_code == 404
    response = browser(w.cas).post("/teams/noord/help/", {"visits": [str(w.lunch.pk)]})
    assert response.status_code == 404
    assert (
        browser(w.dina)
        .post(f"/help/requests/{w.request.pk}/withdraw/", {"version": "1"})
        .status_code
        == 404
    )
    assert HelpRequest.objects.get(pk=w.request.pk).status == "open"
