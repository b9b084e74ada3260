"""Pages of clients' records: the team's client list and client page, the care plan's
forms and chart, and the portal of the client and the people she shares it with.

Every page asks: may the person open it (404 for everyone else, and nothing logged
or written), is every read of the record logged for the client to see, does bad
input come back with the field named and what was typed kept, and does the query
count stay flat as clients, problems and ratings pile up.
"""

from __future__ import annotations

import datetime
import json
import re

import pytest
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from care.models import AccessLogEntry, Client, Grant, NetworkMember, OutcomeRating, PlanProblem
from care.services import clients as client_services
from care.services import plans
from coordination.events.streams import client_stream
from frontend import writes
from tests.care.jansen import jansen_with_family
from tests.factories import member
from tests.frontend.omaha import ensure_omaha_reference

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def browser_as(person=None) -> Browser:
    browser = Browser()
    if person is not None:
        browser.force_login(person)
    return browser


@pytest.fixture(autouse=True)
def _omaha(db):
    ensure_omaha_reference()


@pytest.fixture
def world(personas):
    """Mrs Jansen, client of Noord, with her own account; her daughter Petra sees her
    visits, diary and plan; one problem in the plan, rated once."""
    client, entry = jansen_with_family(personas)
    problem = plans.plan_add_problem(
        actor=personas.ana,
        client=client,
        version=1,
        problem=25,
        scope="individual",
        severity="potential",
    )
    plans.plan_rate(
        actor=personas.ana,
        plan_problem=problem,
        knowledge=2,
        behavior=2,
        status=3,
        rated_on=timezone.localdate() - datetime.timedelta(days=30),
    )
    personas.client, personas.entry, personas.problem = client, entry, problem
    return personas


def version(client) -> int:
    return client.plan.__class__.objects.get(client=client).version


def team_urls(w) -> list[tuple[str, str, dict | None]]:
    """Every team-side page, part and form of a client's record."""
    c, p = w.client.pk, w.problem.pk
    return [
        ("get", "/teams/noord/clients/", None),
        ("post", "/teams/noord/clients/", {"first_name": "A", "last_name": "B"}),
        ("get", f"/clients/{c}/", None),
        *[
            ("get", f"/clients/{c}/sections/{name}/", None)
            for name in ("status", "network", "plan")
        ],
        ("get", f"/clients/{c}/details/", None),
        ("get", f"/clients/{c}/details/?edit=1", None),
        ("post", f"/clients/{c}/details/", {"phone": "1", "first_name": "W", "version": "1"}),
        ("post", f"/clients/{c}/status/", {"status": "active"}),
        ("post", f"/clients/{c}/network/", {"circle": "formal", "relationship": "x", "name": "X"}),
        (
            "post",
            f"/clients/{c}/plan/problems/",
            {"problem": "6", "scope": "individual", "severity": "potential", "version": "3"},
        ),
        (
            "post",
            f"/clients/{c}/plan/{p}/interventions/",
            {"category": "1", "target": "15", "description": "d", "frequency": "f", "version": "3"},
        ),
        (
            "post",
            f"/clients/{c}/plan/{p}/ratings/",
            {"knowledge": "3", "behavior": "3", "status": "3"},
        ),
    ]


def portal_urls(w) -> list[tuple[str, str, dict | None]]:
    c = w.client.pk
    return [
        ("get", f"/portal/clients/{c}/", None),
        ("get", f"/portal/clients/{c}/sections/plan/", None),
        ("post", f"/portal/clients/{c}/sharing/{w.entry.pk}/", {"scopes": ["plan"]}),
    ]


def chart_url(w, problem=None) -> str:
    return f"/clients/{w.client.pk}/plan/{(problem or w.problem).pk}/chart.svg"


