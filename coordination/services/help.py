"""Help across teams.

A team asks the network for help with visits nobody in it can cover
(``help_request_raise``); members of other teams see the request live on the "help"
stream (when, how long, the area, the skills: never who the client is) and offer
(``help_offer_make``); any current member of the asking team accepts one offer
(``help_offer_accept``): the visits are lent to the helper through
``care.services.visit_lend``, each with a grant expiring four hours after its window
ends, the request is filled and the other offers are declined, all in one
transaction. Events (ids only) go to the "help" stream and the asking team's stream:
``help.requested``, ``help.withdrawn``, ``help.expired``, ``help.offered``,
``help.offer_withdrawn``, ``help.offer_declined``, ``help.offer_accepted``,
``help.filled``. Locks: visits (id order), then the request, then the offer.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from care.models import Visit
from care.services import visits as visit_services
from coordination import access, privacy
from coordination.events import Event, publish
from coordination.events.streams import HELP_STREAM
from coordination.models import HelpOffer, HelpRequest
from teams import access as team_access
from teams.cleaning import clean_text, cleaned, limit_of, raise_errors, text
from teams.errors import Conflict
from teams.models import Person, Team
from teams.numbers import is_id
from teams.services.common import audit
from teams.versioning import check_status, check_version, lock, require_version, save_new_version

MAX_HELP_VISITS = 20
# The helper keeps access this long after the visit's window ends (a late finish, notes).
GRANT_AFTER_WINDOW = datetime.timedelta(hours=4)
OWN_REQUEST = "Your team asked for this help: take its visits on your board instead."


def help_request_state(request: HelpRequest) -> dict[str, Any]:
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


def help_offer_state(offer: HelpOffer) -> dict[str, Any]:
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
    request: HelpRequest,
    kind: str,
    actor: Person | None,
    data: dict[str, Any],
    *,
    target: HelpRequest | HelpOffer | None = None,
) -> None:
    audit(actor=actor, action=kind, target=target or request, data=data)
    publish(
        Event(kind, data, actor=actor.pk if actor else None),
        streams=[HELP_STREAM, request.team.stream],
    )


def _check_request_open(request: HelpRequest, version: int | None = None) -> None:
    check_status(request, HelpRequest.Status.OPEN, help_request_state, what="request for help")
    check_version(request, version, help_request_state, what="the request for help", required=False)


def _check_help_offer_open(offer: HelpOffer, version: int) -> None:
    check_status(offer, HelpOffer.Status.OFFERED, help_offer_state, what="offer")
    check_version(offer, version, help_offer_state, what="the offer")


def _close_help_offer(offer: HelpOffer, status: str, **fields: Any) -> None:
    save_new_version(offer, status=status, answered_at=timezone.now(), **fields)


def _close_request(
    request: HelpRequest, status: str, kind: str, actor: Person | None, reason: str, **more: Any
) -> None:
    """Close the request and decline its other open offers (``reason``), which have no
    event of their own: the request's event (``kind``) carries their ids."""
    save_new_version(request, status=status, closed=timezone.now())
    offers = HelpOffer.objects.filter(request=request, status=HelpOffer.Status.OFFERED)
    if "offer" in more:
        offers = offers.exclude(pk=more["offer"])
    ids = sorted(offers.values_list("pk", flat=True))
    if ids:
        HelpOffer.objects.filter(pk__in=ids).update(
            status=HelpOffer.Status.DECLINED,
            answered_at=timezone.now(),
            reason=reason,
            version=F("version") + 1,
        )
    data = {"request": request.pk, "status": status, "version": request.version, **more}
    _help_publish(request, kind, actor, {**data, "declined": ids})


def _when(visit: Visit) -> str:
    return f"{timezone.localtime(visit.window_start):%a %-d %b %H:%M}"


def _refuse_clashes(helper: Person, visits: list[Visit], *, actor: Person, confirmed: bool) -> None:
    """The helper would hold these visits: refused (``overlap``) when one clashes with a
    visit the helper holds (in any team), unless confirmed. One query."""
    if visits:
        visit_services.refuse_clash(helper, *visits, actor=actor, confirmed=confirmed)


