"""Writes of the team board: handing a visit over to a colleague, or swapping two; and
asking other teams for help with visits nobody in the team can cover (below).

A carer who cannot make a visit offers it to a colleague (``handover_offer``), or
offers to exchange it for one of the colleague's (``handover_offer_swap``). The
colleague accepts or declines; the carer may withdraw the offer while it is open.
Accepting re-checks that the visits are exactly as they were when offered (their
versions): if either changed, the offer lapses (status ``expired``), the lapse is
kept, and the answer is a 409 naming what happened. Otherwise the visit changes hands
through the care services (``visit_assign``, ``visit_swap``), in the same transaction
as the offer's answer.

House rules as everywhere: keyword-only arguments, the actor first, one transaction,
permission through ``care.access`` / ``teams.access``, an audit row, and one event per
change on the team's stream: ``handover.offered``, ``handover.accepted``,
``handover.declined``, ``handover.withdrawn``, ``handover.expired``, carrying ids and
versions only (never the note or the reason). Locks are taken visits first (in id
order), then the offer, so an accept never deadlocks with a claim or another offer.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from care import access as care_access
from care.models import Visit
from care.services import visits as visit_services
from coordination.events import Event, publish
from coordination.models import HandoverOffer
from teams import access as team_access
from teams.cleaning import limit_of, text
from teams.errors import Conflict
from teams.models import Person
from teams.services.common import audit
from teams.versioning import check_status, check_version, lock, require_version, save_new_version

OPEN_ALREADY = "This visit already has an open offer: withdraw or answer it first."


def offer_state(offer: HandoverOffer) -> dict[str, Any]:
    """What a client of the API needs to redraw an offer (also the 409 body)."""
    return {
        "id": offer.pk,
        "kind": offer.kind,
        "visit": offer.visit_id,
        "swap_visit": offer.swap_visit_id,
        "from_person": offer.from_person_id,
        "to_person": offer.to_person_id,
        "visit_version": offer.visit_version,
        "swap_visit_version": offer.swap_visit_version,
        "status": offer.status,
        "version": offer.version,
        "note": offer.note,
        "reason": offer.reason,
        "created": offer.created.isoformat(),
        "answered": offer.answered.isoformat() if offer.answered else None,
    }


# --- pieces -----------------------------------------------------------------------------


def _require_team(actor: Person, visit: Visit, doing: str) -> None:
    if not care_access.can_keep_record(actor, visit.client):
        raise PermissionDenied(f"Only the client's care team can {doing}.")


def _lock_visits(*visits: Visit) -> list[Visit]:
    """The visits, row-locked in id order, returned in the order given."""
    locked = {v.pk: lock(v, "client__team", "assignee") for v in sorted(visits, key=lambda v: v.pk)}
    return [locked[v.pk] for v in visits]


def _offerable(actor: Person, visit: Visit, doing: str) -> None:
    """The actor holds the visit, assigned and not started."""
    if visit.assignee is None:
        raise ValidationError("Nobody has this visit yet: claim it or assign it instead.")
    if visit.assignee_id != actor.pk:
        raise PermissionDenied(
            f"{visit.assignee.display_name} has this visit: only they can {doing}."
        )
    if visit.status != Visit.Status.ASSIGNED:
        status = visit.get_status_display().lower()
        raise ValidationError(f"This visit is {status}: it can no longer be {doing}d.")


def _none_open(*visits: Visit) -> None:
    ids = [v.pk for v in visits]
    if HandoverOffer.objects.filter(
        Q(visit__in=ids) | Q(swap_visit__in=ids), status=HandoverOffer.Status.OFFERED
    ).exists():
        raise ValidationError(OPEN_ALREADY)


def _create(**fields: Any) -> HandoverOffer:
    try:
        # Its own savepoint: a racing offer that slipped past the check leaves the
        # caller's transaction usable for the clear error below.
        with transaction.atomic():
            return HandoverOffer.objects.create(**fields)
    except IntegrityError:
        raise ValidationError(OPEN_ALREADY) from None


def _publish(offer: HandoverOffer, kind: str, actor: Person | None, team_stream: str) -> None:
    data = {
        "offer": offer.pk,
        "kind": offer.kind,
        "visit": offer.visit_id,
        "swap_visit": offer.swap_visit_id,
        "from_person": offer.from_person_id,
        "to_person": offer.to_person_id,
        "status": offer.status,
        "version": offer.version,
    }
    audit(actor=actor, action=kind, target=offer, data=data)
    publish(
        Event(kind, data, actor=actor.pk if actor else None),
        streams=[team_stream],
    )


def _close(offer: HandoverOffer, status: str, **fields: Any) -> None:
    save_new_version(offer, status=status, answered=timezone.now(), **fields)


def _check_open(offer: HandoverOffer, version: int) -> None:
    check_status(offer, HandoverOffer.Status.OFFERED, offer_state, what="offer")
    check_version(offer, version, offer_state, what="the offer")


# --- offering -----------------------------------------------------------------------------


def handover_offer(
    *, actor: Person, visit: Visit, version: int, to: Person | None, note: str = ""
) -> HandoverOffer:
    """Offer my assigned visit to a colleague (``to``, a current member of the client's
    team). One open offer per visit; the visit itself changes only when it is accepted."""
    _require_team(actor, visit, "hand visits over")
    version = require_version(version)
    note = text("note", note, limit=limit_of(HandoverOffer, "note"))
    with transaction.atomic():
        (visit,) = _lock_visits(visit)
        _offerable(actor, visit, "hand it over")
        check_version(visit, version, visit_services.visit_state)
        if to is None or to.pk == actor.pk or not team_access.is_member(to, visit.client.team_id):
            raise ValidationError(
                {
                    "to": [
                        "Offer it to another current member of the client's team."
                        if to is None or to.pk != actor.pk
                        else "You have this visit already: offer it to a colleague."
                    ]
                }
            )
        _none_open(visit)
        offer = _create(
            visit=visit,
            kind=HandoverOffer.Kind.HANDOVER,
            from_person=actor,
            to_person=to,
            visit_version=visit.version,
            note=note,
        )
        _publish(offer, "handover.offered", actor, visit.client.team.stream)
    return offer


def handover_offer_swap(
    *,
    actor: Person,
    visit: Visit,
    version: int,
    swap_visit: Visit,
    swap_version: int,
    note: str = "",
) -> HandoverOffer:
    """Offer to exchange my assigned visit for a colleague's (``swap_visit``, of the same
    team, assigned to them and not started). The colleague is the one the offer goes to;
    when they accept, each takes the other's visit (``care.services.visit_swap``)."""
    _require_team(actor, visit, "swap visits")
    version = require_version(version)
    swap_version = require_version(swap_version)
    note = text("note", note, limit=limit_of(HandoverOffer, "note"))
    same_team = "Choose a visit of the same team that a colleague has."
    if swap_visit.pk == visit.pk:
        raise ValidationError({"swap_visit": ["Choose another visit than the one you offer."]})
    if not care_access.can_keep_record(actor, swap_visit.client):
        raise ValidationError({"swap_visit": [same_team]})
    with transaction.atomic():
        visit, swap_visit = _lock_visits(visit, swap_visit)
        _offerable(actor, visit, "swap it")
        check_version(visit, version, visit_services.visit_state)
        if swap_visit.client.team_id != visit.client.team_id:
            raise ValidationError({"swap_visit": [same_team]})
        if swap_visit.assignee is None or swap_visit.assignee_id == actor.pk:
            raise ValidationError(
                {"swap_visit": ["Choose a visit a colleague has: nobody, or you, has this one."]}
            )
        if swap_visit.status != Visit.Status.ASSIGNED:
            status = swap_visit.get_status_display().lower()
            raise ValidationError(
                {"swap_visit": [f"That visit is {status}: it cannot be swapped."]}
            )
        check_version(swap_visit, swap_version, visit_services.visit_state)
        if not team_access.is_member(swap_visit.assignee, visit.client.team_id):
            raise ValidationError({"swap_visit": [same_team]})
        _none_open(visit, swap_visit)
        offer = _create(
            visit=visit,
            kind=HandoverOffer.Kind.SWAP,
            swap_visit=swap_visit,
            from_person=actor,
            to_person=swap_visit.assignee,
            visit_version=visit.version,
            swap_visit_version=swap_visit.version,
            note=note,
        )
        _publish(offer, "handover.offered", actor, visit.client.team.stream)
    return offer


