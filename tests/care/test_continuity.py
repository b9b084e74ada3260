"""Continuity of carer: figures checked against counts worked out by hand."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext

from care.models import Client, Visit
from care.selectors.continuity import continuity_of, team_continuity
from tests.care.visit_helpers import NOW
from tests.factories import ClientFactory, VisitFactory, member

pytestmark = pytest.mark.django_db


def done(client: Client, carer, days_ago: float, status=Visit.Status.DONE, **fields) -> Visit:
    return VisitFactory(
        client=client,
        window_start=NOW - datetime.timedelta(days=days_ago),
        assignee=carer,
        status=status,
        **fields,
    )


@pytest.fixture
def team(personas):
    noord = personas.noord
    carers = [personas.ana, personas.ben, member("dee", noord), member("eva", noord)]
    jansen = ClientFactory(team=noord, first_name="Wilma", last_name="Jansen")
    smit = ClientFactory(team=noord, first_name="Kees", last_name="Smit")
    quiet = ClientFactory(team=noord, first_name="Lies", last_name="Stil")
    ana, ben, dee, eva = carers
    # Jansen: ana 5, ben 3, dee 1, eva 1 in the window -> 4 carers, top two 8 of 10.
    for i in range(5):
        done(jansen, ana, 1 + i)
    for i in range(3):
        done(jansen, ben, 6 + i)
    done(jansen, dee, 10)
    done(jansen, eva, 27)
    # Outside the window, or not done, or nobody went: none of it counts.
    done(jansen, dee, 29)
    done(jansen, eva, 2, status=Visit.Status.CANCELLED)
    done(jansen, None, 3, status=Visit.Status.PLANNED)
    done(jansen, ana, -1, status=Visit.Status.ASSIGNED)
    # Smit: ben 2, ana 1 -> 2 carers, top two 3 of 3.
    done(smit, ben, 1)
    done(smit, ben, 2)
    done(smit, ana, 3)
    # Another team's client does not count for Noord.
    other = ClientFactory(team=personas.zuid, first_name="Jan", last_name="Buur")
    done(other, personas.cas, 1)
    return {"jansen": jansen, "smit": smit, "quiet": quiet, "other": other}


def test_each_clients_figures_match_the_hand_count(team):
    figures = continuity_of(team.values(), now=NOW)
    jansen = figures[team["jansen"].pk]
    assert (jansen.visits, jansen.distinct_carers, jansen.top_two_visits) == (10, 4, 8)
    assert jansen.top_two_share == Decimal("80.0")
    smit = figures[team["smit"].pk]
    assert (smit.visits, smit.distinct_carers, smit.top_two_share) == (3, 2, Decimal("100.0"))
    quiet = figures[team["quiet"].pk]
    assert (quiet.visits, quiet.distinct_carers, quiet.top_two_share) == (0, 0, None)


def test_the_window_is_the_four_weeks_before_now(team):
    # A day later eva's visit of 27 days ago has fallen out: 9 visits, 3 carers.
    later = continuity_of([team["jansen"]], now=NOW + datetime.timedelta(days=1, hours=1))
    figure = later[team["jansen"].pk]
    assert (figure.visits, figure.distinct_carers, figure.top_two_visits) == (9, 3, 8)
    assert figure.top_two_share == Decimal("88.9")


def test_the_team_figure_pools_visits_and_averages_carers(team, personas):
    figure = team_continuity(personas.noord, now=NOW)
    # Clients visited: Jansen (4 carers) and Smit (2) -> mean 3.0; top two 11 of 13.
    assert figure.clients == 2
    assert figure.visits == 13
    assert figure.mean_distinct_carers == Decimal("3.0")
    assert figure.top_two_share == Decimal("84.6")
    empty = team_continuity(personas.zuid, now=NOW - datetime.timedelta(days=60))
    assert (empty.visits, empty.mean_distinct_carers, empty.top_two_share) == (0, None, None)


def test_one_query_however_many_clients_and_visits(team, personas):
    def count(call) -> int:
        with CaptureQueriesContext(connection) as queries:
            call()
        return len(queries)

    clients = list(Client.objects.filter(team=personas.noord))
    few = (
        count(lambda: continuity_of(clients, now=NOW)),
        count(lambda: team_continuity(personas.noord, now=NOW)),
    )
    for n in range(20):
        client = ClientFactory(team=personas.noord, first_name=f"C{n}", last_name="X")
        done(client, personas.ana, 1)
        done(client, personas.ben, 2)
        clients.append(client)
    many = (
        count(lambda: continuity_of(clients, now=NOW)),
        count(lambda: team_continuity(personas.noord, now=NOW)),
    )
    assert few == many == (1, 1)


# --- where the team sees it -------------------------------------------------------------------


def test_the_team_page_and_the_client_list_show_the_figures(team, personas):
    browser = Browser()
    with time_machine.travel(NOW, tick=False):
        # Signed in then: a sign-in made hours before NOW would have ended (idle).
        browser.force_login(personas.ana)
        home = browser.get("/teams/noord/").content.decode()
        section = browser.get("/teams/noord/sections/clients/").content.decode()
        listing = browser.get("/teams/noord/clients/").content.decode()
    for html in (home, section):
        assert "<strong>3.0</strong> different carers per client" in html
        assert "<strong>84.6%</strong> of visits" in html
        assert "13 visits to 2 clients" in html
    assert "4 carers in 4 weeks, 80.0% by the two most frequent" in listing
    assert "2 carers in 4 weeks, 100.0% by the two most frequent" in listing
    # Lies Stil has had no visit: no figure rather than a misleading zero.
    assert listing.count("data-continuity") == 2
    # Another team sees none of Noord's figures.
    browser.force_login(personas.cas)
    assert browser.get("/teams/noord/sections/clients/").status_code == 404
