"""The team's figures page: its own figures for a month, the informer's share button,
the network's shared figures with the median, and who may open it.

The same world as tests/care/test_figures.py: Noord's March worked out by hand there
(2 of 3 visits, 1.5 hours for one client); "now" is 10 April 2026.
"""

from __future__ import annotations

import pytest
import time_machine
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext

from care.figures.services import share_figures
from care.models import SharedFigures
from tests.care.test_figures import NOW, build, done, informer
from tests.factories import ClientFactory, TeamFactory, member

pytestmark = pytest.mark.django_db

PAGE = "/teams/noord/figures/"


@pytest.fixture
def w(personas):
    with time_machine.travel(NOW, tick=False):
        yield build(personas)


def browser(person) -> Browser:
    b = Browser()
    b.force_login(person)
    return b


def test_the_informer_sees_the_teams_figures_and_a_share_button(w):
    html = browser(w.ana).get(PAGE, {"period": "2026-03"}).content.decode()
    assert "Our figures, March 2026" in html
    # 2 of 3 planned visits done: 66.7%; 90 minutes for one client: 1.5 hours.
    assert '<dd data-figure="visits_delivered"><strong>66.7%</strong>' in html
    assert "2 of 3 planned visits done" in html
    assert '<dd data-figure="hours_per_client"><strong>1.5 hours</strong>' in html
    # Knowledge from 2 to 3: +1.00; Status unchanged: 0.00.
    assert '<dd data-figure="knowledge_change"><strong>+1.00</strong>' in html
    assert '<dd data-figure="status_change"><strong>0.00</strong>' in html
    assert "data-not-shared" in html
    assert 'data-action="share"' in html
    assert "Share March 2026 with the network" in html
    assert "No team has shared its figures for March 2026 yet." in html
    # By default the page shows last month; the chooser offers the last twelve.
    default = browser(w.ana).get(PAGE).content.decode()
    assert "Our figures, March 2026" in default
    assert '<option value="2026-04">April 2026</option>' in default
    assert '<option value="2025-05">May 2025</option>' in default


def test_other_members_see_who_shares_and_no_button(w):
    html = browser(w.ben).get(PAGE, {"period": "2026-03"}).content.decode()
    assert "Ana de Vries is the team's informer and shares its figures." in html
    assert 'data-action="share"' not in html


def test_sharing_from_the_page_and_what_the_network_then_shows(w):
    response = browser(w.ana).post(f"{PAGE}share/", {"period": "2026-03"}, follow=True)
    assert response.redirect_chain == [(f"{PAGE}?period=2026-03", 302)]
    html = response.content.decode()
    assert "The figures for 2026-03 are shared with the network." in html
    assert "Shared by Ana de Vries on 10 April 2026." in html
    assert 'data-action="share"' not in html  # nothing changed since: nothing to share
    assert SharedFigures.objects.get().shared_by == w.ana
    # The network: Noord's shared values, marked as yours, and the median of one team.
    assert "1 team shared March 2026." in html
    assert '<dt class="you">Noord (yours)</dt>' in html
    assert html.count('data-network-figure="') == 8
    assert '<dd data-median><strong>1.5 hours</strong> <span class="meta">of 1 team</span>' in html
    # A visit recorded late changes the figures: the informer may share again.
    done(w.anna, "2026-03-09", w.ben, 30)
    again = browser(w.ana).get(PAGE, {"period": "2026-03"}).content.decode()
    assert "data-changed" in again
    assert "Share March 2026 again" in again


def test_a_member_who_is_not_the_informer_cannot_share(w):
    response = browser(w.ben).post(f"{PAGE}share/", {"period": "2026-03"})
    assert response.status_code == 403
    assert "Only the team&#x27;s informer shares its figures: that is Ana de Vries now." in (
        response.content.decode()
    )
    assert not SharedFigures.objects.exists()


