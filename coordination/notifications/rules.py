"""Which events notify whom. Registered with the event log (``on_publish``) when the
coordination app is ready, so every publish passes here, in the writer's transaction.

Recipients come from the ids in the event's data, read back from the database:

- ``handover.offered``: the colleague the visit is offered to (``to_person``);
- ``help.offer_accepted``: the helper whose offer was accepted (``person``);
- ``proposal.raised``: the team's current members who have not responded yet (the
  proposer consents by raising it), since each must respond; ``proposal.amended``: the
  same again, since an amendment asks everyone anew;
- ``visit.running_late``: the team's current members, except the one running late;
- ``visit.started`` by someone who went instead of the colleague holding the visit
  (``taken_from``): that colleague, so she does not set out for it too.

Other events settle notifications: what one asked for has happened or no longer can
(``Notification``). A handover offer is settled when it is answered, withdrawn or
lapses, or when its visit changes under it by someone else's hand; a proposal's request
for a response when the person responds or the proposal closes; a late notice when the
visit starts or ends, is on time after all or a newer notice replaces it; an accepted
help offer when every visit of its request is over. Settling runs before notifying, so
a newer notice is never settled by the event that made it.

The actor is never notified, and events of notifications themselves are ignored (a
notification does not notify). Texts name people, times and proposal titles, never a
client: a notification is kept after the reader's access may have ended, and the
digest carries it by email; the page it links to shows the rest under its own checks.
Where it leads is a target (``targets``: the board on the visit's day, the proposal,
the help page), never a page's address: the pages resolve it.

Each rule follows a declared event type (``coordination.events.types``): naming one
that is not declared fails when the app starts, so a renamed event cannot silently
stop notifying.

A failure here is logged and rolled back to its savepoint: a notification is never
worth failing the handover, proposal or visit that caused it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.text import Truncator

from care.models import Visit
from care.selectors.visits import when_words
from coordination.events import Event, EventRecord, on_publish, types
from coordination.models import HandoverOffer, HelpOffer
from coordination.notifications import services, targets
from coordination.notifications.models import Notification
from coordination.notifications.services import Draft, Settled
from teams import selectors as team_selectors
from teams.models import Person, Proposal, Response

logger = logging.getLogger("kith.notifications")

Kind = Notification.Kind


def _board(visit: Visit) -> targets.Target:
    """The visit's team's board on the visit's day."""
    return targets.board(visit.client.team_id, timezone.localtime(visit.window_start).date())


Rule = Callable[[Event], list[Draft]]
RULES: dict[str, Rule] = {}


def follows(event_type: str) -> Callable[[Rule], Rule]:
    """Make the decorated function the rule of a declared event type."""
    if types.declared(event_type) is None:
        raise LookupError(f"A notification rule follows {event_type}, which is not declared.")

    def add(rule: Rule) -> Rule:
        RULES[event_type] = rule
        return rule

    return add


Settler = Callable[[Event], list[Settled]]
SETTLERS: dict[str, list[Settler]] = {}


def settles(*event_types: str) -> Callable[[Settler], Settler]:
    """Make the decorated function settle notifications at each of these declared types."""
    for event_type in event_types:
        if types.declared(event_type) is None:
            raise LookupError(f"A settling rule follows {event_type}, which is not declared.")

    def add(settler: Settler) -> Settler:
        for event_type in event_types:
            SETTLERS.setdefault(event_type, []).append(settler)
        return settler

    return add


def _id(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _row[M: models.Model](rows: QuerySet[M], value: object) -> M | None:
    """The row an event names by its id; None for a malformed id or a row gone."""
    pk = _id(value)
    return None if pk is None else rows.filter(pk=pk).first()


@follows("handover.offered")
def handover_offered(event: Event) -> list[Draft]:
    offer = _row(
        HandoverOffer.objects.select_related("visit__client__team", "swap_visit", "from_person"),
        event.data.get("offer"),
    )
    if offer is None or offer.status != HandoverOffer.Status.OFFERED:
        return []
    who, visit = offer.from_person.display_name, offer.visit
    text = f"{who} offers you the visit at {when_words(visit.window_start)}"
    if offer.kind == HandoverOffer.Kind.SWAP and offer.swap_visit is not None:
        text += f" in exchange for yours at {when_words(offer.swap_visit.window_start)}"
    return [
        Draft(
            person_id=offer.to_person_id,
            kind=Kind.HANDOVER_OFFERED,
            text=text,
            target=_board(visit),
            subject=f"handover.offered:{offer.pk}",
        )
    ]


@follows("help.offer_accepted")
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
            target=targets.HELP,
            subject=f"help.offer_accepted:{offer}",
        )
    ]


