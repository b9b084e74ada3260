"""Every write under /api/v1/ honours an Idempotency-Key (config.idempotency): a retry
with the same key gets the first answer and changes nothing; the same key with a
different request is refused (422); a failure (5xx) keeps nothing, so its retry runs.
"""

from __future__ import annotations

import datetime
import threading
import time
from decimal import Decimal

import pytest
import time_machine
from asgiref.sync import async_to_sync
from django.apps import apps
from django.db import connection, connections
from django.test import AsyncClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.crypto import get_random_string
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from care.models import Client, Grant, LedgerEntry, Visit
from care.services import budgets as budget_services
from care.services import visits as visit_services
from config.idempotency import KEY_LIFETIME, open_to_anonymous, purge_idempotency_keys
from config.models import IdempotentRequest
from coordination.events import EventRecord
from teams.models import ApiToken, AuditEntry, Comment, Proposal, Team
from teams.services import proposals as proposal_services
from tests.api_walk import api_views, openapi_path
from tests.care.jansen import jansen_with_family
from tests.care.visit_helpers import intervention, plan
from tests.doors import api
from tests.factories import api_token, proposal

pytestmark = pytest.mark.django_db

API = "/api/v1"
KEY = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
SNAPSHOT_APPS = ("teams", "care", "coordination", "kith_config")


