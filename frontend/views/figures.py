"""The team's figures page: its own indicators for a chosen month, the informer's
button to share them with the network, and every team's shared figures side by side
with the network median (and a chart of each).

Members of the team only (like every team page). What other teams have not shared
never reaches the page: the network part reads shares alone.
"""

from __future__ import annotations

from decimal import Decimal

import pygal
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from care.figures import selectors as selectors
from care.figures import services
from care.figures.compute import DEFINITIONS, SHARED_KEYS
from care.figures.periods import Period, parse_period, previous_month, recent_months
from frontend import writes
from frontend.charts import STYLE, scriptless
from frontend.views.common import team_or_404
from teams.http import PageRequest
from teams.models import Team

PAGE = "frontend/figures.html"
# Each value is written just past the end of its bar, where it reads in the page's ink
# (pygal centres it on the end and sets its own rules by the chart's id: only
# !important outranks those from here).
VALUE_CSS = (
    "inline:.text-overlay text.value{text-anchor:start!important;"
    "transform:translateX(6px);fill:#1d2328!important}"
)
MONTHS_TO_CHOOSE = 12

# What each figure's numerator and denominator are, in words (numerator, denominator).
MEANING = {
    "clients_served": "with at least one visit done",
    "visits_delivered": "{n} of {d} planned visits done",
    "punctuality": "{n} of {d} visits done started in their window",
    "carers_per_client": "{n} carers in all, counted client by client, over {d} clients",
    "top_two_share": "{n} of {d} visits by each client's two most frequent carers",
    "hours_per_client": "{n} minutes of care for {d} clients",
    "knowledge_change": "over {d} problems rated at least twice",
    "behavior_change": "over {d} problems rated at least twice",
    "status_change": "over {d} problems rated at least twice",
    "problems_improved": "{n} of {d} problems rated at least twice",
    "budget_use": "£{n} delivered of £{d} allocated",
    "members_joined": "{d} members at the start",
    "members_left": "{d} members at the start",
}


def shown(value, unit: str) -> str:
    """A figure as people read it: "76.9%", "2.1 hours", "+1.33", "—" for none."""
    if value is None:
        return "—"
    if unit == "%":
        return f"{value}%"
    if unit == "hours":
        return f"{value} hours"
    if unit == "points":
        number = Decimal(str(value))
        return f"+{number}" if number > 0 else f"−{-number}" if number < 0 else f"{number}"
    return str(value)


def _meaning(key: str, numerator, denominator) -> str:
    if denominator in (None, 0) and key not in ("clients_served",):
        return "nothing to count in this month"
    return MEANING[key].format(n=numerator, d=denominator)


def _own_rows(own: selectors.OwnFigures) -> list[dict]:
    return [
        {
            "key": key,
            "label": indicator.label,
            "value": shown(indicator.value, indicator.unit),
            "meaning": _meaning(key, indicator.numerator, indicator.denominator),
            "clients": indicator.clients,
            "shared": key in SHARED_KEYS,
        }
        for key, indicator in own.indicators.indicators.items()
    ]


def _by_problem(own: selectors.OwnFigures) -> list[dict]:
    outcomes = own.indicators.outcomes_by_problem
    names = selectors.problem_names([p.problem for p in outcomes])
    return [{"outcome": p, "name": names.get(p.problem, str(p.problem))} for p in outcomes]


def _network_rows(network: selectors.NetworkFigures, team: Team) -> list[dict]:
    """Per shared figure: each sharing team's value (yours marked) and the median."""
    rows = []
    for key in SHARED_KEYS:
        unit = DEFINITIONS[key].unit
        rows.append(
            {
                "key": key,
                "label": DEFINITIONS[key].label,
                "teams": [
                    {
                        "name": row.team.name,
                        "yours": row.team.pk == team.pk,
                        "value": shown(row.value(key), unit),
                        "clients": row.figure(key).get("clients"),
                    }
                    for row in network.rows
                ],
                "median": shown(network.median[key], unit),
                "counted": network.counted[key],
            }
        )
    return rows


def _chosen_period(request: PageRequest, raw: str | None) -> tuple[Period, str | None]:
    """The month asked for (last month when none is), or last month and why not."""
    today = timezone.localdate()
    if not raw:
        return previous_month(today), None
    parsed = writes.perform(lambda: parse_period(raw, today=today, months_only=True))
    if not parsed.ok:
        return previous_month(today), " ".join(parsed.errors.get("period", []))
    return parsed.result, None


