"""The indicators of every team for a period, each a handful of SQL aggregates.

One query per family of indicators, whatever the number of teams, clients or visits:
the whole network is computed at once (``network_indicators``) in the same queries
as one team (``team_indicators``). Python only divides the sums SQL returns, per team.

The method of each indicator is written out in ``docs/indicators.md``; the
definitions here and there change together, with ``METHOD_VERSION``.

These functions check nobody's permission and log nothing: what they return names
no client and no carer. Who may see a team's figures is ``care.figures.access``.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import (
    Count,
    DateField,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, FirstValue, Greatest, Least, RowNumber
from django.utils import timezone

from care.figures.periods import Period
from care.models import Budget, ExperienceSurvey, LedgerEntry, OutcomeRating, Visit
from teams.models import Membership, Team

# Raise it whenever a definition below (or in docs/indicators.md) changes, so figures
# shared or published under an older method are never compared as if they were alike.
METHOD_VERSION = "2"

PERCENT = Decimal("0.1")
TENTH = Decimal("0.1")
HUNDREDTH = Decimal("0.01")
PENNY = Decimal("0.01")
# A budget's allocation per period, spread over the period's days (a yearly one over 365).
BUDGET_PERIOD_DAYS = {
    Budget.Period.WEEKLY: 7,
    Budget.Period.FOUR_WEEKLY: 28,
    Budget.Period.YEARLY: 365,
}


@dataclass(frozen=True)
class Definition:
    label: str
    unit: str  # "%", "clients", "carers", "hours", "points", "members"
    family: str


# In the order pages show them. The client-reported experience (the survey of
# ``care.models.ExperienceSurvey``) is asked per quarter, so a month leaves it empty.
DEFINITIONS: dict[str, Definition] = {
    "clients_served": Definition("Clients served", "clients", "visits"),
    "visits_delivered": Definition("Visits delivered against planned", "%", "visits"),
    "punctuality": Definition("Visits started inside their window", "%", "visits"),
    "carers_per_client": Definition("Different carers per client", "carers", "continuity"),
    "top_two_share": Definition(
        "Visits by each client's two most frequent carers", "%", "continuity"
    ),
    "hours_per_client": Definition("Hours of direct care per client", "hours", "visits"),
    "knowledge_change": Definition("Mean change in Knowledge", "points", "outcomes"),
    "behavior_change": Definition("Mean change in Behavior", "points", "outcomes"),
    "status_change": Definition("Mean change in Status", "points", "outcomes"),
    "problems_improved": Definition("Problems improved", "%", "outcomes"),
    "budget_use": Definition("Budget delivered against allocated", "%", "budget"),
    "members_joined": Definition("Members who joined", "members", "stability"),
    "members_left": Definition("Members who left", "members", "stability"),
    "experience_recommend": Definition(
        "Would recommend the team (promoters minus detractors)", "points", "experience"
    ),
    "experience_listen": Definition('"The carers listen to me" (1 to 5)', "points", "experience"),
    "experience_informed": Definition(
        '"I know who is coming and when" (1 to 5)', "points", "experience"
    ),
    "experience_say": Definition('"I have a say in my care" (1 to 5)', "points", "experience"),
}
# The experience items, by their indicator key: the survey's field for each.
EXPERIENCE_ITEMS = {
    "experience_listen": "listen",
    "experience_informed": "informed",
    "experience_say": "say",
}

# What a team shares with the network: visits, hours of direct care per
# client, continuity of carer and outcome change. The rest stays within the team.
SHARED_KEYS = (
    "visits_delivered",
    "hours_per_client",
    "carers_per_client",
    "top_two_share",
    "knowledge_change",
    "behavior_change",
    "status_change",
    "problems_improved",
)


@dataclass(frozen=True)
class Indicator:
    """One figure with what it rests on: ``value`` is worked out from ``numerator``
    and ``denominator`` (None when there is nothing to divide by); ``clients`` is the
    number of distinct clients whose records it rests on (None: it rests on none, as
    team stability does), which disclosure control needs ("fewer than 5")."""

    key: str
    value: Decimal | int | None
    numerator: Decimal | int
    denominator: Decimal | int | None
    clients: int | None

    @property
    def label(self) -> str:
        return DEFINITIONS[self.key].label

    @property
    def unit(self) -> str:
        return DEFINITIONS[self.key].unit

    def as_json(self) -> dict:
        def plain(number):
            return str(number) if isinstance(number, Decimal) else number

        return {
            "value": plain(self.value),
            "numerator": plain(self.numerator),
            "denominator": plain(self.denominator),
            "clients": self.clients,
        }


@dataclass(frozen=True)
class ProblemOutcome:
    """The outcome figures of one Omaha problem (by its number) in a team."""

    problem: int
    problems: int  # plan problems of this kind rated at least twice in the period
    clients: int
    # Means of (latest - first); None with nothing to average.
    knowledge_change: Decimal | None
    behavior_change: Decimal | None
    status_change: Decimal | None
    improved: int
    # The sums of (latest - first) the means are worked out from: disclosure control
    # of published snapshots reckons with what a reader can add up exactly.
    knowledge_total: int = 0
    behavior_total: int = 0
    status_total: int = 0

    def as_json(self) -> dict:
        return {
            "problem": self.problem,
            "problems": self.problems,
            "clients": self.clients,
            "knowledge_change": str(self.knowledge_change),
            "behavior_change": str(self.behavior_change),
            "status_change": str(self.status_change),
            "improved": self.improved,
        }


@dataclass(frozen=True)
class TeamIndicators:
    team_id: int
    period: Period
    indicators: dict[str, Indicator]
    outcomes_by_problem: list[ProblemOutcome] = field(default_factory=list)
    method_version: str = METHOD_VERSION

    def __getitem__(self, key: str) -> Indicator:
        return self.indicators[key]

    def as_json(self) -> dict:
        return {
            "team": self.team_id,
            "period": self.period.label,
            "method_version": self.method_version,
            "indicators": {key: i.as_json() for key, i in self.indicators.items()},
            "outcomes_by_problem": [p.as_json() for p in self.outcomes_by_problem],
        }


def shared_figures_of(indicators: TeamIndicators) -> dict:
    """The part of a team's indicators that sharing makes visible, as it is stored."""
    return {key: indicators[key].as_json() for key in SHARED_KEYS}