def snapshot() -> dict:
    """Every row of every table a request could touch, in full."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values_list())
        for app in SNAPSHOT_APPS
        for model in apps.get_app_config(app).get_models()
    }


def counts() -> dict:
    return {
        "proposals": Proposal.objects.count(),
        "comments": Comment.objects.count(),
        "team versions": sum(Team.objects.values_list("version", flat=True)),
        "clients": Client.objects.count(),
        "visits": Visit.objects.count(),
        "ledger": LedgerEntry.objects.count(),
        "audit": AuditEntry.objects.count(),
        "events": EventRecord.objects.count(),
        "keys": IdempotentRequest.objects.count(),
    }


def error(response) -> tuple[int, str, dict]:
    body = response.json()
    assert set(body) == {"message", "extra"}, body
    assert body["message"], body
    return response.status_code, body["message"], body["extra"].get("fields", {})


def assert_replay(again, first) -> None:
    assert again[REPLAYED] == "true"
    assert again.status_code == first.status_code
    assert again.content == first.content
    assert again.get("Content-Type") == first.get("Content-Type")  # none for a 204
    for header in ("ETag", "Location"):
        assert again.get(header) == first.get(header)


def proposal_body(**overrides) -> dict:
    return {
        "kind": "general",
        "title": "Lunch rota on Thursdays",
        "purpose": "So that nobody eats alone at the office.",
    } | overrides


@pytest.fixture
def world(personas):
    return build_world(personas)


def build_world(personas):
    """Noord with one of everything a write endpoint can be aimed at."""
    w = personas
    now = timezone.now()
    w.proposal = proposal(
        w.ana, w.noord, title="Shared car for the evening round", purpose="Fewer late taxis."
    )
    w.objection = proposal_services.proposal_object(
        actor=w.ben, proposal=w.proposal, reason="Who pays the insurance?"
    )
    w.client, w.petra = jansen_with_family(personas)
    w.grant = Grant.objects.get(member=w.petra, scope="visits")
    w.plan_problem = intervention(w.client, w.ana).plan_problem
    w.budget = budget_services.budget_create(
        actor=w.ana,
        client=w.client,
        kind="direct_payment",
        period="four_weekly",
        allocation=Decimal("480.00"),
        hourly_rate=Decimal("24.00"),
        starts=timezone.localdate() - datetime.timedelta(days=7),
    )
    w.visit = plan(w.ana, w.client, now + datetime.timedelta(days=1))
    # Planned for earlier today and started: ready to be recorded as done.
    started = plan(w.ana, w.client, now - datetime.timedelta(hours=2))
    w.started = visit_services.visit_start(
        actor=w.ana, visit=started, version=started.version, at=now - datetime.timedelta(hours=2)
    )
    return w


# --- every write endpoint, from the URL configuration -----------------------------------


def _visit_window(days: int) -> dict:
    day = timezone.localdate() + datetime.timedelta(days=days)
    start = datetime.datetime.combine(
        day, datetime.time(10), tzinfo=timezone.get_current_timezone()
    )
    return {
        "window_start": start.isoformat(),
        "window_end": (start + datetime.timedelta(hours=1)).isoformat(),
        "expected_minutes": 30,
    }


# (url name, method) -> who sends it, where (<pk>), the body, and the If-Match it needs.
# Each succeeds, so the walk proves a successful write is replayed, not re-run. An
# endpoint not listed here still gets walked, with an empty body (see TARGETS).
REQUESTS = {
    ("api-team", "patch"): ("ana", "noord", lambda w: {"phone": "0900 666"}, "noord"),
    ("api-team-proposals", "post"): ("ana", "noord", lambda w: proposal_body(), None),
    ("api-proposal-comments", "post"): (
        "ben",
        "proposal",
        lambda w: {"body": "Is the car electric?", "kind": "question"},
        None,
    ),
    ("api-proposal-consent", "post"): ("ana", "proposal", lambda w: {}, None),
    ("api-proposal-object", "post"): (
        "ben",
        "proposal",
        lambda w: {"reason": "And parking?"},
        None,
    ),
    ("api-proposal-amend", "post"): (
        "ana",
        "proposal",
        lambda w: {"title": "Shared car, insured by the team"},
        "proposal",
    ),
    ("api-proposal-withdraw", "post"): ("ana", "proposal", lambda w: {}, None),
    ("api-objection-withdraw", "post"): ("ben", "objection", lambda w: {}, None),
    ("api-team-clients", "post"): (
        "ana",
        "noord",
        lambda w: {"first_name": "Jan", "last_name": "Smit"},
        None,
    ),
    ("api-client", "patch"): ("ana", "client", lambda w: {"phone": "0570 123456"}, "client"),
    ("api-client-status", "post"): ("ana", "client", lambda w: {"status": "active"}, None),
    ("api-client-network", "post"): (
        "ana",
        "client",
        lambda w: {"circle": "informal", "relationship": "neighbour", "name": "Kees de Boer"},
        None,
    ),
    ("api-client-grants", "post"): (
        "mrs_jansen",
        "client",
        lambda w: {"member": w.petra.pk, "scope": "budget"},
        None,
    ),
    ("api-grant-revoke", "post"): ("mrs_jansen", "grant", lambda w: {}, None),
    ("api-client-representative", "post"): (
        "mrs_jansen",
        "client",
        lambda w: {"email": "rep@example.nl", "basis": "chosen"},
        None,
    ),
    ("api-client-network-invitations", "post"): (
        "mrs_jansen",
        "client",
        lambda w: {
            "email": "kees@example.nl",
            "name": "Kees de Boer",
            "relationship": "neighbour",
            "circle": "informal",
            "scopes": ["visits"],
        },
        None,
    ),
    ("api-network-member-remove", "post"): ("mrs_jansen", "petra", lambda w: {}, "petra"),
    ("api-plan-problems", "post"): (
        "ana",
        "client",
        lambda w: {"problem": 27, "scope": "individual", "severity": "potential"},
        "plan",
    ),
    ("api-interventions", "post"): (
        "ana",
        "plan_problem",
        lambda w: {
            "category": 4,
            "target": 2,
            "description": "Weekly check",
            "frequency": "weekly",
        },
        "plan",
    ),
    ("api-ratings", "post"): (
        "ana",
        "plan_problem",
        lambda w: {"knowledge": 3, "behavior": 3, "status": 4},
        None,
    ),
    ("api-client-visits", "post"): ("ana", "client", lambda w: _visit_window(2), None),
    ("api-visit-assign", "post"): ("ana", "visit", lambda w: {"person": w.ben.pk}, "visit"),
    # Start reads its body: the version may come in it instead of If-Match.
    ("api-visit-start", "post"): (
        "ana",
        "visit",
        lambda w: {"version": w.visit.version, "reason": "Tomorrow's, started today"},
        "visit",
    ),
    ("api-visit-finish", "post"): ("ana", "started", lambda w: {"note": "All well."}, "started"),
    ("api-visit-cancel", "post"): ("ana", "visit", lambda w: {"reason": "In hospital"}, "visit"),
    ("api-client-budget", "post"): (
        "ana",
        "client",
        lambda w: {
            "kind": "isf",
            "period": "weekly",
            "allocation": "100.00",
            "hourly_rate": "20.00",
            "starts": timezone.localdate().isoformat(),
        },
        None,
    ),
    ("api-budget-entries", "post"): (
        "ana",
        "budget",
        lambda w: {"kind": "purchase", "amount": "-12.50", "reason": "Taxi to the clinic"},
        None,
    ),
}

WRITES = [
    (name, route, method, view)
    for name, route, method, view in api_views()
    if method != "get" and not open_to_anonymous(view)
]
OPEN_WRITES = [
    (name, route, method)
    for name, route, method, view in api_views()
    if method != "get" and open_to_anonymous(view)
]


# Where a route's <pk> points when the endpoint has no request of its own above: the
# request then still reaches the view (most likely to be refused, which is replayed
# as well); an unknown kind of object gets an id that does not exist (404, replayed).
TARGETS = {
    "teams": "noord",
    "proposals": "proposal",
    "objections": "objection",
    "clients": "client",
    "grants": "grant",
    "network-members": "petra",
    "plan-problems": "plan_problem",
    "visits": "visit",
    "budgets": "budget",
}
NO_SUCH_ID = 10**9


def _target(w, where: str):
    if where == "plan":
        return w.client.plan
    return getattr(w, where)


def _request(w, name: str, route: str, method: str):
    """(person, url, body, If-Match or None) of a request to the endpoint."""
    if (name, method) in REQUESTS:
        who, where, make_body, version_of = REQUESTS[(name, method)]
        target = _target(w, where)
        seen = _target(w, version_of) if version_of else None
        person, body = getattr(w, who), make_body(w)
    else:
        where = TARGETS.get(route.split("/")[0])
        target = seen = _target(w, where) if where else None
        person, body = w.ana, {}
    url = f"{API}/{route}".replace("<id:pk>", str(target.pk if target else NO_SUCH_ID))
    if seen is not None and hasattr(seen, "version"):
        seen.refresh_from_db()
        return person, url, body, f'"{seen.version}"'
    return person, url, body, None


def sender(w, name: str, route: str, method: str, *, key: str):
    """The same request each time it is called (a retry), or with another body."""
    person, url, usual_body, if_match = _request(w, name, route, method)
    headers = {KEY: key} | ({"If-Match": if_match} if if_match else {})

    def send(body=None):
        return getattr(api(person), method)(
            url, usual_body if body is None else body, format="json", headers=headers
        )

    return send


def test_the_requests_here_are_of_endpoints_that_exist():
    assert set(REQUESTS) <= {(name, method) for name, _route, method, _view in WRITES}


@pytest.mark.parametrize(
    ("name", "route", "method"),
    [(name, route, method) for name, route, method, _view in WRITES],
    ids=[f"{method.upper()} {route}" for _name, route, method, _view in WRITES],
)
def test_a_retried_write_gets_the_first_answer_and_changes_nothing(world, name, route, method):
    send = sender(world, name, route, method, key="walk-1")
    before = snapshot()
    first = send()
    assert first.status_code < 500
    if (name, method) in REQUESTS:
        assert 200 <= first.status_code < 300, first.json()
        assert snapshot() != before
    assert REPLAYED not in first
    after_first = snapshot()
    assert IdempotentRequest.objects.filter(key="walk-1").count() == 1

    again = send()

    assert_replay(again, first)
    assert snapshot() == after_first


# --- a representative set, counted -----------------------------------------------------

# (name, route, method) -> the count the write adds to, and another body for the 422.
CASES = {
    "raise a proposal": ("api-team-proposals", "teams/<id:pk>/proposals", "post", "proposals"),
    "comment": ("api-proposal-comments", "proposals/<id:pk>/comments", "post", "comments"),
    "team details": ("api-team", "teams/<id:pk>", "patch", "team versions"),
    "take on a client": ("api-team-clients", "teams/<id:pk>/clients", "post", "clients"),
    "plan a visit": ("api-client-visits", "clients/<id:pk>/visits", "post", "visits"),
    "ledger entry": ("api-budget-entries", "budgets/<id:pk>/entries", "post", "ledger"),
}
OTHER_BODIES = {
    "raise a proposal": proposal_body(title="Lunch rota on Fridays"),
    "comment": {"body": "Is the car a hybrid?", "kind": "question"},
    "team details": {"phone": "0900 777"},
    "take on a client": {"first_name": "Jan", "last_name": "Smid"},
    "plan a visit": _visit_window(3),
    "ledger entry": {"kind": "purchase", "amount": "-12.51", "reason": "Taxi to the clinic"},
}


@pytest.mark.parametrize("case", list(CASES))
def test_the_retry_adds_no_row_event_or_audit(world, case):
    name, route, method, what = CASES[case]
    send = sender(world, name, route, method, key="k-1")
    before = counts()
    first = send()
    assert 200 <= first.status_code < 300, first.json()
    made = counts()
    assert made[what] == before[what] + 1
    assert made["audit"] == before["audit"] + 1
    assert made["events"] > before["events"]
    assert made["keys"] == before["keys"] + 1
    state = snapshot()

    for _retry in range(2):
        assert_replay(send(), first)
    assert counts() == made
    assert snapshot() == state


@pytest.mark.parametrize("case", list(CASES))
def test_the_same_key_with_another_body_is_422_and_changes_nothing(world, case):
    name, route, method, _what = CASES[case]
    send = sender(world, name, route, method, key="k-1")
    first = send()
    assert 200 <= first.status_code < 300, first.json()
    state = snapshot()

    other = send(OTHER_BODIES[case])

    assert REPLAYED not in other
    code, message, fields = error(other)
    assert code == 422
    assert message == "This Idempotency-Key was already used for a different request."
    assert list(fields) == [KEY]
    assert snapshot() == state
    # The first request, retried, still gets its own answer.
    assert_replay(send(), first)


def test_the_same_key_elsewhere_or_with_another_query_or_version_is_another_request(world):
    url = f"{API}/teams/{world.noord.pk}"
    ana = api(world.ana)
    first = ana.patch(url, {"phone": "1"}, format="json", headers={KEY: "k", "If-Match": "1"})
    assert first.status_code == 200, first.json()
    state = snapshot()
    attempts = [
        ana.patch(url, {"phone": "1"}, format="json", headers={KEY: "k", "If-Match": "2"}),
        ana.patch(
            f"{url}?notify=1", {"phone": "1"}, format="json", headers={KEY: "k", "If-Match": "1"}
        ),
        ana.post(
            f"{API}/teams/{world.noord.pk}/proposals",
            proposal_body(),
            format="json",
            headers={KEY: "k"},
        ),
    ]
    for response in attempts:
        assert error(response)[0] == 422
    assert snapshot() == state


def test_a_key_belongs_to_one_person(world):
    url = f"{API}/teams/{world.noord.pk}/proposals"
    first = api(world.ana).post(url, proposal_body(), format="json", headers={KEY: "k-1"})
    assert first.status_code == 201

    # Ben's request under the same key is his own: it runs.
    bens = api(world.ben).post(url, proposal_body(), format="json", headers={KEY: "k-1"})
    assert bens.status_code == 201 and REPLAYED not in bens
    assert bens.json()["id"] != first.json()["id"]
    assert bens.json()["author"] != first.json()["author"]
    # An outsider never gets another person's stored answer, only his own refusal.
    cas = api(world.cas).post(url, proposal_body(), format="json", headers={KEY: "k-1"})
    assert cas.status_code == 404 and REPLAYED not in cas
    assert Proposal.objects.filter(title="Lunch rota on Thursdays").count() == 2
    assert set(IdempotentRequest.objects.values_list("person__username", flat=True)) == {
        "ana",
        "ben",
        "cas",
    }


# --- refusals and failures ---------------------------------------------------------------


def test_a_refusal_is_replayed_as_the_same_refusal(world):
    url = f"{API}/teams/{world.noord.pk}/proposals"
    ana = api(world.ana)
    state = counts()
    first = ana.post(url, proposal_body(title=""), format="json", headers={KEY: "k-400"})
    assert error(first)[0] == 400
    again = ana.post(url, proposal_body(title=""), format="json", headers={KEY: "k-400"})
    assert_replay(again, first)
    # A stale version's 409 likewise, even once the version it names is current again.
    team_url = f"{API}/teams/{world.noord.pk}"
    stale = ana.patch(
        team_url, {"phone": "1"}, format="json", headers={KEY: "k-409", "If-Match": "2"}
    )
    assert stale.status_code == 409
    assert (
        ana.patch(team_url, {"phone": "0"}, format="json", headers={"If-Match": "1"}).status_code
        < 300
    )
    again = ana.patch(
        team_url, {"phone": "1"}, format="json", headers={KEY: "k-409", "If-Match": "2"}
    )
    assert_replay(again, stale)
    assert counts()["proposals"] == state["proposals"]
    assert Team.objects.get(pk=world.noord.pk).phone == "0"


def test_a_server_error_keeps_nothing_and_its_retry_runs(world, monkeypatch):
    url = f"{API}/teams/{world.noord.pk}/proposals"
    real = proposal_services.proposal_raise

    def raise_then_crash(**kwargs):
        real(**kwargs)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(proposal_services, "proposal_raise", raise_then_crash)
    state = snapshot()
    client = api(world.ana, raise_request_exception=False)
    crashed = client.post(url, proposal_body(), format="json", headers={KEY: "k-1"})
    assert crashed.status_code == 500
    # The proposal the view made before it failed went with the failure: nothing half-saved.
    assert snapshot() == state

    monkeypatch.setattr(proposal_services, "proposal_raise", real)
    retried = client.post(url, proposal_body(), format="json", headers={KEY: "k-1"})
    assert retried.status_code == 201 and REPLAYED not in retried
    assert Proposal.objects.filter(title="Lunch rota on Thursdays").count() == 1
    assert_replay(client.post(url, proposal_body(), format="json", headers={KEY: "k-1"}), retried)


@pytest.mark.parametrize(
    "key",
    ["x" * 256, "", "café", "tab\tin it", "bell\x07"],
    ids=["too long", "empty", "not ascii", "tab", "control"],
)
def test_a_malformed_key_is_400_naming_the_header_and_changes_nothing(world, key):
    state = snapshot()
    response = api(world.ana).post(
        f"{API}/teams/{world.noord.pk}/proposals",
        proposal_body(),
        format="json",
        headers={KEY: key},
    )
    code, _message, fields = error(response)
    assert code == 400
    assert list(fields) == [KEY]
    assert snapshot() == state


def test_a_keyed_body_over_the_upload_limit_is_413_and_changes_nothing(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    state = snapshot()
    response = api(world.ana).post(
        f"{API}/teams/{world.noord.pk}/proposals",
        proposal_body(details="x" * 2000),
        format="json",
        headers={KEY: "k-1"},
    )
    assert error(response)[0] == 413
    assert snapshot() == state


def test_a_key_of_255_printable_characters_is_taken(world):
    key = ("Ab9 -_:/~" * 40)[:255]
    url = f"{API}/teams/{world.noord.pk}/proposals"
    first = api(world.ana).post(url, proposal_body(), format="json", headers={KEY: key})
    assert first.status_code == 201
    assert_replay(
        api(world.ana).post(url, proposal_body(), format="json", headers={KEY: key}), first
    )


# --- who the caller is ---------------------------------------------------------------------


def test_an_unauthenticated_request_passes_through_untouched(world):
    url = f"{API}/teams/{world.noord.pk}/proposals"
    plain = APIClient().post(url, proposal_body(), format="json")
    for key in ("k-1", "x" * 300):
        keyed = APIClient().post(url, proposal_body(), format="json", headers={KEY: key})
        assert (keyed.status_code, keyed.json()) == (plain.status_code, plain.json())
        assert keyed.status_code == 401
    bad_token = APIClient(headers={"Authorization": "Token nonsense"})
    plain = bad_token.post(url, proposal_body(), format="json")
    keyed = bad_token.post(url, proposal_body(), format="json", headers={KEY: "k-1"})
    assert (keyed.status_code, keyed.json()) == (plain.status_code, plain.json())
    assert not IdempotentRequest.objects.exists()


def test_signing_in_is_not_keyed(world):
    world.ana.set_password("pw-for-ana")
    world.ana.save()
    first = APIClient().post(
        f"{API}/auth/token", {"username": "ana", "password": "pw-for-ana"}, headers={KEY: "k"}
    )
    again = APIClient().post(
        f"{API}/auth/token", {"username": "ana", "password": "pw-for-ana"}, headers={KEY: "k"}
    )
    assert first.status_code == again.status_code == 200
    assert REPLAYED not in again
    # Nor is any write open to anonymous callers, even when a signed-in person sends it.
    assert OPEN_WRITES
    for _name, route, method in OPEN_WRITES:
        for _attempt in range(2):
            answer = getattr(api(world.ben), method)(f"{API}/{route}", {}, headers={KEY: "k"})
            assert answer.status_code < 500 and REPLAYED not in answer
    assert not IdempotentRequest.objects.exists()


def test_a_token_caller_is_keyed_by_their_token(world):
    token = api_token(world.ana)
    client = APIClient(headers={"Authorization": f"Token {token}"})
    url = f"{API}/teams/{world.noord.pk}/proposals"
    first = client.post(url, proposal_body(), format="json", headers={KEY: "k-1"})
    assert first.status_code == 201
    assert_replay(client.post(url, proposal_body(), format="json", headers={KEY: "k-1"}), first)
    assert IdempotentRequest.objects.get().person == world.ana


def test_a_first_keyed_write_reserves_its_key_in_one_statement(world):
    """No read before the insert and no savepoint around it: one INSERT ... ON CONFLICT
    (every keyed write starts with it)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = f"{API}/teams/{world.noord.pk}/proposals"
    with CaptureQueriesContext(connection) as queries:
        first = api(world.ana).post(url, proposal_body(), format="json", headers={KEY: "k-1"})
    assert first.status_code == 201
    table = IdempotentRequest._meta.db_table
    touching = [q["sql"] for q in queries.captured_queries if table in q["sql"]]
    assert len(touching) == 2, touching  # the reservation, then the answer stored
    assert touching[0].startswith("INSERT") and "ON CONFLICT DO NOTHING" in touching[0]
    assert touching[1].startswith("UPDATE")


