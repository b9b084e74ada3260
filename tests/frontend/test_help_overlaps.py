"""Overlaps on the help pages: offering help for visits that clash with one the
helper holds shows the clash beside the offer form with a "Take it anyway" box, and
the asking team accepting an offer from a helper who took a clashing visit since sees
the same beside the offer on its board; ticked, each goes ahead."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client as Browser
from django.utils.html import escape

from care.models import Client, Visit
from coordination.models import HelpOffer
from coordination.services import help as help_services
from tests.care.visit_helpers import at, plan
from tests.coordination.test_help import DAY, MORNING, build
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

CLASH = "It clashes with your visit at 09:10–10:10 on Tue 8 Dec (45 minutes)."
CAS_CLASH = "It clashes with Cas Bakker's visit at 09:10–10:10 on Tue 8 Dec (45 minutes)."


@pytest.fixture
def w(personas):
    """Noord asks for help with its 09:00 and 18:00 (``test_help.build``)."""
    with time_machine.travel(MORNING, tick=False):
        w = build(personas)
        w.zuid_client = ClientFactory(
            team=w.zuid, first_name="Jan", last_name="Bos", status=Client.Status.ACTIVE
        )
        yield w


def cas_takes_a_0910(w) -> Visit:
    with time_machine.travel(MORNING, tick=False):
        return plan(w.cas, w.zuid_client, at(DAY, "09:10"), assignee=w.cas)


def browser(person, *, js: bool = True) -> Browser:
    b = Browser()
    b.force_login(person)
    if js:
        b.defaults["HTTP_HX_REQUEST"] = "true"
    return b


def offer(w, *, js: bool = True, **more):
    with time_machine.travel(MORNING, tick=False):
        return browser(w.cas, js=js).post(
            f"/help/requests/{w.request.pk}/offer/", {"version": "1", "note": "Me", **more}
        )


@pytest.mark.parametrize("js", [True, False])
def test_offering_help_that_clashes_shows_the_clash_and_the_box_and_offers_nothing(w, js):
    cas_takes_a_0910(w)
    response = offer(w, js=js)
    assert response.status_code == 400
    html = response.content.decode()
    assert CLASH in html
    assert f'id="overlap-request-{w.request.pk}-confirm"' in html
    assert 'value="Me"' in html  # what was typed stays
    assert "Bos" not in html
    assert not HelpOffer.objects.filter(person=w.cas).exists()


def test_offering_help_anyway_with_the_box_ticked_offers(w):
    cas_takes_a_0910(w)
    response = offer(w, confirm_overlap="on")
    assert response.status_code == 200, response.content.decode()
    assert HelpOffer.objects.filter(person=w.cas, status="offered").count() == 1


@pytest.mark.parametrize("js", [True, False])
def test_accepting_help_from_a_helper_who_took_a_clashing_visit_since_shows_the_box(w, js):
    with time_machine.travel(MORNING, tick=False):
        made = help_services.help_offer_make(actor=w.cas, request=w.request, version=1)
    cas_takes_a_0910(w)
    path = f"/help/offers/{made.pk}/accept/"
    with time_machine.travel(MORNING, tick=False):
        refused = browser(w.ana, js=js).post(path, {"version": "1"})
    assert refused.status_code == 400
    html = refused.content.decode()
    assert escape(CAS_CLASH) in html
    assert f'id="overlap-help-offer-{made.pk}-confirm"' in html
    assert Visit.objects.get(pk=w.morning.pk).assignee_id is None
    assert HelpOffer.objects.get(pk=made.pk).status == "offered"
    with time_machine.travel(MORNING, tick=False):
        taken = browser(w.ana, js=js).post(path, {"version": "1", "confirm_overlap": "on"})
    assert taken.status_code in (200, 302), taken.content.decode()
    assert Visit.objects.get(pk=w.morning.pk).assignee_id == w.cas.pk
