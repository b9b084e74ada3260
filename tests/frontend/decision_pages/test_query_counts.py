"""The decision pages read in a constant number of queries as decisions pile up."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from teams.models import Proposal
from teams.services import proposals as proposal_services
from tests.factories import adopted
from tests.frontend.decision_pages.world import browser_as, raise_

pytestmark = pytest.mark.django_db


def grow(noord, open_count: int, adopted_count: int) -> None:
    # Decided ones have a short window, so closing them leaves the open ones open.
    hour = datetime.timedelta(hours=1)
    for n in range(adopted_count):
        adopted(raise_(noord.ana, noord.noord, title=f"Decided {n}", window=hour))
    for n in range(open_count):
        proposal = raise_(noord.ben, noord.noord, title=f"Open {n}")
        proposal_services.proposal_comment(actor=noord.ana, proposal=proposal, body="ok")


def measure(client, url) -> int:
    client.get(url)  # warm: sessions, settling
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/teams/noord/", "/teams/noord/decisions/"])
def test_query_counts_stay_flat_as_decisions_grow(noord, url, django_assert_max_num_queries):
    client = browser_as(noord.ana)
    grow(noord, 2, 2)
    at_two = measure(client, url)
    assert at_two <= 30
    grow(noord, 8, 8)
    assert Proposal.objects.filter(status="open").count() == 10
    assert Proposal.objects.filter(status="adopted").count() == 10
    client.get(url)
    with django_assert_max_num_queries(at_two):
        response = client.get(url)
    html = response.content.decode()
    assert html.count("Decided ") >= 5
    if url == "/teams/noord/":
        assert html.count('data-proposal="') == 10


def test_every_bad_field_is_named_at_once(noord):
    response = browser_as(noord.ana).post(
        "/teams/noord/proposals/new/",
        {"kind": "coach_invite", "title": "Coach", "purpose": "", "window_hours": "0"},
    )
    assert response.status_code == 400
    html = response.content.decode()
    for field in ("purpose", "window-hours", "coach"):
        assert f'id="e-f-{field}"' in html, field
    assert 'value="Coach"' in html
