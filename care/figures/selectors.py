"""Reads of team figures: a team's own for a period, and the network's shared figures
side by side with their median.

Like the other care selectors these check nobody's permission: the caller asks
``teams.api.core.my_team`` first for a team's own (its members), and
``care.figures.access.can_read_network_figures`` for the network's. What they return
names no client.
Nothing a team has not shared appears in the network's figures: they are read from
the shares alone; a team's own live figures are only ever read for its own members.
"""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from care.figures import access as figures_access
from care.figures.compute import SHARED_KEYS, TeamIndicators, network_indicators, shared_figures_of
from care.figures.periods import Period
from care.models import OmahaProblem, SharedFigures
from teams.models import RoleTerm, Team


def _number(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@dataclass(frozen=True)
class SharedRow:
    """One team's current share for the period, its values ready to compare."""

    share: SharedFigures

    @property
    def team(self) -> Team:
        return self.share.team

    def value(self, key: str) -> Decimal | None:
        return _number(self.share.figures.get(key, {}).get("value"))

    def figure(self, key: str) -> dict[str, Any]:
        found: dict[str, Any] = self.share.figures.get(key, {})
        return found


@dataclass(frozen=True)
class NetworkFigures:
    period: Period
    rows: list[SharedRow]  # one per team that shared the period, by team name
    median: dict[str, Decimal | None]  # over the teams that shared, per figure
    counted: dict[str, int]  # how many teams' values each median is taken over


@dataclass(frozen=True)
class OwnFigures:
    """A team's own figures for a period, for its members: every indicator as it stands
    now, the team's current share of the period (if any) and who may share."""

    team: Team
    indicators: TeamIndicators
    share: SharedFigures | None
    informer: RoleTerm | None

    @property
    def changed_since_shared(self) -> bool:
        return self.share is not None and self.share.figures != shared_figures_of(self.indicators)


def median_of(values: list[Decimal | None]) -> tuple[Decimal | None, int]:
    """The median of the values there are (the mean of the middle two for an even
    number, not rounded) and how many there were."""
    present = [v for v in values if v is not None]
    return (statistics.median(present) if present else None), len(present)


def current_shares(period: Period) -> QuerySet[SharedFigures]:
    return (
        SharedFigures.objects.filter(period=period.label, current=True)
        .select_related("team", "shared_by")
        .order_by("team__name", "team_id")
    )


def network_figures(period: Period) -> NetworkFigures:
    """Every team's current share for ``period`` and the median of each shared figure
    over those teams, in one query however many teams shared."""
    rows = [SharedRow(share) for share in current_shares(period)]
    median, counted = {}, {}
    for key in SHARED_KEYS:
        median[key], counted[key] = median_of([row.value(key) for row in rows])
    return NetworkFigures(period=period, rows=rows, median=median, counted=counted)


def own_figures(
    teams: list[Team], period: Period, *, now: datetime.datetime | None = None
) -> list[OwnFigures]:
    """The teams' own figures for ``period`` (for their members only), in a constant
    number of queries: the indicators of all of them at once, their shares, their
    informers."""
    if not teams:
        return []
    ids = [team.pk for team in teams]
    computed = network_indicators(period, teams=ids, now=now)
    shares = {
        share.team_id: share
        for share in SharedFigures.objects.filter(
            team_id__in=ids, period=period.label, current=True
        ).select_related("shared_by")
    }
    informers = figures_access.informer_terms(ids)
    return [
        OwnFigures(
            team=team,
            indicators=computed[team.pk],
            share=shares.get(team.pk),
            informer=informers.get(team.pk),
        )
        for team in teams
    ]


def shares_of(team: Team, *, period: Period | None = None) -> QuerySet[SharedFigures]:
    """Every share the team made (all versions), newest month and version first."""
    shares = SharedFigures.objects.filter(team=team).select_related("team", "shared_by")
    if period is not None:
        shares = shares.filter(period=period.label)
    return shares.order_by("-period", "-version")


def problem_names(numbers: list[int]) -> dict[int, str]:
    """The Omaha problems' names by number (reference data), in one query or none."""
    if not numbers:
        return {}
    return dict(OmahaProblem.objects.filter(number__in=numbers).values_list("number", "name"))