# --- answering ----------------------------------------------------------------------------


def handover_accept(
    *, actor: Person, offer: HandoverOffer, version: int, confirm_overlap: bool = False
) -> HandoverOffer:
    """The colleague takes the offer: the visit (or the swap) changes hands now.

    Refused (``overlap``, nothing changes, the offer stays open) when a carer's new
    visit clashes with one they hold: the taker's, and in a swap the offerer's too,
    unless ``confirm_overlap``.

    Only the person it was offered to accepts, while still a member of the team. If a
    visit of the offer changed since it was made, the offer lapses instead: that is
    saved, and a ``Conflict`` says so with the offer's and the visits' current state.
    """
    version = require_version(version)
    visits = [offer.visit] + ([offer.swap_visit] if offer.swap_visit else [])
    lapsed: dict[str, Any] | None = None
    with transaction.atomic():
        visits = _lock_visits(*visits)
        offer = lock(offer, "from_person", "to_person")
        visit = visits[0]
        _require_team(actor, visit, "take visits")
        if actor.pk != offer.to_person_id:
            mine = actor.pk == offer.from_person_id
            raise PermissionDenied(
                f"{'You made this offer: only' if mine else 'Only'} "
                f"{offer.to_person.display_name} can accept it."
            )
        _check_open(offer, version)
        seen = [offer.visit_version] + ([offer.swap_visit_version] if offer.swap_visit_id else [])
        if [v.version for v in visits] != seen:
            _close(offer, HandoverOffer.Status.EXPIRED)
            _publish(offer, "handover.expired", actor, visit.client.team.stream)
            lapsed = {
                "offer": offer_state(offer),
                "visits": [visit_services.visit_state(v) for v in visits],
            }
        elif offer.kind == HandoverOffer.Kind.SWAP:
            visit_services.visit_swap(
                actor=actor,
                first=visits[0],
                first_version=visits[0].version,
                second=visits[1],
                second_version=visits[1].version,
                confirm_overlap=confirm_overlap,
            )
        else:
            visit_services.visit_assign(
                actor=actor,
                visit=visit,
                person=actor,
                version=visit.version,
                confirm_overlap=confirm_overlap,
            )
        if lapsed is None:
            _close(offer, HandoverOffer.Status.ACCEPTED)
            _publish(offer, "handover.accepted", actor, visit.client.team.stream)
    if lapsed is not None:
        # Raised after the commit: the lapse is kept, only the acceptance is refused.
        raise Conflict(
            "The visit changed since it was offered, so the offer has lapsed."
            " Ask for it again if it still stands.",
            current=lapsed,
        )
    return offer


