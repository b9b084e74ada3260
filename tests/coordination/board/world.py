"""Noord's Tuesday on the board, and how its tests knock at the API."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

from care.models import Client, Visit
from coordination.events import EventRecord
from coordination.models import HandoverOffer
from coordination.services import handovers as handover_services
from teams.models import AuditEntry, CoachTerm
from tests.care.visit_helpers import at, jansen_client, plan
from tests.doors import api
from tests.factories import ClientFactory, proposal

API = "/api/v1"
DAY = "2026-12-08"
# Tuesday morning, before the day's visits.
MORNING = at(DAY, "07:30")
OUTSIDERS = ["cas", "coach", "inspector", "mrs_jansen", "daughter", "invited_coach"]


def post(person, path: str, body: dict | None = None, version=None):
    headers = {"If-Match": f'"{version}"'} if version is not None else {}
    return api(person).post(f"{API}/{path}", body or {}, format="json", headers=headers)


def fields(response) -> dict:
    body = response.json()
    assert set(body) == {"message", "extra"}, body
    return body["extra"].get("fields", {})


def build(personas) -> SimpleNamespace:
    """Noord's Tuesday: an unassigned visit, one each for Ana and Ben, Ana's spare one,
    and an open offer of Ana's 11:00 visit to Ben. Zuid has a visit of its own."""
    w = personas
    w.client = jansen_client(w)
    w.open = plan(w.ana, w.client, at(DAY, "09:00"))
    w.anas = plan(w.ana, w.client, at(DAY, "11:00"), assignee=w.ana)
    w.bens = plan(w.ana, w.client, at(DAY, "14:00"), assignee=w.ben)
    w.spare = plan(w.ana, w.client, at(DAY, "16:00"), assignee=w.ana)
    w.offer = handover_services.handover_offer(actor=w.ana, visit=w.anas, version=1, to=w.ben)
    w.zuid_client = ClientFactory(
        team=w.zuid, first_name="Jan", last_name="Bos", status=Client.Status.ACTIVE
    )
    w.zuid_visit = plan(w.cas, w.zuid_client, at(DAY, "10:00"), assignee=w.cas)
    # A coach Noord invited: advises the team, sees nothing of its visits.
    w.invited_coach = w.coach
    invitation = proposal(w.ana, w.noord, title="Invite a coach", purpose="Advice.")
    CoachTerm.objects.create(
        team=w.noord,
        coach=w.coach,
        starts=datetime.date(2026, 12, 1),
        ends=datetime.date(2027, 6, 1),
        invited_by=invitation,
    )
    return w


def snapshot() -> dict:
    return {
        "visits": list(
            Visit.objects.order_by("pk").values_list(
                "pk", "status", "assignee", "version", "late_until", "late_note"
            )
        ),
        "offers": list(
            HandoverOffer.objects.order_by("pk").values_list("pk", "status", "version", "reason")
        ),
        "events": EventRecord.objects.count(),
        "audit": AuditEntry.objects.count(),
    }


def team_events(w, prefix: str = "") -> list[EventRecord]:
    return list(
        EventRecord.objects.filter(stream=w.noord.stream, type__startswith=prefix).order_by("seq")
    )
