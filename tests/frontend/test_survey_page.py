"""The portal's "How are we doing?" section: the client and her representative answer
this quarter's experience survey; everyone else neither sees nor posts it.

"Now" is 10 May 2026: the second quarter (April to June) is running.
"""

from __future__ import annotations

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client as Browser

from care.models import ExperienceSurvey
from care.services import clients as client_services
from tests.factories import ClientFactory, PersonFactory

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 5, 10, 11, 0, tzinfo=ZoneInfo("Europe/London"))
HTMX = {"HX-Request": "true"}
ANSWERS = {"recommend": "9", "listen": "4", "informed": "5", "say": "3", "comment": "Kind people."}


def browser_as(person) -> Browser:
    browser = Browser()
    browser.force_login(person)
    return browser


@pytest.fixture
def world(personas):
    with time_machine.travel(NOW, tick=False):
        personas.representative = PersonFactory(username="rep", first_name="Rob", kind="portal")
        client = ClientFactory(
            team=personas.noord,
            first_name="Wilma",
            last_name="Jansen",
            account=personas.mrs_jansen,
            representative=personas.representative,
            representative_basis="chosen",
        )
        entry = client_services.network_add(
            actor=personas.ana,
            client=client,
            circle="informal",
            relationship="daughter",
            name="Petra Jansen",
            account=personas.daughter,
        )
        client_services.grant_scope(
            actor=personas.mrs_jansen, client=client, member=entry, scope="visits"
        )
        personas.client = client
        personas.page = f"/portal/clients/{client.pk}/"
        personas.post = f"/portal/clients/{client.pk}/survey/"
        yield personas


def page(person, w):
    return browser_as(person).get(w.page)


def test_the_client_sees_the_survey_for_this_quarter(world):
    with time_machine.travel(NOW, tick=False):
        html = page(world.mrs_jansen, world).content.decode()
    assert 'id="survey"' in html and "How are we doing?" in html
    assert "Q2 2026 (April to June)" in html
    assert 'name="period" value="2026-Q2"' in html
    # 0 to 10 in a list a phone shows natively; each item as a column of big choices.
    assert re.findall(r'<option value="(\d+)"', html) == [str(n) for n in range(11)]
    assert "0 – not at all likely" in html and "10 – extremely likely" in html
    for name in ("listen", "informed", "say"):
        assert len(re.findall(rf'type="radio" name="{name}"', html)) == 5
    assert "“The carers listen to me”" in html
    assert "never published" in html


def test_answering_without_htmx_redirects_and_shows_the_thanks(world):
    with time_machine.travel(NOW, tick=False):
        browser = browser_as(world.mrs_jansen)
        response = browser.post(world.post, ANSWERS | {"period": "2026-Q2"})
        assert response.status_code == 302
        assert response["Location"] == f"{world.page}#survey"
        html = browser.get(world.page).content.decode()
    survey = ExperienceSurvey.objects.get()
    assert (survey.period, survey.recommend, survey.listen, survey.informed, survey.say) == (
        "2026-Q2",
        9,
        4,
        5,
        3,
    )
    assert survey.comment == "Kind people." and survey.answered_by == world.mrs_jansen
    assert "Thank you: your answers are with the team." in html
    assert 'data-survey-answered="2026-Q2"' in html
    assert "you answered for Q2 2026 (April to June) on" in html
    assert "9 out of 10" in html and "Mostly" in html and "Always" in html
    assert "The next survey opens on 1 July 2026." in html
    assert 'name="recommend"' not in html


def test_answering_with_htmx_swaps_the_section(world):
    with time_machine.travel(NOW, tick=False):
        response = browser_as(world.representative).post(world.post, ANSWERS, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="survey"')
    assert "Thank you: you answered for Q2 2026" in html  # he answered himself
    assert ExperienceSurvey.objects.get().answered_by == world.representative


@pytest.mark.parametrize("htmx", [False, True])
def test_bad_answers_come_back_with_what_was_chosen(world, htmx):
    bad = ANSWERS | {"recommend": "", "say": "7"}
    with time_machine.travel(NOW, tick=False):
        response = browser_as(world.mrs_jansen).post(world.post, bad, headers=HTMX if htmx else {})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Please answer the questions marked below." in html
    assert "Required: a whole number from 0 to 10." in html
    assert "From 1 to 5; 7 is outside." in html
    # What was chosen stays chosen; what was typed stays typed.
    assert 'name="listen" value="4" checked' in html
    assert "Kind people." in html
    assert not ExperienceSurvey.objects.exists()


def test_a_second_answer_in_the_quarter_is_409_and_shows_the_first(world):
    with time_machine.travel(NOW, tick=False):
        assert browser_as(world.mrs_jansen).post(world.post, ANSWERS).status_code == 302
        response = browser_as(world.representative).post(
            world.post, ANSWERS | {"recommend": "2"}, headers=HTMX
        )
    assert response.status_code == 409
    html = response.content.decode()
    assert "The survey for 2026-Q2 was answered on 10 May 2026" in html
    assert "Thank you: Wilma Jansen answered for Q2 2026" in html
    assert ExperienceSurvey.objects.get().recommend == 9


def test_a_future_quarter_is_refused(world):
    with time_machine.travel(NOW, tick=False):
        response = browser_as(world.mrs_jansen).post(world.post, ANSWERS | {"period": "2026-Q3"})
    assert response.status_code == 400
    assert "2026-Q3 has not begun yet" in response.content.decode()


def test_nobody_else_sees_or_answers_the_survey(world):
    with time_machine.travel(NOW, tick=False):
        # The daughter sees the visits her mother shares, not the survey.
        html = page(world.daughter, world).content.decode()
        assert page(world.daughter, world).status_code == 200
        assert 'id="survey"' not in html
        for person in (world.daughter, world.ana, world.cas, world.coach, world.inspector):
            response = browser_as(person).post(world.post, ANSWERS)
            assert response.status_code == 404, person
    assert not ExperienceSurvey.objects.exists()


def test_anonymous_is_sent_to_log_in(world):
    response = Browser().post(world.post, ANSWERS)
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert not ExperienceSurvey.objects.exists()
