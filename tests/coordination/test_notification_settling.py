"""Notifications that settle: acting on the thing (or the thing ending) marks its
notification done and read, so the unread count is what still waits for the person."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.test import Client

from care.services import visits as visit_services
from coordination.notifications.models import Notification
from coordination.services import handovers as handover_services
from coordination.services import help as help_services
from teams.services import proposals as proposal_services
from tests.coordination.test_notifications import (
    MORNING,
    build,
    of,
    offer,
    pushed,
    raise_proposal,
    run_late,
)
from tests.doors import api

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(personas):
    with time_machine.travel(MORNING, tick=False) as clock:
        world = build(personas)
        world.clock = clock
        yield world


def state(person) -> list[tuple[bool, str]]:
    """Each of the person's notifications: (read, why it is done)."""
    return [(n.read_at is not None, n.done_why) for n in of(person)]


def test_an_accepted_handover_is_done_and_the_count_falls_on_open_pages(w):
    made = offer(w)
    assert state(w.ben) == [(False, "")]
    handover_services.handover_accept(actor=w.ben, offer=made, version=made.version)
    (n,) = of(w.ben)
    assert (n.done_why, n.read_at is not None, n.done_at is not None) == ("Accepted", True, True)
    assert pushed(w.ben)[-1].type == "notification.read"
    assert pushed(w.ben)[-1].data == {"notifications": [n.pk], "unread": 0}
    assert api(w.ben).get("/api/v1/notifications/unread-count").json() == {"unread": 0}


@pytest.mark.parametrize(
    "answer, why",
    [
        ("decline", "Declined"),
        ("withdraw", "Withdrawn by the colleague who offered it"),
    ],
)
def test_a_declined_or_withdrawn_offer_is_done(w, answer, why):
    made = offer(w)
    if answer == "decline":
        handover_services.handover_decline(actor=w.ben, offer=made, version=made.version)
    else:
        handover_services.handover_withdraw(actor=w.ana, offer=made, version=made.version)
    assert state(w.ben) == [(True, why)]


def test_an_accepted_swap_is_done_as_accepted_not_as_changed(w):
    made = handover_services.handover_offer_swap(
        actor=w.ana, visit=w.anas, version=1, swap_visit=w.bens, swap_version=1
    )
    handover_services.handover_accept(actor=w.ben, offer=made, version=made.version)
    assert state(w.ben) == [(True, "Accepted")]


def test_an_offer_whose_visit_another_hand_moved_is_done(w):
    offer(w)
    visit_services.visit_assign(actor=w.ana, visit=w.anas, person=w.dora, version=w.anas.version)
    assert state(w.ben) == [(True, "The visit changed since: the offer no longer stands")]


def test_a_proposal_waits_until_the_person_responds_or_it_closes(w):
    proposal = raise_proposal(w)
    proposal_services.proposal_consent(actor=w.ben, proposal=proposal)
    assert state(w.ben) == [(True, "You responded")]
    assert state(w.dora) == [(False, "")]  # still waiting for her
    proposal.refresh_from_db()
    proposal_services.proposal_withdraw(actor=w.ana, proposal=proposal)
    assert state(w.dora) == [(True, "Withdrawn")]
    assert state(w.ben) == [(True, "You responded")]  # the first reason stays


def test_an_adopted_proposal_settles_the_waiting_notices(w):
    proposal = raise_proposal(w)
    proposal_services.proposal_consent(actor=w.ben, proposal=proposal)  # enough to decide
    w.clock.move_to(proposal.closes_at + datetime.timedelta(hours=1))
    assert proposal_services.proposals_close_due(team=w.noord) == [proposal.pk]
    assert state(w.dora) == [(True, "The team adopted it")]


