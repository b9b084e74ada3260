"""An inspector, walking every page, every API endpoint and the live socket of Kith,
reaches published snapshots and nothing else: no client, no team's own business.

The walk enumerates: every URL pattern of the project (``get_resolver()``, includes
followed) and every path of the OpenAPI schema, with path parameters filled from a
seeded world (a team, a client, a visit, a proposal, a snapshot ...; a parameter the
walk has no id for is tried with every id the world has). Each is read (GET) and
written to (POST, PUT, PATCH, DELETE as the view has them, with a plausible body). A
new endpoint is walked without anyone adding it here; if an inspector may read it,
``ALLOWED`` must say so, by name, with why.

Anything else answers 403, 404, 405, 401 or a redirect to a login page, and no write
changes any row of any model (the inspector's own snapshot-read log and session
aside). The socket gives an inspector only their own notification stream.
"""

from __future__ import annotations

import datetime
import re
from itertools import product
from zoneinfo import ZoneInfo

import pytest
import time_machine
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.apps import apps
from django.test import Client as Browser
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from drf_spectacular.generators import SchemaGenerator

from care.figures.quality import services as quality
from care.models import Grant, Snapshot, SnapshotRead
from care.services import budgets as budget_services
from care.services import clients as client_services
from care.services import plans, visits
from config.health import tick_finished
from coordination.events import NETWORK_STREAM, Event, publish
from coordination.events.streams import client_stream, person_stream
from coordination.routing import websocket_urlpatterns
from teams.models import Proposal, Response
from teams.services import proposals as proposal_services
from tests.api_walk import openapi_path
from tests.care.test_quality import build, published
from tests.factories import ClientFactory, proposal

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 4, 10, 12, 0, tzinfo=ZoneInfo("Europe/London"))

