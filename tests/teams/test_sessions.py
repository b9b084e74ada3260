"""Sessions end after 12 hours without use and 7 days after signing in (both settings),
with a clear message on the sign-in page; the deadlines are readable from a session
for the live socket (``teams.sessions.session_valid_until``)."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client
from django.utils import timezone

from coordination.events import person_group
from teams import sessions

pytestmark = pytest.mark.django_db

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def at(moment):
    return time_machine.travel(moment, tick=False)


def signed_in_at(person, moment) -> Client:
    client = Client()
    with at(moment):
        client.force_login(person)
    return client


def about(a, b) -> bool:
    return abs(a - b) < datetime.timedelta(seconds=1)


def rung(captured_sends) -> list[str]:
    return [group for group, message in captured_sends if message == {"type": "access.changed"}]


def test_a_session_ends_after_twelve_idle_hours(
    personas, captured_sends, django_capture_on_commit_callbacks
):
    start = timezone.now()
    client = signed_in_at(personas.ana, start)
    with at(start + 12 * HOUR - datetime.timedelta(minutes=2)):
        assert client.get("/account/").status_code == 200
    # Idle from that request on.
    later = start + 24 * HOUR - datetime.timedelta(minutes=1)
    with at(later), django_capture_on_commit_callbacks(execute=True):
        response = client.get("/account/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?ended=idle&next=%2Faccount%2F"
    assert rung(captured_sends) == [person_group(personas.ana.pk)]
    with at(later):
        page = client.get(response["Location"])
        assert "You were signed out after 12 hours of inactivity." in page.content.decode()
        # Signed out for good: the next request is not let in either.
        assert client.get("/account/")["Location"].startswith("/login/?next=")


def test_a_live_section_refreshing_itself_is_not_use(personas):
    """A board left open on a shared screen refreshes itself at every event (live.js
    marks those requests): that keeps nobody signed in; a person's own request does."""
    start = timezone.now()
    client = signed_in_at(personas.ana, start)
    refresh = {"HTTP_HX_REQUEST": "true", "HTTP_X_KITH_REFRESH": "1"}
    for hours in (3, 6, 9, 11.9):
        with at(start + hours * HOUR):
            assert client.get("/account/", **refresh).status_code == 200
    with at(start + 12 * HOUR + datetime.timedelta(minutes=1)):
        response = client.get("/account/", **refresh)
        assert response.status_code == 204
        assert response["HX-Redirect"] == "/login/?ended=idle"
    # Someone using the page keeps it: the same refreshes after a real request.
    client = signed_in_at(personas.ana, start)
    with at(start + 11 * HOUR):
        assert client.get("/account/").status_code == 200
    with at(start + 12 * HOUR + datetime.timedelta(minutes=1)):
        assert client.get("/account/", **refresh).status_code == 200


def test_use_keeps_a_session_until_seven_days_after_signing_in(personas):
    start = timezone.now()
    client = signed_in_at(personas.ana, start)
    moment = start
    while moment < start + 7 * DAY - 11 * HOUR:
        moment += 11 * HOUR
        with at(moment):
            assert client.get("/account/").status_code == 200, moment - start
    with at(start + 7 * DAY + datetime.timedelta(seconds=1)):
        response = client.get("/account/")
        assert response["Location"] == "/login/?ended=age&next=%2Faccount%2F"
        page = client.get(response["Location"])
        assert "a sign-in lasts at most 7 days" in page.content.decode()


def test_the_limits_are_settings(personas, settings):
    settings.SESSION_IDLE_HOURS = 1
    start = timezone.now()
    client = signed_in_at(personas.ana, start)
    with at(start + HOUR + datetime.timedelta(seconds=1)):
        response = client.get("/account/")
        assert response["Location"].startswith("/login/?ended=idle")
        assert "after 1 hour of inactivity" in client.get(response["Location"]).content.decode()


def test_a_new_sign_in_starts_the_clocks_again(personas):
    start = timezone.now()
    client = signed_in_at(personas.ana, start)
    with at(start + 6 * DAY):
        client.force_login(personas.ana)
    for moment in (6 * DAY + 11 * HOUR, 6 * DAY + 22 * HOUR, 7 * DAY + HOUR):
        with at(start + moment):
            assert client.get("/account/").status_code == 200


def test_an_api_request_on_an_ended_session_is_refused(personas):
    start = timezone.now()
    client = signed_in_at(personas.ana, start)
    with at(start + 13 * HOUR):
        response = client.get("/api/v1/me")
    assert response.status_code in (401, 403)
    assert response.json()["message"]


def test_an_htmx_request_is_sent_to_the_sign_in_page(personas):
    start = timezone.now()
    client = signed_in_at(personas.ana, start)
    with at(start + 13 * HOUR):
        response = client.get("/notifications/bell/", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response["HX-Redirect"] == "/login/?ended=idle"


def test_a_session_from_before_the_clocks_gets_them_at_its_next_request(personas):
    start = timezone.now()
    client = signed_in_at(personas.ana, start)
    store = SessionStore(client.session.session_key)
    for key in (sessions.SIGNED_IN, sessions.LAST_SEEN):
        del store[key]
    store.save()
    with at(start + 3 * DAY):
        assert client.get("/account/").status_code == 200
    with at(start + 3 * DAY + 13 * HOUR):
        assert client.get("/account/")["Location"].startswith("/login/?ended=idle")


def test_session_valid_until_is_the_earlier_deadline(personas):
    start = timezone.now()
    client = signed_in_at(personas.ana, start)
    session = SessionStore(client.session.session_key)
    assert session.get(SESSION_KEY) == str(personas.ana.pk)
    assert about(sessions.session_valid_until(session), start + 12 * HOUR)
    # Used every 11 hours until the last day: then the absolute deadline comes first.
    moment = start
    while moment < start + 6 * DAY + 12 * HOUR:
        moment += 11 * HOUR
        with at(moment):
            client.get("/account/")
    session = SessionStore(client.session.session_key)
    assert about(sessions.session_valid_until(session), start + 7 * DAY)
    assert sessions.session_valid_until(SessionStore()) is None