def test_a_late_notice_is_replaced_then_done_when_the_visit_starts(w):
    visit = run_late(w, w.bens, w.ben)
    visit = run_late(w, visit, w.ben, minutes=40)
    assert state(w.ana) == [(True, "A newer notice replaced it"), (False, "")]
    w.clock.move_to(visit.window_start + datetime.timedelta(minutes=35))
    visit_services.visit_start(actor=w.ben, visit=visit, version=visit.version)
    assert state(w.ana) == [(True, "A newer notice replaced it"), (True, "The visit started")]


def test_a_late_notice_taken_back_is_done(w):
    visit = run_late(w, w.bens, w.ben)
    visit_services.visit_running_late(actor=w.ben, visit=visit, version=visit.version, until=None)
    assert state(w.dora) == [(True, "On time after all")]


def test_a_helper_s_acceptance_is_done_when_the_visits_are_over(w):
    request = help_services.help_request_raise(actor=w.ana, team=w.noord, visits=[w.open])
    made = help_services.help_offer_make(actor=w.cas, request=request, version=request.version)
    help_services.help_offer_accept(actor=w.ana, offer=made, version=made.version)
    assert state(w.cas) == [(False, "")]
    w.open.refresh_from_db()
    w.clock.move_to(w.open.window_start + datetime.timedelta(minutes=5))
    started = visit_services.visit_start(actor=w.cas, visit=w.open, version=w.open.version)
    assert state(w.cas) == [(False, "")]  # started is not over
    w.clock.move_to(w.open.window_start + datetime.timedelta(minutes=50))
    visit_services.visit_finish(actor=w.cas, visit=started, version=started.version)
    assert state(w.cas) == [(True, "The visits you helped with are over")]


def test_a_notification_read_before_keeps_its_read_time_and_rings_nobody(w):
    made = offer(w)
    (n,) = of(w.ben)
    api(w.ben).post(f"/api/v1/notifications/{n.pk}/read")
    n.refresh_from_db()
    read_at, rung = n.read_at, len(pushed(w.ben))
    w.clock.shift(datetime.timedelta(minutes=5))
    handover_services.handover_accept(actor=w.ben, offer=made, version=made.version)
    n.refresh_from_db()
    assert (n.read_at, n.done_why) == (read_at, "Accepted")
    assert len(pushed(w.ben)) == rung  # the count did not change: nothing to ring


def test_the_api_and_the_page_say_what_is_done(w):
    made = offer(w)
    handover_services.handover_accept(actor=w.ben, offer=made, version=made.version)
    (row,) = api(w.ben).get("/api/v1/notifications").json()["results"]
    assert (row["read"], row["done"], row["done_why"]) == (True, True, "Accepted")
    assert row["done_at"] is not None
    page = Client()
    page.force_login(w.ben)
    html = page.get("/notifications/").content.decode()
    assert "Done: Accepted" in html and "0 unread" in html


def test_no_settling_touches_another_persons_notifications(w):
    proposal = raise_proposal(w)
    proposal_services.proposal_consent(actor=w.ben, proposal=proposal)
    assert Notification.objects.filter(person=w.dora, done_at__isnull=False).count() == 0


def test_an_amendment_asks_everyone_again_and_settles_the_earlier_notices(w):
    proposal = raise_proposal(w)
    proposal_services.proposal_consent(actor=w.ben, proposal=proposal)
    proposal.refresh_from_db()
    proposal_services.proposal_amend(
        actor=w.ana, proposal=proposal, version=proposal.version, title="Lunch on Fridays"
    )
    assert state(w.ben) == [(True, "You responded"), (False, "")]
    assert state(w.dora) == [(True, "Amended: the newer notice asks again"), (False, "")]
    asked = of(w.dora)[-1]
    assert asked.text.startswith("Ana de Vries amended and asks again for your response to")
    assert "Lunch on Fridays" in asked.text and of(w.ana) == []
    proposal.refresh_from_db()
    proposal_services.proposal_consent(actor=w.ben, proposal=proposal)
    assert state(w.ben) == [(True, "You responded"), (True, "You responded")]
    assert state(w.dora)[-1] == (False, "")
