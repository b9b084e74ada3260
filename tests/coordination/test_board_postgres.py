"""The team board under real concurrency on PostgreSQL: threads, each with its own
connection, released together by a barrier.

Two members claiming the same visit: exactly one wins and the other is told who. Two
opposite swaps of the same pair, and an accept racing a withdraw: one wins, the other
gets a clear conflict, and nothing deadlocks (rows are locked in id order).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connections
from rest_framework.test import APIClient

from care.services import visits as visit_services
from coordination.events import EventRecord
from coordination.models import HandoverOffer
from coordination.services import handovers as handover_services
from teams.errors import Conflict
from tests.care.visit_helpers import at, jansen_client, plan

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.services]

JOIN_TIMEOUT = 60  # seconds; every wait in this module is bounded
HOLD = 0.2  # seconds each winner keeps its row locks, so the other one has to queue


def race(*calls: Callable[[], object]) -> list:
    """Run the calls in threads released together; their results (or exceptions) in order."""
    barrier = threading.Barrier(len(calls), timeout=JOIN_TIMEOUT)
    results: list = [None] * len(calls)

    def body(i: int, fn: Callable[[], object]) -> None:
        try:
            barrier.wait()
            results[i] = fn()
        except BaseException as exc:
            results[i] = exc
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=body, args=(i, fn), daemon=True) for i, fn in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + JOIN_TIMEOUT
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "a thread is stuck: a deadlock?"
    return results


@pytest.fixture
def slow_locks(monkeypatch):
    """Whoever gets a visit's row lock holds it a moment before going on."""
    real = visit_services.lock  # teams.versioning.lock, as the visit services call it

    def hold(visit, *related):
        locked = real(visit, *related)
        time.sleep(HOLD)
        return locked

    monkeypatch.setattr(visit_services, "lock", hold)


def claim(person, visit):
    def go():
        client = APIClient()
        client.force_authenticate(person)
        return client.post(
            f"/api/v1/visits/{visit.pk}/claim", {}, format="json", headers={"If-Match": "1"}
        )

    return go


def test_two_members_claiming_one_visit_at_once_one_wins_the_other_is_told_who(
    postgres, personas, slow_locks
):
    client = jansen_client(personas)
    names = {personas.ana.pk: "Ana de Vries", personas.ben.pk: "Ben Mulder"}
    for hour in range(4):
        visit = plan(personas.ana, client, at("2026-12-08", f"{9 + hour:02d}:00"))
        responses = race(claim(personas.ana, visit), claim(personas.ben, visit))
        assert sorted(r.status_code for r in responses) == [200, 409], [r.json() for r in responses]
        won, lost = sorted(responses, key=lambda r: r.status_code)
        winner = won.json()["assignee"]["id"]
        assert lost.json()["message"] == f"{names[winner]} has already taken this visit."
        assert lost.json()["extra"]["current"]["assignee"] == winner
        visit.refresh_from_db()
        assert (visit.assignee_id, visit.version) == (winner, 2)
        claimed = EventRecord.objects.filter(
            stream=personas.noord.stream, type="visit.claimed", data__visit=visit.pk
        )
        assert claimed.count() == 1


def test_two_opposite_swaps_at_once_do_not_deadlock(postgres, personas, slow_locks):
    client = jansen_client(personas)
    anas = plan(personas.ana, client, at("2026-12-08", "11:00"), assignee=personas.ana)
    bens = plan(personas.ana, client, at("2026-12-08", "14:00"), assignee=personas.ben)

    def swap(actor, first, second):
        return lambda: visit_services.visit_swap(
            actor=actor, first=first, first_version=1, second=second, second_version=1
        )

    results = race(swap(personas.ana, anas, bens), swap(personas.ben, bens, anas))
    conflicts = [r for r in results if isinstance(r, Conflict)]
    swapped = [r for r in results if isinstance(r, tuple)]
    assert (len(swapped), len(conflicts)) == (1, 1), results
    anas.refresh_from_db()
    bens.refresh_from_db()
    assert (anas.assignee_id, bens.assignee_id) == (personas.ben.pk, personas.ana.pk)
    assert (anas.version, bens.version) == (2, 2)


def test_an_accept_racing_a_withdraw_one_of_them_wins(postgres, personas, slow_locks):
    client = jansen_client(personas)
    for hour in range(3):
        visit = plan(
            personas.ana, client, at("2026-12-08", f"{9 + hour:02d}:00"), assignee=personas.ana
        )
        offer = handover_services.handover_offer(
            actor=personas.ana, visit=visit, version=1, to=personas.ben
        )
        accept = lambda offer=offer: handover_services.handover_accept(  # noqa: E731
            actor=personas.ben, offer=offer, version=1
        )
        withdraw = lambda offer=offer: handover_services.handover_withdraw(  # noqa: E731
            actor=personas.ana, offer=offer, version=1
        )
        results = race(accept, withdraw)
        conflicts = [r for r in results if isinstance(r, Conflict)]
        assert len(conflicts) == 1, results
        offer.refresh_from_db()
        visit.refresh_from_db()
        assert offer.status in {HandoverOffer.Status.ACCEPTED, HandoverOffer.Status.WITHDRAWN}
        assert conflicts[0].message == f"This offer was already {offer.status}."
        expected = personas.ben.pk if offer.status == "accepted" else personas.ana.pk
        assert visit.assignee_id == expected