# --- arithmetic on what SQL returns ----------------------------------------------------


def _ratio(numerator, denominator, quantum: Decimal, scale: int = 1) -> Decimal | None:
    if not denominator:
        return None
    value = Decimal(numerator) * scale / Decimal(denominator)
    return value.quantize(quantum, rounding=ROUND_HALF_UP)


def _percent(numerator, denominator) -> Decimal | None:
    return _ratio(numerator, denominator, PERCENT, scale=100)


def _divided(key: str, numerator, denominator, clients, per: Decimal | None = None) -> Indicator:
    """An indicator that is ``numerator`` over ``denominator``: a percentage, or rounded
    to ``per``."""
    value = _percent(numerator, denominator) if per is None else _ratio(numerator, denominator, per)
    return Indicator(key, value, numerator, denominator, clients)


# --- SQL pieces --------------------------------------------------------------------------


class DaysBetween(Func):
    """Whole days from the first date to the second (negative when it is earlier)."""

    arity = 2
    output_field = IntegerField()
    template = "(%(end)s - %(start)s)"
    sqlite_template = "CAST(julianday(%(end)s) - julianday(%(start)s) AS INTEGER)"

    def as_sql(self, compiler, connection, template=None, **extra_context):
        (start, start_params), (end, end_params) = (
            compiler.compile(expression) for expression in self.get_source_expressions()
        )
        sql = (template or self.template) % {"start": start, "end": end}
        return sql, (*end_params, *start_params)

    def as_sqlite(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template=self.sqlite_template)


def _rows_over(inner: QuerySet, outer: str) -> list[dict]:
    """Run ``outer`` (SQL with ``{inner}`` where the queryset's SELECT goes) and return
    its rows as dicts. For a second level of aggregation the ORM cannot express (a sum
    over a window function, or over per-client groups), in one query."""
    sql, params = inner.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(outer.format(inner=sql), params)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _team_filter(queryset: QuerySet, path: str, team_ids: list[int] | None) -> QuerySet:
    return queryset if team_ids is None else queryset.filter(**{f"{path}__in": team_ids})


