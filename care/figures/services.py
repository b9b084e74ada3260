"""Sharing a team's figures for a month with the network.

The team's informer shares; what is shared is the chosen indicators of
``care.figures.compute`` (``SHARED_KEYS``) as they stand at that moment, with the method
version they were computed under. A month is shared once it has ended: the figures
of a month still running would be compared with complete ones.

Sharing the same month again makes a new version when the figures changed since
(late-recorded visits, a corrected rating); the earlier version stays, marked as
replaced. Sharing unchanged figures again is refused: there is nothing new to say.
One event, ``figures.shared``, on the network's stream, with ids only.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from care.figures import access as figures_access
from care.figures.compute import METHOD_VERSION, shared_figures_of, team_indicators
from care.figures.periods import Period, parse_period
from care.models import SharedFigures
from coordination.events import NETWORK_STREAM, Event, publish
from teams.cleaning import refused
from teams.models import Person, Team
from teams.services.common import audit

# What only the informer does here, in the words of a refusal.
SHARING = "shares its figures"


def share_figures(*, actor: Person, team: Team, period: str | Period) -> SharedFigures:
    if not figures_access.can_share_figures(actor, team):
        raise PermissionDenied(figures_access.informer_refusal(team, SHARING))
    today = timezone.localdate()
    label = period.label if isinstance(period, Period) else period
    period = parse_period(label, today=today, months_only=True)
    if period.last >= today:
        raise refused("period", f"{period.title} is not over yet: share it once it has ended.")
    figures = shared_figures_of(team_indicators(team, period))
    with transaction.atomic():
        previous = (
            SharedFigures.objects.select_for_update()
            .filter(team=team, period=period.label, current=True)
            .select_related("shared_by")
            .first()
        )
        if (
            previous is not None
            and previous.figures == figures
            and previous.method_version == METHOD_VERSION
        ):
            raise refused(
                "period",
                f"The figures for {period.title} were shared by"
                f" {previous.shared_by.display_name} on"
                f" {timezone.localtime(previous.shared_at):%-d %B %Y} and have not"
                " changed since.",
            )
        if previous is not None:
            previous.current = False
            previous.save(update_fields=["current"])
        try:
            with transaction.atomic():
                share = SharedFigures.objects.create(
                    team=team,
                    period=period.label,
                    version=previous.version + 1 if previous else 1,
                    figures=figures,
                    method_version=METHOD_VERSION,
                    shared_by=actor,
                    supersedes=previous,
                )
        except IntegrityError:
            # A first share made at the same moment (nothing to lock yet) won.
            raise refused(
                "period", f"The figures for {period.title} were shared a moment ago."
            ) from None
        data = {"team": team.pk, "period": period.label, "shared_figures": share.pk}
        audit(
            actor=actor,
            action="figures.shared",
            target=share,
            data={**data, "version": share.version},
        )
        publish(Event("figures.shared", data, actor=actor.pk), streams=[NETWORK_STREAM])
    return share
