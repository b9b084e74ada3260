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

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from care import access as care_access
from care import services as care_services
from care.models import Visit
from care.services.common import require_version
from coordination import access, privacy
from coordination.events import Event, publish
from coordination.models import HandoverOffer, HelpOffer, HelpRequest
from teams import access as team_access
from teams.errors import Conflict
from teams.models import Person, Team
from teams.numbers import is_id
from teams.services.common import audit

NOTE_LIMIT = 300
OPEN_ALREADY = "This visit already has an open offer: withdraw or answer it first."


def offer_state(offer: HandoverOffer) -> dict:
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


def _note(name: str, value) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({name: ["Must be text."]})
    value = value.strip()
    if len(value) > NOTE_LIMIT:
        raise ValidationError({name: [f"At most {NOTE_LIMIT} characters."]})
    return value


def _lock_visits(*visits: Visit) -> list[Visit]:
    """The visits, row-locked in id order, returned in the order given."""
    locked = {
        v.pk: Visit.objects.select_for_update(of=("self",))
        .select_related("client__team", "assignee")
        .get(pk=v.pk)
        for v in sorted(visits, key=lambda v: v.pk)
    }
    return [locked[v.pk] for v in visits]


def _lock_offer(offer: HandoverOffer) -> HandoverOffer:
    return (
        HandoverOffer.objects.select_for_update(of=("self",))
        .select_related("from_person", "to_person")
        .get(pk=offer.pk)
    )


def _check_visit_version(visit: Visit, version: int) -> None:
    if version != visit.version:
        raise Conflict(
            "The visit changed since you opened it.", current=care_services.visit_state(visit)
        )


def _offerable(actor: Person, visit: Visit, doing: str) -> None:
    """The actor holds the visit, assigned and not started."""
    if visit.assignee_id is None:
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


def _create(**fields) -> HandoverOffer:
    try:
        # Its own savepoint: a racing offer that slipped past the check leaves the
        # caller's transaction usable for the clear error below.
        with transaction.atomic():
            return HandoverOffer.objects.create(**fields)
    except IntegrityError:
        raise ValidationError(OPEN_ALREADY) from None


def _publish(offer: HandoverOffer, verb: str, actor: Person | None, team_stream: str) -> None:
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
    audit(actor=actor, action=f"handover.{verb}", target=offer, data=data)
    publish(
        Event(f"handover.{verb}", data, actor=actor.pk if actor else None),
        streams=[team_stream],
    )


def _close(offer: HandoverOffer, status: str, **fields) -> None:
    offer.status = status
    offer.answered = timezone.now()
    offer.version += 1
    for name, value in fields.items():
        setattr(offer, name, value)
    offer.save(update_fields=["status", "answered", "version", *fields])


def _check_open(offer: HandoverOffer, version: int) -> None:
    if offer.status != HandoverOffer.Status.OFFERED:
        word = offer.get_status_display().lower()
        raise Conflict(f"This offer was already {word}.", current=offer_state(offer))
    if version != offer.version:
        raise Conflict("The offer changed since you opened it.", current=offer_state(offer))


# --- offering -----------------------------------------------------------------------------


