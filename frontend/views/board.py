"""The team board: today's (or the week's) visits by member and time, what nobody has
taken yet, who is running late, what is done; and the actions on it.

The page is a snapshot read together with the team stream's head (one transaction);
its socket resumes from that head, so every change after the snapshot arrives, and
the board section re-reads itself from the server on each ``visit.*`` or
``handover.*`` event (a re-read is idempotent: an event can never be applied twice).

Actions post to small views that call the services and answer with the board
section (htmx) or redirect back to the page (no JavaScript). A lost race or a stale
board is a 409 whose message says what happened ("Ben Mulder has already taken this
visit") above the current board.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from care.models import Visit
from care.services import visits as visit_services
from coordination import presence
from coordination import selectors as board_selectors
from coordination.models import HandoverOffer
from coordination.selectors import BoardVisit
from coordination.services import handovers as handover_services
from frontend import writes
from frontend.views.common import confirmed_overlap, found_or_404, live, team_or_404
from frontend.views.help import help_board_context
from teams import selectors as team_selectors
from teams.http import PageRequest
from teams.models import Team

TEMPLATE = "frontend/board.html"
LATE_CHOICES = (10, 20, 30, 45, 60, 90)


def _day(request: PageRequest) -> datetime.date:
    raw = request.GET.get("date") or request.POST.get("date") or ""
    try:
        return datetime.date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _week(request: PageRequest) -> bool:
    return (request.GET.get("view") or request.POST.get("view")) == "week"


def _board_context(request: PageRequest, team: Team, day: datetime.date, week: bool) -> dict:
    start = day - datetime.timedelta(days=day.weekday()) if week else day
    members = list(team_selectors.current_members(team))
    snapshot = board_selectors.board(team, start, 7 if week else 1)
    board_selectors.mark_clashes(snapshot, request.user)
    me = request.user.pk
    now = timezone.now()
    unassigned, late, done, offers_to_me = [], [], [], []
    by_member: dict[int, list[BoardVisit]] = {m.person_id: [] for m in members}
    for visit in snapshot.visits:
        visit.mine = visit.assignee_id == me
        visit.offer_out = next((o for o in visit.open_offers if o.from_person_id == me), None)
        for offer in visit.open_offers:
            if (
                offer.to_person_id == me
                and offer.visit_id == visit.pk
                and offer not in offers_to_me
            ):
                offers_to_me.append(offer)
        if visit.status == Visit.Status.DONE:
            done.append(visit)
        elif visit.status in (Visit.Status.CANCELLED, Visit.Status.MISSED):
            continue
        elif visit.assignee_id is None:
            unassigned.append(visit)
        if visit.late_until and visit.status in Visit.OPEN_STATUSES:
            late.append(visit)
        if visit.assignee_id in by_member:
            by_member[visit.assignee_id].append(visit)
    # Offers name visits on this board; the visit each swap would give back is there too.
    visits = {v.pk: v for v in snapshot.visits}
    for offer in offers_to_me:
        offer.the_visit = visits.get(offer.visit_id)
        offer.the_swap = visits.get(offer.swap_visit_id) if offer.swap_visit_id else None
    my_open = [v for v in by_member.get(me, []) if v.status == Visit.Status.ASSIGNED]
    swappable = [
        v
        for v in snapshot.visits
        if v.status == Visit.Status.ASSIGNED and v.assignee_id not in (None, me)
    ]
    colleagues = [m.person for m in members if m.person_id != me]
    days = []
    if week:
        for offset in range(7):
            date = start + datetime.timedelta(days=offset)
            days.append(
                {
                    "date": date,
                    "visits": [
                        v for v in snapshot.visits if timezone.localdate(v.window_start) == date
                    ],
                }
            )
    lanes = sorted(
        (
            {"person": m.person, "visits": by_member[m.person_id], "me": m.person_id == me}
            for m in members
        ),
        key=lambda lane: not lane["me"],  # your own visits first
    )
    return {
        "team": team,
        "board": snapshot,
        "day": day,
        "week": week,
        "today": timezone.localdate(),
        "previous": (start - datetime.timedelta(days=7 if week else 1)).isoformat(),
        "next": (start + datetime.timedelta(days=7 if week else 1)).isoformat(),
        "now": now,
        "unassigned": unassigned,
        "late": late,
        "done": done,
        "offers_to_me": offers_to_me,
        "lanes": lanes,
        "free_lanes": [lane for lane in lanes if not lane["visits"] and not lane["me"]],
        "days": days,
        "my_open": my_open,
        "swappable": swappable,
        "colleagues": colleagues,
        "late_choices": LATE_CHOICES,
        "members": members,
        # Where the record sheet ("Finish…") goes back to once saved: this board, this day.
        "board_back": reverse("team-board", args=[team.slug])
        + f"?date={day.isoformat()}"
        + ("&view=week" if week else ""),
    }


@login_required
@require_GET
def board_page(request: PageRequest, slug: str) -> HttpResponse:
    team = team_or_404(request, slug)
    day, week = _day(request), _week(request)
    if request.htmx and request.GET.get("part") == "board":
        return render(request, f"{TEMPLATE}#board", _board_context(request, team, day, week))
    if request.htmx and request.GET.get("part") == "around":
        members = list(team_selectors.current_members(team))
        around = presence.who_is_around(team, members)
        return render(request, f"{TEMPLATE}#around", {"team": team, "around": around})
    return render_board(request, team, day, week)


def render_board(
    request: PageRequest,
    team: Team,
    day: datetime.date,
    week: bool,
    status: int = 200,
    **more: object,
) -> HttpResponse:
    with transaction.atomic():
        # The head is read first, inside the snapshot's transaction (see the module).
        heads = live(team.stream)
        context = _board_context(request, team, day, week)
    context.update(around=presence.who_is_around(team, context["members"]), live=heads)
    context.update(help_board_context(request, team))
    context.update(more)
    return render(request, TEMPLATE, context, status=status)


def board_day(request: PageRequest) -> tuple[datetime.date, bool]:
    """The day (and whether the week) a board form was posted from."""
    return _day(request), _week(request)


# --- actions ----------------------------------------------------------------------------------


def _visit_or_404(request: PageRequest, team: Team, pk: int) -> Visit:
    visit = board_selectors.team_visit_for(request.user, pk)
    if visit is None or visit.client.team_id != team.pk:
        raise Http404("No such visit on this team's board.")
    return visit


def _answer(
    request: PageRequest,
    team: Team,
    do,
    done: str,
    about: str = "",
    overlap: dict[str, int] | None = None,
) -> HttpResponse:
    """Run an action; answer with the board section (htmx) or go back to the page.
    ``about`` names the visit in a refusal, so a lost race says which visit it was.
    A clash refused (``overlap``: which visit or offer the form was) shows its words
    beside that form with the box to take it anyway: in the section, or (without
    JavaScript) on the whole page, answered 400 rather than a redirect that would
    lose the box."""
    outcome = writes.perform(do, done=done, about=about, fields=("overlap",))
    day, week = _day(request), _week(request)
    clash = outcome.errors.get("overlap") if overlap is not None else None
    if clash:
        shown = {"overlap": {**(overlap or {}), "words": clash}, "problem": outcome.problem}
        if not request.htmx:
            return render_board(request, team, day, week, status=outcome.status, **shown)
        context = _board_context(request, team, day, week)
        context.update(shown)
        return render(request, f"{TEMPLATE}#board", context, status=outcome.status)
    if not request.htmx:
        url = reverse("team-board", args=[team.slug]) + f"?date={day.isoformat()}"
        return outcome.back(request, url + ("&view=week" if week else ""))
    context = _board_context(request, team, day, week)
    context.update(flash=outcome.done or None, problem=outcome.problem or None)
    return render(request, f"{TEMPLATE}#board", context, status=outcome.status)


@login_required
@require_POST
def board_visit_action(request: PageRequest, slug: str, pk: int, action: str) -> HttpResponse:
    team = team_or_404(request, slug)
    visit = _visit_or_404(request, team, pk)
    me = request.user
    name = visit.client.display_name
    when = f"{timezone.localtime(visit.window_start):%H:%M}"

    def run(call):
        return lambda: call(version=writes.version_from(request.POST))

    overlap = None
    if action == "claim":
        confirm = confirmed_overlap(request)
        do = run(
            lambda version: visit_services.visit_claim(
                actor=me, visit=visit, version=version, confirm_overlap=confirm
            )
        )
        done = f"You have the visit to {name} at {when}."
        overlap = {"visit": visit.pk}
    elif action == "start":
        reason = request.POST.get("reason", "")
        do = run(
            lambda version: visit_services.visit_start(
                actor=me, visit=visit, version=version, reason=reason
            )
        )
        done = f"Visit to {name} started."
    elif action == "late":
        minutes = request.POST.get("minutes", "")

        def late(version):
            if not minutes.isdecimal() or int(minutes) not in LATE_CHOICES:
                raise ValidationError({"minutes": ["Choose how late you expect to be."]})
            until = max(timezone.now(), visit.window_start) + datetime.timedelta(
                minutes=int(minutes)
            )
            return visit_services.visit_running_late(
                actor=me,
                visit=visit,
                version=version,
                until=until,
                note=request.POST.get("note", ""),
            )

        do = run(late)
        done = f"The team knows you will be late for {name}."
    elif action == "offer":
        to_raw = request.POST.get("to", "")

        def offer(version):
            if not to_raw.isdecimal():
                raise ValidationError({"to": ["Choose a colleague to offer the visit to."]})
            to = next(
                (
                    m.person
                    for m in team_selectors.current_members(team)
                    if m.person_id == int(to_raw)
                ),
                None,
            )
            if to is None:
                raise ValidationError({"to": ["Only a current member of the team."]})
            return handover_services.handover_offer(
                actor=me, visit=visit, version=version, to=to, note=request.POST.get("note", "")
            )

        do = run(offer)
        done = f"Visit to {name} offered."
    elif action == "swap":
        other_raw = request.POST.get("swap", "")

        def swap(version):
            other_pk, _, other_version = other_raw.partition(":")
            if not other_pk.isdecimal() or not other_version.isdecimal():
                raise ValidationError({"swap": ["Choose the visit to swap with."]})
            other = _visit_or_404(request, team, int(other_pk))
            return handover_services.handover_offer_swap(
                actor=me,
                visit=visit,
                version=version,
                swap_visit=other,
                swap_version=int(other_version),
            )

        do = run(swap)
        done = "Swap offered: your colleague accepts or declines it."
    else:
        raise Http404("No such action.")
    return _answer(request, team, do, done, about=f"{name}, {when}: ", overlap=overlap)


@login_required
@require_POST
def board_offer_action(request: PageRequest, slug: str, pk: int, action: str) -> HttpResponse:
    team = team_or_404(request, slug)
    offer = board_selectors.handover_offer_for(request.user, pk)
    if offer is None or offer.visit.client.team_id != team.pk:
        raise Http404("No such offer on this team's board.")
    calls: dict[str, tuple[Callable[..., HandoverOffer], str]] = {
        "accept": (handover_services.handover_accept, "You have taken the visit."),
        "decline": (handover_services.handover_decline, "Offer declined."),
        "withdraw": (handover_services.handover_withdraw, "Offer withdrawn."),
    }
    call, done = found_or_404(calls.get(action), "No such action.")
    more = {"confirm_overlap": confirmed_overlap(request)} if action == "accept" else {}
    return _answer(
        request,
        team,
        lambda: call(
            actor=request.user, offer=offer, version=writes.version_from(request.POST), **more
        ),
        done,
        overlap={"offer": offer.pk} if action == "accept" else None,
    )