# The second level of two aggregations, around the ORM's SELECT ({inner}). Only names
# written here go into the SQL (identifiers in double quotes, standard SQL that SQLite
# and PostgreSQL both read); every value is a parameter of the inner SELECT.

# Rank each client's carers by their visits; per team: clients, (client, carer) pairs,
# visits, and the visits of each client's first two carers.
CONTINUITY_SQL = (
    'SELECT r."p_team" AS team, COUNT(DISTINCT r."p_client") AS clients,'
    ' COUNT(*) AS pairs, SUM(r."n") AS visits,'
    ' SUM(CASE WHEN r."place" <= 2 THEN r."n" ELSE 0 END) AS top_two'
    ' FROM (SELECT p.*, ROW_NUMBER() OVER (PARTITION BY p."p_client"'
    ' ORDER BY p."n" DESC, p."p_carer") AS "place" FROM ({inner}) p) r'
    ' GROUP BY r."p_team"'
)

# One row per rated plan problem (its first rating in the period, which carries the
# first and latest scores), if it was rated at least twice; summed per team and per
# team and Omaha problem (``problem`` NULL: the team's row) in one statement, the
# window over the ratings computed once (a CTE read twice is materialised, on
# PostgreSQL and on SQLite alike). Improved: higher on at least one scale, lower on
# none.
_OUTCOME_SUMS = (
    ' COUNT(*) AS problems, COUNT(DISTINCT o."r_client") AS clients,'
    ' SUM(o."k1" - o."k0") AS knowledge, SUM(o."b1" - o."b0") AS behavior,'
    ' SUM(o."s1" - o."s0") AS status,'
    ' SUM(CASE WHEN o."k1" >= o."k0" AND o."b1" >= o."b0" AND o."s1" >= o."s0"'
    ' AND (o."k1" > o."k0" OR o."b1" > o."b0" OR o."s1" > o."s0") THEN 1 ELSE 0 END)'
    " AS improved FROM rated o"
)
# Only the fixed text above is formatted in (hence the noqa); values are parameters.
OUTCOMES_SQL = (
    'WITH rated AS (SELECT e.* FROM ({inner}) e WHERE e."r_place" = 1 AND e."r_count" >= 2)'  # noqa: S608
    f' SELECT o."r_team" AS team, NULL AS problem,{_OUTCOME_SUMS} GROUP BY o."r_team"'
    f' UNION ALL SELECT o."r_team", o."r_problem",{_OUTCOME_SUMS}'
    ' GROUP BY o."r_team", o."r_problem" ORDER BY 1, 2'
)


# --- the families of indicators, each one query (budgets two) ----------------------------


def _visit_figures(period: Period, team_ids, now: datetime.datetime) -> dict[int, dict]:
    """Planned, done, punctual, clients served and time delivered, per team.

    A visit belongs to the period its window starts in. Planned: not cancelled, and
    its window has begun by ``now`` (or it is done already). Punctual: done and
    started inside its window, both ends included."""
    cutoff = min(period.end(), now)
    done = Q(status=Visit.Status.DONE)
    planned = ~Q(status=Visit.Status.CANCELLED) & (Q(window_start__lt=cutoff) | done)
    visits = _team_filter(
        Visit.objects.filter(window_start__gte=period.start(), window_start__lt=period.end()),
        "client__team_id",
        team_ids,
    )
    rows = (
        visits.values(team=F("client__team_id"))
        .annotate(
            planned=Count("id", filter=planned),
            done=Count("id", filter=done),
            punctual=Count(
                "id",
                filter=done
                & Q(actual_start__gte=F("window_start"), actual_start__lte=F("window_end")),
            ),
            served=Count("client_id", distinct=True, filter=done),
            planned_clients=Count("client_id", distinct=True, filter=planned),
            delivered=Sum(
                ExpressionWrapper(
                    F("actual_end") - F("actual_start"), output_field=DurationField()
                ),
                filter=done,
            ),
        )
        .order_by()
    )
    return {row["team"]: row for row in rows}


