"""Overlaps on the client page's visits: taking or assigning a visit that clashes
with one the carer holds says the clash and shows the "Take it anyway" box in that
form; ticked, it goes ahead."""

from __future__ import annotations

import pytest
import time_machine
from django.test import Client as Browser

from care.models import Visit
from tests.care.visit_helpers import NOW, at, jansen_client, plan

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
TOMORROW = "2026-12-08"
CLASH = "clashes with your visit at 08:10–09:10 on Tue 8 Dec (45 minutes)."


@pytest.fixture
def w(personas):
    """Mrs Jansen's open 08:00 tomorrow; Ana already has her 08:10."""
    with time_machine.travel(NOW, tick=False):
        personas.client = jansen_client(personas)
        personas.visit = plan(personas.ana, personas.client, at(TOMORROW, "08:00"))
        personas.held = plan(
            personas.ana, personas.client, at(TOMORROW, "08:10"), assignee=personas.ana
        )
        yield personas


def post(w, action: str, body: dict, person=None):
    b = Browser()
    b.force_login(person or w.ana)
    with time_machine.travel(NOW, tick=False):
        return b.post(f"/clients/{w.client.pk}/visits/{w.visit.pk}/{action}/", body, headers=HTMX)


def test_taking_a_clashing_visit_says_so_with_the_box_and_takes_nothing(w):
    response = post(w, "take", {"version": "1"})
    assert response.status_code == 400
    html = response.content.decode()
    assert CLASH in html
    assert f'id="overlap-take-{w.visit.pk}-confirm"' in html
    assert Visit.objects.get(pk=w.visit.pk).assignee_id is None
    taken = post(w, "take", {"version": "1", "confirm_overlap": "on"})
    assert taken.status_code == 200, taken.content.decode()
    assert Visit.objects.get(pk=w.visit.pk).assignee_id == w.ana.pk


def test_assigning_a_clashing_visit_to_a_colleague_names_her_and_shows_the_box(w):
    response = post(w, "assign", {"version": "1", "assignee": str(w.ana.pk)}, w.ben)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Ana de Vries&#x27;s visit at 08:10–09:10" in html
    assert f'id="overlap-assign-{w.visit.pk}-confirm"' in html
    assert f'id="overlap-take-{w.visit.pk}-confirm"' not in html
    done = post(
        w, "assign", {"version": "1", "assignee": str(w.ana.pk), "confirm_overlap": "on"}, w.ben
    )
    assert done.status_code == 200, done.content.decode()
    assert Visit.objects.get(pk=w.visit.pk).assignee_id == w.ana.pk
