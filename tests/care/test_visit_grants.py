"""A helper from another team and the one visit lent to them: they see that visit and
only what it needs of the client, every read in the client's access log, and nothing
once the visit is done or the grant has ended or expired. They never read the record."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext

from care import access
from care.models import (
    AccessLogEntry,
    Client,
    DiaryNote,
    OmahaCategory,
    OmahaTarget,
    PlanIntervention,
    Visit,
    VisitGrant,
)
from care.selectors import clients as client_selectors
from care.selectors import grants
from care.services import visits as visit_services
from coordination.events import EventRecord
from teams.errors import Conflict
from teams.models import AuditEntry, Membership
from tests.care.visit_helpers import at, intervention, jansen_client, plan
from tests.doors import api

pytestmark = pytest.mark.django_db

API = "/api/v1"
DAY = "2026-12-08"
MORNING = at(DAY, "07:30")


def browser(person) -> Browser:
    b = Browser()
    b.force_login(person)
    return b


@pytest.fixture
def w(personas):
    """Mrs Jansen (Noord): her 09:00 is lent to Cas (Zuid) until 14:00; her 12:00 is
    not. Her plan has two interventions; the 09:00 carries one of them."""
    with time_machine.travel(MORNING, tick=False):
        p = personas
        p.client = jansen_client(p)
        Client.objects.filter(pk=p.client.pk).update(
            address="Ceintuurbaan 118", postcode="7413 EW", phone="0570 123456"
        )
        p.client.refresh_from_db()
        p.linked = intervention(p.client, p.ana)
        p.unlinked = PlanIntervention.objects.create(
            plan_problem=p.linked.plan_problem,
            category=OmahaCategory.objects.order_by("number").last(),
            target=OmahaTarget.objects.order_by("number").last(),
            description="Talk through the personal budget with her daughter.",
            frequency="monthly",
        )
        p.visit = plan(p.ana, p.client, at(DAY, "09:00"), interventions=[p.linked])
        p.other = plan(p.ana, p.client, at(DAY, "12:00"))
        DiaryNote.objects.create(client=p.client, author=p.ana, body="Wilma's son visits on Sunday")
        p.grant = visit_services.visit_lend(
            actor=p.ana,
            visit=p.visit,
            helper=p.cas,
            version=1,
            expires_at=at(DAY, "14:00"),
            reason="help request 1",
        )
        p.visit.refresh_from_db()
        yield p


def log_rows(w) -> list[tuple]:
    return list(
        AccessLogEntry.objects.filter(client=w.client, person=w.cas)
        .order_by("pk")
        .values_list("what", "why", "channel")
    )


def test_lending_assigns_the_visit_and_grants_it_in_one_change(w):
    assert (w.visit.status, w.visit.assignee, w.visit.version) == ("assigned", w.cas, 2)
    assert (w.grant.person, w.grant.granted_by, w.grant.reason) == (w.cas, w.ana, "help request 1")
    (event,) = EventRecord.objects.filter(type="visit.lent", stream=w.noord.stream)
    assert event.data == {
        "visit": w.visit.pk,
        "client": w.client.pk,
        "version": 2,
        "assignee": w.cas.pk,
        "status": "assigned",
        "grant": w.grant.pk,
        "expires_at": at(DAY, "14:00").isoformat(),
    }
    assert EventRecord.objects.filter(type="visit.lent", stream=w.client.stream("visits")).exists()
    assert AuditEntry.objects.filter(action="visit.lent", actor=w.ana).count() == 1


def test_a_helper_from_another_team_sees_only_the_visit_they_were_granted_and_nothing_after_it_ends(
    w,
):
    with time_machine.travel(at(DAY, "08:00"), tick=False):
        seen = grants.granted_visit(w.cas, w.visit.pk)
        assert seen is not None
        assert (seen.client_name, seen.address, seen.postcode, seen.phone) == (
            "Wilma Jansen",
            "Ceintuurbaan 118",
            "7413 EW",
            "0570 123456",
        )
        assert seen.visit.tasks == "Help with washing and breakfast."
        assert seen.interventions == [w.linked]
        assert seen.team == w.noord
        # The other visit of the same client is not his, nor is anything else.
        assert grants.granted_visit(w.cas, w.other.pk) is None
        assert api(w.cas).get(f"{API}/granted-visits/{w.other.pk}").status_code == 404
        page = browser(w.cas).get(f"/help/visits/{w.visit.pk}/")
        assert page.status_code == 200
        html = page.content.decode()
        assert "Ceintuurbaan 118" in html and "tablets in the dosette box" in html
        for secret in (w.unlinked.description, "son visits on Sunday", "12:00"):
            assert secret not in html
        body = api(w.cas).get(f"{API}/granted-visits/{w.visit.pk}").content.decode()
        assert w.unlinked.description not in body and "Sunday" not in body
    # He starts and finishes it; the grant ends with it, in the same transaction.
    with time_machine.travel(at(DAY, "09:02"), tick=False):
        visit = visit_services.visit_start(actor=w.cas, visit=w.visit, version=2)
    with time_machine.travel(at(DAY, "09:50"), tick=False):
        visit = visit_services.visit_finish(actor=w.cas, visit=visit, version=3, note="Fine")
        assert visit.status == "done"
        w.grant.refresh_from_db()
        assert w.grant.ended_at == at(DAY, "09:50")
        assert grants.granted_visit(w.cas, w.visit.pk) is None
        assert api(w.cas).get(f"{API}/granted-visits/{w.visit.pk}").status_code == 404
        assert browser(w.cas).get(f"/help/visits/{w.visit.pk}/").status_code == 404
        assert not access.can_help_with_visit(w.cas, w.visit)
    # Every read through the grant was logged for Mrs Jansen, and only those.
    assert log_rows(w) == [
        ("visit of 8 Dec 09:00 (what it needs)", "helping team Noord with a visit", "page"),
        ("visit of 8 Dec 09:00 (what it needs)", "helping team Noord with a visit", "page"),
        ("visit of 8 Dec 09:00 (what it needs)", "helping team Noord with a visit", "api"),
    ]


def test_the_client_reads_the_helpers_reads_in_her_access_log(w):
    with time_machine.travel(at(DAY, "08:00"), tick=False):
        api(w.cas).get(f"{API}/granted-visits/{w.visit.pk}")
    log = api(w.mrs_jansen).get(f"{API}/clients/{w.client.pk}/access-log")
    assert log.status_code == 200
    text = log.content.decode()
    assert "helping team Noord with a visit" in text
    assert "Cas" in text


def test_after_the_grant_expires_the_helper_sees_nothing_and_can_do_nothing(w):
    with time_machine.travel(at(DAY, "14:00"), tick=False):
        assert grants.granted_visit(w.cas, w.visit.pk) is None
        assert api(w.cas).get(f"{API}/granted-visits/{w.visit.pk}").status_code == 404
        before = (Visit.objects.get(pk=w.visit.pk).version, EventRecord.objects.count())
        with pytest.raises(PermissionDenied):
            visit_services.visit_start(actor=w.cas, visit=w.visit, version=2)
        response = api(w.cas).post(
            f"{API}/granted-visits/{w.visit.pk}/start", {}, format="json", headers={"If-Match": "2"}
        )
        assert response.status_code == 404
        assert (Visit.objects.get(pk=w.visit.pk).version, EventRecord.objects.count()) == before
    assert log_rows(w) == []


def test_an_expired_grant_stops_a_helper_who_started_in_time_from_finishing(w):
    with time_machine.travel(at(DAY, "09:00"), tick=False):
        visit_services.visit_start(actor=w.cas, visit=w.visit, version=2)
    with time_machine.travel(at(DAY, "14:01"), tick=False):
        with pytest.raises(PermissionDenied):
            visit_services.visit_finish(actor=w.cas, visit=w.visit, version=3)
        # The team records it instead, as for any visit.
        visit_services.visit_finish(actor=w.ana, visit=w.visit, version=3)


@pytest.mark.parametrize("how", ["cancelled", "missed", "reassigned"])
def test_cancelling_marking_missed_or_reassigning_ends_the_grant(w, how):
    with time_machine.travel(at(DAY, "09:30"), tick=False):
        if how == "cancelled":
            visit_services.visit_cancel(actor=w.ana, visit=w.visit, version=2, reason="In hospital")
        elif how == "missed":
            visit_services.visit_mark_missed(actor=w.ana, visit=w.visit, version=2)
        else:
            visit_services.visit_assign(actor=w.ana, visit=w.visit, person=w.ben, version=2)
        w.grant.refresh_from_db()
        assert w.grant.ended_at is not None
        assert grants.granted_visit(w.cas, w.visit.pk) is None
        assert not access.can_help_with_visit(w.cas, w.visit.pk)


API_RECORD = [
    "clients/{client}",
    "clients/{client}/plan",
    "clients/{client}/network",
    "clients/{client}/visits",
    "clients/{client}/budget",
    "clients/{client}/access-log",
    "teams/{noord}/clients",
    "teams/{noord}/board",
]
PAGES = [
    "/clients/{client}/",
    "/clients/{client}/sections/plan/",
    "/clients/{client}/sections/visits/",
    "/clients/{client}/sections/budget/",
    "/teams/noord/board/",
    "/teams/noord/clients/",
    "/portal/clients/{client}/",
]


def at_stage(w, stage: str) -> datetime.datetime:
    """Bring the lent visit to ``stage`` (granted, started, done); the moment it is."""
    if stage == "granted":
        return at(DAY, "08:00")
    with time_machine.travel(at(DAY, "09:02"), tick=False):
        visit_services.visit_start(actor=w.cas, visit=w.visit, version=2)
    if stage == "started":
        return at(DAY, "09:10")
    with time_machine.travel(at(DAY, "09:50"), tick=False):
        visit_services.visit_finish(actor=w.cas, visit=w.visit, version=3)
    return at(DAY, "10:00")


@pytest.mark.parametrize("stage", ["granted", "started", "done"])
def test_the_helper_never_reads_the_clients_record_at_any_time(w, stage):
    moment = at_stage(w, stage)
    with time_machine.travel(moment, tick=False):
        for path in API_RECORD:
            url = f"{API}/" + path.format(client=w.client.pk, noord=w.noord.pk)
            response = api(w.cas).get(url)
            assert response.status_code == 404, (url, response.content)
            assert "Jansen" not in response.content.decode()
        for path in PAGES:
            response = browser(w.cas).get(path.format(client=w.client.pk))
            assert response.status_code == 404, path
            assert "Jansen" not in response.content.decode()
        # Nor the client's other visit, through the grant.
        assert api(w.cas).get(f"{API}/granted-visits/{w.other.pk}").status_code == 404
    assert log_rows(w) == []


def test_the_grant_opens_no_scope_of_the_record_and_no_other_visit(w):
    with time_machine.travel(at(DAY, "08:00"), tick=False):
        assert access.scopes(w.cas, w.client) == frozenset()
        for scope in ("visits", "plan", "notes", "budget", "diary"):
            assert client_selectors.client_for(w.cas, w.client.pk, scope=scope, what="x") is None
        assert not access.can_keep_record(w.cas, w.client)
        assert access.can_work_visit(w.cas, w.visit)
        assert not access.can_work_visit(w.cas, w.other)
        # Nor may he do anything else with the visit lent to him.
        for call in (
            lambda: visit_services.visit_cancel(actor=w.cas, visit=w.visit, version=2),
            lambda: visit_services.visit_assign(
                actor=w.cas, visit=w.visit, person=w.cas, version=2
            ),
            lambda: visit_services.visit_running_late(
                actor=w.cas, visit=w.visit, version=2, until=at(DAY, "09:30")
            ),
            lambda: visit_services.visit_start(actor=w.cas, visit=w.other, version=1),
        ):
            with pytest.raises(PermissionDenied):
                call()
    assert log_rows(w) == []


def test_a_helper_who_left_every_team_loses_the_grant(w):
    w.cas.is_active = False
    w.cas.save(update_fields=["is_active"])
    with time_machine.travel(at(DAY, "08:00"), tick=False):
        assert grants.granted_visit(w.cas, w.visit.pk) is None
        assert grants.visits_helped_by(w.cas) == []


def test_the_helpers_list_shows_times_and_teams_in_one_query(w):
    with time_machine.travel(at(DAY, "08:00"), tick=False):
        with CaptureQueriesContext(connection) as queries:
            helped = grants.visits_helped_by(w.cas)
            shown = [(g.visit.window_start, g.visit.client.team.name) for g in helped]
        assert shown == [(at(DAY, "09:00"), "Noord")]
        assert len(queries) == 1
        assert grants.visits_helped_by(w.ben) == []
    assert log_rows(w) == []


def test_the_granted_view_takes_three_queries_however_much_the_visit_needs(w):
    counts = []
    for more in (0, 5):
        for i in range(more):
            extra = PlanIntervention.objects.create(
                plan_problem=w.linked.plan_problem,
                category=w.linked.category,
                target=w.linked.target,
                description=f"Check {i}",
                frequency="daily",
            )
            w.visit.interventions.add(extra)
        with (
            time_machine.travel(at(DAY, "08:00"), tick=False),
            CaptureQueriesContext(connection) as queries,
        ):
            seen = grants.granted_visit(w.cas, w.visit.pk)
            [(i.category.name, i.target.name) for i in seen.interventions]
        assert len(seen.interventions) == 1 + more
        counts.append(len(queries))
    assert counts == [3, 3]


# --- lending: bad input and races -----------------------------------------------------------


def lend(w, visit, helper, version=1, **extra):
    return visit_services.visit_lend(
        actor=w.ana,
        visit=visit,
        helper=helper,
        version=version,
        expires_at=extra.pop("expires_at", at(DAY, "17:00")),
        reason=extra.pop("reason", "help request 2"),
        **extra,
    )


@pytest.mark.parametrize(
    ("helper", "field", "words"),
    [
        ("ben", "helper", "is in the client's team"),
        ("coach", "helper", "Only a current member of a team"),
        ("mrs_jansen", "helper", "Only a current member of a team"),
    ],
)
def test_only_a_member_of_another_team_can_be_lent_a_visit(w, helper, field, words):
    with time_machine.travel(MORNING, tick=False), pytest.raises(ValidationError) as refused:
        lend(w, w.other, getattr(w, helper))
    assert words in " ".join(refused.value.message_dict[field])
    assert Visit.objects.get(pk=w.other.pk).assignee is None
    assert VisitGrant.objects.count() == 1


def test_lending_needs_a_reason_and_a_future_expiry(w):
    with time_machine.travel(MORNING, tick=False), pytest.raises(ValidationError) as refused:
        lend(w, w.other, w.cas, reason=" ", expires_at=at(DAY, "07:00"))
    assert set(refused.value.message_dict) == {"reason", "expires_at"}


def test_a_visit_someone_has_cannot_be_lent_and_a_stale_version_is_a_conflict(w):
    with time_machine.travel(MORNING, tick=False):
        with pytest.raises(Conflict) as taken:
            lend(w, w.visit, w.cas, version=2)
        assert "Cas Bakker has already taken this visit" in taken.value.message
        visit_services.visit_running_late(
            actor=w.ana, visit=w.other, version=1, until=at(DAY, "12:30")
        )
        with pytest.raises(Conflict) as stale:
            lend(w, w.other, w.cas, version=1)
        assert stale.value.current["version"] == 2
    assert VisitGrant.objects.count() == 1


def test_only_the_clients_team_lends_its_visits(w):
    with time_machine.travel(MORNING, tick=False):
        for actor in (w.cas, w.coach, w.mrs_jansen):
            with pytest.raises(PermissionDenied):
                visit_services.visit_lend(
                    actor=actor,
                    visit=w.other,
                    helper=w.cas,
                    version=1,
                    expires_at=at(DAY, "17:00"),
                    reason="help",
                )
    assert VisitGrant.objects.count() == 1


def test_membership_history_is_not_a_grant(w):
    """A helper who once was in Noord gets no more than any other helper."""
    Membership.objects.create(
        team=w.noord,
        person=w.cas,
        joined=datetime.date(2020, 1, 1),
        left=datetime.date(2021, 1, 1),
    )
    with time_machine.travel(at(DAY, "08:00"), tick=False):
        assert access.scopes(w.cas, w.client) == frozenset()
        assert grants.granted_visit(w.cas, w.other.pk) is None
