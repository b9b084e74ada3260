"""The care API: who reaches what, logged reads, bad input, constant query counts."""

from __future__ import annotations

import pytest
from django.urls import URLResolver

from care.models import AccessLogEntry, Client, Grant, OmahaSign, PlanProblem
from care.services import clients as client_services
from care.services import plans
from tests.doors import api
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(personas):
    client = ClientFactory(
        team=personas.noord, first_name="Wilma", last_name="Jansen", account=personas.mrs_jansen
    )
    personas.entry = client_services.network_add(
        actor=personas.ana,
        client=client,
        circle="informal",
        relationship="daughter",
        name="Petra Jansen",
        account=personas.daughter,
    )
    personas.problem = plans.plan_add_problem(
        actor=personas.ana,
        client=client,
        version=1,
        problem=6,
        scope="individual",
        severity="potential",
    )
    personas.client = client
    return personas


def endpoints(w):
    c, p = w.client.pk, w.problem.pk
    return [
        ("get", f"/api/v1/teams/{w.noord.pk}/clients", None),
        ("post", f"/api/v1/teams/{w.noord.pk}/clients", {"first_name": "A", "last_name": "B"}),
        ("get", f"/api/v1/clients/{c}", None),
        ("patch", f"/api/v1/clients/{c}", {"phone": "1", "version": 1}),
        ("post", f"/api/v1/clients/{c}/status", {"status": "active"}),
        ("get", f"/api/v1/clients/{c}/network", None),
        (
            "post",
            f"/api/v1/clients/{c}/network",
            {"circle": "formal", "relationship": "GP", "name": "Dr X"},
        ),
        ("post", f"/api/v1/clients/{c}/grants", {"member": w.entry.pk, "scope": "plan"}),
        ("get", f"/api/v1/clients/{c}/plan", None),
        (
            "post",
            f"/api/v1/clients/{c}/plan/problems",
            {"problem": 35, "scope": "individual", "severity": "potential", "version": 2},
        ),
        (
            "post",
            f"/api/v1/plan-problems/{p}/interventions",
            {"category": 1, "target": 15, "description": "d", "frequency": "weekly", "version": 2},
        ),
        (
            "post",
            f"/api/v1/plan-problems/{p}/ratings",
            {"knowledge": 3, "behavior": 3, "status": 3},
        ),
        ("get", f"/api/v1/clients/{c}/access-log", None),
    ]


def snapshot():
    return (
        Client.objects.count(),
        PlanProblem.objects.count(),
        Grant.objects.count(),
        list(Client.objects.values_list("phone", "status")),
    )


def test_every_care_endpoint_is_covered_here_or_in_the_visits_tests(world):
    from care.urls import urlpatterns

    covered = {path.removeprefix("/api/v1/") for _, path, _ in endpoints(world)}
    covered_routes = {
        "/".join("<id:pk>" if part.isdigit() else part for part in path.split("/"))
        for path in covered
    }
    visits_and_budgets = {
        "api-client-visits",
        "api-client-series",
        "api-client-budget",
        "api-budget-entries",
    }  # tests/care/test_visits_api.py
    figures = {"api-team-indicators", "api-team-figures", "api-network-figures"}
    # tests/care/test_figures.py
    quality = {
        "api-client-surveys",
        "api-team-snapshot-drafts",
        "api-team-snapshots",
        "api-team-snapshot-reads",
        "api-snapshots",
        "api-snapshots-median",
        "api-snapshot",
        "api-snapshot-export",
        "api-snapshot-propose",
    }  # tests/care/test_quality_api.py (included from care/figures/quality/urls.py)
    invitations = {
        "api-client-portal-invitation",
        "api-client-representative",
        "api-client-representative-remove",
        "api-client-invitations",
        "api-client-network-invitations",
        "api-network-member-remove",
        "api-client-invitation-resend",
        "api-client-invitation-withdraw",
    }  # tests/care/test_invitations_api.py
    for pattern in urlpatterns:
        if isinstance(pattern, URLResolver):  # care/figures/quality/urls.py
            assert {p.name for p in pattern.url_patterns} == quality
            continue
        if pattern.name in visits_and_budgets | figures | quality | invitations | {
            "api-omaha",
            "api-grant-revoke",
        }:
            continue
        assert str(pattern.pattern) in covered_routes, pattern.name


@pytest.mark.parametrize("who", ["cas", "coach", "inspector", "daughter"])
def test_outsiders_and_ungranted_family_reach_nothing(world, who):
    before = snapshot()
    logged = AccessLogEntry.objects.count()
    client = api(getattr(world, who))
    for method, path, body in endpoints(world):
        response = getattr(client, method)(path, body, format="json")
        assert response.status_code == 404, (who, method, path, response.status_code)
        assert "Jansen" not in response.content.decode()
    assert snapshot() == before
    assert AccessLogEntry.objects.count() == logged


def test_anonymous_gets_401_everywhere(world):
    for method, path, body in endpoints(world):
        assert getattr(api(), method)(path, body, format="json").status_code == 401


