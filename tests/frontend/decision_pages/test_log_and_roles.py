"""The decision log, role history and what a coach's reads leave behind."""

from __future__ import annotations

import pytest

from tests.factories import adopted
from tests.frontend.decision_pages.world import TERM_ENDS, browser_as, htmx, raise_

pytestmark = pytest.mark.django_db


def test_the_decision_log_searches_and_says_what_each_changed(noord):
    adopted(raise_(noord.ana, noord.noord, title="Night visits in pairs"))
    adopted(
        raise_(
            noord.ana,
            noord.noord,
            "role_handover",
            {"role": "mentor", "person": noord.ben.pk, "ends": TERM_ENDS.isoformat()},
            title="Ben mentors",
        )
    )
    raise_(noord.ana, noord.noord, title="Still open about night")
    client = browser_as(noord.ana)
    html = client.get("/teams/noord/decisions/").content.decode()
    assert "Night visits in pairs" in html and "Ben mentors" in html
    assert f"Ben Mulder holds Mentor until {TERM_ENDS:%-d %b %Y}" in html
    assert "Still open about night" not in html
    html = client.get("/teams/noord/decisions/?q=night").content.decode()
    assert "Night visits in pairs" in html and "Ben mentors" not in html
    assert "matching “night”" in html
    partial = htmx(client, "get", "/teams/noord/decisions/?q=mentor").content.decode()
    assert partial.lstrip().startswith('<section class="card" id="results"')
    assert "Ben mentors" in partial and "Night visits" not in partial


def test_role_history_lists_every_term_with_its_decision_and_notes(noord):
    first = adopted(
        raise_(
            noord.ana,
            noord.noord,
            "role_handover",
            {"role": "planner", "person": noord.ana.pk, "handover_notes": "Blue folder"},
            title="Ana plans",
        )
    )
    second = adopted(
        raise_(
            noord.ana,
            noord.noord,
            "role_handover",
            {"role": "planner", "person": noord.ben.pk, "handover_notes": "Ask Femke"},
            title="Ben plans",
        )
    )
    html = browser_as(noord.ben).get("/teams/noord/roles/planner/").content.decode()
    assert "Ben Mulder</strong> holds the role until" in html
    assert "Ana de Vries" in html and "Blue folder" in html and "Ask Femke" in html
    assert f'href="/proposals/{first.pk}/"' in html and f'href="/proposals/{second.pk}/"' in html
    assert "?kind=role_handover&amp;role=planner" in html
    assert browser_as(noord.ben).get("/teams/noord/roles/nonsense/").status_code == 404
