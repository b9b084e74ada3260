"""The tick keeps repeating visits generated four weeks ahead, once a day, idempotently."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from care.models import Client, Visit
from care.services import visits as visit_services
from care.services.schedule import series_generate_due
from tests.care.visit_helpers import TZ
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

# Tuesday 1 December 2026, 06:00 in London.
MORNING = datetime.datetime(2026, 12, 1, 6, 0, tzinfo=TZ)
TODAY = MORNING.date()


def series(personas, client, **fields):
    values = {
        "weekdays": [0, 2, 4],  # Monday, Wednesday, Friday
        "window_start": datetime.time(8, 0),
        "window_end": datetime.time(9, 0),
        "expected_minutes": 30,
        "starts": TODAY,
        "preferred_carers": [personas.ana],
    }
    return visit_services.series_create(actor=personas.ana, client=client, **{**values, **fields})


def mwf_days(first: datetime.date, last: datetime.date) -> list[datetime.date]:
    days = []
    day = first
    while day <= last:
        if day.weekday() in (0, 2, 4):
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


@pytest.fixture
def client(personas):
    return ClientFactory(
        team=personas.noord, first_name="Wilma", last_name="Jansen", status=Client.Status.ACTIVE
    )


def test_the_tick_generates_four_weeks_ahead_and_a_second_pass_adds_nothing(personas, client):
    made = series(personas, client)
    out = StringIO()
    with time_machine.travel(MORNING, tick=False):
        call_command("tick", stdout=out)
    expected = mwf_days(TODAY, TODAY + datetime.timedelta(days=28))
    dates = sorted(made.visits.values_list("series_date", flat=True))
    assert dates == expected
    assert f"{len(expected)} visit(s) generated from series" in out.getvalue()
    first = made.visits.order_by("series_date").first()
    assert first.window_start == datetime.datetime(2026, 12, 2, 8, 0, tzinfo=TZ)
    assert list(first.preferred_carers.all()) == [personas.ana]
    with time_machine.travel(MORNING, tick=False):
        assert series_generate_due() == 0
    assert made.visits.count() == len(expected)
    # A week later the horizon has moved a week: exactly the new days are added.
    week_later = TODAY + datetime.timedelta(days=7)
    added = series_generate_due(today=week_later)
    assert added == len(
        mwf_days(TODAY + datetime.timedelta(days=29), week_later + datetime.timedelta(days=28))
    )


def test_only_active_current_series_of_clients_in_care(personas, client):
    ended = series(personas, client, starts=TODAY - datetime.timedelta(days=30))
    ended.ends = TODAY - datetime.timedelta(days=1)
    ended.save()
    stopped = series(personas, client)
    stopped.active = False
    stopped.save()
    later = series(personas, client, starts=TODAY + datetime.timedelta(days=60))
    gone = ClientFactory(
        team=personas.noord, first_name="Kees", last_name="Smit", status=Client.Status.ACTIVE
    )
    for_gone = series(personas, gone)
    Client.objects.filter(pk=gone.pk).update(status=Client.Status.DISCHARGED)
    with time_machine.travel(MORNING, tick=False):
        assert series_generate_due() == 0
    for each in (ended, stopped, later, for_gone):
        assert not each.visits.exists()


def test_a_series_that_fails_does_not_stop_the_others(personas, client, monkeypatch, caplog):
    first = series(personas, client)
    second = series(
        personas, client, window_start=datetime.time(18, 0), window_end=datetime.time(19, 0)
    )
    real = visit_services.series_generate

    def flaky(*, series, until, actor=None):
        if series.pk == first.pk:
            raise RuntimeError("disk full")
        return real(series=series, until=until, actor=actor)

    monkeypatch.setattr("care.services.schedule.series_generate", flaky)
    with time_machine.travel(MORNING, tick=False):
        created = series_generate_due()
    assert created == second.visits.count() > 0
    assert not first.visits.exists()
    assert f"Could not generate the visits of series {first.pk}" in caplog.text
    assert Visit.objects.filter(series=second).count() == created


def test_the_daily_pass_also_forgets_old_idempotency_keys(personas):
    from config.models import IdempotentRequest

    old = IdempotentRequest.objects.create(
        person=personas.ana, key="k-old", fingerprint="f", status_code=201, body=b"{}"
    )
    IdempotentRequest.objects.filter(pk=old.pk).update(created=MORNING - datetime.timedelta(days=2))
    young = IdempotentRequest.objects.create(
        person=personas.ana, key="k-young", fingerprint="f", status_code=201, body=b"{}"
    )
    IdempotentRequest.objects.filter(pk=young.pk).update(
        created=MORNING - datetime.timedelta(hours=1)
    )
    with time_machine.travel(MORNING, tick=False):
        call_command("tick", stdout=StringIO())
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["k-young"]