AMENDED = "proposal.amended:{pk}:{revision}"  # an amendment's notices, one per revision


@follows("proposal.raised")
def proposal_raised(event: Event) -> list[Draft]:
    return _waiting(event, "asks for your response to", "proposal.raised:{pk}")


@follows("proposal.amended")
def proposal_amended(event: Event) -> list[Draft]:
    """An amendment opens the window again: everyone's response is asked again."""
    return _waiting(event, "amended and asks again for your response to", AMENDED)


def _waiting(event: Event, asks: str, subject: str) -> list[Draft]:
    """The team's current members who have not responded to the proposal as it stands."""
    proposal = _row(Proposal.objects.select_related("team", "author"), event.data.get("proposal"))
    if proposal is None or proposal.status != Proposal.Status.OPEN:
        return []
    responded = set(
        Response.objects.filter(proposal=proposal, revision=proposal.revision).values_list(
            "person_id", flat=True
        )
    )
    members = team_selectors.current_members(proposal.team).values_list("person_id", flat=True)
    title = Truncator(proposal.title).chars(80)
    text = f"{proposal.author.display_name} {asks} “{title}” by {when_words(proposal.closes_at)}"
    target = targets.proposal(proposal.pk)
    return [
        Draft(
            person_id=person_id,
            kind=Kind.PROPOSAL_WAITING,
            text=text,
            target=target,
            subject=subject.format(pk=proposal.pk, revision=proposal.revision),
        )
        for person_id in members
        if person_id not in responded
    ]


@follows("visit.running_late")
def visit_running_late(event: Event) -> list[Draft]:
    if not event.data.get("late_until"):
        return []  # taken back: on time after all
    visit = _row(Visit.objects.select_related("client__team", "assignee"), event.data.get("visit"))
    if visit is None or visit.late_until is None:
        return []
    arriving = f"{timezone.localtime(visit.late_until):%H:%M}"
    if visit.assignee is not None:
        text = (
            f"{visit.assignee.display_name} is running late for the visit at"
            f" {when_words(visit.window_start)}: arriving about {arriving}"
        )
    else:
        text = f"The visit at {when_words(visit.window_start)} is running late: about {arriving}"
    members = team_selectors.current_members(visit.client.team).values_list("person_id", flat=True)
    target = _board(visit)
    subject = f"visit.running_late:{visit.pk}:{visit.version}"
    return [
        Draft(person_id=p, kind=Kind.VISIT_LATE, text=text, target=target, subject=subject)
        for p in members
        if p != visit.assignee_id
    ]


@follows("visit.started")
def visit_taken(event: Event) -> list[Draft]:
    holder = _id(event.data.get("taken_from"))
    visit = _row(Visit.objects.select_related("client__team", "assignee"), event.data.get("visit"))
    if holder is None or visit is None or visit.assignee is None:
        return []
    return [
        Draft(
            person_id=holder,
            kind=Kind.VISIT_TAKEN,
            text=(
                f"{visit.assignee.display_name} went to your visit at"
                f" {when_words(visit.window_start)} and took it over"
            ),
            target=_board(visit),
            subject=f"visit.taken:{visit.pk}:{visit.version}",
        )
    ]


# --- what settles them ---------------------------------------------------------------

