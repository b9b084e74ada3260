"""Notification pages: the header's bell on every page, the list with mark read and mark
all read (htmx and without JavaScript), the preferences form."""

from __future__ import annotations

import json
import re

import pytest
import time_machine
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext

from coordination.events.streams import person_stream
from coordination.notifications import services as notification_services
from coordination.notifications.models import Notification, NotificationPreference
from tests.coordination.test_notifications import MORNING, build, many, of, offer, raise_proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(personas):
    with time_machine.travel(MORNING, tick=False):
        yield build(personas)


def browser(person=None) -> Browser:
    b = Browser()
    if person is not None:
        b.force_login(person)
    return b


def htmx(person) -> Browser:
    b = browser(person)
    b.defaults["HTTP_HX_REQUEST"] = "true"
    return b


def person_config(html: str) -> dict:
    found = re.search(r'<script id="kith-person" type="application/json">(.*?)</script>', html)
    assert found, "no kith-person config on the page"
    return json.loads(found.group(1))


# --- the bell -----------------------------------------------------------------------------


def test_every_signed_in_page_shows_the_unread_count_and_follows_the_person_stream(w):
    offer(w)
    raise_proposal(w)
    stream = person_stream(w.ben.pk)
    for url in ["/teams/noord/", "/teams/noord/board/", "/notifications/"]:
        html = browser(w.ben).get(url).content.decode()
        assert "Notifications (2)" in html, url
        assert f'data-stream="{stream}"' in html
        assert 'hx-trigger="kith:refresh"' in html
        # The socket resumes the person's stream from the head the count was read at.
        assert person_config(html) == {"streams": {stream: 2}}
    html = browser(w.ana).get("/teams/noord/").content.decode()
    assert "Notifications (0)" in html
    assert person_config(html) == {"streams": {person_stream(w.ana.pk): 0}}
    assert stream not in html


def test_a_members_bottom_bar_counts_too_and_re_reads_its_count(w):
    offer(w)
    html = browser(w.ben).get("/teams/noord/").content.decode()
    stream = person_stream(w.ben.pk)
    bar = html.split('aria-label="Quick"')[1]
    url = "/notifications/bell/?badge=1"
    assert f'hx-get="{url}" hx-trigger="kith:refresh" data-stream="{stream}"' in bar
    assert '<span class="badge" data-unread="1">1</span>' in bar
    r = htmx(w.ben).get("/notifications/bell/?badge=1")
    assert r.status_code == 200 and "<html" not in r.content.decode()
    assert '<span class="badge" data-unread="1">1</span>' in r.content.decode()
    # Nothing unread: no badge at all.
    assert "badge" not in htmx(w.ana).get("/notifications/bell/?badge=1").content.decode()
    # People of no team have no bottom bar.
    assert 'aria-label="Quick"' not in browser(w.coach).get("/").content.decode()


def test_signed_out_pages_have_no_bell(w):
    html = browser().get("/login/").content.decode()
    assert "Notifications (" not in html and "kith-person" not in html


def test_the_bell_re_reads_its_count(w):
    offer(w)
    r = htmx(w.ben).get("/notifications/bell/")
    assert r.status_code == 200
    assert "Notifications (1)" in r.content.decode()
    assert "<html" not in r.content.decode()


def test_the_team_page_pays_one_query_for_the_bell(w, django_assert_max_num_queries):
    b = browser(w.ben)
    b.get("/teams/noord/")
    with CaptureQueriesContext(connection) as queries:
        b.get("/teams/noord/")
    bell = [q for q in queries if "coordination_notification" in q["sql"]]
    assert len(bell) == 1


# --- the list -----------------------------------------------------------------------------


def test_the_list_shows_ones_own_notifications_newest_first(w):
    offer(w)
    raise_proposal(w)
    html = browser(w.ben).get("/notifications/").content.decode()
    assert "2 unread" in html
    first = html.index("asks for your response to")
    second = html.index("Ana de Vries offers you the visit at 11:00 on Tue 8 Dec")
    assert first < second  # the proposal came later
    assert 'href="/teams/noord/board/?date=2026-12-08"' in html
    assert html.count("Mark read") == 2 and "Mark all read" in html
    other = browser(w.ana).get("/notifications/").content.decode()
    assert "offers you the visit" not in other and "0 unread" in other


def test_mark_read_without_javascript_goes_back_to_the_list(w):
    offer(w)
    (n,) = of(w.ben)
    r = browser(w.ben).post(f"/notifications/{n.pk}/read/")
    assert r.status_code == 302 and r.headers["Location"] == "/notifications/"
    n.refresh_from_db()
    assert n.read_at is not None
    html = browser(w.ben).get("/notifications/").content.decode()
    assert "0 unread" in html and "Mark read" not in html