def handover_offer(
    *, actor: Person, visit: Visit, version: int, to: Person | None, note: str = ""
) -> HandoverOffer:
    """Offer my assigned visit to a colleague (``to``, a current member of the client's
    team). One open offer per visit; the visit itself changes only when it is accepted."""
    _require_team(actor, visit, "hand visits over")
    version = require_version(version)
    note = _note("note", note)
    with transaction.atomic():
        (visit,) = _lock_visits(visit)
        _offerable(actor, visit, "hand it over")
        _check_visit_version(visit, version)
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
        _publish(offer, "offered", actor, visit.client.team.stream)
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
    note = _note("note", note)
    same_team = "Choose a visit of the same team that a colleague has."
    if swap_visit.pk == visit.pk:
        raise ValidationError({"swap_visit": ["Choose another visit than the one you offer."]})
    if not care_access.can_keep_record(actor, swap_visit.client):
        raise ValidationError({"swap_visit": [same_team]})
    with transaction.atomic():
        visit, swap_visit = _lock_visits(visit, swap_visit)
        _offerable(actor, visit, "swap it")
        _check_visit_version(visit, version)
        if swap_visit.client.team_id != visit.client.team_id:
            raise ValidationError({"swap_visit": [same_team]})
        if swap_visit.assignee_id is None or swap_visit.assignee_id == actor.pk:
            raise ValidationError(
                {"swap_visit": ["Choose a visit a colleague has: nobody, or you, has this one."]}
            )
        if swap_visit.status != Visit.Status.ASSIGNED:
            status = swap_visit.get_status_display().lower()
            raise ValidationError(
                {"swap_visit": [f"That visit is {status}: it cannot be swapped."]}
            )
        _check_visit_version(swap_visit, swap_version)
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
        _publish(offer, "offered", actor, visit.client.team.stream)
    return offer


# --- answering ----------------------------------------------------------------------------


def handover_accept(*, actor: Person, offer: HandoverOffer, version: int) -> HandoverOffer:
    """The colleague takes the offer: the visit (or the swap) changes hands now.

    Only the person it was offered to accepts, while still a member of the team. If a
    visit of the offer changed since it was made, the offer lapses instead: that is
    saved, and a ``Conflict`` says so with the offer's and the visits' current state.
    """
    version = require_version(version)
    visits = [offer.visit] + ([offer.swap_visit] if offer.swap_visit_id else [])
    lapsed: dict | None = None
    with transaction.atomic():
        visits = _lock_visits(*visits)
        offer = _lock_offer(offer)
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
            _publish(offer, "expired", actor, visit.client.team.stream)
            lapsed = {
                "offer": offer_state(offer),
                "visits": [care_services.visit_state(v) for v in visits],
            }
        elif offer.kind == HandoverOffer.Kind.SWAP:
            care_services.visit_swap(
                actor=actor,
                first=visits[0],
                first_version=visits[0].version,
                second=visits[1],
                second_version=visits[1].version,
            )
        else:
            care_services.visit_assign(
                actor=actor, visit=visit, person=actor, version=visit.version
            )
        if lapsed is None:
            _close(offer, HandoverOffer.Status.ACCEPTED)
            _publish(offer, "accepted", actor, visit.client.team.stream)
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
    reason = _note("reason", reason)
    with transaction.atomic():
        offer = _lock_offer(offer)
        visit = Visit.objects.select_related("client__team").get(pk=offer.visit_id)
        _require_team(actor, visit, "answer offers")
        if actor.pk != offer.to_person_id:
            raise PermissionDenied(f"Only {offer.to_person.display_name} can decline this offer.")
        _check_open(offer, version)
        _close(offer, HandoverOffer.Status.DECLINED, reason=reason)
        _publish(offer, "declined", actor, visit.client.team.stream)
    return offer


def handover_withdraw(*, actor: Person, offer: HandoverOffer, version: int) -> HandoverOffer:
    """The carer who made the offer takes it back while it is open."""
    version = require_version(version)
    with transaction.atomic():
        offer = _lock_offer(offer)
        visit = Visit.objects.select_related("client__team").get(pk=offer.visit_id)
        _require_team(actor, visit, "withdraw offers")
        if actor.pk != offer.from_person_id:
            raise PermissionDenied(
                f"Only {offer.from_person.display_name}, who made this offer, can withdraw it."
            )
        _check_open(offer, version)
        _close(offer, HandoverOffer.Status.WITHDRAWN)
        _publish(offer, "withdrawn", actor, visit.client.team.stream)
    return offer