def test_a_keyed_write_reads_the_callers_token_once(world):
    """The middleware finds the caller before the view does; the token is read once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    token = api_token(world.ana)
    client = APIClient(headers={"Authorization": f"Token {token}"})
    url = f"{API}/teams/{world.noord.pk}/proposals"
    with CaptureQueriesContext(connection) as queries:
        first = client.post(url, proposal_body(), format="json", headers={KEY: "k-1"})
    assert first.status_code == 201
    table = ApiToken._meta.db_table
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert sum(table in sql for sql in reads) == 1
    # A refused token is refused by the view as well (nothing kept of it).
    bad = APIClient(headers={"Authorization": "Token nonsense"})
    refused = bad.post(url, proposal_body(), format="json", headers={KEY: "k-2"})
    assert refused.status_code == 401


def test_under_asgi_a_retry_is_replayed_too(world):
    # daphne serves the API: Django runs this sync middleware and the view in one thread,
    # so the view's work and the stored answer share the one transaction there as well.
    token = api_token(world.ana)
    headers = {"Authorization": f"Token {token}", KEY: "k-asgi"}
    url = f"{API}/teams/{world.noord.pk}/proposals"

    def post():
        return async_to_sync(AsyncClient().post)(
            url, proposal_body(), content_type="application/json", headers=headers
        )

    first = post()
    assert first.status_code == 201, first.json()
    state = snapshot()
    assert_replay(post(), first)
    assert snapshot() == state


def test_a_session_caller_still_needs_the_csrf_token(world):
    url = f"{API}/teams/{world.noord.pk}/proposals"
    browser = APIClient(enforce_csrf_checks=True)
    browser.force_login(world.ana)
    plain = browser.post(url, proposal_body(), format="json")
    keyed = browser.post(url, proposal_body(), format="json", headers={KEY: "k-1"})
    assert plain.status_code == keyed.status_code == 403
    assert keyed.json() == plain.json()
    assert "CSRF" in keyed.json()["message"]
    assert not IdempotentRequest.objects.exists()

    secret = get_random_string(32)
    browser.cookies["csrftoken"] = secret
    headers = {KEY: "k-1", "X-CSRFToken": secret}
    first = browser.post(url, proposal_body(), format="json", headers=headers)
    assert first.status_code == 201, first.json()
    assert_replay(browser.post(url, proposal_body(), format="json", headers=headers), first)
    # Without the CSRF token the stored answer is not given out either.
    refused = browser.post(url, proposal_body(), format="json", headers={KEY: "k-1"})
    assert refused.status_code == 403 and REPLAYED not in refused


def test_reads_and_unkeyed_writes_are_left_alone(world):
    ana = api(world.ana)
    read = ana.get(f"{API}/teams/{world.noord.pk}", headers={KEY: "k-1"})
    assert read.status_code == 200
    url = f"{API}/teams/{world.noord.pk}/proposals"
    assert ana.post(url, proposal_body(), format="json").status_code == 201
    assert ana.post(url, proposal_body(), format="json").status_code == 201
    assert not IdempotentRequest.objects.exists()


def test_a_replay_costs_the_same_few_queries_however_many_keys_are_kept(world):
    url = f"{API}/teams/{world.noord.pk}/proposals"
    ana = api(world.ana)

    def replay_queries(key: str) -> int:
        assert ana.post(url, proposal_body(), format="json", headers={KEY: key}).status_code == 201
        with CaptureQueriesContext(connection) as queries:
            assert ana.post(url, proposal_body(), format="json", headers={KEY: key})[REPLAYED]
        return len(queries)

    few = replay_queries("first")
    IdempotentRequest.objects.bulk_create(
        IdempotentRequest(person=world.ana, key=f"old-{n}", fingerprint="0" * 64)
        for n in range(200)
    )
    assert replay_queries("second") == few
    # The insert that finds the key taken and one read of it (inside the request's
    # transaction, a savepoint in tests).
    assert few <= 4


# --- expiry ----------------------------------------------------------------------------------


def test_keys_expire_after_24_hours_and_the_purge_forgets_them(world):
    url = f"{API}/teams/{world.noord.pk}/proposals"
    ana = api(world.ana)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        first = ana.post(url, proposal_body(), format="json", headers={KEY: "k-1"})
        assert first.status_code == 201
        assert (
            ana.post(url, proposal_body(), format="json", headers={KEY: "k-old"}).status_code < 300
        )
    with time_machine.travel(start + datetime.timedelta(hours=12), tick=False):
        assert (
            ana.post(url, proposal_body(), format="json", headers={KEY: "k-new"}).status_code < 300
        )
    almost = start + KEY_LIFETIME - datetime.timedelta(seconds=1)
    assert purge_idempotency_keys(now=almost) == 0
    with time_machine.travel(almost, tick=False):
        assert_replay(ana.post(url, proposal_body(), format="json", headers={KEY: "k-1"}), first)

    later = start + KEY_LIFETIME + datetime.timedelta(seconds=1)
    # Expired but not yet purged: the key is free again, so the request runs afresh.
    with time_machine.travel(later, tick=False):
        fresh = ana.post(url, proposal_body(), format="json", headers={KEY: "k-1"})
    assert fresh.status_code == 201 and REPLAYED not in fresh
    assert fresh.json()["id"] != first.json()["id"]

    assert purge_idempotency_keys(now=later) == 1  # k-old; k-1 was renewed, k-new is young
    assert set(IdempotentRequest.objects.values_list("key", flat=True)) == {"k-1", "k-new"}
    with time_machine.travel(later + datetime.timedelta(days=2), tick=False):
        assert purge_idempotency_keys() == 2
    assert not IdempotentRequest.objects.exists()


# --- PostgreSQL: two requests at once --------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_with_one_key_run_once(
    postgres, personas, monkeypatch, captured_sends
):
    url = f"{API}/teams/{personas.noord.pk}/proposals"
    entered, release = threading.Event(), threading.Event()
    calls: list[int] = []
    real = proposal_services.proposal_raise

    def slow_raise(**kwargs):
        calls.append(1)
        entered.set()
        release.wait(20)
        return real(**kwargs)

    monkeypatch.setattr(proposal_services, "proposal_raise", slow_raise)
    answers: dict[str, object] = {}

    def post(name: str) -> None:
        try:
            answers[name] = api(personas.ana).post(
                url, proposal_body(), format="json", headers={KEY: "same"}
            )
        finally:
            connections.close_all()

    def blocked_on_a_lock() -> bool:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            return cursor.fetchone()[0] > 0

    first = threading.Thread(target=post, args=("first",))
    second = threading.Thread(target=post, args=("second",))
    first.start()
    try:
        assert entered.wait(20), "the first request never reached the view"
        second.start()
        deadline = time.monotonic() + 20
        while not blocked_on_a_lock():
            assert time.monotonic() < deadline, "the second request never waited on the key"
            time.sleep(0.02)
    finally:
        release.set()
        first.join(30)
        if second.ident is not None:
            second.join(30)

    assert len(calls) == 1
    assert Proposal.objects.filter(title="Lunch rota on Thursdays").count() == 1
    assert answers["first"].status_code == 201
    assert REPLAYED not in answers["first"]
    assert_replay(answers["second"], answers["first"])
    assert IdempotentRequest.objects.count() == 1


# --- the schema --------------------------------------------------------------------------------


def test_the_schema_documents_the_key_and_the_422_on_every_write():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for _name, route, method, _view in WRITES:
        operation = schema["paths"][openapi_path(route)][method]
        headers = [p for p in operation["parameters"] if p["in"] == "header" and p["name"] == KEY]
        assert len(headers) == 1, (method, route)
        assert headers[0].get("required", False) is False
        assert operation["responses"]["422"]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorOut"
        }, (method, route)
        names = [(p["name"], p["in"]) for p in operation["parameters"]]
        assert len(names) == len(set(names)), (method, route)
    for _name, route, method in OPEN_WRITES:
        operation = schema["paths"][openapi_path(route)][method]
        assert KEY not in [p["name"] for p in operation.get("parameters", [])]
        assert "422" not in operation["responses"]
    assert set(schema["components"]["schemas"]["ErrorOut"]["properties"]) == {"message", "extra"}


def test_reads_do_not_mention_the_key():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        if "get" in operations:
            names = [p["name"] for p in operations["get"].get("parameters", [])]
            assert KEY not in names, path
