"""Notifications say what they lead to (a target: a kind and ids); the pages resolve it
(frontend/targets.py, registered with coordination/notifications/targets.py)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ImproperlyConfigured

from coordination.events.streams import team_stream
from coordination.notifications import targets
from coordination.notifications.models import Notification
from frontend import targets as pages
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 12, 8)


def test_each_target_resolves_to_its_page():
    team = TeamFactory(slug="noord")
    assert targets.urls(
        [
            targets.board(team.pk, DAY),
            targets.proposal(7),
            targets.HELP,
            targets.LIST,
            targets.PREFERENCES,
        ]
    ) == [
        "/teams/noord/board/?date=2026-12-08",
        "/proposals/7/",
        "/help/",
        "/notifications/",
        "/notifications/preferences/",
    ]


def test_a_target_whose_page_is_gone_or_unknown_leads_to_the_list():
    gone = targets.board(999_999, DAY)
    assert (
        targets.urls([gone, {"to": "nowhere"}, {}, {"to": "proposal"}]) == ["/notifications/"] * 4
    )


def test_the_boards_of_many_teams_cost_one_query(django_assert_num_queries):
    teams = [TeamFactory() for _ in range(5)]
    with django_assert_num_queries(1):
        links = targets.urls([targets.board(t.pk, DAY) for t in teams])
    assert links == [f"/teams/{t.slug}/board/?date=2026-12-08" for t in teams]
    with django_assert_num_queries(0):
        targets.urls([targets.proposal(1), targets.HELP])


def test_a_notification_links_through_the_resolver_and_keeps_its_link(personas):
    n = Notification.objects.create(
        person=personas.ana,
        kind=Notification.Kind.PROPOSAL_WAITING,
        text="A proposal",
        target=targets.proposal(3),
        source_stream=team_stream(1),
        source_seq=1,
        subject="proposal.raised:3",
    )
    assert Notification.objects.get(pk=n.pk).url == "/proposals/3/"
    assert n.target == {"to": "proposal", "proposal": 3}  # stored route-free


def test_without_the_pages_there_is_no_link(monkeypatch):
    monkeypatch.setattr(targets, "_resolvers", [])
    with pytest.raises(ImproperlyConfigured):
        targets.url(targets.HELP)


def test_the_frontend_registers_its_resolver():
    assert targets._resolvers == [pages.resolve]


@pytest.mark.django_db(transaction=True)
def test_the_migration_turns_stored_addresses_into_targets_and_back(personas):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    before, after = (
        [("coordination", "0007_note_newest_per_kind")],
        [("coordination", "0008_notification_target")],
    )
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("coordination", "Notification")
    urls = [
        f"/teams/{personas.noord.slug}/board/?date=2026-12-08",
        "/proposals/12/",
        "/help/",
        "/notifications/",
        "/teams/gone/board/?date=2026-12-08",
    ]
    for i, url in enumerate(urls):
        old.objects.create(
            person_id=personas.ana.pk,
            kind="visit_late",
            text="t",
            url=url,
            source_stream=team_stream(1),
            source_seq=i + 1,
            subject=f"s{i}",
        )
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new = executor.loader.project_state(after).apps.get_model("coordination", "Notification")
    found = [n.target for n in new.objects.order_by("source_seq")]
    assert found == [
        {"to": "board", "team": personas.noord.pk, "day": "2026-12-08"},
        {"to": "proposal", "proposal": 12},
        {"to": "help"},
        {"to": "notifications"},
        {"to": "notifications"},  # a team that is gone: the list
    ]
    assert [targets.url(t) for t in found] == [*urls[:4], urls[3]]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps.get_model("coordination", "Notification")
    assert list(old.objects.order_by("source_seq").values_list("url", flat=True)) == [
        *urls[:4],
        "/notifications/",
    ]
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # as the other tests expect it