# --- help across teams ------------------------------------------------------------------
#
# A team asks the network for help with visits nobody in it can cover
# (``help_request_raise``); members of other teams see the request live on the "help"
# stream (when, how long, the area, the skills: never who the client is) and offer
# (``help_offer_make``); any current member of the asking team accepts one offer
# (``help_offer_accept``): the visits are lent to the helper through
# ``care.services.visit_lend``, each with a grant expiring four hours after its window
# ends, the request is filled and the other offers are declined, all in one
# transaction. Events (ids only) go to the "help" stream and the asking team's stream:
# ``help.requested``, ``help.withdrawn``, ``help.expired``, ``help.offered``,
# ``help.offer_withdrawn``, ``help.offer_declined``, ``help.offer_accepted``,
# ``help.filled``. Locks: visits (id order), then the request, then the offer.

MAX_HELP_VISITS = 20
SKILLS_LIMIT = 200
# The helper keeps access this long after the visit's window ends (a late finish, notes).
GRANT_AFTER_WINDOW = datetime.timedelta(hours=4)
OWN_REQUEST = "Your team asked for this help: take its visits on your board instead."


def help_request_state(request: HelpRequest) -> dict:
    """What a client of the API needs to redraw a request (also the 409 body). Ids and
    times only: the note is the asking team's."""
    return {
        "id": request.pk,
        "team": request.team_id,
        "status": request.status,
        "version": request.version,
        "visits": sorted(request.visits.values_list("pk", flat=True)),
        "created": request.created.isoformat(),
        "closed": request.closed.isoformat() if request.closed else None,
    }


def help_offer_state(offer: HelpOffer) -> dict:
    return {
        "id": offer.pk,
        "request": offer.request_id,
        "person": offer.person_id,
        "status": offer.status,
        "version": offer.version,
        "created": offer.created.isoformat(),
        "answered_at": offer.answered_at.isoformat() if offer.answered_at else None,
    }


def _help_publish(
    request: HelpRequest, verb: str, actor: Person | None, data: dict, *, target=None
) -> None:
    audit(actor=actor, action=f"help.{verb}", target=target or request, data=data)
    publish(
        Event(f"help.{verb}", data, actor=actor.pk if actor else None),
        streams=[access.HELP_STREAM, request.team.stream],
    )


def _lock_request(request: HelpRequest) -> HelpRequest:
    return (
        HelpRequest.objects.select_for_update(of=("self",))
        .select_related("team")
        .get(pk=request.pk)
    )


def _lock_help_offer(offer: HelpOffer) -> HelpOffer:
    return (
        HelpOffer.objects.select_for_update(of=("self",))
        .select_related("person", "request__team")
        .get(pk=offer.pk)
    )


def _check_request_open(request: HelpRequest, version: int | None = None) -> None:
    if request.status != HelpRequest.Status.OPEN:
        word = request.get_status_display().lower()
        raise Conflict(
            f"This request for help was already {word}.", current=help_request_state(request)
        )
    if version is not None and version != request.version:
        raise Conflict(
            "The request for help changed since you opened it.",
            current=help_request_state(request),
        )


def _check_help_offer_open(offer: HelpOffer, version: int) -> None:
    if offer.status != HelpOffer.Status.OFFERED:
        word = offer.get_status_display().lower()
        raise Conflict(f"This offer was already {word}.", current=help_offer_state(offer))
    if version != offer.version:
        raise Conflict("The offer changed since you opened it.", current=help_offer_state(offer))


def _close_help_offer(offer: HelpOffer, status: str, **fields) -> None:
    offer.status = status
    offer.answered_at = timezone.now()
    offer.version += 1
    for name, value in fields.items():
        setattr(offer, name, value)
    offer.save(update_fields=["status", "answered_at", "version", *fields])


def _close_request(request: HelpRequest, status: str) -> None:
    request.status = status
    request.closed = timezone.now()
    request.version += 1
    request.save(update_fields=["status", "closed", "version"])