OFFER_ENDS = {
    "handover.accepted": "Accepted",
    "handover.declined": "Declined",
    "handover.withdrawn": "Withdrawn by the colleague who offered it",
    "handover.expired": "Lapsed: the visit had changed",
}
PROPOSAL_ENDS = {
    "proposal.adopted": "The team adopted it",
    "proposal.withdrawn": "Withdrawn",
    "proposal.not_applied": "Closed: it could not be applied as it stood",
}
VISIT_ENDS = {
    "visit.started": "The visit started",
    "visit.finished": "The visit is done",
    "visit.cancelled": "The visit was cancelled",
    "visit.missed": "The visit was missed",
}
VISIT_MOVES = ("visit.claimed", "visit.assigned", "visit.unassigned", "visit.swapped", "visit.lent")


@settles(*OFFER_ENDS)
def offer_answered(event: Event) -> list[Settled]:
    offer = _id(event.data.get("offer"))
    return [] if offer is None else [Settled(f"handover.offered:{offer}", OFFER_ENDS[event.type])]


@settles("proposal.responded", "proposal.amended", *PROPOSAL_ENDS)
def proposal_answered(event: Event) -> list[Settled]:
    proposal = _id(event.data.get("proposal"))
    if proposal is None:
        return []
    why, whose = PROPOSAL_ENDS.get(event.type, "You responded"), None
    if event.type == "proposal.amended":
        why = "Amended: the newer notice asks again"
    elif event.type == "proposal.responded":
        if event.actor is None:
            return []
        whose = (event.actor,)
    # The notice of the raising, and those of each amendment ("proposal.amended:7:").
    amended = AMENDED.format(pk=proposal, revision="")
    return [
        Settled(f"proposal.raised:{proposal}", why, whose),
        Settled(amended, why, whose, prefix=True),
    ]


@settles(*VISIT_MOVES, *VISIT_ENDS, "visit.running_late")
def visit_changed(event: Event) -> list[Settled]:
    visit = _id(event.data.get("visit"))
    if visit is None:
        return []
    settled = []
    if event.type != "visit.running_late":
        # An open offer of the visit no longer stands once someone other than its taker
        # moved or ended the visit (the taker's acceptance settles it as accepted).
        offers = (
            HandoverOffer.objects.filter(Q(visit=visit) | Q(swap_visit=visit))
            .filter(status=HandoverOffer.Status.OFFERED)
            .exclude(to_person=event.actor)
            .values_list("pk", flat=True)
        )
        why = "The visit changed since: the offer no longer stands"
        settled += [Settled(f"handover.offered:{offer}", why) for offer in offers]
    late = f"visit.running_late:{visit}:"
    if event.type == "visit.running_late":
        why = "A newer notice replaced it" if event.data.get("late_until") else "On time after all"
        settled.append(Settled(late, why, prefix=True))
    elif event.type in VISIT_ENDS:
        settled.append(Settled(late, VISIT_ENDS[event.type], prefix=True))
    if event.type in VISIT_ENDS and event.type != "visit.started":
        # A helper's acceptance is settled when every visit of its request is over.
        helped = (
            HelpOffer.objects.filter(status=HelpOffer.Status.ACCEPTED, request__visits=visit)
            .exclude(request__visits__status__in=Visit.UNDONE_STATUSES)
            .values_list("pk", flat=True)
        )
        why = "The visits you helped with are over"
        settled += [Settled(f"help.offer_accepted:{offer}", why) for offer in helped]
    return settled


def on_event(event: Event, records: list[EventRecord]) -> None:
    """The log's hook: notify whom ``event`` concerns (see the module)."""
    if event.type.startswith("notification."):
        return  # our own events: never a notification about a notification
    rule, settlers = RULES.get(event.type), SETTLERS.get(event.type, [])
    if (rule is None and not settlers) or not records:
        return
    try:
        with transaction.atomic():
            settled = [done for settler in settlers for done in settler(event)]
            if settled:
                services.settle(settled=settled)
            drafts = rule(event) if rule is not None else []
            if drafts:
                services.notify(actor_id=event.actor, drafts=drafts, source=records[0])
    except Exception:
        logger.exception("notifications for %s#%s failed", records[0].stream, records[0].seq)


def register() -> None:
    on_publish(on_event)
