"""Server-rendered pages: who may open them, and what they do with bad input."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from coordination.events import EventRecord
from teams.models import Team

pytestmark = pytest.mark.django_db


def browser_as(person=None) -> Client:
    client = Client()
    if person is not None:
        client.force_login(person)
    return client


def test_pages_need_a_login(personas):
    for url in ["/", "/teams/noord/", "/teams/noord/details/", "/teams/noord/activity/"]:
        response = browser_as().get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login/")


def test_login_page_renders_without_inline_script(personas):
    response = browser_as().get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Sign in to Kith" in html
    assert "<script>" not in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_a_member_lands_on_her_day(personas):
    response = browser_as(personas.ana).get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/day/"


def test_team_page_shows_members_and_the_live_heads(personas, django_assert_max_num_queries):
    client = browser_as(personas.ana)
    client.get("/teams/noord/")
    # Sections: proposals, roles, decisions, members, coaches, details, activity,
    # clients (continuity of carer), who is around.
    with django_assert_max_num_queries(22):
        response = client.get("/teams/noord/")
    html = response.content.decode()
    assert "Team Noord" in html and "Ana de Vries" in html and "Ben Mulder" in html
    assert f'"{personas.noord.stream}": 0' in html  # the socket resumes from here
    assert "Cas" not in html


def test_edit_details_without_javascript_is_the_whole_page_editing(personas):
    """The "Edit details" link followed without JavaScript: the team's page (a title,
    the language, every section) with the details form open, not the section alone."""
    html = browser_as(personas.ana).get("/teams/noord/details/?edit=1").content.decode()
    assert html.startswith("<!doctype html>") and '<html lang="en-GB">' in html
    assert "<title>" in html and 'id="members"' in html
    assert 'action="/teams/noord/details/"' in html and 'name="phone"' in html
    part = browser_as(personas.ana).get("/teams/noord/details/?edit=1", HTTP_HX_REQUEST="true")
    assert not part.content.decode().lstrip().startswith("<!doctype")
    assert 'name="phone"' in part.content.decode()


@pytest.mark.parametrize("who", ["outsider", "coach", "inspector", "client", "family"])
def test_everyone_else_gets_404_on_every_team_page(personas, outsiders, who):
    client = browser_as(outsiders[who])
    for url in ["/teams/noord/", "/teams/noord/details/", "/teams/noord/activity/"]:
        assert client.get(url).status_code == 404
    response = client.post("/teams/noord/details/", {"phone": "999", "version": "1"})
    assert response.status_code == 404
    assert Team.objects.get(pk=personas.noord.pk).phone == ""


@pytest.mark.parametrize(
    "who, words",
    [
        ("coach", "Teams that invite you"),
        ("inspector", "published quality data"),
        ("client", "Your care record"),
    ],
)
def test_home_says_what_each_person_will_find(personas, outsiders, who, words):
    response = browser_as(outsiders[who]).get("/")
    assert words in response.content.decode()


def test_saving_details_without_javascript_redirects_back(personas):
    client = browser_as(personas.ana)
    response = client.post("/teams/noord/details/", {"phone": "0570 1", "version": "1"})
    assert response.status_code == 302
    assert Team.objects.get(pk=personas.noord.pk).phone == "0570 1"
    assert EventRecord.objects.filter(type="team.details_changed").count() == 1


def test_bad_input_shows_the_field_and_keeps_what_was_typed(personas):
    client = browser_as(personas.ana)
    response = client.post(
        "/teams/noord/details/", {"email": "nope", "phone": "0570 2", "version": "1"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert 'value="0570 2"' in html
    assert Team.objects.get(pk=personas.noord.pk).phone == ""


def test_a_stale_form_is_409_and_keeps_what_was_typed(personas):
    browser_as(personas.ben).post("/teams/noord/details/", {"phone": "ben's", "version": "1"})
    response = browser_as(personas.ana).post(
        "/teams/noord/details/", {"phone": "ana's", "version": "1"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "The team&#x27;s details changed since you opened them." in html
    assert "ben&#x27;s" in html and 'value="ana&#x27;s"' in html
    assert Team.objects.get(pk=personas.noord.pk).phone == "ben's"


def test_a_missing_version_is_refused(personas):
    response = browser_as(personas.ana).post("/teams/noord/details/", {"phone": "1"})
    assert response.status_code == 400
    assert Team.objects.get(pk=personas.noord.pk).phone == ""


def test_logout_is_a_post(personas):
    client = browser_as(personas.ana)
    assert client.get("/logout/").status_code == 405
    response = client.post("/logout/")
    assert response.status_code == 302
    assert client.get("/teams/noord/").status_code == 302


def test_a_404_is_a_plain_page_in_production(personas, settings):
    settings.DEBUG = False
    response = browser_as(personas.cas).get("/teams/noord/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Not found" in html and "URLconf" not in html


def test_the_details_form_takes_its_limits_from_the_team_model(personas):
    html = browser_as(personas.ana).get("/teams/noord/details/?edit=1").content.decode()
    for name in ("phone", "email", "patch", "postcodes"):
        field = Team._meta.get_field(name)
        assert re.search(f'name="{name}"[^>]* maxlength="{field.max_length}"', html), name
    assert 'id="f-phone" name="phone" type="tel"' in html
