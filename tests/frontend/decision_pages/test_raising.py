"""Raising a proposal of each kind: the form from the registry, bad input named and kept."""

from __future__ import annotations

import datetime
import re

import pytest

from teams.models import Proposal
from tests.factories import PersonFactory, adopted
from tests.frontend.decision_pages.world import browser_as, htmx, raise_

pytestmark = pytest.mark.django_db


def test_the_raise_page_offers_every_kind(noord):
    html = browser_as(noord.ana).get("/teams/noord/proposals/new/").content.decode()
    for key in ("general", "admit_member", "role_handover", "team_split", "coach_invite"):
        assert f"?kind={key}" in html


def test_raising_a_general_proposal_without_javascript(noord):
    response = browser_as(noord.ana).post(
        "/teams/noord/proposals/new/",
        {
            "kind": "general",
            "title": "Weekly huddle on Mondays",
            "purpose": "We miss each other.",
            "details": "",
            "window_hours": "48",
            "review_date": "2099-01-01",
        },
    )
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/proposals/{proposal.pk}/"
    assert proposal.window == datetime.timedelta(hours=48)
    assert proposal.review_date == datetime.date(2099, 1, 1)


def test_raising_with_htmx_redirects_the_browser(noord):
    response = htmx(
        browser_as(noord.ana),
        "post",
        "/teams/noord/proposals/new/?kind=general",
        {"kind": "general", "title": "T", "purpose": "P", "window_hours": "72"},
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == f"/proposals/{Proposal.objects.get().pk}/"


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"purpose": ""}, "purpose", "Required: say what and why."),
        ({"window_hours": "400"}, "window_hours", "from 1 hour to 14 days (336 hours)"),
        ({"window_hours": "soon"}, "window_hours", "A number of hours, from 1 to 336."),
        ({"review_date": "2000-01-01"}, "review_date", "The review date must be in the future."),
        ({"review_date": "someday"}, "review_date", "Not a date (YYYY-MM-DD)."),
    ],
)
def test_bad_input_names_the_field_and_keeps_what_was_typed(noord, data, field, message):
    typed = {
        "kind": "general",
        "title": "Typed title",
        "purpose": "Typed purpose",
        "window_hours": "72",
    } | data
    for headers in ({}, {"HX-Request": "true"}):
        response = browser_as(noord.ana).post("/teams/noord/proposals/new/", typed, headers=headers)
        assert response.status_code == 400
        html = response.content.decode()
        assert message in html
        assert 'value="Typed title"' in html
        assert f'id="e-f-{field.replace("_", "-")}"' in html
        assert re.search(rf'name="{field}"[^>]*aria-invalid="true"', html)
    assert not Proposal.objects.exists()


def test_kind_fields_name_their_errors(noord):
    client = browser_as(noord.ana)
    response = client.post(
        "/teams/noord/proposals/new/",
        {"kind": "admit_member", "title": "Welcome", "purpose": "We need hands", "person": ""},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose a person." in html and 'value="Welcome"' in html
    response = client.post(
        "/teams/noord/proposals/new/",
        {
            "kind": "role_handover",
            "title": "Planner",
            "purpose": "Rotate",
            "role": "planner",
            "person": str(noord.ben.pk),
            "starts": "2030-01-01",
            "ends": "2029-01-01",
            "handover_notes": "Rota is in the blue folder",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "The term ends before it starts." in html
    assert "Rota is in the blue folder" in html and 'value="2029-01-01"' in html
    assert not Proposal.objects.exists()


def test_the_admit_form_offers_nurses_not_in_the_team(noord):
    dirk = PersonFactory(username="dirk", first_name="Dirk", last_name="Smit")
    html = (
        browser_as(noord.ana).get("/teams/noord/proposals/new/?kind=admit_member").content.decode()
    )
    assert f'value="{dirk.pk}"' in html and "Dirk Smit" in html
    assert f'value="{noord.cas.pk}"' in html  # in another team: may join this one too
    assert f'value="{noord.ben.pk}"' not in html and f'value="{noord.coach.pk}"' not in html


def test_the_agreement_form_starts_from_the_current_agreement(noord):
    adopted(raise_(noord.ana, noord.noord, "agreement", {"text": "We visit in pairs at night."}))
    html = browser_as(noord.ana).get("/teams/noord/proposals/new/?kind=agreement").content.decode()
    assert "We visit in pairs at night.</textarea>" in html


def test_raising_a_split_with_members_and_roles(noord):
    html = browser_as(noord.ana).get("/teams/noord/proposals/new/?kind=team_split").content.decode()
    assert 'name="moving"' in html and 'name="roles.planner"' in html
    assert 'value="Noord"' in html  # the staying team keeps its name unless changed
    response = browser_as(noord.ana).post(
        "/teams/noord/proposals/new/",
        {
            "kind": "team_split",
            "title": "Two teams",
            "purpose": "We are too many",
            "window_hours": "72",
            "new_name": "Noord-Oost",
            "stays_name": "Noord",
            "moving": [str(noord.ben.pk)],
            "roles.planner": "move",
            "roles.mentor": "end",
        },
    )
    assert response.status_code == 302
    payload = Proposal.objects.get().payload
    assert payload["moving"] == [noord.ben.pk] and payload["new_name"] == "Noord-Oost"
    assert payload["roles"]["planner"] == "move" and payload["roles"]["mentor"] == "end"


def test_a_split_moving_everyone_is_refused_with_the_boxes_still_ticked(noord):
    response = browser_as(noord.ana).post(
        "/teams/noord/proposals/new/",
        {
            "kind": "team_split",
            "title": "Two teams",
            "purpose": "We are too many",
            "new_name": "Noord-Oost",
            "moving": [str(noord.ana.pk), str(noord.ben.pk)],
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Both teams need at least one member." in html
    assert html.count("checked") >= 2 and 'value="Noord-Oost"' in html
