"""Personal budgets: setting one up, the append-only ledger, and the client's statement."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from care.models import Budget, LedgerEntry, Visit
from care.selectors.budgets import current_statement, statement
from care.services import budgets as budget_services
from care.services import visits as visit_services
from coordination.events import EventRecord
from teams.errors import KeyReused
from tests.care.visit_helpers import NOW, at, deliver, jansen_client, plan
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

D = Decimal
DAY = datetime.timedelta(days=1)


@pytest.fixture
def now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def jansen(personas, now):
    return jansen_client(personas)


def create(personas, client, **fields) -> Budget:
    row = {
        "kind": "direct_payment",
        "period": "four_weekly",
        "allocation": D("480.00"),
        "hourly_rate": D("24.50"),
        "starts": datetime.date(2026, 10, 27),
        "funder": "Deventshire County Council",
        **fields,
    }
    return budget_services.budget_create(actor=personas.ana, client=client, **row)


@pytest.fixture
def budget(personas, jansen):
    return create(personas, jansen)


def add(personas, budget, kind, amount, reason="Receipt in the folder.", **extra):
    return budget_services.ledger_add(
        actor=personas.ana, budget=budget, kind=kind, amount=amount, reason=reason, **extra
    )


# --- setting one up ---------------------------------------------------------------------


def test_the_care_team_sets_up_a_budget_and_a_new_one_replaces_it(personas, jansen):
    first = create(personas, jansen)
    assert (first.allocation, first.hourly_rate, first.active) == (D("480.00"), D("24.50"), True)
    second = budget_services.budget_create(
        actor=personas.ben,
        client=jansen,
        kind="isf",
        period="weekly",
        allocation="130.00",
        hourly_rate=26,
        starts=datetime.date(2026, 12, 7),
    )
    first.refresh_from_db()
    assert (first.active, first.version, second.active) == (False, 2, True)
    assert second.allocation == D("130.00")
    for stream in (personas.noord.stream, jansen.stream("budget")):
        created = EventRecord.objects.filter(stream=stream, type="budget.created").order_by("seq")
        assert [e.data["replaces"] for e in created] == [None, first.pk]


@pytest.mark.parametrize(
    ("fields", "bad"),
    [
        ({"allocation": D("-0.01")}, {"allocation"}),
        ({"allocation": 480.0}, {"allocation"}),  # a float is refused, not guessed at
        ({"allocation": "480.005"}, {"allocation"}),
        ({"allocation": "lots"}, {"allocation"}),
        ({"hourly_rate": None}, {"hourly_rate"}),  # a rate-free budget
        ({"hourly_rate": D("-24.50")}, {"hourly_rate"}),
        (
            {"kind": "pocket_money", "period": "daily", "starts": "2026-10-27"},
            {"kind", "period", "starts"},
        ),
    ],
)
def test_bad_budgets_are_refused_field_by_field(personas, jansen, fields, bad):
    with pytest.raises(ValidationError) as exc:
        create(personas, jansen, **fields)
    assert set(exc.value.message_dict) == bad
    assert not Budget.objects.exists()


def test_the_database_refuses_a_negative_allocation_or_rate(jansen):
    row = {
        "client": jansen,
        "kind": "self_funded",
        "period": "weekly",
        "allocation": D("10.00"),
        "hourly_rate": D("20.00"),
        "starts": NOW.date(),
    }
    for bad in ({"allocation": D("-1.00")}, {"hourly_rate": D("-1.00")}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Budget.objects.create(**{**row, **bad})


def test_a_client_has_one_active_budget_at_a_time(jansen, budget):
    with pytest.raises(IntegrityError), transaction.atomic():
        Budget.objects.create(
            client=jansen,
            kind="self_funded",
            period="weekly",
            allocation=D("10.00"),
            hourly_rate=D("20.00"),
            starts=NOW.date(),
        )


# --- who may ----------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["outsider", "coach", "inspector", "client", "family"])
def test_nobody_outside_the_care_team_writes_budgets(personas, jansen, budget, outsiders, who):
    person = outsiders[who]
    before = (Budget.objects.count(), LedgerEntry.objects.count(), EventRecord.objects.count())
    with pytest.raises(PermissionDenied):
        budget_services.budget_create(
            actor=person,
            client=jansen,
            kind="self_funded",
            period="weekly",
            allocation="100.00",
            hourly_rate="20.00",
            starts=NOW.date(),
        )
    with pytest.raises(PermissionDenied):
        budget_services.ledger_add(
            actor=person, budget=budget, kind="adjustment", amount="50.00", reason="Top-up."
        )
    after = (Budget.objects.count(), LedgerEntry.objects.count(), EventRecord.objects.count())
    assert after == before
    assert budget.entries.count() == 0


def test_any_member_of_the_care_team_keeps_the_ledger(personas, budget):
    entry = budget_services.ledger_add(
        actor=personas.ben, budget=budget, kind="purchase", amount="-7.20", reason="Bus fares."
    )
    assert (entry.by, entry.amount, entry.on) == (personas.ben, D("-7.20"), NOW.date())
    (event,) = EventRecord.objects.filter(
        stream=budget.client.stream("budget"), type="budget.entry_added"
    )
    assert event.data == {
        "budget": budget.pk,
        "client": budget.client_id,
        "entry": entry.pk,
        "kind": "purchase",
        "amount": "-7.20",
        "on": "2026-12-07",
        "corrects": None,
    }


# --- the ledger -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "bad"),
    [
        ({"kind": "purchase", "amount": "-20.00", "reason": "  "}, {"reason"}),  # reason-free
        ({"kind": "adjustment", "amount": "10.00", "reason": ""}, {"reason"}),
        ({"kind": "purchase", "amount": "20.00"}, {"amount"}),  # a purchase spends
        ({"kind": "adjustment", "amount": "0.00"}, {"amount"}),
        ({"kind": "adjustment", "amount": 10.5}, {"amount"}),  # a float
        ({"kind": "visit_debit", "amount": "-10.00"}, {"kind"}),  # only by recording a visit
        ({"kind": "correction", "amount": "5.00"}, {"corrects"}),
        ({"kind": "purchase", "amount": "-1.00", "on": datetime.date(2026, 10, 1)}, {"on"}),
        ({"kind": "purchase", "amount": "-1.00", "on": datetime.date(2026, 12, 8)}, {"on"}),
        ({"kind": "gift", "amount": "1.001", "reason": None}, {"kind", "amount", "reason"}),
    ],
)
def test_bad_entries_are_refused_field_by_field(personas, budget, entry, bad):
    entry = {"reason": "Receipt in the folder.", **entry}
    with pytest.raises(ValidationError) as exc:
        budget_services.ledger_add(actor=personas.ana, budget=budget, **entry)
    assert set(exc.value.message_dict) == bad
    assert not budget.entries.exists()


def test_a_correction_points_at_its_entry_and_never_edits_it(personas, budget):
    taxi = add(personas, budget, "purchase", "-20.00", "Taxi to the day centre.")
    fix = add(personas, budget, "correction", "5.00", "The receipt says £15.00.", corrects=taxi)
    taxi.refresh_from_db()
    assert taxi.amount == D("-20.00")
    assert (fix.corrects, list(taxi.corrections.all())) == (taxi, [fix])
    # Together the corrections may cancel the taxi, never turn it into money back.
    with pytest.raises(ValidationError) as exc:
        add(personas, budget, "correction", "15.01", "Refund.", corrects=taxi)
    assert set(exc.value.message_dict) == {"amount"}
    add(personas, budget, "correction", "15.00", "Cancelled: the centre paid.", corrects=taxi)
    # A correction is corrected at its original.
    with pytest.raises(ValidationError) as exc:
        add(personas, budget, "correction", "-1.00", "Oops.", corrects=fix)
    assert set(exc.value.message_dict) == {"corrects"}
    neighbour = ClientFactory(team=personas.noord, first_name="Kees", last_name="Smit")
    elsewhere = create(personas, neighbour)
    with pytest.raises(ValidationError) as exc:
        add(personas, elsewhere, "correction", "1.00", "Wrong budget.", corrects=taxi)
    assert set(exc.value.message_dict) == {"corrects"}


def test_the_ledger_is_append_only(personas, budget):
    entry = add(personas, budget, "adjustment", "10.00", "Council top-up.")
    entry.amount = D("100.00")
    with pytest.raises(ValueError, match="append-only"):
        entry.save()
    with pytest.raises(ValueError, match="append-only"):
        entry.delete()
    with pytest.raises(ValueError, match="append-only"):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount=D("100.00"))
    with pytest.raises(ValueError, match="append-only"):
        budget.entries.all().delete()
    assert LedgerEntry.objects.get().amount == D("10.00")


def test_the_database_requires_a_reason_except_on_a_visit_debit(budget):
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(budget=budget, kind="purchase", amount=D("-3.00"))


def test_an_entry_retried_with_its_key_is_added_once(personas, budget):
    first = add(personas, budget, "purchase", "-12.00", "Shopping.", idempotency_key="q-17")
    again = add(personas, budget, "purchase", "-12.00", "Shopping.", idempotency_key="q-17")
    assert again.pk == first.pk
    assert budget.entries.count() == 1
    assert EventRecord.objects.filter(type="budget.entry_added").count() == 2  # team + client


def test_another_persons_key_adds_their_own_entry(personas, budget):
    """Ben happens to send the key Ana used: his entry is his request, never hers."""
    anas = add(personas, budget, "purchase", "-12.00", "Shopping.", idempotency_key="q-17")
    bens = budget_services.ledger_add(
        actor=personas.ben,
        budget=budget,
        kind="purchase",
        amount="-7.50",
        reason="Pharmacy.",
        idempotency_key="q-17",
    )
    assert bens.pk != anas.pk
    assert (bens.by, bens.amount, bens.reason) == (personas.ben, D("-7.50"), "Pharmacy.")
    assert budget.entries.count() == 2
    # And Ben's retry finds his, not Ana's.
    again = budget_services.ledger_add(
        actor=personas.ben,
        budget=budget,
        kind="purchase",
        amount="-7.50",
        reason="Pharmacy.",
        idempotency_key="q-17",
    )
    assert again.pk == bens.pk


@pytest.mark.parametrize(
    "change",
    [
        {"amount": "-13.00"},
        {"reason": "Shopping, again."},
        {"kind": "adjustment"},
        {"on": datetime.date(2026, 12, 1)},
    ],
    ids=["amount", "reason", "kind", "day"],
)
def test_a_used_key_with_another_entry_is_refused_and_nothing_is_added(personas, budget, change):
    first = add(personas, budget, "purchase", "-12.00", "Shopping.", idempotency_key="q-17")
    entry = {"kind": "purchase", "amount": "-12.00", "reason": "Shopping."} | change
    with pytest.raises(KeyReused) as refused:
        budget_services.ledger_add(
            actor=personas.ana, budget=budget, idempotency_key="q-17", **entry
        )
    assert list(refused.value.message_dict) == ["idempotency_key"]
    assert list(budget.entries.all()) == [first]


def test_a_retry_that_leaves_the_day_out_is_still_a_retry(personas, budget, now):
    """Sent late in the evening without a day ("today"), retried after midnight."""
    first = add(personas, budget, "purchase", "-12.00", "Shopping.", idempotency_key="q-17")
    with time_machine.travel(now + datetime.timedelta(days=1), tick=False):
        again = add(personas, budget, "purchase", "-12.00", "Shopping.", idempotency_key="q-17")
    assert again.pk == first.pk and budget.entries.count() == 1


def test_a_visit_recorded_under_a_key_used_for_a_purchase_is_refused(personas, jansen, budget):
    """The debit would reuse Ana's key for another entry: 422, and the visit stays as
    it was (nothing recorded, nothing debited)."""
    add(personas, budget, "purchase", "-12.00", "Shopping.", idempotency_key="k-9")
    visit = plan(personas.ana, jansen, at("2026-12-07", "08:00"), 45)
    visit = visit_services.visit_start(
        actor=personas.ana, visit=visit, version=visit.version, at=at("2026-12-07", "08:00")
    )
    with pytest.raises(KeyReused):
        visit_services.visit_finish(
            actor=personas.ana, visit=visit, version=visit.version, idempotency_key="k-9"
        )
    visit.refresh_from_db()
    assert visit.status == "in_progress"
    assert budget.entries.count() == 1


def test_a_delivered_visit_debits_once_when_recorded_twice_with_one_key(personas, jansen, budget):
    visit = deliver(personas.ana, jansen, at("2026-12-07", "08:00"), 45, idempotency_key="v-1")
    # The phone's retry: the same recording, with the version it saw then.
    again = visit_services.visit_finish(
        actor=personas.ana,
        visit=visit,
        version=visit.version - 1,
        actual_start=visit.actual_start,
        actual_end=visit.actual_end,
        note="All well.",
        idempotency_key="v-1",
    )
    assert again.pk == visit.pk
    (debit,) = budget.entries.all()
    assert (debit.kind, debit.amount, debit.visit_id) == ("visit_debit", D("-18.38"), visit.pk)
    assert debit.reason == "45 minutes at £24.50 an hour"
    assert current_statement(budget).delivered == D("18.38")


# --- the statement ----------------------------------------------------------------------


def test_a_period_with_mixed_entries_and_corrections_adds_up_to_the_penny(personas, jansen, budget):
    """The four weeks from Tuesday 24 November to Monday 21 December; today is 7 December.

    By hand (rate £24.50 an hour; debits rounded half up to the penny):
      visits delivered   60 min 24.50, 45 min 18.375 -> 18.38, 30 min 12.25, 90 min 36.75
      correction         the 90 was 75 min: 30.625 -> 30.63, so +6.12 back
      delivered          24.50 + 18.38 + 12.25 + 36.75 - 6.12           =  85.76
      other              taxi -20.00, top-up +10.00, taxi correction +5.00 -> 5.00 spent
      remaining          480.00 - 85.76 - 5.00                            = 389.24
      planned            60 min 24.50 + 45 min 18.38 + in progress 30 min 12.25 = 55.13
      projection         pace: 85.76 x 28 / 14 days = 171.52; booked: 85.76 + 55.13 = 140.89
                         480.00 - 5.00 - max(171.52, 140.89)             = 303.48
    Outside the period (not counted): a visit and a purchase on 20 November, a visit on
    22 December, a cancelled visit.
    """
    ana = personas.ana
    # The period before.
    deliver(ana, jansen, at("2026-11-20", "09:00"), 60)
    add(personas, budget, "purchase", "-50.00", "Chair raiser.", on=datetime.date(2026, 11, 20))
    # This period.
    deliver(ana, jansen, at("2026-11-25", "09:00"), 60)
    deliver(ana, jansen, at("2026-11-30", "09:00"), 45)
    deliver(ana, jansen, at("2026-12-02", "09:00"), 30)
    long = deliver(ana, jansen, at("2026-12-05", "09:00"), 90)
    taxi = add(personas, budget, "purchase", "-20.00", "Taxi.", on=datetime.date(2026, 11, 28))
    top_up = add(personas, budget, "adjustment", "10.00", "Top-up.", on=datetime.date(2026, 12, 1))
    fix_taxi = add(
        personas,
        budget,
        "correction",
        "5.00",
        "Receipt: £15.00.",
        corrects=taxi,
        on=datetime.date(2026, 12, 3),
    )
    add(
        personas,
        budget,
        "correction",
        "6.12",
        "75 minutes, not 90.",
        corrects=long.ledger_entries.get(),
        on=datetime.date(2026, 12, 6),
    )
    # Still to come, or under way.
    plan(ana, jansen, at("2026-12-09", "09:00"), 60)
    plan(ana, jansen, at("2026-12-14", "09:00"), 45)
    going = plan(ana, jansen, at("2026-12-07", "17:00"), 30)
    visit_services.visit_start(actor=ana, visit=going, version=going.version)
    cancelled = plan(ana, jansen, at("2026-12-10", "09:00"), 60)
    visit_services.visit_cancel(actor=ana, visit=cancelled, version=cancelled.version)
    plan(ana, jansen, at("2026-12-22", "09:00"), 60)

    s = statement(budget, datetime.date(2026, 11, 24), datetime.date(2026, 12, 7))

    assert s.period_end == datetime.date(2026, 12, 21)
    assert s.allocated == D("480.00")
    assert s.delivered == D("85.76")
    assert s.other == D("5.00")
    assert s.other_entries == (taxi, top_up, fix_taxi)
    assert s.remaining == D("389.24")
    assert s.planned == D("55.13")
    assert s.projected_remaining == D("303.48")
    # The ledger itself agrees: allocation plus the period's signed entries.
    period = budget.entries.filter(on__range=(s.period_start, s.period_end))
    assert s.allocated + sum(e.amount for e in period) == s.remaining
    assert s.in_words == (
        "£389.24 of your £480.00 for this four-week period is left."
        " At the current pace you will have about £303.48 left on 21 December."
    )
    for figure in (s.allocated, s.delivered, s.other, s.remaining, s.planned):
        assert figure.as_tuple().exponent == -2

    earlier = statement(budget, datetime.date(2026, 10, 27), datetime.date(2026, 12, 7))
    # 480.00 - 24.50 - 50.00
    assert (earlier.delivered, earlier.other, earlier.remaining) == (
        D("24.50"),
        D("50.00"),
        D("405.50"),
    )
    assert earlier.planned == D("0.00")
    assert earlier.in_words == (
        "£405.50 of your £480.00 for the four-week period to 23 November was left."
    )
    assert current_statement(budget).period_start == datetime.date(2026, 11, 24)


def test_when_booked_visits_outrun_the_pace_the_projection_says_so(personas, jansen):
    """Weekly £100.00 at £20.00 an hour from Sunday 6 December; today is day 2 of 7.

    delivered 1 hour = 20.00; pace 20.00 x 7 / 2 = 70.00; booked 20.00 + 5 x 20.00 = 120.00
    projection 100.00 - 120.00 = -20.00 (overspent by £20.00 on Saturday 12 December).
    """
    weekly = create(
        personas,
        jansen,
        kind="self_funded",
        period="weekly",
        allocation="100.00",
        hourly_rate="20.00",
        starts=datetime.date(2026, 12, 6),
    )
    deliver(personas.ana, jansen, at("2026-12-07", "09:00"), 60)
    for day in range(8, 13):
        plan(personas.ana, jansen, at(f"2026-12-{day:02d}", "09:00"), 60)
    s = statement(weekly, datetime.date(2026, 12, 6), datetime.date(2026, 12, 7))
    assert (s.delivered, s.planned, s.remaining, s.projected_remaining) == (
        D("20.00"),
        D("100.00"),
        D("80.00"),
        D("-20.00"),
    )
    assert s.in_words == (
        "£80.00 of your £100.00 for this week is left. At the current pace you will have"
        " spent about £20.00 more than your budget by 12 December."
    )


def test_an_overspent_period_is_said_plainly(personas, jansen):
    small = create(
        personas,
        jansen,
        period="weekly",
        allocation="30.00",
        hourly_rate="20.00",
        starts=datetime.date(2026, 11, 30),
    )
    deliver(personas.ana, jansen, at("2026-12-01", "09:00"), 60)
    deliver(personas.ana, jansen, at("2026-12-03", "09:00"), 60)
    s = statement(small, datetime.date(2026, 11, 30), datetime.date(2026, 12, 7))
    assert s.remaining == D("-10.00")
    assert s.in_words == "You spent £10.00 more than your £30.00 for the week to 6 December."


def test_periods_count_from_the_budget_start(personas, jansen):
    yearly = create(personas, jansen, period="yearly", starts=datetime.date(2024, 2, 29))
    assert yearly.period_start_for(datetime.date(2026, 12, 7)) == datetime.date(2026, 3, 1)
    assert yearly.period_last_day(datetime.date(2024, 2, 29)) == datetime.date(2025, 2, 28)
    weekly = create(personas, jansen, period="weekly", starts=datetime.date(2026, 11, 2))
    assert weekly.period_start_for(datetime.date(2026, 12, 7)) == datetime.date(2026, 12, 7)
    assert weekly.period_start_for(datetime.date(2026, 12, 6)) == datetime.date(2026, 11, 30)
    assert weekly.period_last_day(datetime.date(2026, 11, 30)) == datetime.date(2026, 12, 6)


def test_a_statement_takes_a_fixed_number_of_queries(
    personas, jansen, budget, django_assert_num_queries
):
    for day in (25, 26, 27):
        deliver(personas.ana, jansen, at(f"2026-11-{day}", "09:00"), 30)
        plan(personas.ana, jansen, at(f"2026-12-{day - 10}", "09:00"), 30)
    add(personas, budget, "purchase", "-4.00", "Milk.")
    with django_assert_num_queries(2):
        s = statement(budget, datetime.date(2026, 11, 24), NOW.date())
    assert s.delivered == D("36.75")
    assert Visit.objects.filter(status="planned").count() == 3
