"""Reads of published quality data, each in a fixed number of queries.

Like the other care selectors these check nobody's permission: the caller asks
``care.figures.quality.access`` first. An inspector's read of published snapshots is logged
here (``log_reads``), one row per snapshot read, in one query however many.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery

from care.figures.compute import DEFINITIONS, METHOD_VERSION
from care.figures.quality import access
from care.figures.quality.services import KIND, open_quarters
from care.models import Client, ExperienceSurvey, Snapshot, SnapshotRead
from care.models.quality import SnapshotQuerySet
from teams.models import Person, Proposal, Team

# --- the experience survey ------------------------------------------------------------------


def surveys_of(client: Client) -> QuerySet[ExperienceSurvey]:
    return ExperienceSurvey.objects.filter(client=client).select_related("answered_by")


@dataclass(frozen=True)
class SurveyInvitation:
    """What the portal offers: the quarter to answer for, and the answer if given."""

    period: str
    title: str
    answered: ExperienceSurvey | None


def survey_invitation(client: Client) -> SurveyInvitation:
    """This quarter's survey of the client (one query)."""
    current, _previous = open_quarters()
    answered = surveys_of(client).filter(period=current.label).first()
    return SurveyInvitation(period=current.label, title=current.title, answered=answered)


# --- snapshots ------------------------------------------------------------------------------


def _snapshots() -> SnapshotQuerySet:
    return Snapshot.objects.select_related("team", "corrects", "corrected_by", "prepared_by")


def published_of(team: Team | int) -> QuerySet[Snapshot]:
    """Every published version of the team's snapshots, newest period and version first."""
    return _snapshots().published().filter(team=team).order_by("-last_day", "-period", "-version")


def drafts_of(team: Team | int) -> list[Snapshot]:
    """The team's drafts, each with ``open_proposal`` (the proposal to publish it that
    is open, or None), in two queries."""
    drafts = list(_snapshots().drafts().filter(team=team).order_by("-last_day", "-period"))
    proposals = Proposal.objects.filter(team=team, kind=KIND, status=Proposal.Status.OPEN)
    by_snapshot: dict[str, Proposal] = {}
    for proposal in proposals.order_by("created", "pk"):
        by_snapshot.setdefault(str((proposal.payload or {}).get("snapshot")), proposal)
    for draft in drafts:
        draft.open_proposal = by_snapshot.get(str(draft.pk))
    return drafts


def published_correction(snapshot: Snapshot) -> Snapshot | None:
    """The published version that corrects this one (a draft correction is none)."""
    try:
        later = snapshot.corrected_by
    except Snapshot.DoesNotExist:
        return None
    return later if later.is_published else None


def snapshot_by_id(pk: int) -> Snapshot | None:
    return _snapshots().filter(pk=pk).first()


def network_published(
    *, teams: Iterable[int] | None = None, period: str | None = None, every_version: bool = False
) -> QuerySet[Snapshot]:
    """Published snapshots across the network: of ``teams`` (all when None), of one
    ``period`` (all when None); only the current version of each unless asked."""
    snapshots = _snapshots().published() if every_version else _snapshots().current()
    if teams is not None:
        snapshots = snapshots.filter(team_id__in=list(teams))
    if period:
        snapshots = snapshots.filter(period=period)
    return snapshots.order_by("-last_day", "-period", "team__name", "team_id", "-version")


def latest_of_each_team(period: str | None = None) -> list[Snapshot]:
    """Each team's latest current snapshot (of ``period`` when given), in two queries."""
    latest = Snapshot.objects.current().filter(team=OuterRef("pk"))
    if period:
        latest = latest.filter(period=period)
    newest = latest.order_by("-last_day", "-published_at").values("pk")[:1]
    ids = [
        pk
        for pk in Team.objects.annotate(latest=Subquery(newest)).values_list("latest", flat=True)
        if pk is not None
    ]
    if not ids:
        return []
    return list(_snapshots().filter(pk__in=ids).order_by("team__name", "team_id"))


@dataclass(frozen=True)
class NetworkMedian:
    period: str | None
    method_version: str
    snapshots: list[Snapshot]  # counted: the method version asked for
    left_out: list[Snapshot]  # another method version: not comparable
    median: dict[str, Decimal | None]
    counted: dict[str, int]


def _value(figure: dict[str, Any]) -> Decimal | None:
    if figure.get("suppressed") or figure.get("value") is None:
        return None
    return Decimal(str(figure["value"]))


def network_median(
    period: str | None = None, *, method_version: str = METHOD_VERSION
) -> NetworkMedian:
    """Per indicator, the median over each team's latest published snapshot (of
    ``period`` when given) of the figures shown there (hidden and empty ones do not
    count), under one method version: figures under another are not alike."""
    latest = latest_of_each_team(period)
    counted = [s for s in latest if s.method_version == method_version]
    left_out = [s for s in latest if s.method_version != method_version]
    median: dict[str, Decimal | None] = {}
    how_many: dict[str, int] = {}
    for key in DEFINITIONS:
        values = [
            v for s in counted if (v := _value(s.content["indicators"].get(key, {}))) is not None
        ]
        median[key] = statistics.median(values) if values else None
        how_many[key] = len(values)
    return NetworkMedian(period, method_version, counted, left_out, median, how_many)


# --- who read what --------------------------------------------------------------------------


def log_reads(person: Person, snapshots: Iterable[Snapshot], what: str, channel: str) -> int:
    """An inspector's reads of published snapshots, one row each (one query)."""
    if not access.is_inspector(person):
        return 0
    rows = [
        SnapshotRead(snapshot_id=s.pk, person=person, what=what[:100], channel=channel)
        for s in snapshots
        if s.status == Snapshot.Status.PUBLISHED
    ]
    SnapshotRead.objects.bulk_create(rows)
    return len(rows)


def reads_of(team: Team | int, *, limit: int = 200) -> QuerySet[SnapshotRead]:
    """Inspectors' reads of the team's published snapshots, newest first."""
    return (
        SnapshotRead.objects.filter(snapshot__team_id=getattr(team, "pk", team))
        .select_related("person", "snapshot")
        .order_by("-at", "-id")[:limit]
    )


# --- for the inspector portal's pages ------------------------------------------------------


def published_periods() -> list[tuple[str, str]]:
    """Every period some team has published, newest first, as (label, last day) (one
    query): the portal's period chooser."""
    rows = (
        Snapshot.objects.published()
        .values_list("period", "last_day")
        .distinct()
        .order_by("-last_day", "-period")
    )
    return [(period, last_day.isoformat()) for period, last_day in rows]


def team_by_slug(slug: str) -> Team | None:
    """Any team of the network, by its slug (published snapshots are the network's)."""
    return Team.objects.filter(slug=slug).first()
