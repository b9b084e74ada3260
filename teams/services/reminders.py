"""Reminders that go out by themselves: role terms about to end, decisions due for review."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from teams.models import Proposal, RoleTerm
from teams.services.common import audit, publish_team

TERM_ENDING_NOTICE = datetime.timedelta(days=14)


def reminders_due(*, today: datetime.date | None = None) -> dict[str, int]:
    """Publish each reminder once on the team's stream; return how many went out."""
    today = today or timezone.localdate()
    sent = {"role_terms": 0, "reviews": 0}
    terms = RoleTerm.objects.filter(
        ended__isnull=True, reminded__isnull=True, ends__lte=today + TERM_ENDING_NOTICE
    ).select_related("role__team")
    for term in terms:
        with transaction.atomic():
            if RoleTerm.objects.filter(pk=term.pk, reminded__isnull=True).update(reminded=today):
                team = term.role.team
                audit(actor=None, action="reminder.role_term_ending", target=term)
                publish_team(
                    team,
                    "reminder.role_term_ending",
                    {
                        "role": term.role.key,
                        "term": term.pk,
                        "person": term.person_id,
                        "ends": term.ends.isoformat(),
                    },
                    actor=None,
                    shared=True,
                )
                sent["role_terms"] += 1
    reviews = Proposal.objects.filter(
        status=Proposal.Status.ADOPTED, review_date__lte=today, review_reminded__isnull=True
    ).select_related("team")
    for proposal in reviews:
        with transaction.atomic():
            if Proposal.objects.filter(pk=proposal.pk, review_reminded__isnull=True).update(
                review_reminded=today
            ):
                if proposal.review_date is None:
                    raise ValueError(f"Proposal {proposal.pk} was read as due with no review date.")
                audit(actor=None, action="reminder.review_due", target=proposal)
                publish_team(
                    proposal.team,
                    "reminder.review_due",
                    {"proposal": proposal.pk, "review_date": proposal.review_date.isoformat()},
                    actor=None,
                    shared=True,
                )
                sent["reviews"] += 1
    return sent
