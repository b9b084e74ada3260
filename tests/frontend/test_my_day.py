"""My day: a member's landing page, her next visit first with what she needs at the
door, then the rest of her day and what nobody in her team has taken yet."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client as Browser
from django.utils.html import escape

from care.models import AccessLogEntry, CarePlan, DiaryNote, Visit
from care.services import visits as visit_services
from tests.care.visit_helpers import at, intervention, jansen_client
from tests.doors import pages
from tests.factories import ClientFactory, VisitFactory

pytestmark = pytest.mark.django_db

DAY = "2026-12-08"  # a Tuesday
NOON = at(DAY, "12:00")


@pytest.fixture
def w(personas):
    with time_machine.travel(NOON, tick=False):
        w = personas
        w.client = jansen_client(w)
        w.client.address, w.client.postcode, w.client.phone = "Brink 4", "7411 AA", "0570 111"
        w.client.save()
        w.smeenk = ClientFactory(team=w.noord, first_name="Corrie", last_name="Smeenk")
        # Ana's day: Mrs Jansen at 14:00 (the plan's intervention for it), Corrie at 16:00;
        # last week Ben went to Mrs Jansen.
        w.last = VisitFactory(
            client=w.client,
            assignee=w.ben,
            window_start=at("2026-12-01", "14:00"),
            status=Visit.Status.DONE,
            done_note="Walked to the shop together.",
        )
        w.jansen = VisitFactory(
            client=w.client,
            assignee=w.ana,
            window_start=at(DAY, "14:00"),
            status=Visit.Status.ASSIGNED,
            tasks="Check the dosette box.",
        )
        w.action = intervention(w.client, w.ana)
        w.jansen.interventions.add(w.action)
        w.corrie = VisitFactory(
            client=w.smeenk, assignee=w.ana, window_start=at(DAY, "16:00"), status="assigned"
        )
        w.bens = VisitFactory(
            client=w.smeenk, assignee=w.ben, window_start=at(DAY, "09:00"), status="assigned"
        )
        w.open = VisitFactory(client=w.smeenk, window_start=at(DAY, "18:00"))
        w.zuid_open = VisitFactory(
            client=ClientFactory(team=w.zuid, first_name="Zeno"), window_start=at(DAY, "10:00")
        )
        DiaryNote.objects.create(client=w.client, author=w.daughter, body="Mum slept badly.")
        DiaryNote.objects.create(
            client=w.client, author=w.ben, body="Before last time.", at=at("2026-11-30", "10:00")
        )
        CarePlan.objects.filter(client=w.client).update(updated=at("2026-12-05", "09:00"))
        yield w


def day_of(person) -> str:
    response = pages(person, js=False).get("/day/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_member_lands_on_her_day(w):
    with time_machine.travel(NOON, tick=False):
        response = pages(w.ana, js=False).get("/")
    assert (response.status_code, response["Location"]) == (302, "/day/")


def test_the_next_visit_comes_first_with_what_she_needs_at_the_door(w):
    with time_machine.travel(NOON, tick=False):
        html = day_of(w.ana)
    nxt = html[html.index('id="next-h"') : html.index('id="today-h"')]
    assert f'Next: <a href="/clients/{w.client.pk}/">Wilma Jansen</a>' in nxt
    assert "14:00–15:00" in nxt and "Brink 4, 7411 AA" in nxt and 'href="tel:0570 111"' in nxt
    assert "Check the dosette box." in nxt and escape(w.action.description) in nxt
    # What changed since Ben went on 1 Dec: the diary note since, and the plan.
    assert "Ben Mulder went on Tue 1 Dec: “Walked to the shop together.”" in nxt
    assert "Mum slept badly." in nxt and "Before last time." not in nxt
    assert "The care plan changed since." in nxt
    assert "Corrie Smeenk" not in nxt


def test_the_day_lists_hers_and_what_nobody_took_in_her_team_only(w):
    with time_machine.travel(NOON, tick=False):
        html = day_of(w.ana)
    today = html[html.index('id="today-h"') : html.index('id="open-h"')]
    assert f'data-visit="{w.jansen.pk}"' in today and f'data-visit="{w.corrie.pk}"' in today
    assert f'data-visit="{w.bens.pk}"' not in today  # Ben's
    still_open = html[html.index('id="open-h"') :]
    assert f'data-visit="{w.open.pk}"' in still_open
    assert f'data-visit="{w.zuid_open.pk}"' not in html  # another team's


def test_a_visit_she_is_in_comes_before_an_earlier_one(w):
    with time_machine.travel(at(DAY, "16:10"), tick=False):
        visit_services.visit_start(actor=w.ana, visit=w.corrie, version=w.corrie.version)
        html = day_of(w.ana)
    assert f'Now: <a href="/clients/{w.smeenk.pk}/">Corrie Smeenk</a>' in html
    assert "started 16:10" in html


def test_with_nothing_today_the_next_day_s_first_visit_is_next(w):
    Visit.objects.filter(pk__in=[w.jansen.pk, w.corrie.pk]).update(status="cancelled")
    VisitFactory(
        client=w.client, assignee=w.ana, window_start=at("2026-12-10", "09:00"), status="assigned"
    )
    with time_machine.travel(NOON, tick=False):
        html = day_of(w.ana)
    assert "Thu 10 Dec, 09:00–10:00" in html
    assert "You hold no visit today." in html


def test_reading_the_next_visit_is_in_the_client_s_log_once_a_day(w):
    with time_machine.travel(NOON, tick=False):
        day_of(w.ana)
        day_of(w.ana)  # and every live refresh after
        pages(w.ana, js=False).get("/day/?part=day")
    (entry,) = AccessLogEntry.objects.filter(person=w.ana)
    assert entry.client == w.client and entry.what.startswith("My day: the next visit")
    assert not AccessLogEntry.objects.filter(client=w.smeenk).exists()  # the list is not a read
    with time_machine.travel(NOON + datetime.timedelta(days=1), tick=False):
        VisitFactory(
            client=w.client,
            assignee=w.ana,
            window_start=at("2026-12-09", "14:00"),
            status="assigned",
        )
        day_of(w.ana)
    assert AccessLogEntry.objects.filter(person=w.ana).count() == 2


def test_a_visit_lent_by_another_team_is_in_the_helper_s_day(w):
    lent = VisitFactory(client=w.smeenk, window_start=at(DAY, "13:00"))
    with time_machine.travel(at(DAY, "11:00"), tick=False):
        visit_services.visit_lend(
            actor=w.ana,
            visit=lent,
            helper=w.cas,
            version=lent.version,
            expires_at=at(DAY, "20:00"),
            reason="help request 1",
        )
        html = day_of(w.cas)
    assert f'Next: <a href="/help/visits/{lent.pk}/">Corrie Smeenk</a>' in html
    assert "lent by team Noord" in html
    assert f'data-visit="{w.open.pk}"' not in html  # Noord's open visits are not hers
    # What the help visit shows, not the record's history: no diary, no last note.
    assert "Since last time" not in html and "Diary," not in html
    (read,) = AccessLogEntry.objects.filter(person=w.cas)
    assert (read.client, read.why) == (w.smeenk, "helping team Noord with a visit")


def test_a_visit_started_yesterday_and_not_recorded_stays_next(w):
    with time_machine.travel(at("2026-12-07", "23:00"), tick=False):
        late = VisitFactory(
            client=w.smeenk,
            assignee=w.ana,
            window_start=at("2026-12-07", "22:30"),
            status=Visit.Status.IN_PROGRESS,
        )
    with time_machine.travel(NOON, tick=False):
        html = day_of(w.ana)
    assert f'Now: <a href="/clients/{w.smeenk.pk}/">Corrie Smeenk</a>' in html
    assert f'href="/day/visits/{late.pk}/done/"' in html


def test_the_part_is_the_day_section_for_its_live_refresh(w):
    with time_machine.travel(NOON, tick=False):
        response = pages(w.ana, js=False).get("/day/?part=day")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="day"') and "kith-live" not in html


@pytest.mark.parametrize("who", ["coach", "inspector", "client", "family"])
def test_my_day_is_for_team_members(w, outsiders, who):
    with time_machine.travel(NOON, tick=False):
        assert pages(outsiders[who], js=False).get("/day/").status_code == 404
    assert Browser().get("/day/").status_code == 302  # to sign in


def test_the_day_costs_the_same_queries_however_many_visits(w, django_assert_max_num_queries):
    browser = pages(w.ana, js=False)
    with time_machine.travel(NOON, tick=False):
        browser.get("/day/")
        with django_assert_max_num_queries(16) as few:
            browser.get("/day/")
        for hour in range(17, 23):  # after her next visit, which stays the same
            VisitFactory(
                client=w.smeenk,
                assignee=w.ana,
                window_start=at(DAY, f"{hour:02}:00"),
                status="assigned",
            )
            VisitFactory(client=w.smeenk, window_start=at(DAY, f"{hour:02}:30"))
        with django_assert_max_num_queries(len(few.captured_queries)):
            browser.get("/day/")