# What an inspector may read (GET, 200), by URL name, and why. Nothing else.
ALLOWED = {
    # Published snapshots: the inspector's work.
    "api-team-snapshots": "a team's published snapshots",
    "api-snapshots": "the network's published snapshots",
    "api-snapshots-median": "the network median of published snapshots",
    "api-snapshot": "one published snapshot (a draft is 404)",
    "api-snapshot-export": "the export of a published snapshot (a draft is 404)",
    "quality": "the portal: each team's latest published snapshot and the median",
    "quality-export-csv": "the portal's export of published snapshots side by side",
    "quality-team": "the portal: one team's published snapshots over time",
    "quality-team-chart": "the portal: a chart of one team's published snapshots",
    "quality-snapshot": "the portal: one published snapshot (a draft is 404)",
    "quality-snapshot-csv": "the portal: a published snapshot's CSV (a draft is 404)",
    "quality-snapshot-outcomes-csv": "the portal: a published snapshot's outcome rows (CSV)",
    # Their own account, notifications and session.
    "home": "their own home page",
    "login": "the login page (it sends a signed-in person home)",
    "api-me": "their own account",
    "account": "their own account page: their own API tokens",
    "password-change": "their own password's form",
    "password-reset": "the form to reset a forgotten password (anyone's to use)",
    "password-reset-done": "the page after asking for a reset",
    "password-reset-confirm": "a reset link's page (a made-up link does not work)",
    "password-reset-complete": "the page after a reset",
    "account-email": "the form to change their own email address",
    "account-close": "the form to close their own account",
    "two-factor": "their own two-step sign-in",
    "two-factor-setup": "setting up their own two-step sign-in",
    "api-tokens": "their own API tokens",
    "api-teams": "the teams they belong to: none",
    "api-coaching": "the teams they coach: none",
    "notifications": "their own notifications",
    "notifications-bell": "their own notifications",
    "notification-preferences": "their own notification settings",
    "api-notifications": "their own notifications",
    "api-notifications-unread": "their own notifications",
    "api-notification-preferences": "their own notification settings",
    # The app's shell, the same for everyone: nothing of anyone's.
    "manifest": "the web app manifest",
    "service-worker": "the service worker's script (the shell's files to keep)",
    "offline": "the page shown without signal (nobody's)",
    # Public documentation and reference data: nobody's record.
    "healthz": "the service is up",
    "readyz": "whether the service can work now (names of checks only)",
    "api-schema": "the API's documentation",
    "api-omaha": "the Omaha System's public-domain code lists",
    "omaha-signs": "the Omaha System's public-domain code lists",
    "api-decision-kinds": "the kinds of decision a team can take",
    # Practice notes their authors made public (coordination.practice): written for
    # everyone and checked to hold no client data before they are published.
    "practice": "public practice notes",
    "practice-search": "public practice notes",
    "practice-note": "a public practice note",
    "api-practice-notes": "public practice notes",
    "api-practice-note": "a public practice note",
    "api-practice-versions": "a public practice note's versions",
    "api-practice-search": "public practice notes",
    "api-practice-feed": "public practice notes",
    "api-practice-tags": "the tags of practice notes",
    "api-practice-follows": "the notes they follow: none",
    "practice-follows": "the notes they follow: none",
    "admin:login": "the operators' login page (an inspector is no operator)",
}
# Their own account's writes, which may answer otherwise than a refusal: logging in
# and out (the walk logs in again), an API token (asked with a wrong password here),
# revoking their own tokens, signing out everywhere, changing their own password,
# marking their own notifications read and their own notification settings.
OWN_WRITES = {
    "login",
    "logout",
    "admin:login",
    "admin:logout",
    "api-token",
    "api-token-detail",
    "api-sign-out-everywhere",
    "account-token-revoke",
    "account-sign-out-everywhere",
    "password-change",
    # The link that confirms their own new email address: a made-up one answers 400.
    "account-email-confirm",
    "api-notifications-read-all",
    "api-notification-preferences",
    "notifications-read-all",
    "notification-preferences",
}
# Rows an inspector's walk may add: the log of their reads of published snapshots
# (checked below to be theirs and of published snapshots only) and their sessions.
LOGS = {"care.snapshotread", "sessions.session"}
# Rows of their own that their own writes (``OWN_WRITES``) may add: counted apart.
OWN_ROWS = {"coordination.notificationpreference": "person", "teams.auditentry": "actor"}

# What an inspector must never see, wherever they look: a client's name, a survey's
# words, a draft snapshot, a client's address.
SECRETS = ["Jansen", "Private words for the team", '"status":"draft"', "Ceintuurbaan"]

BODY = {
    # One plausible body for every write: each view reads the fields it knows.
    "period": "2026-Q1",
    "recommend": 8,
    "listen": 4,
    "informed": 4,
    "say": 4,
    "kind": "general",
    "title": "An inspector's proposal",
    "purpose": "To see whether it is refused.",
    "body": "Written by an inspector.",
    "reason": "An inspector objects.",
    "text": "x",
    "first_name": "Ins",
    "last_name": "Pector",
    "name": "Someone",
    "circle": "formal",
    "relationship": "GP",
    "status": "active",
    "scope": "plan",
    "member": 1,
    "problem": 42,
    "severity": "actual",
    "knowledge": 3,
    "behavior": 3,
    "category": 1,
    "target": 15,
    "description": "x",
    "frequency": "weekly",
    "window_start": "2026-04-20T09:00:00+01:00",
    "window_end": "2026-04-20T10:00:00+01:00",
    "expected_minutes": 30,
    "note": "x",
    "visits": [1],
    "version": 1,
    "amount": "-1.00",
    "allocation": "10.00",
    "hourly_rate": "20.00",
    "starts": "2026-04-01",
    "username": "inspector",
    "password": "wrong",
    "payload": {},
    "window_hours": 72,
}


# --- the world ----------------------------------------------------------------------------------