def test_mark_read_with_htmx_answers_with_the_list(w):
    offer(w)
    raise_proposal(w)
    first = of(w.ben)[0]
    r = htmx(w.ben).post(f"/notifications/{first.pk}/read/")
    assert r.status_code == 200
    html = r.content.decode()
    assert html.lstrip().startswith('<section class="card" id="notification-list"')
    assert "1 unread" in html and "Marked read." in html


def test_open_marks_read_and_goes_to_the_page(w):
    offer(w)
    (n,) = of(w.ben)
    r = browser(w.ben).post(f"/notifications/{n.pk}/read/", {"open": "1"})
    assert r.headers["Location"] == "/teams/noord/board/?date=2026-12-08"
    n.refresh_from_db()
    assert n.read_at is not None


def test_mark_all_read(w):
    offer(w)
    raise_proposal(w)
    r = htmx(w.ben).post("/notifications/read-all/")
    assert "0 unread" in r.content.decode() and "2 marked read." in r.content.decode()
    assert not Notification.objects.filter(person=w.ben, read_at__isnull=True).exists()
    # Dora's stay unread.
    assert Notification.objects.filter(person=w.dora, read_at__isnull=True).count() == 1


def test_someone_elses_notification_is_404(w):
    offer(w)
    (n,) = of(w.ben)
    for person in (w.ana, w.cas, w.mrs_jansen):
        assert browser(person).post(f"/notifications/{n.pk}/read/").status_code == 404
    n.refresh_from_db()
    assert n.read_at is None


def test_pages_need_a_login(w):
    for url in ["/notifications/", "/notifications/preferences/", "/notifications/bell/"]:
        r = browser().get(url)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login/")


def test_older_pages_and_a_bad_cursor(w):
    many(w.ben, 55)
    html = browser(w.ben).get("/notifications/").content.decode()
    assert html.count("data-notification=") == 50
    cursor = re.search(r'href="/notifications/\?cursor=([^"]+)" rel="next"', html).group(1)
    older = browser(w.ben).get(f"/notifications/?cursor={cursor}").content.decode()
    assert older.count("data-notification=") == 5
    assert 'rel="next"' not in older
    bad = browser(w.ben).get("/notifications/?cursor=nonsense")
    assert bad.status_code == 400
    assert "Not a cursor" in bad.content.decode()


def test_the_list_keeps_its_query_count_as_notifications_grow(w):
    b = browser(w.ben)
    many(w.ben, 2)
    b.get("/notifications/")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert b.get("/notifications/").status_code == 200
        return len(queries)

    few = count()
    many(w.ben, 70)
    assert count() == few


# --- preferences --------------------------------------------------------------------------


PREFS = "/notifications/preferences/"


def test_the_preferences_form_shows_the_current_choices(w):
    notification_services.preference_update(
        actor=w.ben, muted=["visit_late"], quiet_start="22:00", quiet_end="07:00"
    )
    html = browser(w.ben).get(PREFS).content.decode()
    assert 'name="hear" value="handover_offered" checked' in html
    assert 'name="hear" value="visit_late">' in html  # muted: not ticked
    assert 'name="quiet_start" type="time" value="22:00"' in html
    assert 'name="version" value="2"' in html
    assert w.ben.email in html


def test_saving_preferences_without_javascript(w):
    r = browser(w.ben).post(
        PREFS,
        {
            "hear": ["handover_offered", "help_accepted"],
            "quiet_start": "22:30",
            "quiet_end": "06:30",
            "version": "1",
        },
    )
    assert r.status_code == 302 and r.headers["Location"] == PREFS
    preference = NotificationPreference.objects.get(person=w.ben)
    assert preference.muted == ["proposal_waiting", "visit_late", "visit_taken"]
    assert preference.digest is False  # not ticked
    assert preference.quiet_start.strftime("%H:%M") == "22:30"


def test_half_set_quiet_hours_are_400_with_the_message_at_the_field(w):
    r = browser(w.ben).post(
        PREFS, {"hear": ["visit_late"], "digest": "on", "quiet_start": "22:00", "version": "1"}
    )
    assert r.status_code == 400
    html = r.content.decode()
    assert 'id="e-f-quiet-end"' in html and "Set both ends of the quiet hours" in html
    assert 'value="22:00"' in html  # what was typed stays
    assert not NotificationPreference.objects.filter(person=w.ben).exists()


def test_a_stale_preferences_form_is_409_with_the_current_values(w):
    notification_services.preference_update(actor=w.ben, digest=False)
    r = browser(w.ben).post(PREFS, {"digest": "on", "version": "1"})
    assert r.status_code == 409
    html = r.content.decode()
    assert "changed since you opened them" in html
    assert 'name="version" value="2"' in html
    assert NotificationPreference.objects.get(person=w.ben).digest is False