def snapshot():
    return (
        Client.objects.count(),
        list(Client.objects.values_list("phone", "status", "first_name")),
        NetworkMember.objects.count(),
        PlanProblem.objects.count(),
        OutcomeRating.objects.count(),
        sorted(Grant.objects.filter(revoked_at__isnull=True).values_list("scope", flat=True)),
    )


def reads(person, client=None) -> list[tuple[str, str]]:
    rows = AccessLogEntry.objects.filter(person=person)
    if client is not None:
        rows = rows.filter(client=client)
    return list(rows.order_by("id").values_list("what", "why"))


# --- who reaches what ------------------------------------------------------------------------


def test_a_member_sees_the_client_list_and_the_client_page(world):
    browser = browser_as(world.ana)
    response = browser.get("/teams/noord/clients/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Wilma Jansen" in html and "7413 EW" in html and "Referral" in html
    assert f'href="/clients/{world.client.pk}/"' in html
    # The team home links to the list.
    assert 'href="/teams/noord/clients/"' in browser.get("/teams/noord/").content.decode()

    response = browser.get(f"/clients/{world.client.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    for words in [
        "Ceintuurbaan 118",
        "Informal circle",
        "Formal circle",
        "Petra Jansen",
        "Huisartsenpraktijk Voorstad",
        "Kith account",
        "Sees: visits and who is coming, care plan, shared diary",
        "Neuro-musculo-skeletal function",
        "Physiological",
        chart_url(world),
    ]:
        assert words in html, words
    # The forms behind closed disclosures are read when first opened: the rating form's
    # anchor wording comes with the plan section read whole, or the page with ?unfold=1.
    rate = f"rate-{world.problem.pk}"
    assert "No knowledge" not in html
    assert f'hx-select="#{rate} > :not(summary)"' in html
    assert f'href="/clients/{world.client.pk}/?unfold=1#{rate}"' in html
    plan = browser.get(f"/clients/{world.client.pk}/sections/plan/?unfold=1").content.decode()
    assert "No knowledge" in plan and "<html" not in plan
    whole = browser.get(f"/clients/{world.client.pk}/?unfold=1").content.decode()
    assert "No knowledge" in whole
    # The page's own navigation names its sections.
    for section in ["details", "people", "status", "visits", "budget", "network", "plan", "diary"]:
        assert f'<a href="#{section}">' in html and f'id="{section}"' in html, section
    # The page follows the team's stream for live updates of this client's sections.
    live = json.loads(re.search(r'id="kith-live"[^>]*>(.*?)</script>', html).group(1))
    assert list(live["streams"]) == [world.noord.stream]
    # No inline script or style: the page policy forbids them.
    assert "<script>" not in html and " style=" not in html and " onclick" not in html


def test_every_read_by_the_team_is_logged_as_care_team(world):
    browser = browser_as(world.ana)
    c = world.client.pk
    browser.get(f"/clients/{c}/")
    browser.get(f"/clients/{c}/sections/plan/", headers=HTMX)
    browser.get(f"/clients/{c}/details/?edit=1", headers=HTMX)
    assert browser.get(chart_url(world)).status_code == 200
    browser.post(
        f"/clients/{c}/plan/{world.problem.pk}/ratings/",
        {"knowledge": "3", "behavior": "3", "status": "3"},
    )
    logged = reads(world.ana, world.client)
    assert [what for what, _ in logged] == [
        "client page",
        "client page (live update)",
        "details",
        "care plan chart",
        "care plan (to rate it)",
    ]
    assert {why for _, why in logged} == {"care team"}
    # The list names the team's clients; opening it is not a read of any record.
    browser.get("/teams/noord/clients/")
    assert len(reads(world.ana)) == len(logged)


@pytest.mark.parametrize("who", ["cas", "coach", "inspector"])
def test_outsiders_get_404_on_every_client_page_form_and_chart(world, who):
    person = getattr(world, who)
    browser = browser_as(person)
    before, logged = snapshot(), AccessLogEntry.objects.count()
    for method, url, data in [
        *team_urls(world),
        *portal_urls(world),
        ("get", chart_url(world), None),
    ]:
        for headers in ({}, HTMX):
            response = getattr(browser, method)(url, data or {}, headers=headers)
            assert response.status_code == 404, (who, method, url, headers)
            assert "Jansen" not in response.content.decode()
    assert snapshot() == before
    assert AccessLogEntry.objects.count() == logged
    assert "Jansen" not in browser.get("/").content.decode()


def test_the_omaha_signs_are_for_team_members(world):
    response = browser_as(world.cas).get("/omaha/signs/?problem=25")
    assert response.status_code == 200 and "decreased balance" in response.content.decode()
    assert browser_as(world.coach).get("/omaha/signs/?problem=25").status_code == 404
    assert browser_as(world.daughter).get("/omaha/signs/?problem=25").status_code == 404


def test_the_daughter_sees_only_what_her_mother_shares(world):
    browser = browser_as(world.daughter)
    home = browser.get("/").content.decode()
    assert "Wilma Jansen" in home and "Shared with you" in home
    response = browser.get(f"/portal/clients/{world.client.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Wilma Jansen's care record" in html
    assert "Neuro-musculo-skeletal function" in html and chart_url(world) in html
    assert 'id="scope-plan"' in html
    for scope_label in ("Visits and who is coming", "Care plan", "Shared diary"):
        assert scope_label in html
    # Not hers: who can see what, who read the record, the team's forms.
    assert "Who can see what" not in html and "Who read" not in html
    assert "Save the rating" not in html and "Add a problem" not in html
    assert "Dr. Anneke Brinkman" not in html
    # The socket follows exactly her scopes of this record.
    live = json.loads(re.search(r'id="kith-live"[^>]*>(.*?)</script>', html).group(1))
    c = world.client.pk
    assert set(live["streams"]) == {client_stream(c, s) for s in ("visits", "plan", "diary")}
    assert browser.get(chart_url(world)).status_code == 200
    assert browser.get(f"/portal/clients/{c}/sections/plan/").status_code == 200
    assert {why for _, why in reads(world.daughter)} == {"shared with them: diary, plan, visits"}
    assert "care plan (portal)" in [what for what, _ in reads(world.daughter)]

    # The team side is not hers, nor is the sharing form.
    before, logged = snapshot(), AccessLogEntry.objects.count()
    for method, url, data in [*team_urls(world), portal_urls(world)[2]]:
        response = getattr(browser, method)(url, data or {})
        assert response.status_code == 404, (method, url)
    assert snapshot() == before
    assert AccessLogEntry.objects.count() == logged


def test_after_a_revoke_the_plan_and_its_chart_are_refused(world):
    grant = Grant.objects.get(member=world.entry, scope="plan", revoked_at__isnull=True)
    client_services.grant_revoke(actor=world.mrs_jansen, grant=grant)
    browser = browser_as(world.daughter)
    c = world.client.pk
    assert browser.get(chart_url(world)).status_code == 404
    assert browser.get(f"/portal/clients/{c}/sections/plan/").status_code == 404
    # A live refresh of the section gets an empty 404: htmx swaps the section away.
    response = browser.get(f"/portal/clients/{c}/sections/plan/", headers=HTMX)
    assert (response.status_code, response.content) == (404, b"")
    html = browser.get(f"/portal/clients/{c}/").content.decode()
    assert "Neuro-musculo-skeletal" not in html and 'id="scope-plan"' not in html
    assert "Care plan" not in html and "Visits and who is coming" in html
    # With nothing shared at all, the record is gone from her portal.
    for grant in Grant.objects.filter(member=world.entry, revoked_at__isnull=True):
        client_services.grant_revoke(actor=world.mrs_jansen, grant=grant)
    assert browser.get(f"/portal/clients/{c}/").status_code == 404
    assert "Wilma" not in browser.get("/").content.decode()


def test_mrs_jansen_sees_her_record_who_sees_what_and_who_read_it(world):
    browser_as(world.ana).get(f"/clients/{world.client.pk}/")
    browser = browser_as(world.mrs_jansen)
    home = browser.get("/").content.decode()
    assert "Your care record" in home and f"/portal/clients/{world.client.pk}/" in home
    response = browser.get(f"/portal/clients/{world.client.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your care record" in html and "Neuro-musculo-skeletal function" in html
    assert "Who can see what" in html and "Who read my record" in html
    assert "Petra Jansen" in html and "Dr. Anneke Brinkman" in html
    assert "Ana de Vries</span> read client page" in html and "(care team)" in html
    assert "Save the rating" not in html
    assert " style=" not in html and "<script>" not in html
    # All five scopes of her own record are live on the page.
    live = json.loads(re.search(r'id="kith-live"[^>]*>(.*?)</script>', html).group(1))
    assert len(live["streams"]) == 5
    # The team side is not hers.
    before = snapshot()
    for method, url, data in team_urls(world):
        assert getattr(browser, method)(url, data or {}).status_code == 404, (method, url)
    assert snapshot() == before


def test_mrs_jansen_grants_and_revokes_in_the_portal(world):
    browser = browser_as(world.mrs_jansen)
    url = f"/portal/clients/{world.client.pk}/sharing/{world.entry.pk}/"

    def open_scopes():
        return sorted(
            Grant.objects.filter(member=world.entry, revoked_at__isnull=True).values_list(
                "scope", flat=True
            )
        )

    # Untick the plan: revoked at once. Without JavaScript: back to the page.
    response = browser.post(url, {"scopes": ["visits", "diary"]})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#sharing")
    assert open_scopes() == ["diary", "visits"]
    revoked = Grant.objects.get(member=world.entry, scope="plan")
    assert revoked.revoked_by == world.mrs_jansen
    # Tick budget until a date, with htmx: the sharing section comes back.
    until = timezone.localdate() + datetime.timedelta(days=30)
    response = browser.post(
        url, {"scopes": ["visits", "diary", "budget"], "until": until.isoformat()}, headers=HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="sharing"' in html and "Saved" in html
    assert f'value="{until.isoformat()}"' in html
    assert open_scopes() == ["budget", "diary", "visits"]
    grants = Grant.objects.filter(member=world.entry, revoked_at__isnull=True)
    assert {timezone.localtime(g.expires_at).date() for g in grants} == {
        until + datetime.timedelta(days=1)
    }
    # A date in the past is refused, named at its field, and what was ticked is kept.
    response = browser.post(url, {"scopes": ["plan"], "until": "2001-01-01"}, headers=HTMX)
    assert response.status_code == 400
    html = response.content.decode()
    assert "The expiry must be in the future." in html and 'value="2001-01-01"' in html
    assert re.search(r'value="plan" checked', html)
    assert open_scopes() == ["budget", "diary", "visits"]
    response = browser.post(url, {"scopes": ["plan"], "until": "someday"})
    assert response.status_code == 400 and "Not a date" in response.content.decode()
    # Someone not in her network: 404.
    other = client_services.client_create(
        actor=world.ana, team=world.noord, first_name="O", last_name="Ther"
    )
    stranger = client_services.network_add(
        actor=world.ana, client=other, circle="informal", relationship="son", name="S"
    )
    assert (
        browser.post(f"/portal/clients/{world.client.pk}/sharing/{stranger.pk}/", {}).status_code
        == 404
    )


# --- forms: field messages, typed values kept --------------------------------------------------


def test_taking_on_a_client(world):
    browser = browser_as(world.ben)
    response = browser.post(
        "/teams/noord/clients/",
        {"first_name": "Gerrit", "last_name": "", "postcode": "7413 AB", "date_of_birth": ""},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Required." in html and 'value="Gerrit"' in html and 'value="7413 AB"' in html
    response = browser.post(
        "/teams/noord/clients/",
        {"first_name": "Gerrit", "last_name": "Bosch", "date_of_birth": "2999-01-01"},
        headers=HTMX,
    )
    assert response.status_code == 400
    assert "cannot be in the future" in response.content.decode()
    response = browser.post(
        "/teams/noord/clients/",
        {
            "first_name": "Gerrit",
            "last_name": "Bosch",
            "postcode": "7413 AB",
            "date_of_birth": "1936-04-12",
        },
    )
    gerrit = Client.objects.get(first_name="Gerrit")
    assert response.status_code == 302 and response.headers["Location"] == f"/clients/{gerrit.pk}/"
    assert (gerrit.team, gerrit.status, gerrit.date_of_birth) == (
        world.noord,
        "referral",
        datetime.date(1936, 4, 12),
    )


def test_details_stale_version_is_a_conflict_that_keeps_what_was_typed(world):
    c, seen = world.client.pk, world.client.version  # the version both forms were opened at
    client_services.client_update(
        actor=world.ben, client=world.client, version=seen, phone="0570 1"
    )
    response = browser_as(world.ana).post(
        f"/clients/{c}/details/",
        {"first_name": "Wilma", "last_name": "Jansen", "phone": "0570 2", "version": str(seen)},
        headers=HTMX,
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "The client&#x27;s details changed since you opened them." in html and "0570 1" in html
    assert 'value="0570 2"' in html and f'name="version" value="{seen + 1}"' in html
    assert Client.objects.get(pk=c).phone == "0570 1"
    response = browser_as(world.ana).post(
        f"/clients/{c}/details/",
        {"first_name": "", "last_name": "Jansen", "phone": "0570 3", "version": str(seen + 1)},
        headers=HTMX,
    )
    assert response.status_code == 400 and "Required." in response.content.decode()
    response = browser_as(world.ana).post(
        f"/clients/{c}/details/",
        {"first_name": "Wilma", "last_name": "Jansen", "phone": "0570 3", "version": str(seen + 1)},
    )
    assert response.status_code == 302 and Client.objects.get(pk=c).phone == "0570 3"


def test_editing_details_without_javascript_shows_the_page_with_the_form(world):
    response = browser_as(world.ana).get(f"/clients/{world.client.pk}/details/?edit=1")
    html = response.content.decode()
    assert response.status_code == 200 and "<title>" in html
    assert f'name="version" value="{world.client.version}"' in html
    assert 'value="Ceintuurbaan 118"' in html


def test_status_moves_only_along_allowed_paths(world):
    c = world.client.pk
    browser = browser_as(world.ana)
    html = browser.get(f"/clients/{c}/").content.decode()
    assert 'value="active"' in html and 'value="paused"' not in html  # from referral
    response = browser.post(f"/clients/{c}/status/", {"status": "paused", "on": ""}, headers=HTMX)
    assert response.status_code == 400
    assert "cannot become paused" in response.content.decode()
    response = browser.post(
        f"/clients/{c}/status/", {"status": "active", "on": "x", "note": "n"}, headers=HTMX
    )
    assert response.status_code == 400 and "Not a date" in response.content.decode()
    response = browser.post(f"/clients/{c}/status/", {"status": "active", "note": "first visit"})
    assert response.status_code == 302
    assert Client.objects.get(pk=c).status == "active"


def test_adding_to_the_network(world):
    c = world.client.pk
    browser = browser_as(world.ana)
    response = browser.post(
        f"/clients/{c}/network/",
        {"circle": "informal", "relationship": "neighbour", "name": "", "takes_on": "Post"},
        headers=HTMX,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Required." in html and ">Post</textarea>" in html and 'value="neighbour"' in html
    response = browser.post(
        f"/clients/{c}/network/",
        {"circle": "informal", "relationship": "neighbour", "name": "Henk de Groot"},
        headers=HTMX,
    )
    assert response.status_code == 200 and "Henk de Groot" in response.content.decode()
    assert NetworkMember.objects.filter(client=world.client, name="Henk de Groot").exists()


def test_a_rating_of_6_is_refused_at_its_scale_and_the_rest_is_kept(world):
    url = f"/clients/{world.client.pk}/plan/{world.problem.pk}/ratings/"
    for headers in ({}, HTMX):
        response = browser_as(world.ana).post(
            url,
            {"knowledge": "6", "behavior": "4", "status": "3", "note": "walked to the shop"},
            headers=headers,
        )
        assert response.status_code == 400
        html = response.content.decode()
        error = re.search(rf'id="e-r{world.problem.pk}-knowledge">([^<]*)<', html)
        assert error and error.group(1) == "A rating from 1 to 5."
        assert 'value="walked to the shop"' in html
        assert re.search(r'name="behavior" value="4" checked', html)
        assert f'id="rate-{world.problem.pk}" open' in html
    assert OutcomeRating.objects.count() == 1


def test_rating_adds_to_the_chart(world):
    url = f"/clients/{world.client.pk}/plan/{world.problem.pk}/ratings/"
    before = version(world.client)
    response = browser_as(world.ana).post(
        url, {"knowledge": "4", "behavior": "3", "status": "4", "rated_on": ""}, headers=HTMX
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f"{chart_url(world)}?v={before + 1}" in html  # a new image address
    assert "Latest: Knowledge 4, Behavior 3, Status 4" in html
    svg = browser_as(world.ana).get(chart_url(world))
    assert svg.status_code == 200 and svg["Content-Type"] == "image/svg+xml"
    body = svg.content.decode()
    assert body.startswith("<svg") and "<script" not in body
    assert "Knowledge" in body and "Behavior" in body and "Status" in body
    assert svg["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
    )
    assert svg["Cache-Control"] == "no-store"


def test_adding_an_unknown_problem_is_refused_with_the_choice_kept(world):
    url = f"/clients/{world.client.pk}/plan/problems/"
    v = str(version(world.client))
    response = browser_as(world.ana).post(
        url, {"problem": "99", "scope": "family", "severity": "potential", "version": v}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Not an Omaha System problem number" in html
    assert re.search(r'<option value="family" selected>', html)
    assert re.search(r'<option value="potential" selected>', html)
    assert 'id="add-problem" open' in html
    # An actual problem needs a sign: the signs of the chosen problem are offered.
    response = browser_as(world.ana).post(
        url,
        {"problem": "42", "scope": "individual", "severity": "actual", "version": v},
        headers=HTMX,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "at least one sign" in html and "inadequate system for taking medication" in html
    assert PlanProblem.objects.count() == 1


def test_adding_a_problem_with_its_signs(world):
    from care.models import OmahaSign

    signs = list(OmahaSign.objects.filter(problem__number=42).values_list("pk", flat=True)[:2])
    response = browser_as(world.ana).post(
        f"/clients/{world.client.pk}/plan/problems/",
        {
            "problem": "42",
            "scope": "individual",
            "severity": "actual",
            "signs": [str(s) for s in signs],
            "version": str(version(world.client)),
        },
        headers=HTMX,
    )
    assert response.status_code == 200
    assert "Medication regimen" in response.content.decode()
    entry = PlanProblem.objects.get(problem__number=42)
    assert sorted(entry.signs.values_list("pk", flat=True)) == sorted(signs)


def test_the_signs_of_a_problem_load_for_the_form(world):
    response = browser_as(world.ana).get("/omaha/signs/?problem=6", headers=HTMX)
    html = response.content.decode()
    assert 'id="signs-field"' in html and "limited social contact" in html
    # Without JavaScript, "Show its signs" reloads the page with the problem chosen.
    html = browser_as(world.ana).get(f"/clients/{world.client.pk}/?problem=6").content.decode()
    assert "limited social contact" in html and 'id="add-problem" open' in html


def test_a_stale_plan_version_is_a_conflict_with_the_current_plan_and_the_typed_values(world):
    stale = str(version(world.client))
    plans.plan_add_problem(
        actor=world.ben,
        client=world.client,
        version=int(stale),
        problem=6,
        scope="individual",
        severity="potential",
    )
    url = f"/clients/{world.client.pk}/plan/{world.problem.pk}/interventions/"
    typed = {
        "category": "2",
        "target": "43",
        "description": "Help with getting up",
        "frequency": "daily",
        "version": stale,
    }
    for headers in ({}, HTMX):
        response = browser_as(world.ana).post(url, typed, headers=headers)
        assert response.status_code == 409
        html = response.content.decode()
        assert "The care plan changed since you opened it." in html
        assert "Social contact" in html  # the plan as it stands now
        assert ">Help with getting up</textarea>" in html and 'value="daily"' in html
        assert re.search(r'<option value="43" selected>', html)
        current = str(version(world.client))
        assert f'name="version" value="{current}"' in html
    assert not world.problem.interventions.exists()
    # Saving again carries the current version: a deliberate addition.
    response = browser_as(world.ana).post(url, typed | {"version": current}, headers=HTMX)
    assert response.status_code == 200
    assert world.problem.interventions.get().description == "Help with getting up"
    # A form without a version is out of date.
    response = browser_as(world.ana).post(url, typed | {"version": ""}, headers=HTMX)
    assert response.status_code == 400 and writes.STALE in response.content.decode()


def test_a_stale_add_problem_is_a_conflict_too(world):
    stale = str(version(world.client))
    plans.plan_rate(actor=world.ben, plan_problem=world.problem, knowledge=3, behavior=3, status=3)
    response = browser_as(world.ana).post(
        f"/clients/{world.client.pk}/plan/problems/",
        {"problem": "6", "scope": "family", "severity": "potential", "version": stale},
        headers=HTMX,
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "The care plan changed since you opened it." in html
    assert re.search(r'<option value="6" selected>', html)
    assert re.search(r'<option value="family" selected>', html)


# --- query counts stay flat ----------------------------------------------------------------


def _count(browser, url) -> int:
    browser.get(url)  # warm: sessions, content types
    with CaptureQueriesContext(connection) as queries:
        assert browser.get(url).status_code == 200
    return len(queries)


def _grow(w, n: int) -> None:
    for i in range(n):
        client_services.client_create(
            actor=w.ana, team=w.noord, first_name=f"C{i}", last_name="Extra", postcode="7414 AB"
        )
    for number in (6, 35, 42):
        entry = plans.plan_add_problem(
            actor=w.ana,
            client=w.client,
            version=version(w.client),
            problem=number,
            scope="individual",
            severity="potential",
        )
        plans.plan_add_intervention(
            actor=w.ana,
            plan_problem=entry,
            version=version(w.client),
            category=1,
            target=15,
            description="d",
            frequency="weekly",
        )
        for _ in range(4):
            plans.plan_rate(actor=w.ben, plan_problem=entry, knowledge=3, behavior=4, status=2)
    for i in range(3):
        client_services.network_add(
            actor=w.ana, client=w.client, circle="informal", relationship="friend", name=f"F{i}"
        )


def test_query_counts_stay_flat_as_the_record_grows(world):
    member("dora", world.noord, first_name="Dora", last_name="Kamp")
    ana = browser_as(world.ana)
    jansen, daughter = browser_as(world.mrs_jansen), browser_as(world.daughter)
    c = world.client.pk
    urls = {
        "list": (ana, "/teams/noord/clients/"),
        "page": (ana, f"/clients/{c}/"),
        "plan": (ana, f"/clients/{c}/sections/plan/"),
        "portal": (jansen, f"/portal/clients/{c}/"),
        "portal (daughter)": (daughter, f"/portal/clients/{c}/"),
    }
    small = {name: _count(*args) for name, args in urls.items()}
    _grow(world, 10)
    large = {name: _count(*args) for name, args in urls.items()}
    assert large == small
    assert small["page"] <= 40


# --- the demo ------------------------------------------------------------------------------


def test_the_demo_mrs_jansen_and_her_daughter_open_their_portal(settings):
    from care import demo as care_demo
    from teams import demo
    from teams.models import Person

    demo.seed()
    care_demo.seed()
    again = care_demo.seed()
    assert set(again.values()) == {0}
    assert Client.objects.filter(team__slug="noord").count() == 8
    assert Client.objects.filter(team__slug="zuid").count() == 5
    assert Client.objects.filter(team__slug="oost").count() == 5
    wilma = Client.objects.get(first_name="Wilma", last_name="Jansen")
    assert wilma.account.username == "mrs_jansen" and wilma.account.kind == "portal"
    assert all(re.fullmatch(r"74\d\d [A-Z]{2}", c.postcode) for c in Client.objects.all())
    html = (
        browser_as(Person.objects.get(username="mrs_jansen"))
        .get(f"/portal/clients/{wilma.pk}/")
        .content.decode()
    )
    for words in ("Medication regimen", "Social contact", "Neuro-musculo-skeletal function"):
        assert words in html
    assert "Huisartsenpraktijk Voorstad" in html and "Who read my record" in html
    petra = Person.objects.get(username="daughter")
    entry = NetworkMember.objects.get(client=wilma, account=petra)
    assert (entry.relationship, entry.circle) == ("daughter", "informal")
    assert "Saturday" in entry.takes_on
    html = browser_as(petra).get(f"/portal/clients/{wilma.pk}/").content.decode()
    assert "Medication regimen" in html and "Who can see what" not in html
    # Ratings at four dates, improving.
    mobility = PlanProblem.objects.get(plan__client=wilma, problem__number=25)
    ratings = list(mobility.ratings.all())
    assert len(ratings) == 4
    assert ratings[-1].knowledge > ratings[0].knowledge


def test_the_demo_has_a_live_board_budgets_and_continuity(settings):
    import datetime

    from django.utils import timezone

    from care import demo as care_demo
    from care.models import Budget, LedgerEntry, Visit
    from care.selectors.budgets import current_statement
    from care.selectors.continuity import team_continuity
    from teams import demo
    from teams.models import Person, Team

    demo.seed()
    care_demo.seed()
    today = timezone.localdate()
    noord = Team.objects.get(slug="noord")
    todays = Visit.objects.filter(client__team=noord, series_date=today)
    # Today's board has visits someone took and visits nobody has yet.
    assert todays.filter(status="assigned").exists()
    assert todays.filter(status="planned", assignee__isnull=True).exists()
    # Four weeks of history, each done visit of a budget holder debited once.
    done = Visit.objects.filter(client__team=noord, status="done")
    assert done.exists() and not done.filter(actual_start__date__gte=today).exists()
    wilma_budget = Budget.objects.get(client__first_name="Wilma", active=True)
    debits = LedgerEntry.objects.filter(budget=wilma_budget, kind="visit_debit")
    assert debits.count() == Visit.objects.filter(client=wilma_budget.client, status="done").count()
    statement = current_statement(wilma_budget, today)
    assert statement is not None
    # Continuity: mostly the same two carers.
    figure = team_continuity(noord)
    assert figure.visits > 20 and figure.top_two_share >= 80
    # Four weeks ahead are generated; the seed is idempotent.
    assert Visit.objects.filter(series_date=today + datetime.timedelta(days=27)).exists()
    count = Visit.objects.count()
    care_demo.seed()
    assert Visit.objects.count() == count
    html = (
        browser_as(Person.objects.get(username="ana")).get("/teams/noord/board/").content.decode()
    )
    assert 'data-action="claim"' in html and "Your visits" in html