def _visit_ids(value: object) -> list[int] | None:
    if not isinstance(value, list | tuple | set | frozenset):
        return None
    ids = [getattr(v, "pk", v) for v in value]
    ints = [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
    return sorted(set(ints)) if len(ints) == len(ids) else None


def _require_asking_team(actor: Person, offer: HelpOffer, doing: str) -> None:
    team = offer.request.team
    if actor.pk == offer.person_id:
        raise ValidationError(
            f"You made this offer: a member of team {team.name}, who asked for help,"
            f" can {doing} it."
        )
    if not access.can_ask_for_help(actor, team.pk):
        raise PermissionDenied(f"Only members of team {team.name}, who asked, can {doing} offers.")


def _help_offer_data(offer: HelpOffer) -> dict[str, Any]:
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
    visits: object,
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
    skills = clean_text(errors, "skills", skills, limit=limit_of(HelpRequest, "skills"))
    note = clean_text(errors, "note", note, limit=limit_of(HelpRequest, "note"))
    raise_errors(errors)
    ids = cleaned(ids)
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
        _help_publish(request, "help.requested", actor, data)
    return request


def help_request_withdraw(*, actor: Person, request: HelpRequest, version: int) -> HelpRequest:
    """The team found cover after all: the request closes, its open offers are declined."""
    version = require_version(version)
    with transaction.atomic():
        request = lock(request, "team")
        if not access.can_ask_for_help(actor, request.team_id):
            raise PermissionDenied(
                f"Only members of team {request.team.name}, who asked, can withdraw this request."
            )
        _check_request_open(request, version)
        _close_request(
            request,
            HelpRequest.Status.WITHDRAWN,
            "help.withdrawn",
            actor,
            "The team withdrew its request.",
        )
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
            request = lock(HelpRequest(pk=pk), "team")
            if request.status != HelpRequest.Status.OPEN:
                continue
            _close_request(
                request,
                HelpRequest.Status.EXPIRED,
                "help.expired",
                None,
                "The visits' time has passed.",
            )
            expired.append(pk)
    return expired


def help_offer_make(
    *,
    actor: Person,
    request: HelpRequest,
    version: int,
    note: str = "",
    confirm_no_client_data: bool = False,
    confirm_overlap: bool = False,
) -> HelpOffer:
    """A member of another team offers to take the request's visits. ``version`` is the
    request's, as the offerer saw it. The note goes to another team: held when it
    seems to identify one of the offerer's own clients (``coordination.privacy``).
    Refused (``overlap``) when a visit clashes with one the offerer holds, unless
    ``confirm_overlap``."""
    version = require_version(version)
    note = text("note", note, limit=limit_of(HelpOffer, "note"))
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
        request = lock(request, "team")
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
        _refuse_clashes(
            actor,
            list(request.visits.order_by("window_start", "id")),
            actor=actor,
            confirmed=confirm_overlap,
        )
        offer = HelpOffer.objects.create(request=request, person=actor, note=note)
        data = {
            "request": request.pk,
            "offer": offer.pk,
            "person": actor.pk,
            "version": offer.version,
        }
        _help_publish(request, "help.offered", actor, data, target=offer)
    return offer


def help_offer_withdraw(*, actor: Person, offer: HelpOffer, version: int) -> HelpOffer:
    """The helper takes their offer back while it is open."""
    version = require_version(version)
    with transaction.atomic():
        offer = lock(offer, "person", "request__team")
        if actor.pk != offer.person_id:
            raise PermissionDenied(
                f"Only {offer.person.display_name}, who made this offer, can withdraw it."
            )
        _check_help_offer_open(offer, version)
        _close_help_offer(offer, HelpOffer.Status.WITHDRAWN)
        _help_publish(
            offer.request, "help.offer_withdrawn", actor, _help_offer_data(offer), target=offer
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
    reason = text("reason", reason, limit=limit_of(HelpOffer, "reason"))
    with transaction.atomic():
        offer = lock(offer, "person", "request__team")
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
        _help_publish(
            offer.request, "help.offer_declined", actor, _help_offer_data(offer), target=offer
        )
    return offer


def help_offer_accept(
    *, actor: Person, offer: HelpOffer, version: int, confirm_overlap: bool = False
) -> HelpOffer:
    """A member of the asking team accepts one offer: each of the request's visits is
    lent to the helper (``care.services.visit_lend``) with a grant that expires four
    hours after the visit's window ends, the request is filled and every other open
    offer declined, in one transaction. If a visit was taken or its time has passed,
    nothing changes: a ``Conflict`` says which, with the current state. The helper may
    have taken a visit since offering: one that clashes is refused again (``overlap``,
    naming the helper), unless ``confirm_overlap``."""
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
        request = lock(offer.request, "team")
        offer = lock(offer, "person", "request__team")
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
                        "visits": [visit_services.visit_state(v) for v in visits],
                    },
                )
        _refuse_clashes(offer.person, visits, actor=actor, confirmed=confirm_overlap)
        for visit in visits:
            visit_services.visit_lend(
                actor=actor,
                visit=visit,
                helper=offer.person,
                version=visit.version,
                expires_at=visit.window_end + GRANT_AFTER_WINDOW,
                reason=f"help request {request.pk}",
            )
        _close_help_offer(offer, HelpOffer.Status.ACCEPTED)
        data: dict[str, Any] = {"request": request.pk, "offer": offer.pk, "person": offer.person_id}
        _help_publish(request, "help.offer_accepted", actor, data, target=offer)
        _close_request(
            request,
            HelpRequest.Status.FILLED,
            "help.filled",
            actor,
            "Another offer was accepted.",
            offer=offer.pk,
            person=offer.person_id,
        )
    return offer
