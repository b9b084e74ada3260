"""Shared team figures: only the informer shares, a month that has ended, never
silently overwritten; the network sees shares side by side with their median and
nothing a team has not shared; coaches read them, inspectors and clients do not.

The tests' "now" is Friday 10 April 2026, noon in London: March has ended.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from care.figures.compute import METHOD_VERSION
from care.figures.periods import month
from care.figures.selectors import median_of, network_figures
from care.figures.services import share_figures
from care.models import SharedFigures, Visit
from coordination.events import NETWORK_STREAM, EventRecord
from teams.models import AuditEntry, Membership, Role, RoleTerm
from tests.doors import api
from tests.factories import (
    ClientFactory,
    OutcomeRatingFactory,
    PlanProblemFactory,
    TeamFactory,
    VisitFactory,
    member,
)

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Europe/London")
NOW = datetime.datetime(2026, 4, 10, 12, 0, tzinfo=TZ)
API = "/api/v1"

# Noord's March, worked out by hand from the ``world`` below: client Anna, two visits
# done by ana (on time; 30 and 60 minutes) and one missed; one problem rated from
# K2 B2 S2 to K3 B3 S2.
NOORD_MARCH = {
    # 2 done of 3 planned: 66.67% -> 66.7.
    "visits_delivered": {"value": "66.7", "numerator": 2, "denominator": 3, "clients": 1},
    # 90 minutes for 1 client: 1.5 hours.
    "hours_per_client": {"value": "1.5", "numerator": 90, "denominator": 1, "clients": 1},
    "carers_per_client": {"value": "1.0", "numerator": 1, "denominator": 1, "clients": 1},
    "top_two_share": {"value": "100.0", "numerator": 2, "denominator": 2, "clients": 1},
    "knowledge_change": {"value": "1.00", "numerator": 1, "denominator": 1, "clients": 1},
    "behavior_change": {"value": "1.00", "numerator": 1, "denominator": 1, "clients": 1},
    "status_change": {"value": "0.00", "numerator": 0, "denominator": 1, "clients": 1},
    "problems_improved": {"value": "100.0", "numerator": 1, "denominator": 1, "clients": 1},
}


def at(day: str, clock: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=TZ)


def done(client, day, carer, minutes, status="done") -> Visit:
    return VisitFactory(
        client=client,
        window_start=at(day, "09:00"),
        assignee=carer if status == "done" else None,
        status=status,
        late=5,
        minutes=minutes,
    )


def informer(team, person, starts=datetime.date(2026, 1, 1), **fields) -> RoleTerm:
    return RoleTerm.objects.create(
        role=Role.objects.get(team=team, key=Role.INFORMER),
        person=person,
        starts=starts,
        ends=datetime.date(2026, 12, 31),
        **fields,
    )


def build(personas):
    """Noord (ana its informer) with March's figures worked out above; Zuid (cas its
    informer) with figures of its own, unshared."""
    w = personas
    w.term = informer(w.noord, w.ana)
    informer(w.zuid, w.cas)
    w.anna = ClientFactory(team=w.noord, first_name="Anna", last_name="Aa")
    done(w.anna, "2026-03-02", w.ana, 30)
    done(w.anna, "2026-03-03", w.ana, 60)
    done(w.anna, "2026-03-04", None, 0, status="missed")
    w.problem = PlanProblemFactory(plan__client=w.anna, added_by=w.ana)
    for day, k, b, s in (("2026-03-02", 2, 2, 2), ("2026-03-28", 3, 3, 2)):
        OutcomeRatingFactory(
            plan_problem=w.problem,
            knowledge=k,
            behavior=b,
            status=s,
            rated_on=datetime.date.fromisoformat(day),
            rated_by=w.ana,
        )
    # Zuid has figures of its own for March, which it has not shared.
    w.zus = ClientFactory(team=w.zuid, first_name="Zus", last_name="Zet")
    for day in ("2026-03-05", "2026-03-06", "2026-03-07"):
        done(w.zus, day, w.cas, 47)
    return w


@pytest.fixture
def world(personas):
    with time_machine.travel(NOW, tick=False):
        yield build(personas)


def post_share(person, team, period="2026-03"):
    return api(person).post(f"{API}/teams/{team.pk}/figures", {"period": period}, format="json")


def error(response) -> tuple[int, str, dict]:
    body = response.json()
    assert set(body) == {"message", "extra"}, body
    return response.status_code, body["message"], body["extra"].get("fields", {})


# --- sharing ---------------------------------------------------------------------------------


def test_the_informer_shares_march_and_the_network_hears_of_it(world):
    response = post_share(world.ana, world.noord)
    assert response.status_code == 201, response.json()
    body = response.json()
    share = SharedFigures.objects.get()
    assert body["id"] == share.pk
    assert (body["team"], body["period"], body["version"], body["current"]) == (
        world.noord.pk,
        "2026-03",
        1,
        True,
    )
    assert body["shared_by"] == {"id": world.ana.pk, "name": world.ana.display_name}
    assert body["method_version"] == METHOD_VERSION
    assert body["figures"] == NOORD_MARCH
    assert share.figures == NOORD_MARCH
    assert (share.shared_by, share.supersedes, share.current) == (world.ana, None, True)
    # Exactly what the network feed listens for, on the network's stream, once.
    events = list(EventRecord.objects.filter(type="figures.shared"))
    assert [(e.stream, e.data, e.actor_id) for e in events] == [
        (
            NETWORK_STREAM,
            {"team": world.noord.pk, "period": "2026-03", "shared_figures": share.pk},
            world.ana.pk,
        )
    ]
    audit = AuditEntry.objects.get(action="figures.shared")
    assert (audit.actor, audit.target) == (world.ana, f"care.sharedfigures:{share.pk}")


def test_a_member_who_is_not_the_informer_is_refused_and_told_who_is(world):
    status, message, _fields = error(post_share(world.ben, world.noord))
    assert status == 403
    assert message == "Only the team's informer shares its figures: that is Ana de Vries now."
    assert not SharedFigures.objects.exists()
    assert not EventRecord.objects.filter(type="figures.shared").exists()


def test_without_an_informer_nobody_shares(world):
    RoleTerm.objects.filter(pk=world.term.pk).update(ended=datetime.date(2026, 4, 1))
    status, message, _ = error(post_share(world.ana, world.noord))
    assert status == 403
    assert "nobody holds the informer role now" in message
    # A term that has not begun yet is not held either.
    informer(world.noord, world.ben, starts=datetime.date(2026, 5, 1))
    assert error(post_share(world.ben, world.noord))[0] == 403
    assert not SharedFigures.objects.exists()


def test_an_informer_who_left_the_team_no_longer_shares(world):
    Membership.objects.filter(person=world.ana, team=world.noord).update(
        left=datetime.date(2026, 4, 9)
    )
    # No longer a member: the team is not hers to reach at all.
    assert post_share(world.ana, world.noord).status_code == 404
    assert not SharedFigures.objects.exists()


def test_sharing_again_unchanged_is_refused_and_changed_is_a_new_version(world):
    first = post_share(world.ana, world.noord).json()
    status, _message, fields = error(post_share(world.ana, world.noord))
    assert status == 400
    assert fields["period"] == [
        "The figures for March 2026 were shared by Ana de Vries on 10 April 2026 and have"
        " not changed since."
    ]
    assert SharedFigures.objects.count() == 1
    # A visit of 9 March recorded late: 3 done of 4 planned, 120 minutes.
    done(world.anna, "2026-03-09", world.ben, 30)
    second = post_share(world.ana, world.noord)
    assert second.status_code == 201
    body = second.json()
    assert (body["version"], body["supersedes"], body["current"]) == (2, first["id"], True)
    # 3 of 4 = 75.0%; 30 + 60 + 30 = 120 minutes, 2.0 hours; carers ana and ben: 2.0.
    assert body["figures"]["visits_delivered"] == {
        "value": "75.0",
        "numerator": 3,
        "denominator": 4,
        "clients": 1,
    }
    assert body["figures"]["hours_per_client"]["value"] == "2.0"
    assert body["figures"]["carers_per_client"]["value"] == "2.0"
    # The first version is kept as it was, no longer current.
    old = SharedFigures.objects.get(pk=first["id"])
    assert (old.current, old.figures) == (False, NOORD_MARCH)
    # The network shows the new version only; the team's list shows both.
    network = api(world.cas).get(f"{API}/figures?period=2026-03").json()
    assert [t["id"] for t in network["teams"]] == [body["id"]]
    listed = api(world.ben).get(f"{API}/teams/{world.noord.pk}/figures").json()
    assert [(s["version"], s["current"]) for s in listed] == [(2, True), (1, False)]
    assert EventRecord.objects.filter(type="figures.shared").count() == 2


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2026-13", "Not a period"),
        ("13-2026", "Not a period"),
        ("2026-Q1", "not a quarter"),
        ("2026-05", "has not begun yet"),
        ("2026-04", "April 2026 is not over yet"),
        ("", "Required"),
    ],
)
def test_a_bad_period_is_refused_with_a_field_message(world, period, message):
    status, _message, fields = error(post_share(world.ana, world.noord, period))
    assert status == 400
    assert message in fields["period"][0]
    assert not SharedFigures.objects.exists()


def test_a_share_without_a_period_says_which_field(world):
    response = api(world.ana).post(f"{API}/teams/{world.noord.pk}/figures", {}, format="json")
    status, _message, fields = error(response)
    assert (status, list(fields)) == (400, ["period"])


# --- who reads what ----------------------------------------------------------------------------


def test_outsiders_reach_none_of_a_teams_own_figures(world, outsiders):
    noord = world.noord.pk
    for who, person in outsiders.items():
        client = api(person)
        for response in (
            client.get(f"{API}/teams/{noord}/indicators?period=2026-03"),
            client.get(f"{API}/teams/{noord}/figures"),
            client.post(f"{API}/teams/{noord}/figures", {"period": "2026-03"}, format="json"),
        ):
            assert response.status_code == 404, (who, response.json())
    for response in (
        api().get(f"{API}/teams/{noord}/indicators?period=2026-03"),
        api().post(f"{API}/teams/{noord}/figures", {"period": "2026-03"}, format="json"),
        api().get(f"{API}/figures?period=2026-03"),
    ):
        assert response.status_code == 401
    assert not SharedFigures.objects.exists()


def test_the_network_reads_shares_and_inspectors_and_clients_do_not(world, personas):
    share_figures(actor=world.ana, team=world.noord, period="2026-03")
    for person in (world.ana, world.ben, world.cas, personas.coach):
        response = api(person).get(f"{API}/figures?period=2026-03")
        assert response.status_code == 200, person
        assert [t["team"] for t in response.json()["teams"]] == [world.noord.pk]
    for person in (personas.inspector, personas.mrs_jansen, personas.daughter):
        status, message, _ = error(api(person).get(f"{API}/figures?period=2026-03"))
        assert status == 403
        assert "Inspectors read published snapshots" in message


def test_what_a_team_has_not_shared_is_invisible_to_other_teams(world):
    share_figures(actor=world.ana, team=world.noord, period="2026-03")
    # Zuid's March (3 visits of 47 minutes: 2.4 hours) is not shared.
    ana_sees = api(world.ana).get(f"{API}/figures?period=2026-03")
    assert [t["team_name"] for t in ana_sees.json()["teams"]] == ["Noord"]
    assert [o["team_name"] for o in ana_sees.json()["own"]] == ["Noord"]
    assert "Zuid" not in ana_sees.content.decode()
    assert '"2.4"' not in ana_sees.content.decode()
    # Zuid's own members see their own figures, marked unshared, beside Noord's.
    cas_sees = api(world.cas).get(f"{API}/figures?period=2026-03").json()
    assert [t["team_name"] for t in cas_sees["teams"]] == ["Noord"]
    (own,) = cas_sees["own"]
    assert (own["team_name"], own["shared"], own["changed_since_shared"]) == ("Zuid", False, False)
    assert own["informer"] == {"id": world.cas.pk, "name": world.cas.display_name}
    # 141 minutes for one client: 2.35 hours -> 2.4.
    assert own["figures"]["hours_per_client"]["value"] == "2.4"
    # The median is over shared teams only: Noord's figures alone.
    assert cas_sees["median"]["hours_per_client"] == "1.5"
    assert cas_sees["median_of"]["hours_per_client"] == 1
    # A coach has no team of their own to see.
    assert api(world.coach).get(f"{API}/figures?period=2026-03").json()["own"] == []


def test_a_teams_own_indicators_for_its_members(world):
    response = api(world.ben).get(f"{API}/teams/{world.noord.pk}/indicators?period=2026-Q1")
    assert response.status_code == 200
    body = response.json()
    assert (body["team"], body["period"], body["method_version"]) == (
        world.noord.pk,
        "2026-Q1",
        METHOD_VERSION,
    )
    indicators = {i["key"]: i for i in body["indicators"]}
    assert list(indicators)[:3] == ["clients_served", "visits_delivered", "punctuality"]
    # The quarter holds only March's visits here: 2 of 3.
    assert indicators["visits_delivered"] == {
        "key": "visits_delivered",
        "label": "Visits delivered against planned",
        "unit": "%",
        "value": "66.7",
        "numerator": 2,
        "denominator": 3,
        "clients": 1,
    }
    assert indicators["members_joined"]["clients"] is None
    assert body["outcomes_by_problem"] == [
        {
            "problem": 42,
            "problems": 1,
            "clients": 1,
            "knowledge_change": "1.00",
            "behavior_change": "1.00",
            "status_change": "0.00",
            "improved": 1,
        }
    ]


@pytest.mark.parametrize(
    ("query", "message", "network_message"),
    [
        ("", "Required", "Required"),
        ("?period=2026-3", "Not a period", "Not a period"),
        ("?period=2026-05", "has not begun yet", "has not begun yet"),
        # The network's figures are shared by month: a quarter is refused there.
        ("?period=2026-Q3", "has not begun yet", "not a quarter"),
        ("?period=2026-Q1", None, "not a quarter"),
    ],
)
def test_bad_periods_for_the_readings(world, query, message, network_message):
    response = api(world.ana).get(f"{API}/teams/{world.noord.pk}/indicators{query}")
    if message is None:
        assert response.status_code == 200
    else:
        status, _m, fields = error(response)
        assert (status, message in fields["period"][0]) == (400, True), fields
    status, _m, fields = error(api(world.ana).get(f"{API}/figures{query}"))
    assert (status, network_message in fields["period"][0]) == (400, True), fields


# --- the median -----------------------------------------------------------------------------


def _share(team, person, **values):
    """A share with the given values (others none), as a team would have made it."""
    figures = {
        key: {"value": None, "numerator": 0, "denominator": 0, "clients": 0} for key in NOORD_MARCH
    }
    for key, value in values.items():
        figures[key] = {"value": value, "numerator": 1, "denominator": 1, "clients": 5}
    return SharedFigures.objects.create(
        team=team, period="2026-03", figures=figures, method_version="1", shared_by=person
    )


def test_the_median_by_hand(world):
    oost = TeamFactory(name="Oost", slug="oost")
    west = TeamFactory(name="West", slug="west")
    mila, wim = member("mila", oost), member("wim", west)
    _share(world.noord, world.ana, hours_per_client="2.1", top_two_share="80.0")
    _share(world.zuid, world.cas, hours_per_client="3.5", top_two_share="90.0")
    _share(oost, mila, hours_per_client="0.5", top_two_share=None)
    figures = network_figures(month(2026, 3))
    # Hours: 0.5, 2.1, 3.5 -> the middle one, 2.1. Top two: 80.0 and 90.0 (Oost has
    # none) -> (80.0 + 90.0) / 2 = 85.0. Nothing for knowledge: no median.
    assert figures.median["hours_per_client"] == Decimal("2.1")
    assert figures.counted["hours_per_client"] == 3
    assert figures.median["top_two_share"] == Decimal("85.0")
    assert figures.counted["top_two_share"] == 2
    assert figures.median["knowledge_change"] is None
    assert [row.team.name for row in figures.rows] == ["Noord", "Oost", "Zuid"]
    # A fourth team: 0.5, 2.1, 3.5, 4.0 -> (2.1 + 3.5) / 2 = 2.8. A replaced version
    # of West (current no more) does not count.
    old = _share(west, wim, hours_per_client="99.0")
    SharedFigures.objects.filter(pk=old.pk).update(current=False)
    SharedFigures.objects.create(
        team=west,
        period="2026-03",
        version=2,
        supersedes=old,
        figures={
            **old.figures,
            "hours_per_client": {**old.figures["hours_per_client"], "value": "4.0"},
        },
        method_version="1",
        shared_by=wim,
    )
    assert network_figures(month(2026, 3)).median["hours_per_client"] == Decimal("2.8")
    # Through the API: the median as text, with how many teams it is over.
    body = api(world.ben).get(f"{API}/figures?period=2026-03").json()
    assert (body["median"]["hours_per_client"], body["median_of"]["hours_per_client"]) == (
        "2.8",
        4,
    )
    assert body["median"]["knowledge_change"] is None


def test_median_of_values():
    assert median_of([]) == (None, 0)
    assert median_of([None, None]) == (None, 0)
    assert median_of([Decimal("1.0"), None, Decimal("3.0")]) == (Decimal("2.0"), 2)


# --- shares are kept as they were ---------------------------------------------------------------


def test_a_share_is_never_changed_or_deleted(world):
    share = share_figures(actor=world.ana, team=world.noord, period="2026-03")
    share.figures = {"hours_per_client": {"value": "9.9"}}
    with pytest.raises(ValueError, match="never changed"):
        share.save()
    with pytest.raises(ValueError, match="never changed"):
        SharedFigures.objects.filter(pk=share.pk).update(figures={})
    with pytest.raises(ValueError, match="never deleted"):
        share.delete()
    with pytest.raises(ValueError, match="never deleted"):
        SharedFigures.objects.all().delete()
    assert SharedFigures.objects.get().figures == NOORD_MARCH


def test_one_current_share_per_team_and_month_in_the_database(world):
    share_figures(actor=world.ana, team=world.noord, period="2026-03")
    with pytest.raises(IntegrityError), transaction.atomic():
        SharedFigures.objects.create(
            team=world.noord,
            period="2026-03",
            version=2,
            supersedes=SharedFigures.objects.get(),
            figures={},
            method_version="1",
            shared_by=world.ana,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        SharedFigures.objects.create(
            team=world.zuid, period="2026-Q1", figures={}, method_version="1", shared_by=world.cas
        )


# --- query counts ---------------------------------------------------------------------------


def test_reading_the_network_takes_the_same_queries_however_many_shared(world):
    def count(path, person) -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api(person).get(path).status_code == 200
        return len(queries)

    share_figures(actor=world.ana, team=world.noord, period="2026-03")
    network = f"{API}/figures?period=2026-03"
    listing = f"{API}/teams/{world.noord.pk}/figures"
    indicators = f"{API}/teams/{world.noord.pk}/indicators?period=2026-03"
    small = (count(network, world.ben), count(listing, world.ben), count(indicators, world.ben))
    for n in range(6):
        team = TeamFactory(name=f"Team {n}", slug=f"team-x{n}")
        person = member(f"informer-{n}", team)
        informer(team, person)
        client = ClientFactory(team=team, first_name="C", last_name=str(n))
        done(client, "2026-03-02", person, 30 + n)
        share_figures(actor=person, team=team, period="2026-03")
    done(world.anna, "2026-03-10", world.ben, 40)
    share_figures(actor=world.ana, team=world.noord, period="2026-03")
    done(world.anna, "2026-02-10", world.ben, 40)
    share_figures(actor=world.ana, team=world.noord, period="2026-02")
    large = (count(network, world.ben), count(listing, world.ben), count(indicators, world.ben))
    assert small == large
    assert len(api(world.ben).get(network).json()["teams"]) == 7
