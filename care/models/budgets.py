"""Personal budgets and their ledger: what a client has, and every penny that moved.

Sign convention of ``LedgerEntry.amount`` (pounds, Decimal to the penny):

- negative: money out of the budget (a delivered visit, a purchase);
- positive: money back into it (a top-up, a refund, a correction of an overcharge).

What is left of a period is ``allocation + sum(amount of the period's entries)``.
The ledger is append-only: a mistake is put right by a ``correction`` entry that
points at the entry it corrects and carries the difference; the original is never
edited, so the statement a client read yesterday can still be explained today.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone

from care.models.clients import AppendOnly, Client
from care.models.visits import Visit
from teams.models import Person

PERIOD_DAYS = {"weekly": 7, "four_weekly": 28}
PENNY = Decimal("0.01")


def to_penny(amount: Decimal) -> Decimal:
    """Pounds to the penny, half a penny rounding up (away from zero)."""
    return amount.quantize(PENNY, rounding=ROUND_HALF_UP)


def period_last_day(period: str, period_start: datetime.date) -> datetime.date:
    """The last day (inclusive) of the budget period that begins on ``period_start``."""
    if period in PERIOD_DAYS:
        return period_start + datetime.timedelta(days=PERIOD_DAYS[period] - 1)
    return _add_year(period_start) - datetime.timedelta(days=1)


def _add_year(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February: the next year's period starts on 1 March
        return datetime.date(day.year + 1, 3, 1)


class Budget(models.Model):
    """A client's personal budget: how much per period, and what an hour of care costs."""

    class Kind(models.TextChoices):
        DIRECT_PAYMENT = "direct_payment", "Direct Payment"
        # Held by the provider for the person, spent as the person directs.
        ISF = "isf", "Individual Service Fund"
        COMMISSIONED = "commissioned", "Commissioned by the council"
        SELF_FUNDED = "self_funded", "Self-funded"

    class Period(models.TextChoices):
        WEEKLY = "weekly", "Weekly"
        FOUR_WEEKLY = "four_weekly", "Four-weekly"
        YEARLY = "yearly", "Yearly"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="budgets")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    funder = models.CharField(max_length=120, blank=True, help_text="Council, trust, the client.")
    period = models.CharField(max_length=12, choices=Period.choices)
    allocation = models.DecimalField(max_digits=10, decimal_places=2, help_text="Per period.")
    hourly_rate = models.DecimalField(max_digits=8, decimal_places=2)
    starts = models.DateField()
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["client", "-starts", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(allocation__gte=0), name="budget_allocation_not_negative"
            ),
            models.CheckConstraint(
                condition=Q(hourly_rate__gte=0), name="budget_hourly_rate_not_negative"
            ),
            # Delivered visits debit "the client's budget": there is one at a time.
            models.UniqueConstraint(
                fields=["client"], condition=Q(active=True), name="one_active_budget_per_client"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.client}: £{self.allocation} {self.period}"

    def cost(self, minutes: int) -> Decimal:
        """What ``minutes`` of care cost at this budget's hourly rate, to the penny."""
        return to_penny(Decimal(minutes) * self.hourly_rate / 60)

    def period_last_day(self, period_start: datetime.date) -> datetime.date:
        return period_last_day(self.period, period_start)

    def period_start_for(self, day: datetime.date) -> datetime.date:
        """The first day of the period (counted from ``starts``) that contains ``day``."""
        if day < self.starts:
            return self.starts
        if self.period in PERIOD_DAYS:
            length = PERIOD_DAYS[self.period]
            return self.starts + datetime.timedelta(
                days=(day - self.starts).days // length * length
            )
        start = self.starts
        while _add_year(start) <= day:
            start = _add_year(start)
        return start


class LedgerEntryQuerySet(models.QuerySet["LedgerEntry"]):
    """Bulk updates and deletes would bypass the per-row refusal: refuse them too."""

    def update(self, **kwargs):
        raise ValueError("The budget ledger is append-only: add a correction instead.")

    def delete(self):
        raise ValueError("The budget ledger is append-only: add a correction instead.")


class LedgerEntry(AppendOnly):
    """One movement of money in a budget. Append-only; see the module for the signs."""

    APPEND_ONLY = "The budget ledger is append-only: add a correction instead."

    class Kind(models.TextChoices):
        VISIT_DEBIT = "visit_debit", "Visit delivered"
        PURCHASE = "purchase", "Purchase"
        ADJUSTMENT = "adjustment", "Adjustment"
        CORRECTION = "correction", "Correction"

    budget = models.ForeignKey(Budget, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        help_text="Negative: money out of the budget. Positive: money back into it.",
    )
    reason = models.TextField(blank=True)
    # Its TextFields' limits (teams.cleaning.limit_of): kept by code, not the database.
    LIMITS = {"reason": 2000}
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    corrects = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrections"
    )
    # The day the money belongs to (a visit's day, a purchase's day): periods count by it.
    on = models.DateField(default=timezone.localdate)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # NULL, not "": entries without a key stay out of the key's unique constraint.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)  # noqa: DJ001

    objects = LedgerEntryQuerySet.as_manager()
    # Not columns: its amount signed, in words (the budget section,
    # frontend.views.client_sections).
    shown: str

    class Meta:
        ordering = ["on", "at", "id"]
        verbose_name_plural = "ledger entries"
        indexes = [
            models.Index(fields=["budget", "on"]),
            # A period's entries, for the budget indicator of every team at once.
            models.Index(fields=["on"], name="ledger_on"),
        ]
        constraints = [
            # A delivered visit debits exactly once, however often it is recorded.
            models.UniqueConstraint(
                fields=["visit"], condition=Q(kind="visit_debit"), name="one_debit_per_visit"
            ),
            # A key is one person's: two people's keys never collide.
            models.UniqueConstraint(
                fields=["budget", "by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="ledger_idempotency_key_per_person",
            ),
            models.CheckConstraint(
                condition=Q(kind="visit_debit") | ~Q(reason=""), name="ledger_entry_has_reason"
            ),
            models.CheckConstraint(
                condition=~Q(kind="visit_debit") | Q(visit__isnull=False, amount__lte=0),
                name="visit_debit_names_visit_and_spends",
            ),
            models.CheckConstraint(
                condition=~Q(kind="purchase") | Q(amount__lt=0), name="purchase_spends"
            ),
            models.CheckConstraint(
                condition=Q(kind="visit_debit") | ~Q(amount=0), name="ledger_entry_not_zero"
            ),
            models.CheckConstraint(
                condition=Q(kind="correction", corrects__isnull=False)
                | (~Q(kind="correction") & Q(corrects__isnull=True)),
                name="correction_points_at_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} £{self.amount} on {self.on}"
