"""Clients follow a team split: the suggested partition, its reasons, the check, and
what adoption does to the clients who move and to those who stay.

Team Noord: ana and ben stay, femke and joris move to the new team Noord-Oost.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from care import access as care_access
from care import split
from care.models import Budget, CarePlan, Client, DiaryNote, NetworkMember, Visit, VisitSeries
from coordination.events import EventRecord, person_group
from teams import decisions
from teams.models import AuditEntry, Proposal, Team
from teams.services import proposals as proposal_services
from tests.factories import (
    BudgetFactory,
    CarePlanFactory,
    ClientFactory,
    NetworkMemberFactory,
    VisitFactory,
    VisitSeriesFactory,
    member,
)

pytestmark = pytest.mark.django_db

SETTLE = proposal_services.SETTLE + datetime.timedelta(seconds=1)


@pytest.fixture
def noord(personas):
    personas.femke = member("femke", personas.noord, first_name="Femke", last_name="Visser")
    personas.joris = member("joris", personas.noord, first_name="Joris", last_name="Bosman")
    personas.moving = sorted([personas.femke.pk, personas.joris.pk])
    return personas


def client(team, first, last, postcode="", status=Client.Status.ACTIVE) -> Client:
    return ClientFactory(
        team=team, first_name=first, last_name=last, postcode=postcode, status=status
    )


def done(client_, person, *, days_ago=7, times=1, status=Visit.Status.DONE) -> None:
    """``times`` visits to ``client_`` by ``person`` that many days ago, recorded done."""
    for n in range(times):
        start = timezone.now() - datetime.timedelta(days=days_ago, hours=n)
        VisitFactory(client=client_, window_start=start, assignee=person, status=status)


def upcoming(client_, assignee=None, carers=(), days=3) -> Visit:
    return VisitFactory(
        client=client_,
        window_start=timezone.now() + datetime.timedelta(days=days),
        assignee=assignee,
        status=Visit.Status.ASSIGNED if assignee else Visit.Status.PLANNED,
        preferred_carers=carers,
    )


def series(client_, carers=(), active=True) -> VisitSeries:
    return VisitSeriesFactory(client=client_, active=active, preferred_carers=carers)


def split_payload(w, **extra) -> dict:
    return {"new_name": "Noord-Oost", "moving": w.moving} | extra


def raise_split(w, **extra) -> Proposal:
    return proposal_services.proposal_raise(
        actor=w.ana,
        team=w.noord,
        kind="team_split",
        title="Two teams",
        purpose="We are fourteen with the new colleagues.",
        payload=split_payload(w, **extra),
    )


def adopt(proposal: Proposal) -> Proposal:
    proposal_services.proposals_close_due(team=proposal.team, now=proposal.closes_at + SETTLE)
    proposal.refresh_from_db()
    return proposal


def consented(w, proposal: Proposal) -> Proposal:
    proposal_services.proposal_consent(actor=w.ben, proposal=proposal)
    return proposal


def rows_by_name(team, moving) -> dict[str, split.Row]:
    return {row.client.display_name: row for row in split.explain_partition(team, moving)}


# --- postcode sectors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("postcode", "sector"),
    [
        ("NW1 6XE", "NW1 6"),
        ("nw16xe", "NW1 6"),
        ("SW1A 1AA", "SW1A 1"),
        ("E2  7AB", "E2 7"),
        ("7413 AB", "7413 A"),
        ("7413ab", "7413 A"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_postcode_sector(postcode, sector):
    assert split.postcode_sector(postcode) == sector


# --- the suggestion ---------------------------------------------------------------------------


def test_each_client_goes_with_the_side_that_visited_most(noord):
    w = noord
    alma = client(w.noord, "Alma", "Aarts", "NW1 6XE")
    done(alma, w.femke, times=3)
    done(alma, w.ana)
    bert = client(w.noord, "Bert", "Bakker", "E2 7AB")
    done(bert, w.joris)
    done(bert, w.ben, times=4)
    # Long ago, or not done: none of it counts.
    done(bert, w.joris, days_ago=7 * 13, times=10)
    done(bert, w.joris, status=Visit.Status.CANCELLED, times=10)
    done(bert, w.joris, status=Visit.Status.MISSED, times=10)
    client(w.noord, "Cor", "Claes", "N4 2AA")  # no visits
    dina = client(w.noord, "Dina", "Dekker", "N5 1AA")
    done(dina, w.femke, times=2)
    done(dina, w.ana, times=2)
    gone = client(w.noord, "Evert", "Eden", "N6 1AA", status=Client.Status.DISCHARGED)
    done(gone, w.femke, times=5)
    other = client(w.zuid, "Fien", "Faber", "NW1 6XF")
    done(other, w.femke, times=5)

    assert split.suggest(w.noord, w.moving) == [alma.pk]
    rows = rows_by_name(w.noord, w.moving)
    assert set(rows) == {"Alma Aarts", "Bert Bakker", "Cor Claes", "Dina Dekker"}
    assert (rows["Alma Aarts"].moving_visits, rows["Alma Aarts"].staying_visits) == (3, 1)
    assert rows["Alma Aarts"].reason == (
        "Visited 3 times by moving members, once by staying members: moves."
    )
    assert (rows["Bert Bakker"].moving_visits, rows["Bert Bakker"].staying_visits) == (1, 4)
    assert rows["Bert Bakker"].reason.endswith(": stays.")
    assert rows["Cor Claes"].reason == "No visits in the last 12 weeks: stays."
    assert rows["Dina Dekker"].reason == (
        "Visited twice by moving members, twice by staying members: a tie, so stays."
    )
    # Who moves decides: with ana and ben moving instead, Bert goes and Alma stays.
    assert split.suggest(w.noord, [w.ana.pk, w.ben.pk]) == [bert.pk]


def test_neighbours_go_together_and_a_blank_postcode_is_its_own_group(noord):
    w = noord
    # NW1 6: Pim leans to the movers, Quint to the stayers; together the stayers win.
    pim = client(w.noord, "Pim", "Peters", "NW1 6XE")
    done(pim, w.femke)
    quint = client(w.noord, "Quint", "Quak", "nw1 6aa")
    done(quint, w.ana, times=3)
    # E2 7: Roos is the movers'; Sem, never visited, goes with her.
    roos = client(w.noord, "Roos", "Riks", "E2 7AB")
    done(roos, w.joris, times=4)
    sem = client(w.noord, "Sem", "Smit", "E2 7QQ")
    # E2 8 is another sector: Ties stays although next door by outward code.
    ties = client(w.noord, "Ties", "Tol", "E2 8AB")
    # No postcode: each alone.
    uma = client(w.noord, "Uma", "Uil")
    done(uma, w.femke, times=2)
    client(w.noord, "Vera", "Vos")

    assert split.suggest(w.noord, w.moving) == sorted([roos.pk, sem.pk, uma.pk])
    rows = rows_by_name(w.noord, w.moving)
    assert rows["Pim Peters"].reason == (
        "Visited once, by a moving member; neighbour of Quint Quak in NW1 6, together "
        "visited once by moving members, 3 times by staying members: stays with the neighbours."
    )
    assert rows["Sem Smit"].reason == (
        "No visits in the last 12 weeks; neighbour of Roos Riks in E2 7, together visited "
        "4 times, all by moving members: moves with the neighbours."
    )
    assert rows["Uma Uil"].reason == "Visited twice, all by moving members: moves."
    assert not rows["Ties Tol"].moves and rows["Ties Tol"].neighbours == []
    assert rows["Uma Uil"].neighbours == [] and rows["Vera Vos"].neighbours == []
    assert not rows["Vera Vos"].moves
    # Grouped on the page by sector, clients without a postcode last.
    order = [row.client.first_name for row in split.explain_partition(w.noord, w.moving)]
    assert order == ["Roos", "Sem", "Ties", "Pim", "Quint", "Uma", "Vera"]
    assert ties.pk not in split.suggest(w.noord, w.moving)


def test_the_suggestion_takes_one_query_however_many_clients(noord):
    w = noord
    first = client(w.noord, "Alma", "Aarts", "NW1 6XE")
    done(first, w.femke)
    with CaptureQueriesContext(connection) as few:
        split.explain_partition(w.noord, w.moving)
    for i in range(12):
        more = client(w.noord, f"C{i}", "Extra", f"E{i % 3} 7AB")
        done(more, w.femke if i % 2 else w.ben, times=i % 4)
    with CaptureQueriesContext(connection) as many:
        rows = split.explain_partition(w.noord, w.moving)
    assert len(rows) == 13
    assert len(few) == len(many) == 1


# --- checking the clients named -----------------------------------------------------------------


@pytest.mark.parametrize("value", ["all", {"1": True}, [True], [0], ["x"], [-3], None, 7], ids=repr)
def test_the_clients_must_be_a_list_of_ids(noord, value):
    with pytest.raises(ValidationError) as caught:
        split.validate(noord.noord, noord.moving, value)
    assert list(caught.value.message_dict) == ["clients"]


def test_only_the_teams_own_clients_of_any_status(noord):
    w = noord
    mine = client(w.noord, "Alma", "Aarts")
    discharged = client(w.noord, "Bert", "Bakker", status=Client.Status.DISCHARGED)
    theirs = client(w.zuid, "Fien", "Faber")
    assert split.validate(w.noord, w.moving, [str(discharged.pk), mine.pk, mine.pk]) == sorted(
        [mine.pk, discharged.pk]
    )
    with pytest.raises(ValidationError) as caught:
        split.validate(w.noord, w.moving, [mine.pk, theirs.pk])
    assert caught.value.message_dict == {"clients": [f"Not clients of this team: {theirs.pk}."]}


def test_a_proposal_that_leaves_the_clients_out_states_the_suggestion(noord):
    w = noord
    alma = client(w.noord, "Alma", "Aarts", "NW1 6XE")
    done(alma, w.femke, times=2)
    client(w.noord, "Bert", "Bakker", "E2 7AB")
    proposal = raise_split(w)
    assert proposal.payload["clients"] == [alma.pk]
    # Stated explicitly, the team's own choice stands, even nobody.
    assert raise_split(w, new_name="Noord-Zuid", clients=[]).payload["clients"] == []


# --- adoption -----------------------------------------------------------------------------------


@pytest.fixture
def records(noord):
    """Mrs Mol moves (with plan, budget, diary, network, visits, series); Mr Stam stays."""
    w = noord
    mol = client(w.noord, "Marga", "Mol", "NW1 6XE")
    CarePlanFactory(client=mol)
    BudgetFactory(client=mol, hourly_rate=Decimal("24.50"))
    DiaryNote.objects.create(client=mol, author=w.femke, body="Lovely walk today.")
    NetworkMemberFactory(client=mol, relationship="son", name="Kees")
    done(mol, w.femke, times=3)
    stam = client(w.noord, "Sjaak", "Stam", "E2 7AB")
    done(stam, w.ben, times=3)
    return {
        "mol": mol,
        "stam": stam,
        # Mrs Mol's open visits: ana (stays) must let go, femke (moves) keeps hers.
        "mol_by_ana": upcoming(mol, w.ana, carers=[w.ana, w.joris]),
        "mol_by_femke": upcoming(mol, w.femke, carers=[w.femke]),
        "mol_done": Visit.objects.filter(client=mol, status="done").first(),
        "mol_series": series(mol, carers=[w.ben, w.femke]),
        "mol_old_series": series(mol, carers=[w.ben], active=False),
        # Mr Stam's: joris (moves) lets go, ben (stays) keeps his.
        "stam_by_joris": upcoming(stam, w.joris, carers=[w.joris, w.ben]),
        "stam_by_ben": upcoming(stam, w.ben),
        "stam_series": series(stam, carers=[w.femke]),
    }


def reload(obj):
    return type(obj).objects.get(pk=obj.pk)


def carers(obj) -> set[str]:
    return set(obj.preferred_carers.values_list("username", flat=True))


def test_adoption_moves_the_chosen_clients_with_their_whole_record(noord, records):
    w, mol, stam = noord, records["mol"], records["stam"]
    proposal = raise_split(w)
    assert proposal.payload["clients"] == [mol.pk]
    before = {
        "visits": set(mol.visits.values_list("pk", flat=True)),
        "budgets": set(mol.budgets.values_list("pk", flat=True)),
        "diary": set(mol.diary.values_list("pk", flat=True)),
        "network": set(mol.network.values_list("pk", flat=True)),
    }
    proposal = adopt(consented(w, proposal))
    assert proposal.status == "adopted", proposal.outcome
    new = Team.objects.get(name="Noord-Oost")
    assert proposal.outcome["clients_moved"] == [mol.pk]
    assert proposal.outcome["summary"].endswith("; 1 client moved with them")

    mol, stam = reload(mol), reload(stam)
    assert (mol.team, mol.version) == (new, 2)
    assert (stam.team, stam.version) == (w.noord, 1)
    # Everything hangs off the client, so everything came along, nothing left behind.
    assert (
        set(Visit.objects.filter(client__team=new).values_list("pk", flat=True))
        == (before["visits"])
    )
    assert (
        set(Budget.objects.filter(client__team=new).values_list("pk", flat=True))
        == (before["budgets"])
    )
    assert (
        set(DiaryNote.objects.filter(client__team=new).values_list("pk", flat=True))
        == (before["diary"])
    )
    assert (
        set(NetworkMember.objects.filter(client__team=new).values_list("pk", flat=True))
        == (before["network"])
    )
    assert CarePlan.objects.get(client__team=new).client == mol
    # The record is now the new team's to keep, and no longer the old team's.
    assert care_access.can_keep_record(w.femke, mol) and care_access.can_keep_record(w.joris, mol)
    assert not care_access.can_keep_record(w.ana, mol)
    assert care_access.can_keep_record(w.ana, stam)
    assert not care_access.can_keep_record(w.femke, stam)


def test_open_visits_and_preferred_carers_follow_the_clients_team(noord, records):
    w, r = noord, records
    adopt(consented(w, raise_split(w)))

    by_ana = reload(r["mol_by_ana"])
    assert (by_ana.assignee, by_ana.status, by_ana.version) == (None, "planned", 2)
    assert carers(by_ana) == {"joris"}
    by_femke = reload(r["mol_by_femke"])
    assert (by_femke.assignee, by_femke.status, by_femke.version) == (w.femke, "assigned", 1)
    assert carers(by_femke) == {"femke"}
    assert reload(r["mol_done"]).assignee == w.femke  # what happened stays as it happened
    mol_series = reload(r["mol_series"])
    assert carers(mol_series) == {"femke"} and mol_series.version == 2
    assert carers(r["mol_old_series"]) == {"ben"}  # an ended series is history

    by_joris = reload(r["stam_by_joris"])
    assert (by_joris.assignee, by_joris.status, by_joris.version) == (None, "planned", 2)
    assert carers(by_joris) == {"ben"}
    by_ben = reload(r["stam_by_ben"])
    assert (by_ben.assignee, by_ben.status, by_ben.version) == (w.ben, "assigned", 1)
    assert carers(reload(r["stam_series"])) == set()


def test_adoption_audits_and_tells_both_teams_once_per_client(
    noord, records, captured_sends, django_capture_on_commit_callbacks
):
    w, mol, stam = noord, records["mol"], records["stam"]
    with django_capture_on_commit_callbacks(execute=True):
        proposal = adopt(consented(w, raise_split(w)))
    new = Team.objects.get(name="Noord-Oost")

    moved = EventRecord.objects.filter(type="client.moved")
    assert sorted(moved.values_list("stream", flat=True)) == sorted(
        [w.noord.stream, new.stream, mol.stream("visits")]
    )
    data = moved.first().data
    assert data == {
        "client": mol.pk,
        "from_team": w.noord.pk,
        "to_team": new.pk,
        "version": 2,
        "decision": proposal.pk,
        "visits_unassigned": [records["mol_by_ana"].pk],
        "carers_dropped": 2,
    }
    # Neither shared stream (coaches) hears of clients.
    assert not EventRecord.objects.filter(
        type__startswith="client.", stream__in=[w.noord.shared_stream, new.shared_stream]
    ).exists()
    stayed = EventRecord.objects.filter(type="client.carers_moved")
    assert sorted(stayed.values_list("stream", flat=True)) == sorted(
        [w.noord.stream, stam.stream("visits")]
    )
    assert stayed.first().data["visits_unassigned"] == [records["stam_by_joris"].pk]
    assert AuditEntry.objects.filter(action="client.moved", target=f"care.client:{mol.pk}").count()
    assert AuditEntry.objects.get(action="client.moved").data["decision"] == proposal.pk
    assert AuditEntry.objects.filter(
        action="client.carers_moved", target=f"care.client:{stam.pk}"
    ).exists()
    # The members who stay are told to check what they may still see.
    rung = {group for group, message in captured_sends if message["type"] == "access.changed"}
    assert {person_group(w.ana.pk), person_group(w.ben.pk)} <= rung


def test_adoption_checks_the_clients_again(noord, records):
    w, mol = noord, records["mol"]
    proposal = consented(w, raise_split(w))
    Client.objects.filter(pk=mol.pk).update(team=w.zuid)  # no longer Noord's meanwhile
    proposal = adopt(proposal)
    assert proposal.status == "open"
    assert proposal.outcome["not_applied"] == f"clients: Not clients of this team: {mol.pk}."
    assert not Team.objects.filter(name="Noord-Oost").exists()
    assert reload(records["stam_by_joris"]).assignee == w.joris  # nothing half-done


def test_the_split_works_with_no_participant_registered(noord, records, monkeypatch):
    w = noord
    monkeypatch.setattr(decisions, "_SPLIT_PARTICIPANTS", {})
    proposal = raise_split(w)
    assert "clients" not in proposal.payload
    proposal = adopt(consented(w, proposal))
    assert proposal.status == "adopted", proposal.outcome
    assert "clients_moved" not in proposal.outcome
    assert reload(records["mol"]).team == w.noord


# --- the API ------------------------------------------------------------------------------------


def api_raise(person, team, payload):
    api = APIClient()
    api.force_authenticate(person)
    body = {"kind": "team_split", "title": "Two teams", "purpose": "Too many", "payload": payload}
    return api.post(f"/api/v1/teams/{team.pk}/proposals", body, format="json")


@pytest.mark.parametrize("bad", ["stranger", "not-a-list", "nonsense-ids"])
def test_the_api_names_the_clients_field_and_saves_nothing(noord, bad):
    w = noord
    stranger = client(w.zuid, "Fien", "Faber")
    value = {"stranger": [stranger.pk], "not-a-list": "all", "nonsense-ids": [1.5, "x"]}[bad]
    before = (Proposal.objects.count(), EventRecord.objects.count(), AuditEntry.objects.count())
    response = api_raise(w.ana, w.noord, split_payload(w, clients=value))
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["message"]
    assert body["extra"]["fields"]["payload.clients"]
    after = (Proposal.objects.count(), EventRecord.objects.count(), AuditEntry.objects.count())
    assert after == before


def test_the_api_takes_the_clients_and_shows_them_in_the_payload(noord):
    w = noord
    alma = client(w.noord, "Alma", "Aarts")
    response = api_raise(w.ana, w.noord, split_payload(w, clients=[str(alma.pk)]))
    assert response.status_code == 201, response.json()
    assert response.json()["payload"]["clients"] == [alma.pk]


# --- pages --------------------------------------------------------------------------------------

NEW = "/teams/noord/proposals/new/"


def browser_as(person) -> Browser:
    browser = Browser()
    browser.force_login(person)
    return browser


def form(w, **extra) -> dict:
    return {
        "kind": "team_split",
        "title": "Two teams",
        "purpose": "We are too many",
        "window_hours": "72",
        "new_name": "Noord-Oost",
        "stays_name": "Noord",
        "moving": [str(pk) for pk in w.moving],
    } | extra


@pytest.fixture
def neighbourhood(noord):
    w = noord
    alma = client(w.noord, "Alma", "Aarts", "NW1 6XE")
    done(alma, w.femke, times=3)
    pim = client(w.noord, "Pim", "Peters", "NW1 6AB")
    bert = client(w.noord, "Bert", "Bakker", "E2 7AB")
    done(bert, w.ben, times=2)
    return {"alma": alma, "pim": pim, "bert": bert}


def checked(html: str, pk: int) -> bool:
    return f'name="clients" value="{pk}" checked' in html


def test_the_split_form_shows_the_suggestion_by_sector_with_reasons(noord, neighbourhood):
    w, c = noord, neighbourhood
    html = browser_as(w.ana).get(f"{NEW}?kind=team_split").content.decode()
    assert "Clients who move to the new team" in html
    assert 'data-sector="NW1 6"' in html and 'data-sector="E2 7"' in html
    assert "Suggest clients for these members" in html
    assert not any(checked(html, client_.pk) for client_ in c.values())  # nobody moves yet

    response = browser_as(w.ana).post(NEW, form(w, suggest="1"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Clients suggested for the members ticked" in html
    assert checked(html, c["alma"].pk) and checked(html, c["pim"].pk)
    assert not checked(html, c["bert"].pk)
    assert "Visited 3 times, all by moving members" in html
    assert "neighbour of Alma Aarts in NW1 6" in html
    assert f'name="clients_for" value="{",".join(map(str, w.moving))}"' in html
    assert not Proposal.objects.exists()


def test_the_form_raises_the_clients_as_ticked(noord, neighbourhood):
    w, c = noord, neighbourhood
    ticked = form(w, clients=[str(c["bert"].pk)], clients_for=",".join(map(str, w.moving)))
    response = browser_as(w.ana).post(NEW, ticked)
    assert response.status_code == 302
    proposal = Proposal.objects.get()
    assert proposal.payload["clients"] == [c["bert"].pk]

    page = browser_as(w.ben).get(f"/proposals/{proposal.pk}/").content.decode()
    assert "Clients who move to the new team" in page
    assert f'data-client="{c["bert"].pk}">Bert Bakker' in page
    assert "Alma Aarts" not in page


def test_changing_who_moves_suggests_again_before_anything_is_raised(noord, neighbourhood):
    w, c = noord, neighbourhood
    # The clients were shown for nobody moving; femke and joris are ticked since.
    stale = form(w, clients=[str(c["bert"].pk)], clients_for="")
    response = browser_as(w.ana).post(NEW, stale, headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Who moves changed since the clients were suggested" in html
    assert checked(html, c["alma"].pk) and not checked(html, c["bert"].pk)
    assert not Proposal.objects.exists()
    # When what is ticked is the suggestion for the members ticked now, it is raised.
    same = form(w, clients=[str(c["alma"].pk), str(c["pim"].pk)], clients_for="")
    assert browser_as(w.ana).post(NEW, same).status_code == 302
    assert Proposal.objects.get().payload["clients"] == sorted([c["alma"].pk, c["pim"].pk])


def test_a_bad_client_comes_back_on_the_form_with_the_boxes_as_ticked(noord, neighbourhood):
    w, c = noord, neighbourhood
    stranger = client(w.zuid, "Fien", "Faber")
    bad = form(
        w,
        clients=[str(c["alma"].pk), str(stranger.pk)],
        clients_for=",".join(map(str, w.moving)),
    )
    response = browser_as(w.ana).post(NEW, bad)
    assert response.status_code == 400
    html = response.content.decode()
    assert f"Not clients of this team: {stranger.pk}." in html
    assert checked(html, c["alma"].pk) and not checked(html, c["pim"].pk)
    assert not Proposal.objects.exists()


def test_a_coach_reads_how_many_clients_move_but_not_who(noord, neighbourhood):
    w, c = noord, neighbourhood
    invite = proposal_services.proposal_raise(
        actor=w.ana,
        team=w.noord,
        kind="coach_invite",
        title="A coach",
        purpose="Advice on the split.",
        payload={"coach": w.coach.pk, "ends": "2099-12-31"},
    )
    assert adopt(consented(w, invite)).status == "adopted"
    proposal = raise_split(w, clients=[c["alma"].pk, c["pim"].pk])
    html = browser_as(w.coach).get(f"/proposals/{proposal.pk}/").content.decode()
    assert "2 clients; their names are for the team's members." in html
    assert "Alma" not in html and "Pim" not in html
    member_html = browser_as(w.femke).get(f"/proposals/{proposal.pk}/").content.decode()
    assert "Alma Aarts" in member_html and "Pim Peters" in member_html


def test_the_author_amends_with_a_fresh_suggestion(noord, neighbourhood):
    w, c = noord, neighbourhood
    proposal = raise_split(w, clients=[])
    page = browser_as(w.ana).get(f"/proposals/{proposal.pk}/").content.decode()
    assert "Suggest clients for these members" in page  # in the amend form
    amend = form(w, version=str(proposal.version), suggest="1")
    response = browser_as(w.ana).post(f"/proposals/{proposal.pk}/amend/", amend)
    assert response.status_code == 200
    html = response.content.decode()
    assert checked(html, c["alma"].pk) and checked(html, c["pim"].pk)
    assert reload(proposal).version == proposal.version  # nothing saved yet
    # Someone other than the author gets no suggestion (it names clients).
    refused = browser_as(w.ben).post(f"/proposals/{proposal.pk}/amend/", amend)
    assert refused.status_code == 403
    keep = form(
        w,
        version=str(proposal.version),
        clients=[str(c["alma"].pk)],
        clients_for=",".join(map(str, w.moving)),
    )
    saved = browser_as(w.ana).post(f"/proposals/{proposal.pk}/amend/", keep)
    assert saved.status_code == 302
    assert reload(proposal).payload["clients"] == [c["alma"].pk]


def test_a_discharged_client_named_in_the_proposal_stays_on_the_amend_form(noord, neighbourhood):
    w = noord
    gone = client(w.noord, "Evert", "Eden", "NW1 6AA", status=Client.Status.DISCHARGED)
    quiet = client(w.noord, "Gijs", "Gans", "NW1 6AB", status=Client.Status.DISCHARGED)
    proposal = raise_split(w, clients=[gone.pk])
    html = browser_as(w.ana).get(f"/proposals/{proposal.pk}/").content.decode()
    assert checked(html, gone.pk) and "Discharged: left out of the suggestion." in html
    assert f'value="{quiet.pk}"' not in html  # other discharged clients are not offered
