"""The quality portal: the teams' published snapshots, for inspectors, coaches and the
network's members (``care.figures.quality.access.can_read_published``).

- ``/quality/``: each team's latest published snapshot side by side with the network
  median, per indicator (a period chooser), and its CSV.
- ``/quality/teams/<slug>/``: one team over its published periods, with a chart.
- ``/quality/snapshots/<id>/``: one snapshot, its provenance, and its CSV.

Published snapshots only: a draft is never read here, whoever asks. Every page that
shows a snapshot's figures reads through the same selectors as the API, and an
inspector's read is logged the same way (``log_reads``, channel "page").
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from care.figures.compute import DEFINITIONS
from care.figures.periods import Period, parse_period
from care.figures.quality import access
from care.figures.quality import selectors as quality
from care.figures.quality.content import CANONICAL_FORM, HASH_ALGORITHM
from care.figures.quality.disclosure import HIDDEN
from care.models import Snapshot
from frontend import writes
from frontend.charts import quality_svg
from frontend.views.common import found_or_404
from teams import access as team_access
from teams.http import PageRequest

NOT_FOR_YOU = "Published quality figures are for inspectors, coaches and the teams of the network."
CHANNEL = "page"
DEFAULT_FIGURE = "visits_delivered"
# Changes and the promoter score read with their sign; the rest are plain.
SIGNED = {"knowledge_change", "behavior_change", "status_change", "experience_recommend"}
CSV_FIELDS = ("value", "numerator", "denominator", "clients")


def _reader(request: PageRequest) -> None:
    if not access.can_read_published(request.user):
        raise PermissionDenied(NOT_FOR_YOU)


def shown(key: str, value) -> str:
    """A figure as people read it: "92.3%", "1.0 h", "+0.67", "—" for none."""
    if value is None:
        return "—"
    unit = DEFINITIONS[key].unit if key in DEFINITIONS else ""
    if key in SIGNED:
        number = Decimal(str(value))
        text = f"+{number}" if number > 0 else f"−{-number}" if number < 0 else f"{number}"
    else:
        text = str(value)
    if unit == "%":
        return f"{text}%"
    if unit == "hours":
        return f"{text} h"
    return text


def cell(snapshot: Snapshot, key: str) -> dict:
    """One indicator of a snapshot: its text, and whether it is hidden."""
    figure = snapshot.content.get("indicators", {}).get(key)
    if figure is None:
        return {"text": "not measured", "hidden": False, "value": None}
    if figure.get("suppressed"):
        return {"text": HIDDEN, "hidden": True, "value": None}
    return {"text": shown(key, figure.get("value")), "hidden": False, "value": figure.get("value")}


def _chosen_period(request: PageRequest) -> tuple[Period | None, str | None]:
    """The period asked for (None: each team's latest), or None and why not."""
    raw = request.GET.get("period", "").strip()
    if not raw:
        return None, None
    parsed = writes.perform(lambda: parse_period(raw))
    return (parsed.value, None) if parsed.ok else (None, parsed.problem)


def _side_by_side(period: Period | None):
    """Each team's latest snapshot (of the period) and the network median."""
    found = quality.network_median(period.label if period else None)
    snapshots = sorted([*found.snapshots, *found.left_out], key=lambda s: (s.team.name, s.team_id))
    rows = [
        {
            "key": key,
            "label": definition.label,
            "median": shown(key, found.median[key]),
            "median_of": found.counted[key],
            "cells": [cell(s, key) for s in snapshots],
        }
        for key, definition in DEFINITIONS.items()
    ]
    return found, snapshots, rows


@login_required
@require_GET
def quality_home(request: PageRequest) -> HttpResponse:
    _reader(request)
    period, problem = _chosen_period(request)
    found, snapshots, rows = _side_by_side(period)
    quality.log_reads(request.user, snapshots, "portal: teams side by side", CHANNEL)
    context = {
        "period": period,
        "problem": problem,
        "periods": quality.published_periods(),
        "snapshots": snapshots,
        "left_out": {s.pk for s in found.left_out},
        "method_version": found.method_version,
        "rows": rows,
        "legend": HIDDEN,
    }
    return render(request, "frontend/quality.html", context, status=400 if problem else 200)


def _team_or_404(slug: str):
    return found_or_404(quality.team_by_slug(slug), "No such team.")


def _over_time(team) -> tuple[list[Snapshot], list[Snapshot]]:
    """Every published version of the team's snapshots (newest first), and the current
    version of each period, oldest period first."""
    versions = list(quality.published_of(team))
    for snapshot in versions:
        snapshot.later = quality.published_correction(snapshot)
    current = [s for s in versions if s.later is None]
    current.sort(key=lambda s: (s.last_day, s.period))
    return versions, current


@login_required
@require_GET
def quality_team(request: PageRequest, slug: str) -> HttpResponse:
    _reader(request)
    team = _team_or_404(slug)
    versions, current = _over_time(team)
    quality.log_reads(request.user, versions, "portal: team over time", CHANNEL)
    figure = request.GET.get("figure", DEFAULT_FIGURE)
    if figure not in DEFINITIONS:
        figure = DEFAULT_FIGURE
    rows = [
        {"key": key, "label": d.label, "cells": [cell(s, key) for s in current]}
        for key, d in DEFINITIONS.items()
    ]
    context = {
        "team": team,
        "versions": versions,
        "current": current,
        "rows": rows,
        "figure": figure,
        "figure_label": DEFINITIONS[figure].label,
        "definitions": DEFINITIONS,
        "hidden_in_chart": [s.period for s in current if cell(s, figure)["hidden"]],
        "is_member": team_access.is_member(request.user, team.pk),
    }
    return render(request, "frontend/quality_team.html", context)


@login_required
@require_GET
def quality_team_chart(request: PageRequest, slug: str) -> HttpResponse:
    """One indicator of the team over its published periods, as an SVG without script."""
    _reader(request)
    team = _team_or_404(slug)
    figure = request.GET.get("figure", DEFAULT_FIGURE)
    if figure not in DEFINITIONS:
        raise Http404("No such indicator.")
    versions, current = _over_time(team)
    quality.log_reads(request.user, current, f"portal: chart of {figure}", CHANNEL)
    points = []
    for snapshot in current:
        found = cell(snapshot, figure)
        value = None if found["value"] is None else float(Decimal(str(found["value"])))
        points.append((snapshot.period, value, found["hidden"]))
    svg = quality_svg(
        points,
        title=f"{DEFINITIONS[figure].label}, team {team.name}",
        fmt=lambda v: shown(figure, f"{v:.2f}".rstrip("0").rstrip(".")),
    )
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


def _published_read(request: PageRequest, pk: int, what: str) -> Snapshot:
    """A published snapshot, for a reader of the portal, the read logged as ``what``."""
    _reader(request)
    snapshot = quality.snapshot_by_id(pk)
    if snapshot is None or not snapshot.is_published:
        raise Http404("No such published snapshot.")
    quality.log_reads(request.user, [snapshot], what, CHANNEL)
    return snapshot


@login_required
@require_GET
def quality_snapshot(request: PageRequest, pk: int) -> HttpResponse:
    snapshot = _published_read(request, pk, "portal: snapshot")
    content = snapshot.content

    def rows() -> list[dict]:
        # Called by the template only when the figures are not in the cache yet.
        return [
            {
                "key": key,
                "label": d.label,
                "cell": cell(snapshot, key),
                "figure": content.get("indicators", {}).get(key) or {},
            }
            for key, d in DEFINITIONS.items()
        ]

    context = {
        "snapshot": snapshot,
        "team": snapshot.team,
        "later": quality.published_correction(snapshot),
        "content": content,
        "rows": rows,
        "problems": content.get("outcomes_by_problem", []),
        "hash_algorithm": HASH_ALGORITHM,
        "canonical_form": CANONICAL_FORM,
        "hidden": HIDDEN,
        "is_member": team_access.may_join_teams(request.user)
        and team_access.is_member(request.user, snapshot.team_id),
    }
    return render(request, "frontend/quality_snapshot.html", context)


def _csv(name: str, header: list[str], rows: list[list]) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _raw(figure: dict, field: str):
    """A figure's field for a spreadsheet: the marker for a hidden one, blank for none."""
    if figure.get("suppressed"):
        return figure["suppressed"]
    value = figure.get(field)
    return "" if value is None else value


@login_required
@require_GET
def quality_snapshot_csv(request: PageRequest, pk: int) -> HttpResponse:
    """One row per indicator of one snapshot; a hidden figure keeps its marker."""
    snapshot = _published_read(request, pk, "portal: export (CSV)")
    head = [snapshot.team.name, snapshot.period, snapshot.version, snapshot.method_version]
    rows = []
    for key, d in DEFINITIONS.items():
        figure = snapshot.content.get("indicators", {}).get(key)
        if figure is None:
            continue
        rows.append([*head, key, d.label, d.unit, *(_raw(figure, f) for f in CSV_FIELDS)])
    header = ["team", "period", "version", "method_version", "indicator", "label", "unit"]
    name = f"kith-{snapshot.team.slug}-{snapshot.period}-v{snapshot.version}.csv"
    return _csv(name, [*header, *CSV_FIELDS], rows)


PROBLEM_CSV_FIELDS = (
    "problems",
    "clients",
    "improved",
    "knowledge_change",
    "behavior_change",
    "status_change",
)


@login_required
@require_GET
def quality_snapshot_outcomes_csv(request: PageRequest, pk: int) -> HttpResponse:
    """One row per Omaha problem of one snapshot's outcomes; a hidden row keeps its
    marker in every figure."""
    snapshot = _published_read(request, pk, "portal: outcomes export (CSV)")
    head = [snapshot.team.name, snapshot.period, snapshot.version, snapshot.method_version]
    rows = [
        [*head, row["problem"], row.get("name", ""), *(_raw(row, f) for f in PROBLEM_CSV_FIELDS)]
        for row in snapshot.content.get("outcomes_by_problem", [])
    ]
    header = ["team", "period", "version", "method_version", "omaha_problem", "name"]
    name = f"kith-{snapshot.team.slug}-{snapshot.period}-v{snapshot.version}-outcomes.csv"
    return _csv(name, [*header, *PROBLEM_CSV_FIELDS], rows)


@login_required
@require_GET
def quality_export_csv(request: PageRequest) -> HttpResponse:
    """Every team's latest snapshot (of ``period``) side by side, and the median: one
    row per indicator, one column per team."""
    _reader(request)
    period, problem = _chosen_period(request)
    if problem:
        return HttpResponse(f"period: {problem}", status=400, content_type="text/plain")
    found, snapshots, rows = _side_by_side(period)
    quality.log_reads(request.user, snapshots, "portal: export (CSV)", CHANNEL)
    header = [
        "indicator",
        "label",
        "unit",
        f"network median (method {found.method_version})",
        *(f"{s.team.name} ({s.period} v{s.version}, method {s.method_version})" for s in snapshots),
    ]
    lines = []
    for row in rows:
        key = row["key"]
        median = found.median[key]
        figures = [s.content.get("indicators", {}).get(key) for s in snapshots]
        lines.append(
            [
                key,
                row["label"],
                DEFINITIONS[key].unit,
                "" if median is None else median,
                *("" if f is None else _raw(f, "value") for f in figures),
            ]
        )
    name = f"kith-quality-{period.label if period else 'latest'}.csv"
    return _csv(name, header, lines)
