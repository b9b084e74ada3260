"""The quality API: who reaches which endpoint, inspectors' reads logged, exports that
verify, the network's median, bad input, and query counts that do not grow.

The world is ``tests.care.test_quality.build``: Noord (ana the informer, ben) with six
clients in the first quarter of 2026, Zuid (cas the informer) with two. "Now" is
10 April 2026.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from care.figures.quality import services
from care.models import Client, ExperienceSurvey, Snapshot, SnapshotRead
from teams.models import Proposal
from tests.care.test_quality import NOW, api, build, done, published
from tests.factories import (
    ClientFactory,
    GrantFactory,
    NetworkMemberFactory,
    PersonFactory,
    TeamFactory,
    member,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def world(personas):
    with time_machine.travel(NOW, tick=False):
        w = build(personas)
        w.q1 = published(w)
        w.draft = services.snapshot_prepare(actor=w.ana, team=w.noord, period="2025-Q4")
        w.zuid_march = published(w, team=w.zuid, period="2026-03")
        w.jansen = ClientFactory(
            team=w.noord, first_name="Wilma", last_name="Jansen", account=w.mrs_jansen
        )
        # Her daughter is in her network and sees all of her record; she does not
        # speak for her mother (no representative): the survey is not hers.
        entry = NetworkMemberFactory(client=w.jansen, name="Petra", account=w.daughter)
        for scope in ("visits", "plan", "notes", "budget", "diary"):
            GrantFactory(member=entry, scope=scope)  # granted by Mrs Jansen, her account
        yield w


def reads(w, method, path, body=None):
    return getattr(api(w), method)(path, body, format="json")


def endpoints(w) -> dict[str, tuple[str, str, dict | None]]:
    return {
        "surveys": ("get", f"{API}/clients/{w.jansen.pk}/surveys", None),
        "answer": (
            "post",
            f"{API}/clients/{w.jansen.pk}/surveys",
            {"recommend": 8, "listen": 4, "informed": 4, "say": 4},
        ),
        "drafts": ("get", f"{API}/teams/{w.noord.pk}/snapshot-drafts", None),
        "prepare": ("post", f"{API}/teams/{w.noord.pk}/snapshot-drafts", {"period": "2025-Q3"}),
        "propose": ("post", f"{API}/snapshots/{w.draft.pk}/propose", {}),
        "draft": ("get", f"{API}/snapshots/{w.draft.pk}", None),
        "reads": ("get", f"{API}/teams/{w.noord.pk}/snapshot-reads", None),
        "team snapshots": ("get", f"{API}/teams/{w.noord.pk}/snapshots", None),
        "snapshot": ("get", f"{API}/snapshots/{w.q1.pk}", None),
        "export": ("get", f"{API}/snapshots/{w.q1.pk}/export", None),
        "network": ("get", f"{API}/snapshots", None),
        "median": ("get", f"{API}/snapshots/median", None),
    }


PUBLISHED_READS = {"team snapshots", "snapshot", "export", "network", "median"}
# Who gets what: 2xx for the endpoints named, and a refusal (403 or 404) elsewhere.
ALLOWED = {
    # ana: Noord's informer and member; she does not speak for Mrs Jansen.
    "ana": PUBLISHED_READS | {"surveys", "drafts", "prepare", "propose", "draft", "reads"},
    "ben": PUBLISHED_READS | {"surveys", "drafts", "propose", "draft", "reads"},
    "outsider": PUBLISHED_READS,  # cas, of Zuid
    "coach": PUBLISHED_READS,
    "inspector": PUBLISHED_READS,
    "client": {"surveys", "answer"},
    "family": set(),  # a network member: neither answers nor reads the answers
}


@pytest.mark.parametrize("who", list(ALLOWED))
def test_every_quality_endpoint_answers_only_those_it_is_for(world, who):
    person = {
        "ana": world.ana,
        "ben": world.ben,
        "outsider": world.cas,
        "coach": world.coach,
        "inspector": world.inspector,
        "client": world.mrs_jansen,
        "family": world.daughter,
    }[who]
    with time_machine.travel(NOW, tick=False):
        for name, (method, path, body) in endpoints(world).items():
            response = reads(person, method, path, body)
            if name in ALLOWED[who]:
                assert response.status_code in (200, 201), (who, name, response.json())
            else:
                assert response.status_code in (403, 404), (who, name, response.status_code)
                assert "Jansen" not in response.content.decode()


def test_anonymous_gets_401_everywhere(world):
    for method, path, body in endpoints(world).values():
        assert getattr(api(), method)(path, body, format="json").status_code == 401


def test_the_representative_answers_when_the_client_has_not(world):
    representative = PersonFactory(username="rep", kind="portal")
    Client.objects.filter(pk=world.jansen.pk).update(
        representative=representative, representative_basis="chosen"
    )
    with time_machine.travel(NOW, tick=False):
        response = reads(
            representative,
            "post",
            f"{API}/clients/{world.jansen.pk}/surveys",
            {"recommend": 8, "listen": 4, "informed": 4, "say": 4},
        )
    assert response.status_code == 201
    assert ExperienceSurvey.objects.get(client=world.jansen).answered_by == representative


def test_refusals_say_why(world):
    prepare = reads(world.ben, "post", f"{API}/teams/{world.noord.pk}/snapshot-drafts", {})
    assert prepare.status_code == 403
    assert "that is" in prepare.json()["message"] and "informer" in prepare.json()["message"]
    network = reads(world.mrs_jansen, "get", f"{API}/snapshots")
    assert network.status_code == 403
    assert network.json()["message"].startswith("Published quality figures are for inspectors")
    # A team one does not belong to: not found, as any other team's page.
    other = reads(world.cas, "post", f"{API}/teams/{world.noord.pk}/snapshot-drafts", {})
    assert other.status_code == 404


# --- reads ------------------------------------------------------------------------------------


def test_drafts_are_the_teams_own_and_say_if_proposed(world):
    body = reads(world.ben, "get", f"{API}/teams/{world.noord.pk}/snapshot-drafts").json()
    assert [(d["id"], d["status"], d["open_proposal"]) for d in body] == [
        (world.draft.pk, "draft", None)
    ]
    assert body[0]["prepared_by"] == {"id": world.ana.pk, "name": world.ana.display_name}
    with time_machine.travel(NOW, tick=False):
        proposed = reads(world.ben, "post", f"{API}/snapshots/{world.draft.pk}/propose", {})
    assert proposed.status_code == 201, proposed.json()
    assert proposed.json()["kind"] == services.KIND
    assert (
        proposed.json()["title"] == "Publish our quality figures for Q4 2025 (October to December)"
    )
    body = reads(world.ben, "get", f"{API}/teams/{world.noord.pk}/snapshot-drafts").json()
    assert body[0]["open_proposal"] == proposed.json()["id"]
    # The draft is no published snapshot: not in the network's lists, not exported.
    assert world.draft.pk not in [
        s["id"] for s in reads(world.cas, "get", f"{API}/snapshots").json()
    ]
    assert reads(world.ana, "get", f"{API}/snapshots/{world.draft.pk}/export").status_code == 404


def test_published_snapshots_name_no_person(world):
    body = reads(world.inspector, "get", f"{API}/snapshots/{world.q1.pk}").json()
    assert body["prepared_by"] is None
    text = json.dumps(body)
    for person in (world.ana, world.ben, world.mrs_jansen):
        assert person.username not in text and person.last_name not in text
    assert "Private words" not in text  # survey comments are never published


def test_every_inspector_read_is_logged_and_the_team_sees_it(world):
    paths = [
        f"{API}/snapshots/{world.q1.pk}",
        f"{API}/snapshots/{world.q1.pk}/export",
        f"{API}/teams/{world.noord.pk}/snapshots",
        f"{API}/snapshots",
        f"{API}/snapshots/median",
    ]
    for path in paths:
        assert reads(world.inspector, "get", path).status_code == 200
    logged = list(SnapshotRead.objects.order_by("id").values_list("snapshot", "what", "person"))
    inspector = world.inspector.pk
    assert logged == [
        (world.q1.pk, "snapshot", inspector),
        (world.q1.pk, "export (JSON)", inspector),
        (world.q1.pk, "team's snapshots", inspector),
        # Newest period first: Zuid's March before Noord's first quarter? Both end on
        # 31 March; the network list orders by team name within a period's end.
        (world.q1.pk, "network snapshots", inspector),
        (world.zuid_march.pk, "network snapshots", inspector),
        (world.q1.pk, "network median", inspector),
        (world.zuid_march.pk, "network median", inspector),
    ]
    # Members and coaches read without a log row (they are the network, not inspectors).
    for person in (world.ana, world.coach):
        reads(person, "get", f"{API}/snapshots/{world.q1.pk}")
    assert SnapshotRead.objects.count() == 7
    seen = reads(world.ben, "get", f"{API}/teams/{world.noord.pk}/snapshot-reads").json()
    assert len(seen) == 5  # Zuid's reads are Zuid's
    assert seen[0]["inspector"] == {"id": inspector, "name": world.inspector.display_name}
    assert {r["what"] for r in seen} == {
        "snapshot",
        "export (JSON)",
        "team's snapshots",
        "network snapshots",
        "network median",
    }


def test_the_export_verifies(world):
    response = reads(world.inspector, "get", f"{API}/snapshots/{world.q1.pk}/export")
    assert response["Content-Disposition"] == ('attachment; filename="kith-noord-2026-Q1-v1.json"')
    body = response.json()
    assert body["format"] == "kith-quality-snapshot/1"
    assert body["hash_algorithm"] == "sha256"
    snapshot = body["snapshot"]
    canonical = json.dumps(
        snapshot["content"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")
    assert hashlib.sha256(canonical).hexdigest() == snapshot["content_hash"]
    assert snapshot["content_hash"] == Snapshot.objects.get(pk=world.q1.pk).content_hash
    assert (snapshot["version"], snapshot["decision"]) == (1, world.q1.decision_id)


def test_several_teams_side_by_side_and_one_over_time(world):
    both = reads(
        world.coach, "get", f"{API}/snapshots?team={world.noord.pk},{world.zuid.pk}"
    ).json()
    assert {(s["team_name"], s["period"]) for s in both} == {
        ("Noord", "2026-Q1"),
        ("Zuid", "2026-03"),
    }
    only = reads(world.coach, "get", f"{API}/snapshots?team={world.zuid.pk}&period=2026-03").json()
    assert [s["id"] for s in only] == [world.zuid_march.pk]
    none = reads(world.coach, "get", f"{API}/snapshots?period=2026-02").json()
    assert none == []


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ("team=noord", "team", "Team ids"),
        ("period=2026-13", "period", "Not a period"),
        ("period=2027-Q1", "period", "has not begun yet"),
        ("period=9999-12", "period", "Not a period"),  # it would end in the year 10000
        ("period=9999-Q4", "period", "Not a period"),
        ("team=%C2%B2", "team", "Team ids"),
    ],
)
def test_bad_filters_are_400(world, query, field, words):
    response = reads(world.coach, "get", f"{API}/snapshots?{query}")
    assert response.status_code == 400
    assert words in response.json()["extra"]["fields"][field][0]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"period": "2026-Q2"}, "not over yet"),
        ({"period": "2026-07"}, "has not begun yet"),
        ({"period": "Q1"}, "Not a period"),
        ({}, "Required"),
    ],
)
def test_preparing_a_bad_period_is_400(world, body, words):
    with time_machine.travel(NOW, tick=False):
        response = reads(world.ana, "post", f"{API}/teams/{world.noord.pk}/snapshot-drafts", body)
    assert response.status_code == 400
    assert words in response.json()["extra"]["fields"]["period"][0]


def test_preparing_over_a_proposed_draft_is_409(world):
    with time_machine.travel(NOW, tick=False):
        reads(world.ana, "post", f"{API}/snapshots/{world.draft.pk}/propose", {})
        again = reads(
            world.ana,
            "post",
            f"{API}/teams/{world.noord.pk}/snapshot-drafts",
            {"period": "2025-Q4"},
        )
        twice = reads(world.ben, "post", f"{API}/snapshots/{world.draft.pk}/propose", {})
    assert again.status_code == 409 and "Withdraw the proposal" in again.json()["message"]
    assert twice.status_code == 409 and "proposed already" in twice.json()["message"]
    assert Proposal.objects.filter(kind=services.KIND, status="open").count() == 1


def test_the_network_median_per_indicator(world):
    # A third team, Oost, publishes the first quarter too: 2 done visits of 2 for each
    # of its 5 clients, by one carer, 60 minutes each.
    with time_machine.travel(NOW, tick=False):
        oost = TeamFactory(name="Oost", slug="oost")
        eva = member("eva", oost)
        from tests.care.test_quality import informer

        informer(oost, eva)
        for n in range(5):
            client = ClientFactory(team=oost, first_name=f"O{n}", last_name="Oost")
            done(client, "2026-02-03", eva, minutes=60)
            done(client, "2026-03-03", eva, minutes=60)
        published(world, team=oost, by=eva)
        body = reads(world.inspector, "get", f"{API}/snapshots/median?period=2026-Q1").json()
    assert {s["team_name"] for s in body["snapshots"]} == {"Noord", "Oost"}
    # Hours per client: Noord 1.0, Oost 2.0 -> 1.5. Visits delivered: 92.3 and 100.0
    # -> 96.15. Experience: only Noord's shows (Oost had no answers: empty).
    assert Decimal(body["median"]["hours_per_client"]) == Decimal("1.5")
    assert Decimal(body["median"]["visits_delivered"]) == Decimal("96.15")
    assert body["median_of"]["hours_per_client"] == 2
    assert body["median"]["experience_recommend"] == "40.0"
    assert body["median_of"]["experience_recommend"] == 1
    # Latest of each team without a period: Zuid's March, Noord's and Oost's quarter.
    latest = reads(world.inspector, "get", f"{API}/snapshots/median").json()
    assert {s["team_name"] for s in latest["snapshots"]} == {"Noord", "Oost", "Zuid"}
    # Zuid's figures rest on 2 clients: hidden, so they count in no median.
    assert latest["median_of"]["hours_per_client"] == 2


def test_a_snapshot_under_another_method_is_left_out_of_the_median(world, monkeypatch):
    # Zuid publishes February as if under an older method: its figures are not alike.
    monkeypatch.setattr(services, "METHOD_VERSION", "1")
    with time_machine.travel(NOW, tick=False):
        old = published(world, team=world.zuid, period="2026-02")
    body = reads(world.coach, "get", f"{API}/snapshots/median?period=2026-02").json()
    assert body["snapshots"] == []
    assert [s["id"] for s in body["left_out"]] == [old.pk]
    assert body["left_out"][0]["method_version"] == "1"


# --- query counts -------------------------------------------------------------------------------


def count(person, path) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert api(person).get(path).status_code == 200
    return len(queries)


def test_lists_take_the_same_queries_however_many_snapshots(world):
    paths = [
        f"{API}/snapshots",
        f"{API}/snapshots?every_version=1",
        f"{API}/snapshots/median",
        f"{API}/teams/{world.noord.pk}/snapshots",
        f"{API}/teams/{world.noord.pk}/snapshot-drafts",
        f"{API}/teams/{world.noord.pk}/snapshot-reads",
        f"{API}/clients/{world.jansen.pk}/surveys",
    ]

    def who(path):
        team_side = any(word in path for word in ("draft", "reads", "surveys"))
        return world.ana if team_side else world.inspector

    small = {path: count(who(path), path) for path in paths}
    # More of everything: corrections, more teams' snapshots, drafts, reads, answers.
    with time_machine.travel(NOW, tick=False):
        done(world.clients[0], "2026-03-30", world.ana)
        published(world)  # version 2 of Noord's quarter
        for period in ("2025-Q3", "2025-Q2"):
            services.snapshot_prepare(actor=world.ana, team=world.noord, period=period)
        published(world, team=world.zuid, period="2026-02")
        ExperienceSurvey.objects.create(
            client=world.jansen,
            period="2026-Q1",
            recommend=7,
            listen=3,
            informed=3,
            say=3,
            answered_by=world.mrs_jansen,
        )
        ExperienceSurvey.objects.create(
            client=world.jansen,
            period="2026-Q2",
            recommend=9,
            listen=4,
            informed=4,
            say=4,
            answered_by=world.mrs_jansen,
        )
    for _ in range(3):
        api(world.inspector).get(f"{API}/snapshots")
    large = {path: count(who(path), path) for path in paths}
    assert small == large
