"""The proposal and decision lists read in a constant number of queries."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from teams.models import (
    CoachAccess,
    Proposal,
)
from teams.services import proposals as proposal_services
from teams.services.proposals import SETTLE
from tests.doors import api
from tests.teams.decisions_api.world import API, ONE_SECOND

pytestmark = pytest.mark.django_db


def open_proposals(personas, n: int) -> list[Proposal]:
    made = []
    for i in range(n):
        proposal = proposal_services.proposal_raise(
            actor=personas.ana,
            team=personas.noord,
            kind="general",
            title=f"Idea {i}",
            purpose="Try it.",
        )
        proposal_services.proposal_consent(actor=personas.ben, proposal=proposal)
        proposal_services.proposal_comment(actor=personas.ben, proposal=proposal, body="Good.")
        made.append(proposal)
    return made


def adopted_proposals(personas, n: int) -> None:
    made = open_proposals(personas, n)
    latest = max(p.closes_at for p in made)
    adopted = proposal_services.proposals_close_due(now=latest + SETTLE + ONE_SECOND)
    assert sorted(adopted) == sorted(p.pk for p in made)


def count_queries(client: APIClient, url: str) -> int:
    client.get(url)  # warm: content types, sessions
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_team_proposals_query_count_does_not_grow(personas, django_assert_max_num_queries):
    client = api(personas.ana)
    url = f"{API}/teams/{personas.noord.pk}/proposals"
    open_proposals(personas, 2)
    at_two = count_queries(client, url)
    open_proposals(personas, 8)
    with django_assert_max_num_queries(at_two):
        response = client.get(url)
    assert len(response.json()) == 10


def test_decision_log_query_count_does_not_grow(personas, django_assert_max_num_queries):
    client = api(personas.ana)
    url = f"{API}/teams/{personas.noord.pk}/decisions"
    adopted_proposals(personas, 2)
    at_two = count_queries(client, url)
    adopted_proposals(personas, 8)
    with django_assert_max_num_queries(at_two):
        response = client.get(url)
    assert len(response.json()) == 10
    assert all(d["tally"]["consents"] == 2 for d in response.json())


def test_decision_search_query_count_does_not_grow(personas, django_assert_max_num_queries):
    client = api(personas.ana)
    url = f"{API}/teams/{personas.noord.pk}/decisions?search=idea"
    adopted_proposals(personas, 2)
    at_two = count_queries(client, url)
    adopted_proposals(personas, 8)
    with django_assert_max_num_queries(at_two):
        response = client.get(url)
    assert len(response.json()) == 10


def test_a_coach_page_refreshing_itself_is_one_read_not_many(invited):

    url = f"{API}/proposals/{invited.proposal.pk}"
    for _ in range(3):
        assert api(invited.coach).get(url).status_code == 200
    assert CoachAccess.objects.count() == 1
    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=11), tick=False):
        assert api(invited.coach).get(url).status_code == 200
    assert CoachAccess.objects.count() == 2