def test_the_client_reads_her_record_and_decides_sharing_but_does_not_keep_it(world):
    client = api(world.mrs_jansen)
    c = world.client.pk
    for path in (
        f"/api/v1/clients/{c}",
        f"/api/v1/clients/{c}/plan",
        f"/api/v1/clients/{c}/network",
        f"/api/v1/clients/{c}/access-log",
    ):
        assert client.get(path).status_code == 200, path
    before = snapshot()
    assert (
        client.patch(
            f"/api/v1/clients/{c}", {"phone": "1", "version": 1}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.post(f"/api/v1/clients/{c}/status", {"status": "active"}, format="json").status_code
        == 403
    )
    assert snapshot() == before
    granted = client.post(
        f"/api/v1/clients/{c}/grants", {"member": world.entry.pk, "scope": "plan"}, format="json"
    )
    assert granted.status_code == 201
    # Now her daughter sees the plan, and only the plan.
    daughter = api(world.daughter)
    assert daughter.get(f"/api/v1/clients/{c}/plan").status_code == 200
    assert daughter.get(f"/api/v1/clients/{c}").status_code == 404
    assert daughter.get(f"/api/v1/clients/{c}/access-log").status_code == 404
    revoked = client.post(f"/api/v1/grants/{granted.json()['id']}/revoke")
    assert revoked.status_code == 200
    assert daughter.get(f"/api/v1/clients/{c}/plan").status_code == 404
    log = client.get(f"/api/v1/clients/{c}/access-log").json()
    assert any(
        (row["who"], row["what"], row["why"])
        == ("Petra Jansen", "care plan", "shared with them: plan")
        for row in log
    )


def test_the_care_team_keeps_the_record(world):
    client = api(world.ben)
    c = world.client.pk
    for method, path, body in endpoints(world):
        if path.endswith("access-log") or path.endswith("grants"):
            continue
        if body and "version" in body and "/plan" in path or "interventions" in path:
            # Each plan write moves the plan's version on: send the one just read.
            body = body | {
                "version": int(client.get(f"/api/v1/clients/{c}/plan")["ETag"].strip('"'))
            }
        response = getattr(client, method)(path, body, format="json")
        assert response.status_code in (200, 201), (method, path, response.json())


@pytest.mark.parametrize(
    "path, body, field",
    [
        (
            "plan/problems",
            {"problem": 99, "scope": "individual", "severity": "potential", "version": 2},
            "problem",
        ),
        (
            "plan/problems",
            {"problem": 22, "scope": "individual", "severity": "nope", "version": 2},
            "severity",
        ),
        ("status", {"status": "asleep"}, "status"),
    ],
)
def test_bad_input_is_400_naming_the_field(world, path, body, field):
    before = snapshot()
    response = api(world.ana).post(f"/api/v1/clients/{world.client.pk}/{path}", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["extra"]["fields"]
    assert snapshot() == before


def test_a_rating_outside_one_to_five_is_400(world):
    response = api(world.ana).post(
        f"/api/v1/plan-problems/{world.problem.pk}/ratings",
        {"knowledge": 6, "behavior": 3, "status": 0},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"knowledge", "status"}


def test_a_stale_plan_edit_is_409_with_the_current_plan(world):
    response = api(world.ana).post(
        f"/api/v1/clients/{world.client.pk}/plan/problems",
        {"problem": 35, "scope": "individual", "severity": "potential"},
        format="json",
        headers={"If-Match": '"1"'},
    )
    assert response.status_code == 409
    assert response.json()["extra"]["current"]["version"] == 2


def test_a_grant_to_someone_outside_the_network_is_400(world):
    other = client_services.client_create(
        actor=world.cas, team=world.zuid, first_name="Jan", last_name="Bos"
    )
    stranger = client_services.network_add(
        actor=world.cas, client=other, circle="informal", relationship="neighbour", name="Kees"
    )
    response = api(world.mrs_jansen).post(
        f"/api/v1/clients/{world.client.pk}/grants",
        {"member": stranger.pk, "scope": "plan"},
        format="json",
    )
    assert response.status_code == 400
    assert "member" in response.json()["extra"]["fields"]
    assert not Grant.objects.exists()


def test_lists_keep_a_constant_query_count(world, django_assert_max_num_queries):
    client = api(world.ana)
    team_url = f"/api/v1/teams/{world.noord.pk}/clients"
    plan_url = f"/api/v1/clients/{world.client.pk}/plan"
    client.get(team_url), client.get(plan_url)
    with django_assert_max_num_queries(50) as small_team:
        client.get(team_url)
    with django_assert_max_num_queries(50) as small_plan:
        client.get(plan_url)
    for i in range(8):
        client_services.client_create(
            actor=world.ana, team=world.noord, first_name=f"C{i}", last_name="X"
        )
    signs = list(OmahaSign.objects.filter(problem__number=22).values_list("pk", flat=True)[:2])
    entry = plans.plan_add_problem(
        actor=world.ana,
        client=world.client,
        version=2,
        problem=22,
        scope="individual",
        severity="actual",
        signs=signs,
    )
    for _ in range(4):
        entry.plan.refresh_from_db()
        plans.plan_add_intervention(
            actor=world.ana,
            plan_problem=entry,
            version=entry.plan.version,
            category=2,
            target=38,
            description="d",
            frequency="daily",
        )
        plans.plan_rate(actor=world.ana, plan_problem=entry, knowledge=3, behavior=3, status=3)
    with django_assert_max_num_queries(len(small_team.captured_queries)):
        assert len(client.get(team_url).json()) == 9
    with django_assert_max_num_queries(len(small_plan.captured_queries)):
        assert len(client.get(plan_url).json()["problems"]) == 2


def test_a_refused_write_by_the_client_is_not_logged_as_a_read(world):
    before = AccessLogEntry.objects.count()
    response = api(world.mrs_jansen).post(
        f"/api/v1/clients/{world.client.pk}/status", {"status": "active"}, format="json"
    )
    assert response.status_code == 403
    assert AccessLogEntry.objects.count() == before