def _continuity_figures(period: Period, team_ids) -> dict[int, dict]:
    """Per team: clients with done visits, the number of (client, carer) pairs (the sum
    over clients of their distinct carers), done visits, and the visits done by each
    client's two most frequent carers. One query: the ORM counts the visits of each
    client and carer; SQL ranks each client's carers and sums per team around it."""
    pairs = (
        _team_filter(
            Visit.objects.filter(
                window_start__gte=period.start(),
                window_start__lt=period.end(),
                status=Visit.Status.DONE,
                assignee__isnull=False,
            ),
            "client__team_id",
            team_ids,
        )
        .values(p_team=F("client__team_id"), p_client=F("client_id"), p_carer=F("assignee_id"))
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["team"]: row for row in _rows_over(pairs, CONTINUITY_SQL)}


def _outcome_figures(period: Period, team_ids) -> tuple[dict[int, dict], dict[int, list[dict]]]:
    """Per team, and per team and Omaha problem: plan problems rated at least twice in
    the period, their clients, the sums of (latest - first) per scale and how many
    improved (higher on at least one scale, lower on none). One query."""
    ratings = _team_filter(
        OutcomeRating.objects.filter(rated_on__gte=period.first, rated_on__lte=period.last),
        "plan_problem__plan__client__team_id",
        team_ids,
    )
    entry = [F("plan_problem_id")]
    oldest_first = [F("rated_on").asc(), F("at").asc(), F("id").asc()]
    newest_first = [F("rated_on").desc(), F("at").desc(), F("id").desc()]

    def first(scale: str, order) -> Window:
        return Window(FirstValue(scale), partition_by=entry, order_by=order)

    columns = {
        "r_team": F("plan_problem__plan__client__team_id"),
        "r_client": F("plan_problem__plan__client_id"),
        "r_problem": F("plan_problem__problem__number"),
        "r_count": Window(Count("id"), partition_by=entry),
        "r_place": Window(RowNumber(), partition_by=entry, order_by=oldest_first),
        # The first and the latest score on each scale: k0 and k1 for knowledge, and so on.
        **{
            f"{scale[0]}{end}": first(scale, order)
            for end, order in ((0, oldest_first), (1, newest_first))
            for scale in ("knowledge", "behavior", "status")
        },
    }
    each = ratings.annotate(**columns).values(*columns).order_by()
    teams, by_problem = {}, defaultdict(list)
    for row in _rows_over(each, OUTCOMES_SQL):
        if row["problem"] is None:
            teams[row["team"]] = row
        else:
            by_problem[row["team"]].append(row)
    return teams, by_problem


def _budget_figures(period: Period, team_ids) -> dict[int, dict]:
    """Per team: what the period's delivered visits took out of the clients' budgets
    (visit debits dated in the period, net of their corrections), and what was
    allocated for the period: each budget's allocation per day times the days of the
    period it covers (from its start to the day before the client's next budget
    starts). Two queries."""
    visit_money = Q(kind=LedgerEntry.Kind.VISIT_DEBIT) | Q(
        kind=LedgerEntry.Kind.CORRECTION, corrects__kind=LedgerEntry.Kind.VISIT_DEBIT
    )
    spent = (
        _team_filter(
            LedgerEntry.objects.filter(visit_money, on__gte=period.first, on__lte=period.last),
            "budget__client__team_id",
            team_ids,
        )
        .values(team=F("budget__client__team_id"))
        .annotate(amount=Sum("amount"), clients=Count("budget__client_id", distinct=True))
        .order_by()
    )
    following = Budget.objects.filter(client_id=OuterRef("client_id")).filter(
        Q(starts__gt=OuterRef("starts")) | Q(starts=OuterRef("starts"), id__gt=OuterRef("id"))
    )
    after = Value(period.after, output_field=DateField())
    covered = DaysBetween(
        Greatest(F("starts"), Value(period.first, output_field=DateField())),
        Least(
            Coalesce(
                Subquery(following.order_by("starts", "id").values("starts")[:1]),
                after,
                output_field=DateField(),
            ),
            after,
        ),
    )
    allocation_days = ExpressionWrapper(
        F("allocation") * F("covered"), output_field=Budget._meta.get_field("allocation")
    )
    allocated = (
        _team_filter(Budget.objects.filter(starts__lte=period.last), "client__team_id", team_ids)
        .annotate(covered=covered)
        .filter(covered__gt=0)
        .values(team=F("client__team_id"))
        .annotate(
            clients=Count("client_id", distinct=True),
            **{kind: Sum(allocation_days, filter=Q(period=kind)) for kind in BUDGET_PERIOD_DAYS},
        )
        .order_by()
    )
    figures: dict[int, dict] = defaultdict(dict)
    for row in spent:
        figures[row["team"]]["delivered"] = -(row["amount"] or Decimal(0))
        figures[row["team"]]["spent_clients"] = row["clients"]
    for row in allocated:
        total = sum(
            (Decimal(row[kind] or 0) / days for kind, days in BUDGET_PERIOD_DAYS.items()),
            Decimal(0),
        )
        figures[row["team"]]["allocated"] = total
        figures[row["team"]]["clients"] = row["clients"]
    return figures


