"""The demo's live coordination: team Zuid has asked the network for help with two of
its coming visits and Ana of Noord has offered; in Noord, one of the coming visits has
been offered to a colleague (Ana's to Ben, anyone else's to Ana). Through the
services, so the events, the help board and the notifications (the colleague is told
of the visit offered to them) are what they would be had people done it.

Called by ``seed_demo`` after the care demo (it needs the visits); idempotent: a team
that already has a request for help, or a handover offer, is left alone.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from care.models import Visit
from coordination.models import HandoverOffer, HelpRequest
from coordination.services import handovers as handover_services
from coordination.services import help as help_services
from teams.models import Person, Team

SOON = datetime.timedelta(hours=2)
WITHIN = datetime.timedelta(days=5)


def _person(username: str) -> Person | None:
    return Person.objects.filter(username=username).first()


def _open_visits(team: Team, now: datetime.datetime):
    return Visit.objects.filter(
        client__team=team,
        status=Visit.Status.PLANNED,
        assignee=None,
        window_start__gt=now + SOON,
        window_start__lt=now + WITHIN,
    ).order_by("window_start", "pk")


def seed(now: datetime.datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    made = {"help requests": 0, "help offers": 0, "handover offers": 0}
    noord = Team.objects.filter(slug="noord").first()
    zuid = Team.objects.filter(slug="zuid").first()
    ana, ben, cas = _person("ana"), _person("ben"), _person("cas")
    if noord is None or zuid is None or ana is None or ben is None or cas is None:
        return made

    if not HelpRequest.objects.filter(team=zuid).exists():
        visits = list(_open_visits(zuid, now)[:2])
        if visits:
            request = help_services.help_request_raise(
                actor=cas,
                team=zuid,
                visits=[visit.pk for visit in visits],
                skills="Insulin injections",
                note="Two of us are on the wound care course; these are still open.",
            )
            made["help requests"] += 1
            help_services.help_offer_make(
                actor=ana,
                request=request,
                version=request.version,
                note="I can take them on my way back from the Kerkstraat.",
                # Her own visits are the demo's to place: it offers whatever they are.
                confirm_overlap=True,
            )
            made["help offers"] += 1

    if not HandoverOffer.objects.filter(visit__client__team=noord).exists():
        visit = (
            Visit.objects.filter(
                client__team=noord,
                status=Visit.Status.ASSIGNED,
                window_start__gt=now + SOON,
                window_start__lt=now + WITHIN,
            )
            .select_related("assignee")
            .order_by("window_start", "pk")
            .first()
        )
        if visit is not None and visit.assignee is not None:
            handover_services.handover_offer(
                actor=visit.assignee,
                visit=visit,
                version=visit.version,
                to=ben if visit.assignee == ana else ana,
                note="Dentist that morning: could you take this one?",
            )
            made["handover offers"] += 1
    return made
