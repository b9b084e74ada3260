"""The portal's sections beyond the care plan (visits, budget statement, shared diary)
and the diary on the team's client page.

Each section shows only to those who may read its scope, each read is logged for
the client, and the diary takes notes from whoever may write in it, with and without
htmx; everyone else gets 404 and nothing is written or logged.
"""

from __future__ import annotations

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.test import Client as Browser
from django.utils import timezone

from care.models import AccessLogEntry, Budget, DiaryNote, Grant
from care.services import clients as client_services
from care.services import diary as diary_services
from care.services import visits as visit_services
from coordination.events.streams import client_stream
from tests.factories import BudgetFactory, ClientFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
SECTION_IDS = ("scope-visits", "scope-budget", "scope-diary")


def browser_as(person) -> Browser:
    browser = Browser()
    browser.force_login(person)
    return browser


@pytest.fixture
def world(personas):
    """Mrs Jansen, client of Noord with her own account and a budget; her daughter
    Petra sees her visits and diary. Ben comes in two days; a visit in three weeks."""
    client = ClientFactory(
        team=personas.noord,
        first_name="Wilma",
        last_name="Jansen",
        account=personas.mrs_jansen,
        status="active",
    )
    entry = client_services.network_add(
        actor=personas.ana,
        client=client,
        circle="informal",
        relationship="daughter",
        name="Petra Jansen",
        account=personas.daughter,
    )
    for scope in ("visits", "diary"):
        client_services.grant_scope(
            actor=personas.mrs_jansen, client=client, member=entry, scope=scope
        )
    soon = (timezone.localtime() + datetime.timedelta(days=2)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    later = soon + datetime.timedelta(days=19)
    for start, who in ((soon, personas.ben), (later, None)):
        visit_services.visit_plan(
            actor=personas.ana,
            client=client,
            window_start=start,
            window_end=start + datetime.timedelta(minutes=30),
            expected_minutes=45,
            assignee=who,
        )
    BudgetFactory(
        client=client,
        period=Budget.Period.FOUR_WEEKLY,
        allocation=Decimal("480.00"),
        hourly_rate=Decimal("24.00"),
        starts=timezone.localdate() - datetime.timedelta(days=3),
    )
    personas.client, personas.entry, personas.soon = client, entry, soon
    return personas


def portal(w) -> str:
    return f"/portal/clients/{w.client.pk}/"


def diary_url(w) -> str:
    return f"/portal/clients/{w.client.pk}/diary/"


def shown(html: str) -> set[str]:
    return {s for s in SECTION_IDS if f'id="{s}"' in html}


def reads(person) -> list[str]:
    return list(
        AccessLogEntry.objects.filter(person=person).order_by("id").values_list("what", flat=True)
    )


# --- who sees which section -------------------------------------------------------------------


def test_the_daughter_sees_visits_and_diary_not_the_budget(world):
    browser = browser_as(world.daughter)
    response = browser.get(portal(world))
    assert response.status_code == 200
    html = response.content.decode()
    assert shown(html) == {"scope-visits", "scope-diary"}
    assert "Budget statement" not in html and "£" not in html
    # The coming visit: its day, window, who comes (first name only) and status.
    assert world.soon.strftime("%a %-d %b") in html and "09:00–09:30" in html
    assert "Ben" in html and "Mulder" not in html and "Assigned" in html
    # The visit three weeks ahead is outside the 14 days.
    assert html.count("data-visit=") == 1
    # She may write in the diary.
    assert f'action="{diary_url(world)}"' in html and 'name="body"' in html
    # Each section follows its own stream.
    c = world.client.pk
    assert f'data-stream="{client_stream(c, "visits")}"' in html
    assert f'data-stream="{client_stream(c, "diary")}"' in html
    live = json.loads(re.search(r'id="kith-live"[^>]*>(.*?)</script>', html).group(1))
    assert set(live["streams"]) == {client_stream(c, "visits"), client_stream(c, "diary")}
    # The budget's section, asked for directly, is not hers.
    assert browser.get(f"{portal(world)}sections/budget/").status_code == 404
    assert browser.get(f"{portal(world)}sections/visits/", headers=HTMX).status_code == 200


def test_after_revoking_the_diary_she_cannot_post_and_the_section_is_gone(world):
    browser = browser_as(world.daughter)
    assert browser.post(diary_url(world), {"body": "Shopping done."}).status_code == 302
    grant = Grant.objects.get(member=world.entry, scope="diary", revoked_at__isnull=True)
    client_services.grant_revoke(actor=world.mrs_jansen, grant=grant)
    for headers in ({}, HTMX):
        response = browser.post(diary_url(world), {"body": "Again."}, headers=headers)
        assert response.status_code == 404, headers
    assert list(DiaryNote.objects.values_list("body", flat=True)) == ["Shopping done."]
    html = browser.get(portal(world)).content.decode()
    assert shown(html) == {"scope-visits"}
    assert "Shared diary" not in html and "Shopping done." not in html
    response = browser.get(f"{portal(world)}sections/diary/", headers=HTMX)
    assert (response.status_code, response.content) == (404, b"")


def test_mrs_jansen_sees_every_section(world):
    diary_services.diary_add(actor=world.ana, client=world.client, body="New key safe code given.")
    html = browser_as(world.mrs_jansen).get(portal(world)).content.decode()
    assert shown(html) == set(SECTION_IDS)
    assert "of your £480.00 for this four-week period is left." in html
    assert 'data-figure="allocated">£480.00' in html
    # Both visits fall in this period: two 45-minute visits at £24 an hour.
    assert 'data-figure="planned">£36.00' in html
    assert "New key safe code given." in html and "Ana de Vries" in html
    assert 'name="body"' in html


@pytest.mark.parametrize("who", ["cas", "coach", "inspector"])
def test_outsiders_get_404_on_the_portal_and_the_diary(world, who):
    browser = browser_as(getattr(world, who))
    logged = AccessLogEntry.objects.count()
    for headers in ({}, HTMX):
        for method, url in [
            ("get", portal(world)),
            *[("get", f"{portal(world)}sections/{s}/") for s in ("visits", "budget", "diary")],
            ("post", diary_url(world)),
        ]:
            response = getattr(browser, method)(url, {"body": "Hello"}, headers=headers)
            assert response.status_code == 404, (who, method, url, headers)
            assert "Jansen" not in response.content.decode()
        response = browser.post(f"/clients/{world.client.pk}/diary/", {"body": "Hi"})
        assert response.status_code == 404
    assert not DiaryNote.objects.exists()
    assert AccessLogEntry.objects.count() == logged


# --- adding a note ----------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_note_over_1000_characters_is_a_400_naming_the_field(world, headers):
    browser = browser_as(world.daughter)
    response = browser.post(diary_url(world), {"body": "x" * 1001}, headers=headers)
    assert response.status_code == 400
    html = response.content.decode()
    message = "At most 1,000 characters (this has 1,001)."
    assert f'<p class="error" id="e-scope-diary-body">{message}</p>' in html  # under the box
    assert 'name="body"' in html and "x" * 1001 in html  # what she typed is kept
    assert 'id="scope-diary"' in html and "data-editing" in html
    assert not DiaryNote.objects.exists()


def test_a_note_is_added_with_and_without_htmx(world):
    browser = browser_as(world.daughter)
    response = browser.post(diary_url(world), {"body": "Shopping done."})
    assert response.status_code == 302
    assert response["Location"] == f"{portal(world)}#scope-diary"
    response = browser.post(diary_url(world), {"body": "Mum is cheerful."}, headers=HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card" id="scope-diary"')
    assert "Your note is in the diary." in html
    assert html.index("Mum is cheerful.") < html.index("Shopping done.")  # newest first
    assert [n.author for n in DiaryNote.objects.all()] == [world.daughter, world.daughter]


def test_the_care_team_adds_a_note_from_the_client_page(world):
    browser = browser_as(world.ana)
    c = world.client.pk
    html = browser.get(f"/clients/{c}/").content.decode()
    assert 'id="diary"' in html and f'action="/clients/{c}/diary/"' in html
    response = browser.post(f"/clients/{c}/diary/", {"body": "Ben starts Mondays now."})
    assert (response.status_code, response["Location"]) == (302, f"/clients/{c}/#diary")
    response = browser.post(f"/clients/{c}/diary/", {"body": "Key safe fixed."}, headers=HTMX)
    assert response.status_code == 200 and "The note is in the diary." in response.content.decode()
    response = browser.post(f"/clients/{c}/diary/", {"body": ""}, headers=HTMX)
    assert response.status_code == 400
    assert '<p class="error" id="e-diary-body">Required.</p>' in response.content.decode()
    html = browser.get(f"/clients/{c}/sections/diary/", headers=HTMX).content.decode()
    assert html.index("Key safe fixed.") < html.index("Ben starts Mondays now.")
    assert DiaryNote.objects.filter(author=world.ana).count() == 2
    # The daughter reads them in her portal; the team page's form is not hers.
    assert "Key safe fixed." in browser_as(world.daughter).get(portal(world)).content.decode()
    daughter = browser_as(world.daughter)
    assert daughter.post(f"/clients/{c}/diary/", {"body": "x"}).status_code == 404


# --- every read is logged ---------------------------------------------------------------------


def test_each_section_read_writes_an_access_log_row(world):
    browser = browser_as(world.mrs_jansen)
    browser.get(portal(world))
    page = reads(world.mrs_jansen)
    for what in (
        "visits (portal)",
        "care plan (portal)",
        "budget statement (portal)",
        "shared diary (portal)",
    ):
        assert page.count(what) == 1, what
    for scope in ("visits", "budget", "diary"):
        before = len(reads(world.mrs_jansen))
        assert browser.get(f"{portal(world)}sections/{scope}/", headers=HTMX).status_code == 200
        assert len(reads(world.mrs_jansen)) == before + 1
    assert reads(world.mrs_jansen)[-3:] == [
        "visits (portal) (live update)",
        "budget statement (portal) (live update)",
        "shared diary (portal) (live update)",
    ]
    browser.post(diary_url(world), {"body": "Thank you all."})
    assert reads(world.mrs_jansen)[-1] == "shared diary (to add to it)"
    # The daughter's reads say why she may.
    browser_as(world.daughter).get(portal(world))
    assert set(AccessLogEntry.objects.filter(person=world.daughter).values_list("what", "why")) == {
        ("visits (portal)", "shared with them: diary, visits"),
        ("shared diary (portal)", "shared with them: diary, visits"),
    }
