"""Personal budgets: set one up, and add to its append-only ledger.

Money is ``Decimal`` to the penny everywhere; a float is refused rather than guessed
at. Amounts keep the ledger's sign (``care.models.budgets``): negative is money out
of the budget, positive is money back in. Visit debits are not added here: recording
a visit (``visit_finish``) makes its debit, through ``debit_visit``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from care.models import Budget, Client, LedgerEntry, Visit
from care.services.common import Errors, clean_date, client_streams, record, require_care_team
from teams.cleaning import add_error, clean_text, cleaned, limit_of, raise_errors
from teams.errors import KeyReused
from teams.models import Person
from teams.versioning import save_new_version

KEY_REUSED = (
    "This key was already used for a different entry, so nothing was added: send a new key"
    " for a new entry."
)
MAX_ALLOCATION = Decimal("99999999.99")  # Decimal(10, 2)
MAX_RATE = Decimal("999999.99")  # Decimal(8, 2)
SPENDING_KINDS = {LedgerEntry.Kind.VISIT_DEBIT, LedgerEntry.Kind.PURCHASE}


def clean_money(errors: Errors, name: str, value: Any, *, maximum: Decimal) -> Decimal | None:
    """A Decimal (or an int, or a numeric string) with at most two decimal places."""
    if isinstance(value, float):
        add_error(
            errors, name, "Give money as a decimal (e.g. '12.50'), never a floating-point number."
        )
        return None
    if value is None or isinstance(value, bool):
        add_error(errors, name, "Required: an amount in pounds, e.g. 12.50.")
        return None
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else value)
    except (InvalidOperation, TypeError, ValueError):
        amount = None
    if amount is None or not amount.is_finite():
        add_error(errors, name, "An amount in pounds, e.g. 12.50.")
        return None
    if amount != amount.quantize(Decimal("0.01")):
        add_error(errors, name, "At most two decimal places (whole pence).")
        return None
    if abs(amount) > maximum:
        add_error(errors, name, f"At most £{maximum:,}.")
        return None
    return amount.quantize(Decimal("0.01"))


def budget_create(
    *,
    actor: Person,
    client: Client,
    kind: str,
    period: str,
    allocation: Any,
    hourly_rate: Any,
    starts: datetime.date,
    funder: str = "",
) -> Budget:
    """The client's budget from ``starts``. It replaces the active one, if any (a new
    assessment, a change of funder): the old one stays, inactive, with its ledger."""
    require_care_team(actor, client, "set up budgets")
    errors: Errors = {}
    if kind not in Budget.Kind.values:
        errors["kind"] = [f"One of: {', '.join(Budget.Kind.values)}."]
    if period not in Budget.Period.values:
        errors["period"] = [f"One of: {', '.join(Budget.Period.values)}."]
    allocation = clean_money(errors, "allocation", allocation, maximum=MAX_ALLOCATION)
    if allocation is not None and allocation < 0:
        add_error(errors, "allocation", "Cannot be negative.")
    hourly_rate = clean_money(errors, "hourly_rate", hourly_rate, maximum=MAX_RATE)
    if hourly_rate is not None and hourly_rate < 0:
        add_error(errors, "hourly_rate", "Cannot be negative.")
    starts_on = clean_date(errors, "starts", starts)
    funder = clean_text(errors, "funder", funder, limit=limit_of(Budget, "funder"))
    raise_errors(errors)
    starts_on = cleaned(starts_on)
    with transaction.atomic():
        previous = Budget.objects.select_for_update().filter(client=client, active=True).first()
        if previous is not None:
            save_new_version(previous, active=False)
        budget = Budget.objects.create(
            client=client,
            kind=kind,
            period=period,
            allocation=allocation,
            hourly_rate=hourly_rate,
            starts=starts_on,
            funder=funder,
        )
        data = {
            "budget": budget.pk,
            "client": client.pk,
            "version": budget.version,
            "replaces": previous.pk if previous else None,
        }
        record(actor, "budget.created", budget, data, client_streams(client, "budget"))
    return budget


def visit_minutes(start: datetime.datetime, end: datetime.datetime) -> int:
    """Time delivered, to the nearest whole minute (half a minute rounds up)."""
    return int((end - start).total_seconds() + 30) // 60


def debit_visit(
    *, visit: Visit, by: Person | None, idempotency_key: str | None = None
) -> LedgerEntry | None:
    """The debit of a visit just recorded done, on the client's active budget (None
    when the client has none). Called by ``visit_finish`` inside its transaction,
    which has checked permission and will audit and publish; nothing else calls it."""
    budget = Budget.objects.filter(client_id=visit.client_id, active=True).first()
    if budget is None:
        return None
    if visit.actual_start is None or visit.actual_end is None:
        raise ValueError(f"Visit {visit.pk} is not recorded done: no times to debit.")
    minutes = visit_minutes(visit.actual_start, visit.actual_end)
    return LedgerEntry.objects.create(
        budget=budget,
        kind=LedgerEntry.Kind.VISIT_DEBIT,
        amount=-budget.cost(minutes),
        visit=visit,
        on=timezone.localdate(visit.actual_start),
        by=by,
        idempotency_key=idempotency_key,
        reason=f"{minutes} minutes at £{budget.hourly_rate} an hour",
    )


def _clean_correction(
    errors: Errors, budget: Budget, kind: str, corrects: object, amount: Decimal | None
) -> LedgerEntry | None:
    if kind != LedgerEntry.Kind.CORRECTION:
        if corrects is not None:
            add_error(errors, "corrects", "Only a correction points at another entry.")
        return None
    if corrects is None:
        add_error(errors, "corrects", "Say which entry this corrects.")
        return None
    original = LedgerEntry.objects.filter(
        pk=getattr(corrects, "pk", corrects), budget=budget
    ).first()
    if original is None:
        add_error(errors, "corrects", "Not an entry of this budget.")
        return None
    if original.kind == LedgerEntry.Kind.CORRECTION:
        add_error(errors, "corrects", "Correct the original entry, not a correction of it.")
        return None
    if amount is not None:
        # What the original comes to once corrected: a correction can shrink an entry,
        # grow it or cancel it, but never turn spending into money back (or back round).
        corrected = original.amount + amount + sum(c.amount for c in original.corrections.all())
        spending = original.kind in SPENDING_KINDS or original.amount < 0
        if (spending and corrected > 0) or (not spending and corrected < 0):
            errors.setdefault("amount", []).append(
                f"The corrected entry would come to £{corrected}: a correction can at most"
                " cancel the entry it corrects."
            )
    return original


def ledger_add(
    *,
    actor: Person,
    budget: Budget,
    kind: str,
    amount: Any,
    reason: str,
    corrects: LedgerEntry | int | None = None,
    on: datetime.date | None = None,
    idempotency_key: str | None = None,
) -> LedgerEntry:
    """Add a purchase, an adjustment or a correction. Each needs a reason.

    ``amount`` keeps the ledger's sign: a purchase is negative (money out); an
    adjustment is either; a correction carries the difference it makes to the entry
    it ``corrects``, which stays as it was. ``on`` is the day the money belongs to
    (default today).

    An ``idempotency_key`` names one request of the actor's: sent again with the same
    entry (a retry), the entry made then is returned and nothing changes; sent with a
    different entry, ``KeyReused`` (422) says so and nothing is added, so the new entry
    is never silently taken for the old one. Another person's key is not this one's.
    """
    require_care_team(actor, budget.client, "keep budget records")
    errors: Errors = {}
    if kind not in LedgerEntry.Kind.values:
        errors["kind"] = ["One of: purchase, adjustment, correction."]
    elif kind == LedgerEntry.Kind.VISIT_DEBIT:
        errors["kind"] = ["Visit debits are made by recording the visit as done."]
    amount = clean_money(errors, "amount", amount, maximum=MAX_ALLOCATION)
    if amount is not None:
        if amount == 0:
            add_error(errors, "amount", "An entry moves money: not zero.")
        elif kind == LedgerEntry.Kind.PURCHASE and amount > 0:
            errors.setdefault("amount", []).append(
                "A purchase spends from the budget: give it as a negative amount, e.g. -12.50."
            )
    reason = clean_text(
        errors, "reason", reason, limit=limit_of(LedgerEntry, "reason"), required=True
    )
    today = timezone.localdate()
    given_on = None if on is None else clean_date(errors, "on", on)
    on = today if on is None else given_on
    if on is not None and on < budget.starts:
        add_error(errors, "on", "Before the budget started.")
    elif on is not None and on > today:
        add_error(errors, "on", "Cannot be in the future.")
    if idempotency_key is not None and (
        not isinstance(idempotency_key, str)
        or not idempotency_key.strip()
        or len(idempotency_key) > limit_of(LedgerEntry, "idempotency_key")
    ):
        limit = limit_of(LedgerEntry, "idempotency_key")
        errors["idempotency_key"] = [f"Non-empty text of at most {limit} characters."]
        idempotency_key = None
    with transaction.atomic():
        # The budget's row lock serialises entries, so two corrections of one entry
        # are checked one after the other, and a retried key finds its first entry.
        budget = (
            Budget.objects.select_for_update(of=("self",))
            .select_related("client__team")
            .get(pk=budget.pk)
        )
        if idempotency_key is not None:
            done = LedgerEntry.objects.filter(
                budget=budget, by=actor, idempotency_key=idempotency_key
            )
            if first := done.first():
                made = (first.kind, first.amount, first.reason, first.corrects_id)
                asked = (kind, amount, reason, getattr(corrects, "pk", corrects))
                # A retry may leave the day out (it meant "today" when first sent): only
                # a day it names must match.
                if made == asked and given_on in (None, first.on):
                    return first
                raise KeyReused(KEY_REUSED)
        if not budget.active and kind != LedgerEntry.Kind.CORRECTION:
            errors.setdefault("budget", []).append(
                "This budget has been replaced: only corrections can be added to it."
            )
        original = _clean_correction(errors, budget, kind, corrects, amount)
        raise_errors(errors)
        on = cleaned(on)
        entry = LedgerEntry.objects.create(
            budget=budget,
            kind=kind,
            amount=amount,
            reason=reason,
            corrects=original,
            on=on,
            by=actor,
            idempotency_key=idempotency_key,
        )
        data = {
            "budget": budget.pk,
            "client": budget.client_id,
            "entry": entry.pk,
            "kind": kind,
            "amount": str(amount),
            "on": on.isoformat(),
            "corrects": original.pk if original else None,
        }
        streams = client_streams(budget.client, "budget")
        record(actor, "budget.entry_added", budget, data, streams)
    return entry