def _membership_figures(period: Period, team_ids) -> dict[int, dict]:
    """Per team: members at the start of the period (joined before its first day and
    not left before it), members who joined in it and who left in it. One query."""
    stayed_into = Q(left__isnull=True) | Q(left__gte=period.first)
    rows = (
        _team_filter(
            Membership.objects.filter(Q(joined__lte=period.last) & stayed_into),
            "team_id",
            team_ids,
        )
        .values("team_id")
        .annotate(
            at_start=Count("id", filter=Q(joined__lt=period.first) & stayed_into),
            joined_in=Count("id", filter=Q(joined__gte=period.first)),
            left_in=Count("id", filter=Q(left__gte=period.first, left__lte=period.last)),
        )
        .order_by()
    )
    return {row["team_id"]: row for row in rows}


def _experience_figures(period: Period, team_ids) -> dict[int, dict]:
    """Per team: the clients who answered the experience survey for the quarter, the
    promoters (9 or 10 to "would you recommend") and detractors (0 to 6) among them,
    and the sum of each experience item. One query; none for a month, which has no
    survey of its own."""
    if period.kind != "quarter":
        return {}
    rows = (
        _team_filter(
            ExperienceSurvey.objects.filter(period=period.label), "client__team_id", team_ids
        )
        .values(team=F("client__team_id"))
        .annotate(
            respondents=Count("id"),
            promoters=Count("id", filter=Q(recommend__gte=9)),
            detractors=Count("id", filter=Q(recommend__lte=6)),
            **{field: Sum(field) for field in EXPERIENCE_ITEMS.values()},
        )
        .order_by()
    )
    return {row["team"]: row for row in rows}


# --- putting a team's figures together ------------------------------------------------


def _minutes(duration: datetime.timedelta | None) -> int:
    """Time delivered in whole minutes, half a minute rounding up."""
    if not duration:
        return 0
    return int(duration.total_seconds() + 30) // 60