def _decline_open_offers(request: HelpRequest, reason: str, *, keep: int | None = None) -> list:
    """Close the request's other open offers (no event of their own: the request's
    event carries their ids)."""
    offers = HelpOffer.objects.filter(request=request, status=HelpOffer.Status.OFFERED)
    if keep is not None:
        offers = offers.exclude(pk=keep)
    ids = sorted(offers.values_list("pk", flat=True))
    if ids:
        HelpOffer.objects.filter(pk__in=ids).update(
            status=HelpOffer.Status.DECLINED,
            answered_at=timezone.now(),
            reason=reason,
            version=F("version") + 1,
        )
    return ids


def _when(visit: Visit) -> str:
    return f"{timezone.localtime(visit.window_start):%a %-d %b %H:%M}"


def _visit_ids(value) -> list[int] | None:
    if not isinstance(value, list | tuple | set | frozenset):
        return None
    ids = [getattr(v, "pk", v) for v in value]
    if any(isinstance(i, bool) or not isinstance(i, int) for i in ids):
        return None
    return sorted(set(ids))


def _text(errors: dict, name: str, value, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors.setdefault(name, []).append("Must be text.")
        return ""
    value = value.strip()
    if len(value) > limit:
        errors.setdefault(name, []).append(f"At most {limit} characters.")
    return value


def _require_asking_team(actor: Person, offer: HelpOffer, doing: str) -> None:
    team = offer.request.team
    if actor.pk == offer.person_id:
        raise ValidationError(
            f"You made this offer: a member of team {team.name}, who asked for help,"
            f" can {doing} it."
        )
    if not access.can_ask_for_help(actor, team.pk):
        raise PermissionDenied(f"Only members of team {team.name}, who asked, can {doing} offers.")


def _help_offer_data(offer: HelpOffer) -> dict:
    return {
        "request": offer.request_id,
        "offer": offer.pk,
        "person": offer.person_id,
        "status": offer.status,
        "version": offer.version,
    }


def help_request_raise(
    *,
    actor: Person,
    team: Team,
    visits,
    skills: str = "",
    note: str = "",
    confirm_no_client_data: bool = False,
) -> HelpRequest:
    """Ask the network for help with some of the team's visits that nobody in it can
    cover: planned, nobody's yet, not over, and not in another open request. Other
    teams read the skills: held when they seem to identify a client
    (``coordination.privacy``); the note stays in the team."""
    if not access.can_ask_for_help(actor, team.pk):
        raise PermissionDenied(f"Only members of team {team.name} can ask for help for it.")
    errors: dict[str, list[str]] = {}
    ids = _visit_ids(visits)
    if not ids:
        errors["visits"] = ["Choose the visits you need help with."]
    elif len(ids) > MAX_HELP_VISITS:
        errors["visits"] = [f"At most {MAX_HELP_VISITS} visits in one request."]
    skills = _text(errors, "skills", skills, SKILLS_LIMIT)
    note = _text(errors, "note", note, NOTE_LIMIT)
    if errors:
        raise ValidationError(errors)
    privacy.check(
        author=actor,
        texts={"skills": skills},
        confirmed=confirm_no_client_data is True,
        labels={"skills": "skills needed"},
    )
    now = timezone.now()
    with transaction.atomic():
        locked = list(
            Visit.objects.select_for_update(of=("self",))
            .filter(pk__in=[i for i in ids if is_id(i)], client__team=team)
            .order_by("pk")
        )
        problems = []
        if len(locked) != len(ids):
            problems.append("Only visits of your team's clients.")
        for visit in locked:
            if visit.window_end <= now:
                problems.append(f"The visit of {_when(visit)} is over.")
            elif visit.status != Visit.Status.PLANNED or visit.assignee_id is not None:
                problems.append(
                    f"The visit of {_when(visit)} is {visit.get_status_display().lower()}:"
                    " ask only for visits nobody has."
                )
        asked = (
            HelpRequest.objects.filter(status=HelpRequest.Status.OPEN, visits__in=locked)
            .values_list("pk", flat=True)
            .first()
        )
        if asked is not None:
            problems.append(f"Some of these visits are in open request {asked} already.")
        if problems:
            raise ValidationError({"visits": problems})
        request = HelpRequest.objects.create(team=team, raised_by=actor, skills=skills, note=note)
        request.visits.set(ids)
        data = {"request": request.pk, "team": team.pk, "visits": ids, "version": request.version}
        _help_publish(request, "requested", actor, data)
    return request


def help_request_withdraw(*, actor: Person, request: HelpRequest, version: int) -> HelpRequest:
    """The team found cover after all: the request closes, its open offers are declined."""
    version = require_version(version)
    with transaction.atomic():
        request = _lock_request(request)
        if not access.can_ask_for_help(actor, request.team_id):
            raise PermissionDenied(
                f"Only members of team {request.team.name}, who asked, can withdraw this request."
            )
        _check_request_open(request, version)
        _close_request(request, HelpRequest.Status.WITHDRAWN)
        declined = _decline_open_offers(request, "The team withdrew its request.")
        data = {
            "request": request.pk,
            "status": request.status,
            "version": request.version,
            "declined": declined,
        }
        _help_publish(request, "withdrawn", actor, data)
    return request


def help_requests_expire_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Open requests with a visit whose window has ended lapse (status ``expired``),
    their open offers declined. For the clock (``manage.py tick``); returns their ids."""
    now = now or timezone.now()
    due = sorted(
        set(
            HelpRequest.objects.filter(
                status=HelpRequest.Status.OPEN, visits__window_end__lte=now
            ).values_list("pk", flat=True)
        )
    )
    expired = []
    for pk in due:
        with transaction.atomic():
            request = _lock_request(HelpRequest(pk=pk))
            if request.status != HelpRequest.Status.OPEN:
                continue
            _close_request(request, HelpRequest.Status.EXPIRED)
            declined = _decline_open_offers(request, "The visits' time has passed.")
            data = {
                "request": request.pk,
                "status": request.status,
                "version": request.version,
                "declined": declined,
            }
            _help_publish(request, "expired", None, data)
            expired.append(pk)
    return expired


def help_offer_make(
    *,
    actor: Person,
    request: HelpRequest,
    version: int,
    note: str = "",
    confirm_no_client_data: bool = False,
) -> HelpOffer:
    """A member of another team offers to take the request's visits. ``version`` is the
    request's, as the offerer saw it. The note goes to another team: held when it
    seems to identify one of the offerer's own clients (``coordination.privacy``)."""
    version = require_version(version)
    note = _note("note", note)
    if not access.is_network_member(actor):
        raise PermissionDenied("Only members of a team can offer help.")
    if not access.can_offer_help(actor, request.team_id):
        raise ValidationError(OWN_REQUEST)
    privacy.check(
        author=actor,
        texts={"note": note},
        confirmed=confirm_no_client_data is True,
        labels={"note": "note for the team"},
    )
    now = timezone.now()
    with transaction.atomic():
        request = _lock_request(request)
        _check_request_open(request, version)
        if request.visits.filter(window_end__lte=now).exists():
            raise Conflict(
                "The time of this request's visits has passed.",
                current=help_request_state(request),
            )
        if HelpOffer.objects.filter(
            request=request, person=actor, status=HelpOffer.Status.OFFERED
        ).exists():
            raise ValidationError(
                "You have offered already: wait for the team's answer, or withdraw that offer."
            )
        offer = HelpOffer.objects.create(request=request, person=actor, note=note)
        data = {
            "request": request.pk,
            "offer": offer.pk,
            "person": actor.pk,
            "version": offer.version,
        }
        _help_publish(request, "offered", actor, data, target=offer)
    return offer


def help_offer_withdraw(*, actor: Person, offer: HelpOffer, version: int) -> HelpOffer:
    """The helper takes their offer back while it is open."""
    version = require_version(version)
    with transaction.atomic():
        offer = _lock_help_offer(offer)
        if actor.pk != offer.person_id:
            raise PermissionDenied(
                f"Only {offer.person.display_name}, who made this offer, can withdraw it."
            )
        _check_help_offer_open(offer, version)
        _close_help_offer(offer, HelpOffer.Status.WITHDRAWN)
        _help_publish(
            offer.request, "offer_withdrawn", actor, _help_offer_data(offer), target=offer
        )
    return offer


def help_offer_decline(
    *,
    actor: Person,
    offer: HelpOffer,
    version: int,
    reason: str = "",
    confirm_no_client_data: bool = False,
) -> HelpOffer:
    """A member of the asking team says no to one offer (with a reason if they like).
    The helper, of another team, reads the reason: held when it seems to identify a
    client (``coordination.privacy``)."""
    version = require_version(version)
    reason = _note("reason", reason)
    with transaction.atomic():
        offer = _lock_help_offer(offer)
        _require_asking_team(actor, offer, "decline")
        _check_help_offer_open(offer, version)
        privacy.check(
            author=actor,
            texts={"reason": reason},
            confirmed=confirm_no_client_data is True,
            labels={"reason": "reason"},
            team=offer.request.team,
        )
        _close_help_offer(offer, HelpOffer.Status.DECLINED, reason=reason)
        _help_publish(offer.request, "offer_declined", actor, _help_offer_data(offer), target=offer)
    return offer


def help_offer_accept(*, actor: Person, offer: HelpOffer, version: int) -> HelpOffer:
    """A member of the asking team accepts one offer: each of the request's visits is
    lent to the helper (``care.services.visit_lend``) with a grant that expires four
    hours after the visit's window ends, the request is filled and every other open
    offer declined, in one transaction. If a visit was taken or its time has passed,
    nothing changes: a ``Conflict`` says which, with the current state."""
    version = require_version(version)
    visit_ids = list(offer.request.visits.values_list("pk", flat=True))
    now = timezone.now()
    with transaction.atomic():
        visits = list(
            Visit.objects.select_for_update(of=("self",))
            .select_related("client__team")
            .filter(pk__in=visit_ids)
            .order_by("pk")
        )
        request = _lock_request(offer.request)
        offer = _lock_help_offer(offer)
        _require_asking_team(actor, offer, "accept")
        if team_access.is_member(offer.person, request.team_id):
            raise ValidationError(
                f"{offer.person.display_name} is a member of team {request.team.name} now:"
                " they take the visits on the board, not as help from another team."
            )
        _check_help_offer_open(offer, version)
        _check_request_open(request)
        for visit in visits:
            taken = visit.status != Visit.Status.PLANNED or visit.assignee_id is not None
            if taken or visit.window_end <= now:
                state = f"is {visit.get_status_display().lower()}" if taken else "is over"
                raise Conflict(
                    f"The visit of {_when(visit)} {state} now: withdraw this request,"
                    " or ask again for the visits still open.",
                    current={
                        "request": help_request_state(request),
                        "visits": [care_services.visit_state(v) for v in visits],
                    },
                )
        for visit in visits:
            care_services.visit_lend(
                actor=actor,
                visit=visit,
                helper=offer.person,
                version=visit.version,
                expires_at=visit.window_end + GRANT_AFTER_WINDOW,
                reason=f"help request {request.pk}",
            )
        _close_help_offer(offer, HelpOffer.Status.ACCEPTED)
        data = {"request": request.pk, "offer": offer.pk, "person": offer.person_id}
        _help_publish(request, "offer_accepted", actor, data, target=offer)
        _close_request(request, HelpRequest.Status.FILLED)
        declined = _decline_open_offers(request, "Another offer was accepted.", keep=offer.pk)
        data = {
            "request": request.pk,
            "status": request.status,
            "version": request.version,
            "offer": offer.pk,
            "person": offer.person_id,
            "declined": declined,
        }
        _help_publish(request, "filled", actor, data)
    return offer