def _page(
    request: PageRequest, team: Team, period: Period, *, problem=None, status=200
) -> HttpResponse:
    today = timezone.localdate()
    own = selectors.own_figures([team], period)[0]
    network = selectors.network_figures(period)
    informer = own.informer.person if own.informer else None
    context = {
        "team": team,
        "period": period,
        "months": recent_months(today, MONTHS_TO_CHOOSE),
        "own": own,
        "own_rows": _own_rows(own),
        "by_problem": _by_problem(own),
        "network": network,
        "network_rows": _network_rows(network, team),
        "informer": informer,
        "is_informer": informer is not None and informer.pk == request.user.pk,
        "ended": period.last < today,
        "problem": problem,
    }
    return render(request, PAGE, context, status=status)


@login_required
@require_GET
def figures_page(request: PageRequest, slug: str) -> HttpResponse:
    team = team_or_404(request, slug)
    period, problem = _chosen_period(request, request.GET.get("period"))
    return _page(request, team, period, problem=problem, status=400 if problem else 200)


def _shared_words(share) -> str:
    return "shared with the network" if share.version == 1 else "shared again, as a new version"


@login_required
@require_POST
def figures_share(request: PageRequest, slug: str) -> HttpResponse:
    team = team_or_404(request, slug)
    raw = request.POST.get("period", "")
    outcome = writes.perform(
        lambda: services.share_figures(actor=request.user, team=team, period=raw),
        done=lambda share: f"The figures for {share.period} are {_shared_words(share)}.",
    )
    if not outcome.ok:
        period, _ = _chosen_period(request, raw)
        return _page(request, team, period, problem=outcome.problem, status=outcome.status)
    url = reverse("team-figures", args=[team.slug])
    return outcome.back(request, f"{url}?period={outcome.result.period}")


@login_required
@require_GET
def figures_chart(request: PageRequest, slug: str) -> HttpResponse:
    """One shared figure of every team that shared the month, and the median, as bars."""
    team = team_or_404(request, slug)
    key = request.GET.get("figure", "")
    if key not in SHARED_KEYS:
        raise Http404("No such shared figure.")
    period, problem = _chosen_period(request, request.GET.get("period"))
    if problem:
        raise Http404(problem)
    network = selectors.network_figures(period)
    svg = figure_svg(network, key, team)
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "private, no-store"
    return response


def figure_svg(network: selectors.NetworkFigures, key: str, team: Team) -> bytes:
    """Horizontal bars, one per team that shared (the asker's marked) and the median
    in the accent colour, each with its value written beside it; no script."""
    definition = DEFINITIONS[key]
    rows = [(row.team.name, row.value(key)) for row in network.rows]
    median = network.median[key]
    values = [v for _, v in rows if v is not None]
    top = max([*values, Decimal(0)])
    chart = pygal.HorizontalBar(
        style=STYLE,
        js=[],
        css=["file://style.css", "file://graph.css", VALUE_CSS],
        disable_xml_declaration=True,
        width=480,
        height=max(160, 70 + 36 * (len(rows) + 1)),
        show_legend=False,
        # The values are written on the bars; an axis of them would only crowd the
        # phone's width (pygal's x axis is the value axis of horizontal bars).
        show_x_labels=False,
        show_x_guides=False,
        show_y_guides=False,
        print_values=True,
        print_values_position="top",
        value_formatter=lambda v: shown(Decimal(str(v)), definition.unit),
        # Room beside the longest bar for its value.
        range=(float(min([*values, Decimal(0)])), float(top) * 1.45 if top else 1.0),
        truncate_label=-1,
        margin=10,
        spacing=8,
        title=f"{definition.label}, {network.period.title}",
        no_data_text="No team has shared this month yet",
    )
    if rows:
        # pygal draws the first bar at the bottom: the median there, teams above it by name.
        bars = [
            {"value": None if median is None else float(median), "color": "#8a4b00"},
            *({"value": None if v is None else float(v)} for _, v in reversed(rows)),
        ]
        names = [f"{name} (yours)" if name == team.name else name for name, _ in rows]
        chart.x_labels = ["Network median", *reversed(names)]
        chart.add(definition.label, bars)
    return scriptless(chart)