@pytest.fixture
def world(personas):
    with time_machine.travel(NOW, tick=False):
        w = build(personas)
        tick_finished()  # the tick runs, so readiness answers 200 with what it checked
        w.published = published(w)
        w.draft = quality.snapshot_prepare(actor=w.ana, team=w.noord, period="2025-Q4")
        client = client_services.client_create(
            actor=w.ana,
            team=w.noord,
            first_name="Wilma",
            last_name="Jansen",
            address="Ceintuurbaan 118",
        )
        client = client_services.client_link_account(
            actor=w.ana, client=client, account=w.mrs_jansen
        )
        w.client = client
        w.member = client_services.network_add(
            actor=w.ana,
            client=client,
            circle="informal",
            relationship="daughter",
            name="Petra Jansen",
            account=w.daughter,
        )
        w.grant = client_services.grant_scope(
            actor=w.mrs_jansen, client=client, member=w.member, scope="visits"
        )
        w.plan_problem = plans.plan_add_problem(
            actor=w.ana,
            client=client,
            version=1,
            problem=42,
            scope="individual",
            severity="potential",
        )
        w.visit = visits.visit_plan(
            actor=w.ana,
            client=client,
            window_start=NOW + datetime.timedelta(days=2),
            window_end=NOW + datetime.timedelta(days=2, hours=1),
            expected_minutes=30,
            assignee=w.ana,
        )
        w.budget = budget_services.budget_create(
            actor=w.ana,
            client=client,
            kind="direct_payment",
            period="weekly",
            allocation="100.00",
            hourly_rate="25.00",
            starts=datetime.date(2026, 4, 1),
        )
        w.proposal = proposal(w.ben, w.noord, title="Lunch", purpose="Together.")
        w.objection = proposal_services.proposal_object(
            actor=w.ana, proposal=w.proposal, reason="Not on Thursdays."
        )
        quality.survey_answer(
            actor=w.mrs_jansen, client=client, recommend=9, listen=4, informed=4, say=4
        )
        yield w


def ids_by_segment(w) -> dict[str, list[int]]:
    """The ids to put after each path segment (``teams/<pk>`` takes a team's)."""
    snapshots = [w.published.pk, w.draft.pk]
    return {
        "teams": [w.noord.pk, w.zuid.pk],
        "clients": [w.client.pk, w.clients[0].pk],
        "proposals": [w.proposal.pk, w.published.decision_id],
        "objections": [w.objection.pk],
        "grants": [w.grant.pk],
        "plan-problems": [w.plan_problem.pk],
        "visits": [w.visit.pk],
        "granted-visits": [w.visit.pk],
        "budgets": [w.budget.pk],
        "snapshots": snapshots,
    }


def ids_by_name(w) -> dict[str, list[int]]:
    return {
        "object_id": [w.noord.pk],  # the operators' admin: refused whatever the id
        "series": [1],
        "visit": [w.visit.pk],
        "budget": [w.budget.pk],
        "plan_problem": [w.plan_problem.pk],
        "member": [w.member.pk],
        "response_pk": [w.objection.pk],
    }


def every_id() -> list[int]:
    """Every id some row of the world has (for a parameter the walk knows nothing of)."""
    found: set[int] = set()
    for model in apps.get_models():
        if model._meta.pk.get_internal_type() in ("AutoField", "BigAutoField"):
            found.update(model.objects.values_list("pk", flat=True)[:50])
    return sorted(found)[:10]


WORDS = {
    "slug": ["noord"],
    "name": ["visits", "plan", "notes", "budget", "diary", "board", "roles", "decisions"],
    "scope": list(Grant.Scope.values),
    # The actions the pages' URLs take (board, help, visits, practice notes).
    "action": [
        "claim",
        "start",
        "finish",
        "cancel",
        "assign",
        "late",
        "handover",
        "accept",
        "decline",
        "withdraw",
        "useful",
        "follow",
    ],  # fmt: skip
    "key": ["informer", "planner"],
    "part": ["state", "actions"],
}


