"""Who may open the decision pages: 404 for everyone outside the team, coaches only
where the team shares with them."""

from __future__ import annotations

import json
import re

import pytest

from coordination.events import EventRecord
from coordination.events.streams import shared_stream, team_stream
from teams.models import CoachAccess, Comment
from teams.services import proposals as proposal_services
from tests.factories import adopted
from tests.frontend.decision_pages.world import (
    browser_as,
    htmx,
    page_urls,
    post_urls,
    raise_,
    snapshot,
)

pytestmark = pytest.mark.django_db


def test_every_page_opens_for_a_member(noord, open_proposal):
    client = browser_as(noord.ben)
    for url in page_urls(noord.noord, open_proposal):
        response = client.get(url)
        assert response.status_code == 200, url
    for kind in proposal_services.decisions.all_kinds():
        url = f"/teams/noord/proposals/new/?kind={kind.key}"
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["outsider", "inspector", "client", "family", "coach"])
def test_everyone_outside_the_team_gets_404_on_every_page_and_form(
    noord, outsiders, open_proposal, who
):
    # The coach here is not invited: without the team's decision it sees nothing.
    client = browser_as(outsiders[who])
    for url in [*page_urls(noord.noord, open_proposal), "/teams/noord/shared/"]:
        assert client.get(url).status_code == 404, url
    before = snapshot()
    for url, data in post_urls(noord.noord, open_proposal):
        assert client.post(url, data).status_code == 404, url
        assert htmx(client, "post", url, data).status_code == 404, url
    assert snapshot() == before
    assert not CoachAccess.objects.exists()


def test_a_member_opening_the_shared_view_lands_on_the_team_home(noord):
    response = browser_as(noord.ana).get("/teams/noord/shared/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/teams/noord/"


def test_an_invited_coach_sees_what_is_shared_and_nothing_else(invited, open_proposal):
    coach = browser_as(invited.coach)
    home = coach.get("/")
    assert home.status_code == 200
    assert 'href="/teams/noord/shared/"' in home.content.decode()

    for url in [
        "/teams/noord/",
        "/teams/noord/sections/proposals/",
        "/teams/noord/sections/members/",
        "/teams/noord/activity/",
        "/teams/noord/details/",
        "/teams/noord/coach-reads/",
        "/teams/noord/proposals/new/",
        "/teams/noord/proposals/new/?kind=general",
    ]:
        assert coach.get(url).status_code == 404, url

    shared = coach.get("/teams/noord/shared/")
    assert shared.status_code == 200
    html = shared.content.decode()
    assert "Share the Tuesday round" in html and "Planner" in html
    assert "coach_invite proposal" in html  # the adopted invitation, in recent decisions
    config = json.loads(re.search(r'id="kith-live"[^>]*>(.*?)</script>', html).group(1))
    assert config == {
        "streams": {
            shared_stream(invited.noord.pk): EventRecord.objects.filter(
                stream=shared_stream(invited.noord.pk)
            ).count()
        }
    }
    assert team_stream(invited.noord.pk) not in html

    for url in [
        f"/proposals/{open_proposal.pk}/",
        "/teams/noord/decisions/",
        "/teams/noord/roles/planner/",
        "/teams/noord/shared/live/",
        f"/proposals/{open_proposal.pk}/part/state/",
    ]:
        assert coach.get(url).status_code == 200, url

    page = coach.get(f"/proposals/{open_proposal.pk}/").content.decode()
    assert "Coaches advise; they do not consent or object" in page
    assert "I consent" not in page and 'name="reason"' not in page
    assert f'"{shared_stream(invited.noord.pk)}"' in page

    # The team sees every read.
    whats = set(CoachAccess.objects.values_list("what", flat=True))
    assert {"shared page", f"proposal {open_proposal.pk}", "decision log"} <= whats
    log = browser_as(invited.ana).get("/teams/noord/coach-reads/").content.decode()
    assert "read decision log" in log


def test_an_invited_coach_comments_but_cannot_consent_or_object(invited, open_proposal):
    coach = browser_as(invited.coach)
    response = coach.post(
        f"/proposals/{open_proposal.pk}/comment/",
        {"body": "Have you asked team Zuid?", "kind": "question"},
    )
    assert response.status_code == 302
    assert Comment.objects.get().author == invited.coach

    before = snapshot()
    for url, data in [
        (f"/proposals/{open_proposal.pk}/consent/", {}),
        (f"/proposals/{open_proposal.pk}/object/", {"reason": "I would not."}),
        (f"/proposals/{open_proposal.pk}/withdraw/", {}),
    ]:
        assert coach.post(url, data).status_code == 403, url
        assert htmx(coach, "post", url, data).status_code == 403, url
    assert snapshot() == before
    page = coach.get(f"/proposals/{open_proposal.pk}/").content.decode()
    assert "Have you asked team Zuid?" in page and "Coach" in page


def test_a_coach_whose_term_ended_sees_nothing_again(invited, open_proposal):
    ended = raise_(invited.ana, invited.noord, "coach_end", {"coach": invited.coach.pk})
    adopted(ended)
    coach = browser_as(invited.coach)
    for url in [
        "/teams/noord/shared/",
        f"/proposals/{open_proposal.pk}/",
        "/teams/noord/decisions/",
    ]:
        assert coach.get(url).status_code == 404, url