def handover_decline(
    *, actor: Person, offer: HandoverOffer, version: int, reason: str = ""
) -> HandoverOffer:
    """The colleague says no (with a reason if they like); the visit stays where it is."""
    version = require_version(version)
    reason = text("reason", reason, limit=limit_of(HandoverOffer, "reason"))
    with transaction.atomic():
        offer = lock(offer, "from_person", "to_person")
        visit = Visit.objects.select_related("client__team").get(pk=offer.visit_id)
        _require_team(actor, visit, "answer offers")
        if actor.pk != offer.to_person_id:
            raise PermissionDenied(f"Only {offer.to_person.display_name} can decline this offer.")
        _check_open(offer, version)
        _close(offer, HandoverOffer.Status.DECLINED, reason=reason)
        _publish(offer, "handover.declined", actor, visit.client.team.stream)
    return offer


def handover_withdraw(*, actor: Person, offer: HandoverOffer, version: int) -> HandoverOffer:
    """The carer who made the offer takes it back while it is open."""
    version = require_version(version)
    with transaction.atomic():
        offer = lock(offer, "from_person", "to_person")
        visit = Visit.objects.select_related("client__team").get(pk=offer.visit_id)
        _require_team(actor, visit, "withdraw offers")
        if actor.pk != offer.from_person_id:
            raise PermissionDenied(
                f"Only {offer.from_person.display_name}, who made this offer, can withdraw it."
            )
        _check_open(offer, version)
        _close(offer, HandoverOffer.Status.WITHDRAWN)
        _publish(offer, "handover.withdrawn", actor, visit.client.team.stream)
    return offer