def fill(route: str, w, anything: list[int]) -> list[tuple[str, str]]:
    """Concrete paths for a route ("teams/<id:pk>/board"), with the parameter values
    to try, and the kind of parameter ("named" or "guessed")."""
    parts = re.split(r"(<(?:(\w+):)?(\w+)>)", route)
    # re.split with 3 groups: text, whole, converter, name, text, ...
    texts, params = parts[0::4], list(zip(parts[2::4], parts[3::4], strict=True))
    choices = []
    by_segment, by_name = ids_by_segment(w), ids_by_name(w)
    for i, (converter, name) in enumerate(params):
        before = texts[i].rstrip("/").split("/")[-1]
        if converter == "int" or (converter == "path" and name == "object_id"):
            values = by_segment.get(before) if name == "pk" else by_name.get(name)
            choices.append([str(v) for v in (values or anything)])
        elif converter == "str" and name == "stream":
            choices.append(
                [
                    w.noord.stream,
                    w.noord.shared_stream,
                    NETWORK_STREAM,
                    person_stream(w.ana.pk),
                    client_stream(w.client.pk, "visits"),
                    "help",
                ]
            )
        else:
            choices.append(WORDS.get(name, ["1", "x"]))
    paths = []
    for values in product(*choices):
        path = texts[0]
        for value, text in zip(values, texts[1:], strict=True):
            path += value + text
        paths.append("/" + path)
    return paths


def regex_paths(regex: str) -> list[str]:
    """A path for an admin regex pattern: each named group given a value it matches."""
    body = regex.lstrip("^").rstrip("$").replace("\\Z", "")

    def value(match: re.Match) -> str:
        group = match.group(2)
        for candidate in ("teams", "1", "x"):
            if re.fullmatch(group, candidate):
                return candidate
        return "x"

    return [re.sub(r"\(\?P<(\w+)>([^)]*)\)", value, body)]


def routes(patterns=None, prefix="", namespace=""):
    """(url name, route, view class or None, is it a regex) of every pattern."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    for entry in patterns:
        if isinstance(entry, URLResolver):
            space = f"{entry.namespace}:" if entry.namespace else namespace
            yield from routes(entry.url_patterns, prefix + _text(entry.pattern), space)
        elif isinstance(entry, URLPattern):
            view = getattr(entry.callback, "view_class", None) or getattr(
                entry.callback, "cls", None
            )
            name = f"{namespace}{entry.name}" if entry.name else None
            regex = isinstance(entry.pattern, RegexPattern)
            yield name, prefix + _text(entry.pattern), view, regex


def _text(pattern) -> str:
    if isinstance(pattern, RoutePattern):
        return str(pattern)
    return pattern.regex.pattern.lstrip("^").rstrip("$").replace("\\Z", "")


def methods_of(view) -> list[str]:
    if view is None:  # a function view: try what a browser can send
        return ["get", "post"]
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)]


def counts(inspector) -> dict[str, int]:
    """Rows of every model, leaving out the inspector's logs and own rows."""
    found = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if label in LOGS:
            continue
        rows = model.objects.all()
        if label in OWN_ROWS:
            rows = rows.exclude(**{OWN_ROWS[label]: inspector})
        found[label] = rows.count()
    return found


def own_audit(inspector) -> set[str]:
    from teams.models import AuditEntry

    return set(AuditEntry.objects.filter(actor=inspector).values_list("action", flat=True))


def browser_for(person) -> Browser:
    browser = Browser(raise_request_exception=True)
    # As read now: signing out everywhere (one of the walk's own writes) changed the
    # session hash a sign-in must carry.
    person.refresh_from_db()
    browser.force_login(person)
    return browser


def refused(response, method: str) -> bool:
    """A read refused: 401, 403, 404, 405 or off to a login page. A write refused: any
    4xx too (the row counts show it wrote nothing)."""
    code = response.status_code
    if code in (401, 403, 404, 405) or (method != "get" and 400 <= code < 500):
        return True
    if code == 302:
        # The operators' admin sends anyone who is not one to its login, by its index.
        return response["Location"].startswith(("/login/", "/ops/admin/login/", "/ops/admin/"))
    return False


