"""A budget's statement for one period: what there was, what went, what is left.

``statement`` only reads; it checks nobody's permission and writes no access-log
row, so whoever shows it (a page, the API, the portal) asks ``care.access.can_read``
for the ``budget`` scope and logs the read first.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from care.models import Budget, Client, LedgerEntry, Visit
from care.models.budgets import to_penny

ZERO = Decimal("0.00")
PERIOD_WORDS = {"weekly": "week", "four_weekly": "four-week period", "yearly": "year"}


@dataclass(frozen=True)
class Statement:
    """Every figure is pounds to the penny. ``delivered`` and ``other`` are what went
    out of the budget (positive: spent; ``other`` is negative when more came back in
    than went out), unlike the ledger, whose amounts are signed."""

    budget_id: int
    period_start: datetime.date
    period_end: datetime.date  # the last day, inclusive
    today: datetime.date
    allocated: Decimal
    # Visits delivered in the period: their debits, net of corrections of them.
    delivered: Decimal
    # Purchases, adjustments and their corrections, net.
    other: Decimal
    other_entries: tuple[LedgerEntry, ...]
    # What the period's visits not yet done will cost at their expected length.
    planned: Decimal
    # allocated - delivered - other: what is left now.
    remaining: Decimal
    # What will be left on the period's last day if things go on as they are.
    projected_remaining: Decimal
    in_words: str


def statement(budget: Budget, period_start: datetime.date, today: datetime.date) -> Statement:
    """The statement of the period that begins on ``period_start``, as of ``today``.

    The projection takes the larger of two views of the visits: the pace so far (the
    delivered amount scaled from the elapsed share of the period to all of it) and
    what is already booked (delivered plus planned). Adding the two would count the
    rest of the period's visits twice when they are already planned; taking the
    larger never promises a client money that booked visits will spend. Purchases
    and adjustments are one-offs and count as they are, not scaled.
    """
    period_end = budget.period_last_day(period_start)
    entries = list(
        LedgerEntry.objects.filter(budget=budget, on__range=(period_start, period_end))
        .select_related("corrects")
        .order_by("on", "at", "id")
    )

    def is_visit(entry: LedgerEntry) -> bool:
        kind = entry.corrects.kind if entry.corrects is not None else entry.kind
        return kind == LedgerEntry.Kind.VISIT_DEBIT

    delivered = -sum((e.amount for e in entries if is_visit(e)), ZERO)
    others = tuple(e for e in entries if not is_visit(e))
    other = -sum((e.amount for e in others), ZERO)

    tz = timezone.get_default_timezone()
    window = (
        datetime.datetime.combine(period_start, datetime.time.min, tzinfo=tz),
        datetime.datetime.combine(
            period_end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz
        ),
    )
    planned_minutes = Visit.objects.filter(
        client_id=budget.client_id,
        status__in=Visit.UNDONE_STATUSES,
        window_start__gte=window[0],
        window_start__lt=window[1],
    ).values_list("expected_minutes", flat=True)
    # Each visit is costed (and rounded) on its own, as its debit will be.
    planned = sum((budget.cost(m) for m in planned_minutes), ZERO)

    remaining = budget.allocation - delivered - other
    days = (period_end - period_start).days + 1
    elapsed = min(max((today - period_start).days + 1, 0), days)
    at_pace = delivered * days / elapsed if elapsed else delivered
    projected_remaining = to_penny(
        budget.allocation - other - max(to_penny(at_pace), delivered + planned)
    )
    figures = {
        "allocated": to_penny(budget.allocation),
        "delivered": to_penny(delivered),
        "other": to_penny(other),
        "planned": to_penny(planned),
        "remaining": to_penny(remaining),
        "projected_remaining": projected_remaining,
    }
    return Statement(
        budget_id=budget.pk,
        period_start=period_start,
        period_end=period_end,
        today=today,
        other_entries=others,
        in_words=_in_words(budget.period, period_start, period_end, today, figures),
        **figures,
    )


def current_statement(budget: Budget, today: datetime.date | None = None) -> Statement:
    """The statement of the period that contains ``today``."""
    today = today or timezone.localdate()
    return statement(budget, budget.period_start_for(today), today)


def _money(amount: Decimal) -> str:
    return f"£{abs(amount):,.2f}"


def _day(day: datetime.date, today: datetime.date) -> str:
    words = f"{day.day} {day:%B}"
    return words if day.year == today.year else f"{words} {day.year}"


def _in_words(
    period: str,
    period_start: datetime.date,
    period_end: datetime.date,
    today: datetime.date,
    figures: dict[str, Any],
) -> str:
    """Two plain sentences a client reads at the top of their statement."""
    name = PERIOD_WORDS[period]
    allocated, remaining = figures["allocated"], figures["remaining"]
    if today > period_end:
        label = f"the {name} to {_day(period_end, today)}"
        if remaining >= 0:
            return f"{_money(remaining)} of your {_money(allocated)} for {label} was left."
        return f"You spent {_money(remaining)} more than your {_money(allocated)} for {label}."
    if today < period_start:
        label = f"the {name} from {_day(period_start, today)}"
    else:
        label = f"this {name}"
    if remaining >= 0:
        now = f"{_money(remaining)} of your {_money(allocated)} for {label} is left."
    else:
        now = f"You have spent {_money(remaining)} more than your {_money(allocated)} for {label}."
    projected, end = figures["projected_remaining"], _day(period_end, today)
    if projected >= 0:
        later = f"At the current pace you will have about {_money(projected)} left on {end}."
    else:
        later = (
            f"At the current pace you will have spent about {_money(projected)} more than"
            f" your budget by {end}."
        )
    return f"{now} {later}"


def client_statement(client_id: int, today: datetime.date | None = None) -> Statement | None:
    """The current statement of the client's active budget; None when they have none."""
    budget = Budget.objects.filter(client_id=client_id, active=True).first()
    return current_statement(budget, today) if budget else None


def active_budget(client: Client) -> Budget | None:
    return Budget.objects.filter(client=client, active=True).first()


def ledger_entries(
    budget: Budget, first: datetime.date, last: datetime.date
) -> QuerySet[LedgerEntry]:
    """The budget's entries dated in [first, last], oldest first, in one query."""
    return (
        LedgerEntry.objects.filter(budget=budget, on__range=(first, last))
        .select_related("by", "corrects")
        .order_by("on", "at", "id")
    )


def budget_of(client: Client, pk: int) -> Budget | None:
    """One budget of this client (the active one or one it replaced), or None."""
    return Budget.objects.select_related("client__team").filter(pk=pk, client=client).first()