@pytest.mark.parametrize(
    ("period", "status", "message"),
    [
        ("2026-04", 400, "April 2026 is not over yet"),
        ("2026-05", 400, "2026-05 has not begun yet"),
        ("2026-Q1", 400, "not a quarter"),
        ("bad", 400, "Not a period"),
    ],
)
def test_sharing_a_month_that_cannot_be_shared_says_why(w, period, status, message):
    response = browser(w.ana).post(f"{PAGE}share/", {"period": period})
    assert response.status_code == status
    assert message in response.content.decode()
    assert not SharedFigures.objects.exists()


def test_a_bad_or_future_month_shows_last_month_and_says_why(w):
    for period, message in (("2026-13", "Not a period"), ("2026-05", "has not begun yet")):
        response = browser(w.ana).get(PAGE, {"period": period})
        assert response.status_code == 400
        html = response.content.decode()
        assert message in html
        assert "Our figures, March 2026" in html


def test_the_month_running_is_shown_so_far_and_not_shareable(w):
    html = browser(w.ana).get(PAGE, {"period": "2026-04"}).content.decode()
    assert "April 2026 is not over yet: these are the figures so far." in html
    assert "A month is shared once it is over." in html
    assert 'data-action="share"' not in html


def test_what_noord_has_not_shared_never_reaches_zuids_page(w):
    zuid = "/teams/zuid/figures/"
    before = browser(w.cas).get(zuid, {"period": "2026-03"}).content.decode()
    assert "Noord" not in before
    # Zuid's own, unshared: 141 minutes for one client, 2.4 hours.
    assert '<dd data-figure="hours_per_client"><strong>2.4 hours</strong>' in before
    share_figures(actor=w.ana, team=w.noord, period="2026-03")
    after = browser(w.cas).get(zuid, {"period": "2026-03"}).content.decode()
    # Noord's shared figures only, never the rest (its punctuality, budget, members).
    assert after.count("<dt>Noord</dt>") == 8
    assert "Noord (yours)" not in after


def test_only_the_teams_members_open_its_figures(w, outsiders):
    share_figures(actor=w.ana, team=w.noord, period="2026-03")
    chart = f"{PAGE}chart.svg?period=2026-03&figure=hours_per_client"
    for who, person in outsiders.items():
        b = browser(person)
        assert b.get(PAGE).status_code == 404, who
        assert b.get(chart).status_code == 404, who
        assert b.post(f"{PAGE}share/", {"period": "2026-03"}).status_code == 404, who
    assert Browser().get(PAGE).status_code == 302  # to the sign-in page
    assert SharedFigures.objects.count() == 1


def test_the_chart_draws_the_shared_figure_without_script(w):
    share_figures(actor=w.ana, team=w.noord, period="2026-03")
    response = browser(w.ben).get(f"{PAGE}chart.svg?period=2026-03&figure=hours_per_client")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    svg = response.content.decode()
    assert "<script" not in svg
    assert "Noord (yours)" in svg and "Network median" in svg
    assert "1.5 hours" in svg
    b = browser(w.ben)
    assert b.get(f"{PAGE}chart.svg?period=2026-03&figure=budget_use").status_code == 404
    assert b.get(f"{PAGE}chart.svg?period=2026-05&figure=hours_per_client").status_code == 404


def test_the_team_page_links_to_the_figures(w):
    html = browser(w.ben).get("/teams/noord/").content.decode()
    assert f'href="{PAGE}"' in html


def test_the_page_takes_the_same_queries_however_many_teams_shared(w):
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert browser(w.ben).get(PAGE, {"period": "2026-03"}).status_code == 200
        return len(queries)

    share_figures(actor=w.ana, team=w.noord, period="2026-03")
    small = count()
    for n in range(5):
        team = TeamFactory(name=f"Team {n}", slug=f"team-x{n}")
        person = member(f"informer-{n}", team)
        informer(team, person)
        client = ClientFactory(team=team, first_name="C", last_name=str(n))
        done(client, "2026-03-02", person, 30 + n)
        share_figures(actor=person, team=team, period="2026-03")
    assert small == count()