def request_fields() -> dict[tuple[str, str], set[str]]:
    """The fields each API write takes, by (schema path, method), from the schema."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema.get("components", {}).get("schemas", {})
    fields = {}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
            if ref:
                name = ref.rsplit("/", 1)[-1]
                fields[(path, method)] = set(components[name].get("properties", {}))
    return fields


def body_for(route: str, method: str, fields) -> dict:
    """A plausible body: the fields of ``BODY`` the endpoint takes (all, for a page)."""
    known = fields.get((openapi_path(route.removeprefix("api/v1/")), method))
    if known is None:
        return BODY
    return {name: value for name, value in BODY.items() if name in known}


def request(browser, method: str, path: str, body: dict):
    kwargs = {"headers": {"If-Match": '"1"'}}
    if method == "get":
        return browser.get(path, **kwargs)
    return getattr(browser, method)(path, body, content_type="application/json", **kwargs)


# --- the walk -----------------------------------------------------------------------------------


def walk(w, steps) -> list[str]:
    """Request each (url name, path, method, body); return what went wrong."""
    wrong = []
    browser = browser_for(w.inspector)
    for name, path, method, body in steps:
        response = request(browser, method, path, body)
        code = response.status_code
        if name in OWN_WRITES:
            browser = browser_for(w.inspector)  # perhaps logged out: in again
            continue
        if name in ALLOWED and code == 200:
            # A read they may make (a page may take any method to show): of published
            # snapshots and their own, never a draft, a client or a survey's words.
            text = response.content.decode()
            leaked = [secret for secret in SECRETS if secret in text]
            if leaked:
                wrong.append(f"{method.upper()} {path} ({name}): shows {leaked}")
            continue
        if not refused(response, method):
            wrong.append(f"{method.upper()} {path} ({name}): {code}")
    return wrong


def url_walk(w) -> list[tuple[str, str, str, dict]]:
    anything = every_id()
    fields = request_fields()
    found = []
    for name, route, view, regex in routes():
        paths = regex_paths(route) if regex else fill(route, w, anything)
        for path in paths:
            for method in methods_of(view):
                found.append((name, path, method, body_for(route, method, fields)))
    return found


def test_the_inspector_reaches_only_published_snapshots_through_every_url(world):
    with time_machine.travel(NOW, tick=False):
        steps = url_walk(world)
        before = counts(world.inspector)
        reads_before = SnapshotRead.objects.count()
        wrong = walk(world, steps)
        after = counts(world.inspector)
    assert wrong == [], "\n".join(wrong)
    assert after == before
    # What they wrote of their own is their notification settings and their own
    # sessions, nothing else.
    assert own_audit(world.inspector) <= {
        "notification.preferences_changed",
        "notification.read_all",
        "person.signed_out_everywhere",
    }
    # The walk covered what it should: every named pattern, reads and writes.
    names = {name for name, *_ in steps}
    assert {"api-snapshot", "api-client", "client", "portal-client", "api-team-board"} <= names
    assert sum(1 for _n, _p, method, _b in steps if method != "get") > 100
    # Its reads of snapshots are logged, all of published ones.
    logged = SnapshotRead.objects.all()
    assert logged.count() > reads_before
    assert set(logged.values_list("person", flat=True)) == {world.inspector.pk}
    assert set(logged.values_list("snapshot__status", flat=True)) == {"published"}


def test_the_allowed_reads_are_real_and_show_no_draft(world):
    """The allow-list names endpoints that exist, and what they give is published."""
    known = {name for name, *_ in routes()}
    assert set(ALLOWED) <= known, set(ALLOWED) - known
    browser = browser_for(world.inspector)
    assert browser.get(f"/api/v1/snapshots/{world.draft.pk}").status_code == 404
    body = browser.get(f"/api/v1/teams/{world.noord.pk}/snapshots").json()
    assert [s["id"] for s in body] == [world.published.pk]
    assert browser.get("/api/v1/teams/").json() == []
    text = browser.get(f"/api/v1/snapshots/{world.published.pk}").content.decode()
    assert "Jansen" not in text and "C1" not in text


def _converter(match: re.Match) -> str:
    """A schema's path parameter as a route's: {id} is <id:pk>, {stream} <str:stream>."""
    return "<id:pk>" if match.group(1) == "id" else f"<str:{match.group(1)}>"


def schema_paths(w) -> list[tuple[str, str, str, dict]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    anything = every_id()
    fields = request_fields()
    found = []
    for path, operations in schema["paths"].items():
        route = re.sub(r"\{(\w+)\}", _converter, path.lstrip("/"))
        name = get_resolver().resolve(fill(route, w, [1])[0]).url_name
        for concrete in fill(route, w, anything):
            for method in operations:
                body = {k: v for k, v in BODY.items() if k in fields.get((path, method), set())}
                found.append((name, concrete, method, body))
    return found


def test_every_path_of_the_openapi_schema_refuses_the_inspector_too(world):
    with time_machine.travel(NOW, tick=False):
        steps = schema_paths(world)
        before = counts(world.inspector)
        wrong = walk(world, steps)
        after = counts(world.inspector)
    assert wrong == [], "\n".join(wrong)
    assert after == before
    schema_names = {name for name, *_ in steps}
    api_names = {name for name, route, *_ in routes() if route.startswith("api/v1/")}
    # The schema documents every API endpoint but itself.
    assert api_names - schema_names == {"api-schema"}


def test_no_write_of_an_inspector_succeeds_even_on_snapshots(world):
    browser = browser_for(world.inspector)
    before = Snapshot.objects.filter(pk=world.published.pk).values().get()
    for method in ("post", "put", "patch", "delete"):
        for path in (
            f"/api/v1/snapshots/{world.published.pk}",
            f"/api/v1/snapshots/{world.published.pk}/propose",
            f"/api/v1/snapshots/{world.draft.pk}/propose",
            f"/api/v1/teams/{world.noord.pk}/snapshot-drafts",
        ):
            assert refused(request(browser, method, path, BODY), method), (method, path)
    assert Snapshot.objects.filter(pk=world.published.pk).values().get() == before
    assert Proposal.objects.filter(kind=quality.KIND).count() == 1
    assert Response.objects.filter(person=world.inspector).count() == 0


# --- the live socket ------------------------------------------------------------------------


def connect(person, query=""):
    socket = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/live/{query}")
    socket.scope["user"] = person
    return socket


@pytest.mark.django_db(transaction=True)
async def test_the_inspector_socket_follows_only_their_own_stream(personas, loose_events):
    @database_sync_to_async
    def setup():
        client = ClientFactory(team=personas.noord, first_name="W", last_name="J")
        return client

    client = await setup()
    socket = connect(personas.inspector)
    assert (await socket.connect())[0]
    ready = await socket.receive_json_from(timeout=3)
    assert set(ready["heads"]) == {person_stream(personas.inspector.pk)}
    # What the teams and the network hear, the inspector does not.
    await database_sync_to_async(publish)(
        Event("snapshot.published", {"snapshot": 1}, actor=None),
        streams=[personas.noord.stream, personas.noord.shared_stream, NETWORK_STREAM],
    )
    await database_sync_to_async(publish)(
        Event("visit.claimed", {"visit": 1}, actor=None),
        streams=[personas.noord.stream, client.stream("visits")],
    )
    assert await socket.receive_nothing(timeout=0.5)
    await socket.disconnect()
    for stream in (
        personas.noord.stream,
        personas.noord.shared_stream,
        NETWORK_STREAM,
        "help",
        client_stream(client.pk, "visits"),
        person_stream(personas.ana.pk),
    ):
        other = connect(personas.inspector, f"?since={stream}:0")
        assert (await other.connect())[0]
        assert (await other.receive_output(timeout=3))["code"] == 4403, stream
