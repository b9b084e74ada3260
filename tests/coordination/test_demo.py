"""The demo shows live coordination: a request for help with an offer, a handover
offered, and the notifications they made, all through the services."""

from __future__ import annotations

from django.core.management import call_command

from coordination import selectors
from coordination.models import HandoverOffer, HelpOffer, HelpRequest
from coordination.notifications.models import Notification
from teams.models import Person


def seed() -> None:
    with open("/dev/null", "w") as quiet:
        call_command("seed_demo", stdout=quiet)


def test_the_demo_asks_for_help_offers_a_visit_and_notifies_and_is_idempotent(db):
    seed()
    ana, cas = (Person.objects.get(username=u) for u in ("ana", "cas"))

    (request,) = HelpRequest.objects.all()
    assert (request.team.slug, request.status, request.visits.count()) == ("zuid", "open", 2)
    assert request.raised_by == cas
    (help_offer,) = HelpOffer.objects.all()
    assert (help_offer.request_id, help_offer.person, help_offer.status) == (
        request.pk,
        ana,
        "offered",
    )
    # Ana, in Noord, sees Zuid's request on the network's help board.
    assert [r.pk for r in selectors.help_board(ana)] == [request.pk]

    (handover,) = HandoverOffer.objects.all()
    offering, offered = handover.from_person, handover.to_person
    assert handover.status == "offered" and offering != offered
    assert ana in (offering, offered)
    assert handover.visit.assignee == offering and handover.visit.client.team.slug == "noord"
    # The colleague is told of the visit offered to them; the one who offered is not.
    assert Notification.objects.filter(person=offered, kind="handover_offered").count() == 1
    assert not Notification.objects.filter(person=offering, kind="handover_offered").exists()

    counts = (HelpRequest.objects.count(), HelpOffer.objects.count(), HandoverOffer.objects.count())
    notified = Notification.objects.count()
    seed()
    assert (
        HelpRequest.objects.count(),
        HelpOffer.objects.count(),
        HandoverOffer.objects.count(),
    ) == counts
    assert Notification.objects.count() == notified
