"""The logs people read about reads of their records say what was read, never the
address it was read at: no query string (a search term is not a read of a record),
no text a reader typed into an address, and no read that did not happen.

The client's access log, the coach access log a team reads, and the snapshot reads
a team sees of inspectors: each is walked with addresses carrying query strings.
"""

from __future__ import annotations

import pytest
import time_machine

from care.models import AccessLogEntry, SnapshotRead
from teams.models import CoachAccess
from tests.care.test_quality import NOW as QUALITY_NOW
from tests.care.test_quality import build, published
from tests.factories import adopted
from tests.frontend.decision_pages.world import raise_
from tests.frontend.test_client_visits_budget import browser_as, now, world  # noqa: F401

pytestmark = pytest.mark.django_db

TERM = "Ceintuurbaan secret-term"
QUERY = {"q": TERM, "search": TERM, "date": "2026-12-07", "part": "list", "edit": "1"}


def assert_names_only(whats: list[str]) -> None:
    assert whats, "nothing was logged"
    for what in whats:
        assert "secret-term" not in what and "Ceintuurbaan" not in what, what
        assert "?" not in what and "=" not in what and "/" not in what, what


def test_the_clients_access_log_names_what_was_read_not_the_address(world):  # noqa: F811
    c = world.client.pk
    team = browser_as(world.ana)
    for url in [
        f"/clients/{c}/",
        *(f"/clients/{c}/sections/{name}/" for name in ("details", "visits", "budget", "plan")),
        f"/api/v1/clients/{c}",
        f"/api/v1/clients/{c}/network",
        f"/api/v1/clients/{c}/plan",
        f"/api/v1/clients/{c}/visits",
        f"/api/v1/clients/{c}/budget",
    ]:
        assert team.get(url, QUERY).status_code == 200, url
    family = browser_as(world.daughter)
    assert family.get(f"/portal/clients/{c}/", QUERY).status_code == 200
    assert family.get(f"/portal/clients/{c}/sections/visits/", QUERY).status_code == 200
    whats = list(AccessLogEntry.objects.values_list("what", flat=True))
    assert_names_only(whats)
    # What the client reads there, through the API too.
    log = browser_as(world.mrs_jansen).get(f"/api/v1/clients/{c}/access-log", QUERY)
    assert log.status_code == 200
    assert_names_only([row["what"] for row in log.json()])


@pytest.fixture
def invited(personas):
    adopted(
        raise_(
            personas.ana,
            personas.noord,
            "coach_invite",
            {"coach": personas.coach.pk, "ends": "2099-12-31"},
        )
    )
    return personas


def test_a_coachs_search_of_the_decision_log_is_logged_as_a_read_of_the_log(invited):
    coach = browser_as(invited.coach)
    assert coach.get("/teams/noord/decisions/", QUERY).status_code == 200
    assert coach.get(f"/api/v1/teams/{invited.noord.pk}/decisions", QUERY).status_code == 200
    whats = list(CoachAccess.objects.values_list("what", flat=True))
    assert set(whats) == {"decision log"}
    assert_names_only(whats)


def test_a_made_up_role_address_writes_nothing_into_the_teams_log(invited):
    """The coach access log is the team's record of what its coaches read: an address
    naming no role reads nothing, so it logs nothing (it logged the typed text)."""
    coach = browser_as(invited.coach)
    assert coach.get("/teams/noord/roles/ask-ana-for-her-home-address/").status_code == 404
    assert not CoachAccess.objects.exists()
    assert coach.get("/teams/noord/roles/planner/", QUERY).status_code == 200
    assert list(CoachAccess.objects.values_list("what", flat=True)) == ["role planner"]


def test_an_inspectors_reads_are_logged_by_name_not_by_address(personas):
    """The team sees which of its snapshots inspectors read and how: by page names."""
    with time_machine.travel(QUALITY_NOW, tick=False):
        w = build(personas)
        snapshot = published(w)
        inspector = browser_as(w.inspector)
        for url in [
            "/quality/",
            "/quality/teams/noord/",
            "/quality/teams/noord/chart.svg",
            f"/quality/snapshots/{snapshot.pk}/",
            f"/api/v1/snapshots/{snapshot.pk}",
        ]:
            query = QUERY | ({"figure": "visits_delivered"} if "chart" in url else {})
            assert inspector.get(url, query).status_code == 200, url
    assert_names_only(list(SnapshotRead.objects.values_list("what", flat=True)))