def _assemble(team_id: int, period: Period, found: dict) -> TeamIndicators:
    v = found["visits"].get(team_id, {})
    c = found["continuity"].get(team_id, {})
    o = found["outcomes"].get(team_id, {})
    b = found["budgets"].get(team_id, {})
    m = found["members"].get(team_id, {})
    served = v.get("served", 0)
    done, planned = v.get("done", 0), v.get("planned", 0)
    minutes = _minutes(v.get("delivered"))
    pairs, cont_clients = c.get("pairs", 0), c.get("clients", 0)
    # SUM of integers is a numeric on PostgreSQL (a Decimal): counts stay whole numbers.
    cont_visits, top_two = int(c.get("visits") or 0), int(c.get("top_two") or 0)
    problems = o.get("problems", 0)
    o_clients = o.get("clients", 0) if problems else 0
    delivered = b.get("delivered", Decimal(0)).quantize(PENNY)
    allocated = b.get("allocated", Decimal(0)).quantize(PENNY, rounding=ROUND_HALF_UP)
    at_start = m.get("at_start", 0)
    e = found["experience"].get(team_id, {})
    respondents = e.get("respondents", 0)
    net_promoters = e.get("promoters", 0) - e.get("detractors", 0)

    def outcome(key: str, column: str) -> Indicator:
        return _divided(key, int(o.get(column) or 0), problems, o_clients, HUNDREDTH)

    items = [
        Indicator("clients_served", served, served, None, served),
        _divided("visits_delivered", done, planned, v.get("planned_clients", 0)),
        _divided("punctuality", v.get("punctual", 0), done, served),
        _divided("carers_per_client", pairs, cont_clients, cont_clients, TENTH),
        _divided("top_two_share", top_two, cont_visits, cont_clients),
        Indicator("hours_per_client", _ratio(minutes, served * 60, TENTH), minutes, served, served),
        outcome("knowledge_change", "knowledge"),
        outcome("behavior_change", "behavior"),
        outcome("status_change", "status"),
        _divided("problems_improved", int(o.get("improved") or 0), problems, o_clients),
        _divided(
            "budget_use", delivered, allocated, max(b.get("clients", 0), b.get("spent_clients", 0))
        ),
        Indicator("members_joined", m.get("joined_in", 0), m.get("joined_in", 0), at_start, None),
        Indicator("members_left", m.get("left_in", 0), m.get("left_in", 0), at_start, None),
        # Promoters minus detractors, as points out of 100 (a net promoter score).
        _divided("experience_recommend", net_promoters, respondents, respondents),
        *(
            _divided(key, int(e.get(field) or 0), respondents, respondents, HUNDREDTH)
            for key, field in EXPERIENCE_ITEMS.items()
        ),
    ]
    by_problem = [
        ProblemOutcome(
            problem=row["problem"],
            problems=row["problems"],
            clients=row["clients"],
            knowledge_change=_ratio(row["knowledge"], row["problems"], HUNDREDTH),
            behavior_change=_ratio(row["behavior"], row["problems"], HUNDREDTH),
            status_change=_ratio(row["status"], row["problems"], HUNDREDTH),
            improved=int(row["improved"]),
            knowledge_total=int(row["knowledge"]),
            behavior_total=int(row["behavior"]),
            status_total=int(row["status"]),
        )
        for row in found["by_problem"].get(team_id, [])
    ]
    return TeamIndicators(team_id, period, {i.key: i for i in items}, by_problem)


def _gather(period: Period, team_ids: list[int] | None, now: datetime.datetime) -> dict:
    outcomes, by_problem = _outcome_figures(period, team_ids)
    return {
        "visits": _visit_figures(period, team_ids, now),
        "continuity": _continuity_figures(period, team_ids),
        "outcomes": outcomes,
        "by_problem": by_problem,
        "budgets": _budget_figures(period, team_ids),
        "members": _membership_figures(period, team_ids),
        "experience": _experience_figures(period, team_ids),
    }


def network_indicators(
    period: Period, *, teams=None, now: datetime.datetime | None = None
) -> dict[int, TeamIndicators]:
    """Every team's indicators for ``period`` (or those of ``teams``: Team objects or
    ids), by team id, in seven queries however many teams there are (eight for a
    quarter: the experience survey is asked per quarter)."""
    now = now or timezone.now()
    if teams is None:
        team_ids = None
        every = list(Team.objects.order_by("pk").values_list("pk", flat=True))
    else:
        every = sorted({getattr(t, "pk", t) for t in teams})
        team_ids = every
    found = _gather(period, team_ids, now)
    return {team_id: _assemble(team_id, period, found) for team_id in every}


def team_indicators(
    team: Team | int, period: Period, *, now: datetime.datetime | None = None
) -> TeamIndicators:
    """One team's indicators for ``period`` (six queries; seven for a quarter)."""
    team_id = team if isinstance(team, int) else team.pk
    return network_indicators(period, teams=[team_id], now=now)[team_id]
