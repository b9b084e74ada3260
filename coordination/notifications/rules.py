"""Which events notify whom. Registered with the event log (``on_publish``) when the
coordination app is ready, so every publish passes here, in the writer's transaction.

Recipients come from the ids in the event's data, read back from the database:

- ``handover.offered``: the colleague the visit is offered to (``to_person``);
- ``help.offer_accepted``: the helper whose offer was accepted (``person``);
- ``proposal.raised``: the team's current members who have not responded yet (the
  proposer consents by raising it), since each must respond;
- ``visit.running_late``: the team's current members, except the one running late.

The actor is never notified, and events of notifications themselves are ignored (a
notification does not notify). Texts name people, times and proposal titles, never a
client: a notification is kept after the reader's access may have ended, and the
digest carries it by email; the page it links to shows the rest under its own checks.

A failure here is logged and rolled back to its savepoint: a notification is never
worth failing the handover, proposal or visit that caused it.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.text import Truncator

from care.models import Visit
from coordination.events import Event, EventRecord, on_publish
from coordination.models import HandoverOffer
from coordination.notifications import services
from coordination.notifications.models import Notification
from coordination.notifications.services import Draft
from teams import selectors as team_selectors
from teams.models import Person, Proposal, Response

logger = logging.getLogger("kith.notifications")

Kind = Notification.Kind


def _when(moment: datetime.datetime) -> str:
    """11:00 on Tue 8 Dec (local time)."""
    local = timezone.localtime(moment)
    return f"{local:%H:%M} on {local:%a} {local.day} {local:%b}"


def _board_url(visit: Visit) -> str:
    day = timezone.localtime(visit.window_start).date()
    return reverse("team-board", args=[visit.client.team.slug]) + f"?date={day.isoformat()}"


def _id(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def handover_offered(event: Event) -> list[Draft]:
    offer = (
        HandoverOffer.objects.select_related("visit__client__team", "swap_visit", "from_person")
        .filter(pk=_id(event.data.get("offer")))
        .first()
    )
    if offer is None or offer.status != HandoverOffer.Status.OFFERED:
        return []
    who, visit = offer.from_person.display_name, offer.visit
    if offer.kind == HandoverOffer.Kind.SWAP and offer.swap_visit is not None:
        text = (
            f"{who} offers you the visit at {_when(visit.window_start)}"
            f" in exchange for yours at {_when(offer.swap_visit.window_start)}"
        )
    else:
        text = f"{who} offers you the visit at {_when(visit.window_start)}"
    return [
        Draft(
            person_id=offer.to_person_id,
            kind=Kind.HANDOVER_OFFERED,
            text=text,
            url=_board_url(visit),
            subject=f"handover.offered:{offer.pk}",
        )
    ]


def _help_url() -> str:
    """The help page, where helpers find the visits lent to them."""
    try:
        return reverse("help")
    except NoReverseMatch:  # help across teams not installed: the list itself
        return reverse("notifications")


def help_offer_accepted(event: Event) -> list[Draft]:
    helper, offer = _id(event.data.get("person")), _id(event.data.get("offer"))
    if helper is None or offer is None:
        return []
    actor = Person.objects.filter(pk=event.actor).first() if event.actor else None
    text = (
        f"{actor.display_name} accepted your offer of help"
        if actor is not None
        else "Your offer of help was accepted"
    )
    return [
        Draft(
            person_id=helper,
            kind=Kind.HELP_ACCEPTED,
            text=text,
            url=_help_url(),
            subject=f"help.offer_accepted:{offer}",
        )
    ]


def proposal_raised(event: Event) -> list[Draft]:
    proposal = (
        Proposal.objects.select_related("team", "author")
        .filter(pk=_id(event.data.get("proposal")))
        .first()
    )
    if proposal is None or proposal.status != Proposal.Status.OPEN:
        return []
    responded = set(
        Response.objects.filter(proposal=proposal, revision=proposal.revision).values_list(
            "person_id", flat=True
        )
    )
    members = team_selectors.current_members(proposal.team).values_list("person_id", flat=True)
    title = Truncator(proposal.title).chars(80)
    text = (
        f"{proposal.author.display_name} asks for your response to “{title}”"
        f" by {_when(proposal.closes_at)}"
    )
    url = reverse("proposal", args=[proposal.pk])
    return [
        Draft(
            person_id=person_id,
            kind=Kind.PROPOSAL_WAITING,
            text=text,
            url=url,
            subject=f"proposal.raised:{proposal.pk}",
        )
        for person_id in members
        if person_id not in responded
    ]


def visit_running_late(event: Event) -> list[Draft]:
    if not event.data.get("late_until"):
        return []  # taken back: on time after all
    visit = (
        Visit.objects.select_related("client__team", "assignee")
        .filter(pk=_id(event.data.get("visit")))
        .first()
    )
    if visit is None or visit.late_until is None:
        return []
    arriving = f"{timezone.localtime(visit.late_until):%H:%M}"
    if visit.assignee is not None:
        text = (
            f"{visit.assignee.display_name} is running late for the visit at"
            f" {_when(visit.window_start)}: arriving about {arriving}"
        )
    else:
        text = f"The visit at {_when(visit.window_start)} is running late: about {arriving}"
    members = team_selectors.current_members(visit.client.team).values_list("person_id", flat=True)
    url = _board_url(visit)
    subject = f"visit.running_late:{visit.pk}:{visit.version}"
    return [
        Draft(person_id=p, kind=Kind.VISIT_LATE, text=text, url=url, subject=subject)
        for p in members
        if p != visit.assignee_id
    ]


RULES: dict[str, Callable[[Event], list[Draft]]] = {
    "handover.offered": handover_offered,
    "help.offer_accepted": help_offer_accepted,
    "proposal.raised": proposal_raised,
    "visit.running_late": visit_running_late,
}


def on_event(event: Event, records: list[EventRecord]) -> None:
    """The log's hook: notify whom ``event`` concerns (see the module)."""
    if event.type.startswith("notification."):
        return  # our own events: never a notification about a notification
    rule = RULES.get(event.type)
    if rule is None or not records:
        return
    try:
        with transaction.atomic():
            drafts = rule(event)
            if drafts:
                services.notify(actor_id=event.actor, drafts=drafts, source=records[0])
    except Exception:
        logger.exception("notifications for %s#%s failed", records[0].stream, records[0].seq)


def register() -> None:
    on_publish(on_event)
