"""Published quality data (issue 7): the experience survey, snapshots prepared by the
informer and adopted by the team through the decision engine, frozen for good, with
corrections as new versions; and the figures of a snapshot against a hand count.

The tests' "now" is Friday 10 April 2026, noon in London: March and the first
quarter have ended; the second quarter is running.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction

from care.figures.compute import METHOD_VERSION, team_indicators
from care.figures.periods import month, quarter
from care.figures.quality import services
from care.figures.quality.content import content_hash
from care.figures.quality.disclosure import HIDDEN
from care.models import Client, ExperienceSurvey, OmahaProblem, Snapshot, Visit
from coordination.events import NETWORK_STREAM, EventRecord
from teams import decisions
from teams.errors import Conflict
from teams.models import AuditEntry, Proposal, Role, RoleTerm
from teams.services.proposals import proposal_consent, proposal_withdraw, proposals_close_due
from tests.doors import api
from tests.factories import (
    ClientFactory,
    GrantFactory,
    NetworkMemberFactory,
    OutcomeRatingFactory,
    PersonFactory,
    PlanProblemFactory,
    VisitFactory,
)
from tests.teams.decisions_api.world import adopt_due

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Europe/London")
NOW = datetime.datetime(2026, 4, 10, 12, 0, tzinfo=TZ)
API = "/api/v1"
D = Decimal


def at(day: str, clock: str = "09:00") -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=TZ)


def done(client, day, carer, *, minutes=30, late=5, status="done") -> Visit:
    return VisitFactory(
        client=client,
        window_start=at(day),
        assignee=carer if status == "done" else None,
        status=status,
        late=late,
        minutes=minutes,
    )


def rated(client, number, by, first, latest, days=("2026-01-10", "2026-03-20")):
    entry = PlanProblemFactory(plan__client=client, number=number, added_by=by)
    for day, (k, b, s) in zip(days, (first, latest), strict=True):
        OutcomeRatingFactory(
            plan_problem=entry,
            knowledge=k,
            behavior=b,
            status=s,
            rated_on=datetime.date.fromisoformat(day),
            rated_by=by,
        )
    return entry


def informer(team, person) -> RoleTerm:
    return RoleTerm.objects.create(
        role=Role.objects.get(team=team, key=Role.INFORMER),
        person=person,
        starts=datetime.date(2026, 1, 1),
        ends=datetime.date(2026, 12, 31),
    )


# Answers to the first quarter's survey by five of Noord's clients:
# (recommend, listen, informed, say).
ANSWERS = [(10, 5, 4, 5), (9, 4, 4, 5), (8, 4, 3, 4), (6, 3, 3, 2), (10, 5, 5, 4)]


def build(personas) -> SimpleNamespace:
    """Noord in the first quarter of 2026, worked out by hand in ``test_the_snapshot_
    matches_the_hand_count``: six clients, each visited twice (ana in February, ben in
    March: done, five minutes into the window, 30 minutes), the sixth also missed
    once. Five have Omaha problem 25 rated from 2,2,2 to 3,3,3; the sixth has problem
    42 from 3,3,3 to 2,3,3. Five of them answered the survey (``ANSWERS``). Ana is the
    informer. Zuid (cas its informer) has two clients, visited once each."""
    w = personas
    w.term = informer(w.noord, w.ana)
    informer(w.zuid, w.cas)
    w.clients = [
        ClientFactory(team=w.noord, first_name=f"C{n}", last_name="Noord") for n in range(1, 7)
    ]
    for client in w.clients:
        done(client, "2026-02-02", w.ana)
        done(client, "2026-03-02", w.ben)
    done(w.clients[5], "2026-03-09", None, status="missed")
    for client in w.clients[:5]:
        rated(client, 25, w.ana, (2, 2, 2), (3, 3, 3))
    rated(w.clients[5], 42, w.ben, (3, 3, 3), (2, 3, 3))
    answerer = PersonFactory(username="answers", kind="portal")
    for client, (r, li, i, s) in zip(w.clients, ANSWERS, strict=False):
        ExperienceSurvey.objects.create(
            client=client,
            period="2026-Q1",
            recommend=r,
            listen=li,
            informed=i,
            say=s,
            comment="Private words for the team.",
            answered_by=answerer,
        )
    w.zus = [ClientFactory(team=w.zuid, first_name=f"Z{n}", last_name="Zuid") for n in (1, 2)]
    for client in w.zus:
        done(client, "2026-03-05", w.cas)
    return w


@pytest.fixture
def world(personas):
    with time_machine.travel(NOW, tick=False):
        yield build(personas)


def figure(content, key):
    f = content["indicators"][key]
    return f["value"], f["numerator"], f["denominator"], f["clients"], f["suppressed"]


def published(w, team=None, period="2026-Q1", by=None) -> Snapshot:
    """Prepare, propose, consent and close the window: a snapshot published through
    the real decision engine."""
    team = team or w.noord
    by = by or (w.ana if team == w.noord else w.cas)
    draft = services.snapshot_prepare(actor=by, team=team, period=period)
    proposal = services.snapshot_propose(actor=by, snapshot=draft)
    for person in (w.ben,) if team == w.noord else ():
        proposal_consent(actor=person, proposal=proposal)
    assert adopt_due(proposal.pk) == [proposal.pk]
    return Snapshot.objects.get(pk=draft.pk)


# --- the figures of a snapshot ---------------------------------------------------------------


def test_the_snapshot_matches_the_hand_count(world):
    draft = services.snapshot_prepare(actor=world.ana, team=world.noord, period="2026-Q1")
    c = draft.content
    assert (c["team"], c["period"], c["period_kind"], c["method_version"]) == (
        world.noord.pk,
        "2026-Q1",
        "quarter",
        METHOD_VERSION,
    )
    assert (c["first_day"], c["last_day"], c["threshold"]) == ("2026-01-01", "2026-03-31", 5)
    # Six clients served, twelve visits done of thirteen planned (the sixth's missed
    # one): 92.307...% -> 92.3; all twelve began inside the window.
    assert figure(c, "clients_served") == (6, 6, None, 6, None)
    assert figure(c, "visits_delivered") == ("92.3", 12, 13, 6, None)
    assert figure(c, "punctuality") == ("100.0", 12, 12, 6, None)
    # Two carers each: 12 pairs over 6 clients; the two most frequent made all 12.
    assert figure(c, "carers_per_client") == ("2.0", 12, 6, 6, None)
    assert figure(c, "top_two_share") == ("100.0", 12, 12, 6, None)
    # 12 x 30 minutes = 360 over 6 clients: 1.0 hour each.
    assert figure(c, "hours_per_client") == ("1.0", 360, 6, 6, None)
    # Six problems rated twice: five +1 on each scale, one -1 on Knowledge only.
    # Knowledge 4/6 = 0.67; Behavior 5/6 = 0.83; Status 5/6 = 0.83; improved 5 of 6.
    assert figure(c, "knowledge_change") == ("0.67", 4, 6, 6, None)
    assert figure(c, "behavior_change") == ("0.83", 5, 6, 6, None)
    assert figure(c, "status_change") == ("0.83", 5, 6, 6, None)
    assert figure(c, "problems_improved") == ("83.3", 5, 6, 6, None)
    # No budget: nothing to divide by, and no client to hide.
    assert figure(c, "budget_use") == (None, "0.00", "0.00", 0, None)
    assert figure(c, "members_joined") == (0, 0, 2, None, None)
    # Survey: promoters 10, 9, 10 (3), detractors 6 (1): (3 - 1) / 5 = 40.0 points.
    # Listen 5+4+4+3+5 = 21 -> 4.20; informed 4+4+3+3+5 = 19 -> 3.80; say 5+5+4+2+4
    # = 20 -> 4.00.
    assert figure(c, "experience_recommend") == ("40.0", 2, 5, 5, None)
    assert figure(c, "experience_listen") == ("4.20", 21, 5, 5, None)
    assert figure(c, "experience_informed") == ("3.80", 19, 5, 5, None)
    assert figure(c, "experience_say") == ("4.00", 20, 5, 5, None)
    # Problem 42 rests on one client: hidden. Problem 25 would give it away (6 - 5 =
    # 1 problem left over), so it is hidden too; the team's totals stay.
    rows = {row["problem"]: row for row in c["outcomes_by_problem"]}
    assert set(rows) == {25, 42}
    for number in (25, 42):
        assert rows[number]["suppressed"] == HIDDEN
        assert rows[number]["problems"] is rows[number]["clients"] is None
        assert rows[number]["knowledge_change"] is None
    assert rows[25]["name"] == OmahaProblem.objects.get(number=25).name
    # Names no client and no person anywhere.
    text = json.dumps(c)
    for person in (world.ana, world.ben):
        assert person.username not in text
    assert "Noord" in text  # the team's name, which is not personal
    assert all(f"C{n}" not in text.replace("Noord", "") for n in range(1, 7))


def test_the_experience_indicator_matches_the_hand_count_and_months_leave_it_empty(world):
    with time_machine.travel(NOW, tick=False):
        q1 = team_indicators(world.noord, quarter(2026, 1))
        march = team_indicators(world.noord, month(2026, 3))
    assert (q1["experience_recommend"].value, q1["experience_recommend"].clients) == (D("40.0"), 5)
    assert q1["experience_listen"].value == D("4.20")
    assert march["experience_recommend"].value is None
    assert (march["experience_say"].numerator, march["experience_say"].clients) == (0, 0)


def test_a_small_team_shows_fewer_than_5(world):
    draft = services.snapshot_prepare(actor=world.cas, team=world.zuid, period="2026-03")
    c = draft.content
    for key in ("clients_served", "visits_delivered", "punctuality", "hours_per_client"):
        assert figure(c, key) == (None, None, None, None, HIDDEN), key
    # Stability rests on no client: shown.
    assert figure(c, "members_joined") == (0, 0, 1, None, None)
    # The source figures stay with the draft, for the team, until publication.
    assert draft.source["indicators"]["clients_served"]["value"] == 2


# --- prepare, propose, adopt ------------------------------------------------------------------


def test_only_the_informer_prepares_and_only_an_ended_period(world):
    with pytest.raises(PermissionDenied, match="that is Ana"):
        services.snapshot_prepare(actor=world.ben, team=world.noord, period="2026-Q1")
    with pytest.raises(PermissionDenied):
        services.snapshot_prepare(actor=world.cas, team=world.noord, period="2026-Q1")
    for period, words in [
        ("2026-Q2", "not over yet"),
        ("2026-04", "not over yet"),
        ("2026-05", "has not begun yet"),
        ("2026-Q3", "has not begun yet"),
        ("2026-13", "Not a period"),
        ("", "Required"),
    ]:
        with pytest.raises(ValidationError) as refused:
            services.snapshot_prepare(actor=world.ana, team=world.noord, period=period)
        assert words in refused.value.message_dict["period"][0], period
    assert not Snapshot.objects.exists()


def test_preparing_again_refreshes_the_draft_until_it_is_proposed(world):
    first = services.snapshot_prepare(actor=world.ana, team=world.noord, period="2026-Q1")
    done(world.clients[0], "2026-03-30", world.ana)
    again = services.snapshot_prepare(actor=world.ana, team=world.noord, period="2026-Q1")
    assert again.pk == first.pk
    assert figure(again.content, "visits_delivered")[1:3] == (13, 14)
    proposal = services.snapshot_propose(actor=world.ben, snapshot=again)
    with pytest.raises(Conflict, match="proposal to publish this draft is open"):
        services.snapshot_prepare(actor=world.ana, team=world.noord, period="2026-Q1")
    with pytest.raises(Conflict, match="proposed already"):
        services.snapshot_propose(actor=world.ana, snapshot=again)
    # Withdrawn, the draft can be prepared again.
    proposal_withdraw(actor=world.ben, proposal=proposal)
    assert (
        services.snapshot_prepare(actor=world.ana, team=world.noord, period="2026-Q1").pk
        == first.pk
    )


def test_adoption_through_the_engine_freezes_the_snapshot(world, captured_sends):
    draft = services.snapshot_prepare(actor=world.ana, team=world.noord, period="2026-Q1")
    # Raised through the proposals API with the new kind, like any other decision.
    response = api(world.ben).post(
        f"{API}/teams/{world.noord.pk}/proposals",
        {
            "kind": services.KIND,
            "title": "Publish Q1",
            "purpose": "Inspectors asked.",
            "payload": {"snapshot": draft.pk},
            "window_hours": 72,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    proposal_id = response.json()["id"]
    assert response.json()["payload"] == {
        "snapshot": draft.pk,
        "period": "2026-Q1",
        "content_hash": content_hash(draft.content),
    }
    # The window has not closed: nothing is published.
    assert proposals_close_due() == []
    assert Snapshot.objects.get().status == "draft"
    assert api(world.ana).post(f"{API}/proposals/{proposal_id}/consent").status_code == 200
    assert adopt_due(proposal_id) == [proposal_id]

    snapshot = Snapshot.objects.get()
    proposal = Proposal.objects.get(pk=proposal_id)
    assert (snapshot.status, snapshot.version, snapshot.decision_id) == (
        "published",
        1,
        proposal_id,
    )
    assert snapshot.published_at == NOW
    assert snapshot.source == {}
    assert snapshot.content == draft.content
    # The hash: SHA-256 of the canonical JSON, which anyone can recompute.
    canonical = json.dumps(
        snapshot.content, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    assert snapshot.content_hash == hashlib.sha256(canonical).hexdigest()
    assert proposal.status == "adopted"
    assert proposal.outcome["snapshot"] == snapshot.pk
    assert proposal.outcome["summary"] == (
        "Published the quality figures for Q1 2026 (January to March), version 1"
    )
    assert AuditEntry.objects.filter(action="snapshot.published").count() == 1
    published_events = EventRecord.objects.filter(type="snapshot.published")
    assert {e.stream for e in published_events} == {
        world.noord.stream,
        world.noord.shared_stream,
        NETWORK_STREAM,
    }


def test_the_hash_is_stable_whatever_the_order_of_keys(world):
    snapshot = published(world)
    reordered = json.loads(
        json.dumps(snapshot.content), object_pairs_hook=lambda p: dict(reversed(p))
    )
    assert list(reordered) != list(snapshot.content)
    assert content_hash(reordered) == snapshot.content_hash
    assert Snapshot.objects.get(pk=snapshot.pk).content_hash == content_hash(
        Snapshot.objects.get(pk=snapshot.pk).content
    )
    changed = json.loads(json.dumps(snapshot.content))
    changed["indicators"]["clients_served"]["value"] = 7
    assert content_hash(changed) != snapshot.content_hash


def test_the_kind_is_registered_from_care(world):
    kind = decisions.get(services.KIND)
    assert kind is services.PUBLICATION
    assert kind.label == "Publish quality figures"


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({}, "Choose a prepared snapshot"),
        ({"snapshot": "x"}, "Choose a prepared snapshot"),
        ({"snapshot": 999999}, "No prepared snapshot of this team"),
    ],
)
def test_a_publication_needs_a_draft_of_the_team(world, payload, words):
    response = api(world.ana).post(
        f"{API}/teams/{world.noord.pk}/proposals",
        {"kind": services.KIND, "title": "T", "purpose": "P", "payload": payload},
        format="json",
    )
    assert response.status_code == 400
    assert words in response.json()["extra"]["fields"]["payload.snapshot"][0]


def test_a_draft_of_another_team_cannot_be_proposed(world):
    zuid_draft = services.snapshot_prepare(actor=world.cas, team=world.zuid, period="2026-03")
    response = api(world.ana).post(
        f"{API}/teams/{world.noord.pk}/proposals",
        {
            "kind": services.KIND,
            "title": "T",
            "purpose": "P",
            "payload": {"snapshot": zuid_draft.pk},
        },
        format="json",
    )
    assert response.status_code == 400
    assert (
        "No prepared snapshot of this team"
        in response.json()["extra"]["fields"]["payload.snapshot"][0]
    )
    with pytest.raises(PermissionDenied):
        services.snapshot_propose(actor=world.ana, snapshot=zuid_draft)


def test_a_draft_changed_after_the_proposal_is_not_published(world):
    draft = services.snapshot_prepare(actor=world.ana, team=world.noord, period="2026-Q1")
    proposal = services.snapshot_propose(actor=world.ana, snapshot=draft)
    proposal_consent(actor=world.ben, proposal=proposal)
    # Nobody can refresh it through the service while it is proposed; a change behind
    # the service's back is caught at adoption by the hash the team consented to.
    Snapshot.objects.filter(pk=draft.pk).update(content={**draft.content, "team_name": "Other"})
    assert adopt_due(proposal.pk) == []
    proposal.refresh_from_db()
    assert "changed since it was proposed" in proposal.outcome["not_applied"]
    assert Snapshot.objects.get().status == "draft"


# --- corrections -----------------------------------------------------------------------------


def test_a_correction_is_a_new_version_and_the_old_stays_readable(world):
    first = published(world)
    # A late-recorded visit: the informer prepares the quarter again.
    done(world.clients[1], "2026-03-31", world.ana)
    draft = services.snapshot_prepare(actor=world.ana, team=world.noord, period="2026-Q1")
    assert draft.pk != first.pk
    assert draft.corrects_id == first.pk
    proposal = services.snapshot_propose(actor=world.ana, snapshot=draft)
    assert "It corrects version 1." in proposal.purpose
    proposal_consent(actor=world.ben, proposal=proposal)
    assert adopt_due(proposal.pk) == [proposal.pk]
    second = Snapshot.objects.get(pk=draft.pk)
    assert (second.version, second.corrects_id) == (2, first.pk)
    assert (
        Proposal.objects.get(pk=proposal.pk)
        .outcome["summary"]
        .endswith("version 2, correcting version 1")
    )
    old = api(world.cas).get(f"{API}/snapshots/{first.pk}").json()
    assert (old["version"], old["corrected_by"], old["marked"]) == (1, second.pk, "corrected by v2")
    assert old["content"] == first.content  # unchanged, readable
    new = api(world.cas).get(f"{API}/snapshots/{second.pk}").json()
    assert (new["corrects"], new["corrects_version"], new["marked"]) == (first.pk, 1, "")
    # The network sees the current version; the history has both.
    current = api(world.cas).get(f"{API}/snapshots?team={world.noord.pk}").json()
    assert [s["id"] for s in current] == [second.pk]
    history = api(world.cas).get(f"{API}/teams/{world.noord.pk}/snapshots").json()
    assert [(s["id"], s["version"]) for s in history] == [(second.pk, 2), (first.pk, 1)]


def test_a_draft_overtaken_by_another_publication_is_not_published(world):
    first = published(world)
    done(world.clients[1], "2026-03-31", world.ana)
    draft = services.snapshot_prepare(actor=world.ana, team=world.noord, period="2026-Q1")
    assert draft.corrects_id == first.pk
    # Pretend the draft was prepared before the first publication.
    Snapshot.objects.filter(pk=draft.pk).update(corrects=None)
    with pytest.raises(ValidationError, match="published again since"):
        services.snapshot_propose(actor=world.ana, snapshot=Snapshot.objects.get(pk=draft.pk))


# --- immutability ----------------------------------------------------------------------------


def test_a_published_snapshot_refuses_model_saves_and_deletes(world):
    snapshot = published(world)
    snapshot.content = {"forged": True}
    with pytest.raises(ValueError, match="never changed"):
        snapshot.save()
    with pytest.raises(ValueError, match="never changed"):
        snapshot.save(update_fields=["content"])
    with pytest.raises(ValueError, match="never changed"):
        snapshot.delete()
    with pytest.raises(ValueError, match="never changed"):
        Snapshot.objects.filter(pk=snapshot.pk).update(content={})
    with pytest.raises(ValueError, match="never changed"):
        Snapshot.objects.all().delete()
    # A stale copy that still says "draft" cannot overwrite it either.
    stale = Snapshot.objects.get(pk=snapshot.pk)
    stale.status = "draft"
    with pytest.raises(ValueError):
        stale.save()
    fresh = Snapshot.objects.get(pk=snapshot.pk)
    assert fresh.content == snapshot_content(world) and fresh.status == "published"


def snapshot_content(w):
    return Snapshot.objects.get(team=w.noord, status="published").content


def test_no_service_changes_a_published_snapshot(world):
    snapshot = published(world)
    before = Snapshot.objects.filter(pk=snapshot.pk).values().get()
    # Proposing it again, or publishing it again through the engine, is refused.
    with pytest.raises(ValidationError, match="Already published as version 1"):
        services.snapshot_propose(actor=world.ana, snapshot=snapshot)
    proposal = Proposal.objects.get(pk=snapshot.decision_id)
    with pytest.raises(ValidationError, match="Already published"):
        services._validate_publication(world.noord, proposal.payload)
    with pytest.raises(ValueError), transaction.atomic():
        services._apply_publication(proposal)
    # Preparing the period again makes a new draft, a correction; the original stays.
    draft = services.snapshot_prepare(actor=world.ana, team=world.noord, period="2026-Q1")
    assert draft.pk != snapshot.pk
    assert Snapshot.objects.filter(pk=snapshot.pk).values().get() == before


def test_the_api_has_no_way_to_change_a_published_snapshot(world):
    snapshot = published(world)
    before = Snapshot.objects.filter(pk=snapshot.pk).values().get()
    for person in (world.ana, world.ben, world.inspector):
        client = api(person)
        for path in (
            f"{API}/snapshots/{snapshot.pk}",
            f"{API}/snapshots/{snapshot.pk}/export",
            f"{API}/teams/{world.noord.pk}/snapshots",
        ):
            for method in ("put", "patch", "delete"):
                response = getattr(client, method)(path, {"content": {}}, format="json")
                assert response.status_code == 405, (person, method, path)
        response = client.post(f"{API}/snapshots/{snapshot.pk}/propose", {}, format="json")
        assert response.status_code in (400, 404)
    assert Snapshot.objects.filter(pk=snapshot.pk).values().get() == before


def test_postgresql_refuses_raw_sql_on_a_published_snapshot(world, postgres):
    snapshot = published(world)
    draft = services.snapshot_prepare(actor=world.cas, team=world.zuid, period="2026-03")
    for sql in (
        "UPDATE care_snapshot SET content = '{}' WHERE id = %s",
        "UPDATE care_snapshot SET status = 'draft' WHERE id = %s",
        "DELETE FROM care_snapshot WHERE id = %s",
    ):
        with (
            pytest.raises(IntegrityError, match="never changed or deleted"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [snapshot.pk])
    # A draft is still the team's to refresh.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE care_snapshot SET prepared_at = now() WHERE id = %s", [draft.pk])
    assert Snapshot.objects.get(pk=snapshot.pk).status == "published"


def test_the_database_refuses_a_half_published_row(world):
    draft = services.snapshot_prepare(actor=world.ana, team=world.noord, period="2026-Q1")
    with pytest.raises(IntegrityError), transaction.atomic():
        Snapshot.objects.filter(pk=draft.pk).update(status="published")


# --- across periods --------------------------------------------------------------------------


def test_a_team_publishes_a_quarter_or_its_months_never_both(world):
    published(world, period="2026-Q1")
    for label in ("2026-01", "2026-02", "2026-03"):
        with pytest.raises(ValidationError, match="either as the quarter or month by month"):
            services.snapshot_prepare(actor=world.ana, team=world.noord, period=label)
    # Another quarter, and another team's month, are fine.
    services.snapshot_prepare(actor=world.ana, team=world.noord, period="2025-Q4")
    services.snapshot_prepare(actor=world.cas, team=world.zuid, period="2026-03")


def test_a_month_published_first_stops_its_quarter_even_when_drafted_before(world):
    quarter_draft = services.snapshot_prepare(actor=world.ana, team=world.noord, period="2026-Q1")
    proposal = services.snapshot_propose(actor=world.ana, snapshot=quarter_draft)
    published(world, period="2026-02")
    proposal_consent(actor=world.ben, proposal=proposal)
    assert adopt_due(proposal.pk) == []
    proposal.refresh_from_db()
    assert "never both" in proposal.outcome["not_applied"]
    assert Snapshot.objects.get(pk=quarter_draft.pk).status == "draft"


# --- the experience survey -------------------------------------------------------------------


@pytest.fixture
def jansen(world):
    world.jansen = ClientFactory(
        team=world.noord,
        first_name="Wilma",
        last_name="Jansen",
        account=world.mrs_jansen,
        representative=world.daughter,
        representative_basis=Client.Basis.CHOSEN,
    )
    return world


def answer(person, client, **overrides):
    body = {"recommend": 9, "listen": 4, "informed": 5, "say": 3, "comment": "Thank you"}
    return api(person).post(f"{API}/clients/{client.pk}/surveys", body | overrides, format="json")


def test_the_client_answers_once_a_quarter(jansen):
    with time_machine.travel(NOW, tick=False):
        response = answer(jansen.mrs_jansen, jansen.jansen)
        assert response.status_code == 201, response.json()
        body = response.json()
        assert (body["period"], body["recommend"], body["say"], body["comment"]) == (
            "2026-Q2",
            9,
            3,
            "Thank you",
        )
        assert body["answered_by"]["id"] == jansen.mrs_jansen.pk
        # Her representative cannot answer the same quarter again: 409, the same words.
        again = answer(jansen.daughter, jansen.jansen)
        assert again.status_code == 409
        assert again.json()["message"].startswith("The survey for 2026-Q2 was answered on 10 April")
        assert again.json()["extra"]["current"]["survey"] == body["id"]
        # The quarter just ended is still open, once.
        late = answer(jansen.daughter, jansen.jansen, period="2026-Q1")
        assert late.status_code == 201
        assert late.json()["answered_by"]["id"] == jansen.daughter.pk
    assert ExperienceSurvey.objects.filter(client=jansen.jansen).count() == 2
    assert (
        EventRecord.objects.filter(type="survey.answered", stream=jansen.noord.stream).count() == 2
    )


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"recommend": 11}, "recommend", "From 0 to 10; 11 is outside."),
        ({"recommend": -1}, "recommend", "From 0 to 10; -1 is outside."),
        ({"listen": 0}, "listen", "From 1 to 5; 0 is outside."),
        ({"informed": 6}, "informed", "From 1 to 5; 6 is outside."),
        ({"say": "often"}, "say", "A valid integer is required."),
        ({"recommend": None}, "recommend", "This field may not be null."),
        ({"period": "2026-Q3"}, "period", "has not begun yet"),
        ({"period": "2027-Q1"}, "period", "has not begun yet"),
        ({"period": "2025-Q4"}, "period", "not 2025-Q4"),
        ({"period": "2026-04"}, "period", "per quarter"),
        ({"period": "soon"}, "period", "Not a period"),
        ({"comment": "x" * 2001}, "comment", "At most 2,000 characters (this has 2,001)."),
    ],
)
def test_bad_answers_are_refused_field_by_field(jansen, overrides, field, words):
    with time_machine.travel(NOW, tick=False):
        response = answer(jansen.mrs_jansen, jansen.jansen, **overrides)
    assert response.status_code == 400, response.json()
    assert words in " ".join(response.json()["extra"]["fields"][field])
    assert not ExperienceSurvey.objects.filter(client=jansen.jansen).exists()


def test_every_bad_answer_is_named_at_once(jansen):
    with time_machine.travel(NOW, tick=False):
        response = answer(jansen.mrs_jansen, jansen.jansen, recommend=12, listen=9, say=0)
    assert set(response.json()["extra"]["fields"]) == {"recommend", "listen", "say"}


def test_a_missing_answer_is_required(jansen):
    response = api(jansen.mrs_jansen).post(
        f"{API}/clients/{jansen.jansen.pk}/surveys", {"recommend": 7}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"listen", "informed", "say"}


def test_who_answers_and_who_reads_the_answers(jansen):
    client = jansen.jansen
    entry = NetworkMemberFactory(
        client=client,
        relationship="neighbour",
        name="Henk",
        account=PersonFactory(username="henk", kind="portal"),
    )
    GrantFactory(member=entry, scope="notes", granted_by=jansen.mrs_jansen)
    with time_machine.travel(NOW, tick=False):
        assert answer(jansen.mrs_jansen, client).status_code == 201
        # The care team reads (logged for the client) but does not answer for her.
        read = api(jansen.ana).get(f"{API}/clients/{client.pk}/surveys")
        assert read.status_code == 200 and read.json()[0]["comment"] == "Thank you"
        assert client.access_log.filter(
            person=jansen.ana, what="experience survey answers"
        ).exists()
        refused = answer(jansen.ana, client, period="2026-Q1")
        assert refused.status_code == 403
        # A network member, even one shown her notes, another team, a coach, an
        # inspector: nothing at all.
        for person in (entry.account, jansen.cas, jansen.coach, jansen.inspector):
            assert api(person).get(f"{API}/clients/{client.pk}/surveys").status_code == 404
            assert answer(person, client, period="2026-Q1").status_code == 404
    assert ExperienceSurvey.objects.filter(client=client).count() == 1


def test_the_survey_service_refuses_anyone_but_the_client_and_representative(jansen):
    with pytest.raises(PermissionDenied):
        services.survey_answer(
            actor=jansen.ana, client=jansen.jansen, recommend=9, listen=4, informed=4, say=4
        )


# --- the proposal page offers the kind --------------------------------------------------------


def test_a_draft_is_proposed_through_the_proposal_page(world):
    from django.test import Client as Browser

    draft = services.snapshot_prepare(actor=world.ana, team=world.noord, period="2026-Q1")
    browser = Browser()
    browser.force_login(world.ben)
    form = browser.get(f"/teams/noord/proposals/new/?kind={services.KIND}&snapshot={draft.pk}")
    html = form.content.decode()
    assert form.status_code == 200
    assert "Snapshot to publish" in html
    assert f'<option value="{draft.pk}" selected' in html
    assert "2026-Q1, prepared by Ana de Vries" in html
    with time_machine.travel(NOW, tick=False):
        response = browser.post(
            "/teams/noord/proposals/new/",
            {
                "kind": services.KIND,
                "title": "Publish the first quarter",
                "purpose": "The inspectors visit in May.",
                "window_hours": "72",
                "snapshot": str(draft.pk),
            },
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    proposal = Proposal.objects.get(kind=services.KIND)
    assert proposal.payload["snapshot"] == draft.pk
    assert response["Location"] == f"/proposals/{proposal.pk}/"
    # Without a snapshot the form says what to do, at the field.
    refused = browser.post(
        "/teams/noord/proposals/new/",
        {"kind": services.KIND, "title": "T", "purpose": "P", "window_hours": "72"},
    )
    assert refused.status_code == 400
    assert "Choose a prepared snapshot" in refused.content.decode()


# --- the demo -------------------------------------------------------------------------------


def test_the_demo_publishes_last_quarter_for_every_team_by_consent(settings):
    from care import demo as care_demo
    from teams import demo
    from teams.models import Person

    demo.seed()
    made = care_demo.seed()
    # Last quarter, and last month unless it lies inside last quarter.
    periods = [p.label for p in care_demo.demo_publication_periods()]
    last = services.open_quarters()[1].label
    assert periods[0] == last and len(periods) in (1, 2)
    assert made["published snapshots"] == 3 * len(periods)
    assert made["survey answers"] == 9
    snapshots = Snapshot.objects.published().select_related("team", "decision")
    assert sorted((s.team.slug, s.period, s.version) for s in snapshots) == sorted(
        (slug, period, 1) for slug in ("noord", "oost", "zuid") for period in periods
    )
    for snapshot in snapshots:
        assert snapshot.decision.kind == services.KIND
        assert snapshot.decision.status == "adopted"
        assert snapshot.content_hash == content_hash(snapshot.content)
    by_team = {s.team.slug: s.content for s in snapshots if s.period == last}
    # Noord: six answers, enough to publish; Zuid two, Oost one: "fewer than 5".
    assert by_team["noord"]["indicators"]["experience_recommend"]["clients"] == 6
    assert by_team["zuid"]["indicators"]["experience_recommend"]["suppressed"] == HIDDEN
    assert Person.objects.filter(username="inspector", kind=Person.Kind.INSPECTOR).exists()
    # A second run adds nothing.
    again = care_demo.seed()
    assert (again["published snapshots"], again["survey answers"]) == (0, 0)
    assert Snapshot.objects.count() == 3 * len(periods)


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        ("2026-12-02", ["2026-Q3", "2026-11"]),  # November is in the open quarter
        ("2027-01-10", ["2026-Q4"]),  # December lies inside last quarter: not both
        ("2027-02-03", ["2026-Q4", "2027-01"]),
    ],
)
def test_the_demo_publishes_last_month_only_outside_last_quarter(today, expected):
    from care import demo as care_demo

    with time_machine.travel(datetime.datetime.fromisoformat(f"{today}T12:00:00+00:00")):
        assert [p.label for p in care_demo.demo_publication_periods()] == expected


@pytest.mark.parametrize("raw", ["--5", "²", "5x", ""])
def test_a_survey_answer_typed_on_the_portal_that_is_no_number_is_refused(jansen, raw):
    # The portal form hands the service what was typed: never a 500, nothing saved.
    with time_machine.travel(NOW, tick=False), pytest.raises(ValidationError) as refused:
        services.survey_answer(
            actor=jansen.mrs_jansen,
            client=jansen.jansen,
            recommend=raw,
            listen="4",
            informed="4",
            say="4",
        )
    assert "recommend" in refused.value.message_dict
    assert not ExperienceSurvey.objects.filter(client=jansen.jansen).exists()
