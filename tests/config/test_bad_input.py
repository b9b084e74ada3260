"""Numbers too large for the database are bad input: a 4xx naming what was wrong,
never a 500 (SQLite's driver cannot bind an integer past 64 bits; PostgreSQL cannot
store one past its column)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import URLPattern, URLResolver, reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from care.models import Visit
from coordination import cursors
from coordination.services import handovers as handover_services
from teams.numbers import MAX
from tests.api_walk import openapi_path
from tests.care.jansen import jansen_with_family
from tests.care.visit_helpers import plan
from tests.config.test_idempotency import REQUESTS, _request, api, build_world, error, snapshot
from tests.frontend.omaha import ensure_omaha_reference

pytestmark = pytest.mark.django_db

TOO_LARGE = 10**20  # past 2**64
EDGE = MAX  # the largest id a path or a body may carry


@pytest.fixture
def world(personas):
    return build_world(personas)


def routes(patterns=None, prefix: str = "") -> list[tuple[str, str]]:
    """(url name, route) of every pattern, pages and API alike."""
    if patterns is None:
        from config.urls import urlpatterns as patterns
    found = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if "admin" in str(entry.pattern):
                continue
            found += routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            found.append((entry.name, prefix + str(entry.pattern)))
    return found


ID_ROUTES = [(name, route) for name, route in routes() if "<id:" in route]


def test_every_numbered_route_takes_ids_through_the_bounded_converter():
    # Django's <int:...> takes any run of digits, as far as the database.
    assert [route for _name, route in routes() if "<int:" in route] == []
    assert len(ID_ROUTES) > 80


def _path(route: str, value: int) -> str:
    return "/" + re.sub(r"<id:\w+>", str(value), re.sub(r"<slug:\w+>", "noord", route))


@pytest.mark.parametrize(("name", "route"), ID_ROUTES, ids=[r for _n, r in ID_ROUTES])
def test_an_id_past_a_keys_range_is_not_found_anywhere(personas, client, name, route):
    client.force_login(personas.ana)
    for method in ("get", "post"):
        response = getattr(client, method)(_path(route, TOO_LARGE))
        assert response.status_code == 404, (method, response.status_code)
    # The largest id a key holds reaches the view, which finds nothing.
    assert client.get(_path(route, EDGE)).status_code < 500


# --- request bodies ---------------------------------------------------------------------


def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _integers(schema: dict, component: dict, path: str = "") -> list[tuple[str, dict]]:
    """(dotted name, schema) of every integer a request body may carry."""
    if "$ref" in component:
        component = schema["components"]["schemas"][component["$ref"].split("/")[-1]]
    found = []
    if component.get("type") == "integer":
        found.append((path, component))
    if component.get("type") == "array":
        found += _integers(schema, component.get("items", {}), path + "[]")
    for key, value in component.get("properties", {}).items():
        found += _integers(schema, value, f"{path}.{key}" if path else key)
    return found


def _request_bodies(schema: dict):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                yield path, method, body["schema"]


def test_every_integer_a_request_may_carry_is_bounded():
    schema = _schema()
    unbounded = []
    for path, method, body in _request_bodies(schema):
        for name, field in _integers(schema, body):
            if "maximum" not in field or "minimum" not in field:
                unbounded.append(f"{method.upper()} {path} {name}")
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                field = parameter.get("schema", {})
                if field.get("type") == "integer" and "maximum" not in field:
                    unbounded.append(f"{method.upper()} {path} ?{parameter['name']}")
    assert unbounded == []


def _body_integers() -> dict[tuple[str, str], list[str]]:
    schema = _schema()
    return {
        (path, method): [name for name, _field in _integers(schema, body)]
        for path, method, body in _request_bodies(schema)
    }


def _stored() -> dict:
    """Every row, but the access log: opening a client's record to refuse a write is
    still a reading of it, and is logged as one."""
    rows = snapshot()
    rows.pop("care.AccessLogEntry")
    return rows


BODY_CASES = []
for (_name, _method), (_who, _where, _make, _seen) in REQUESTS.items():
    BODY_CASES.append((_name, _method))


@pytest.mark.parametrize(("name", "method"), BODY_CASES, ids=[f"{m} {n}" for n, m in BODY_CASES])
def test_each_integer_of_a_write_past_its_range_is_a_400_naming_it(world, name, method):
    from tests.api_walk import api_views

    route = next(r for n, r, m, _v in api_views() if n == name and m == method)
    fields = _body_integers().get((openapi_path(route), method), [])
    for field in fields:
        person, url, body, if_match = _request(world, name, route, method)
        top = field.split(".")[0].removesuffix("[]")
        body = dict(body) | {top: [TOO_LARGE] if field.endswith("[]") else TOO_LARGE}
        before = _stored()
        headers = {"If-Match": if_match} if if_match else {}
        response = getattr(api(person), method)(url, body, format="json", headers=headers)
        assert response.status_code == 400, (field, response.status_code, response.content)
        _code, _message, named = error(response)
        assert top in named, (field, named)
        assert _stored() == before


# --- the services that take lists of ids ------------------------------------------------


def test_a_help_request_naming_a_visit_past_a_keys_range_names_the_visits(personas):
    w = personas
    client, _petra = jansen_with_family(w)
    visit = plan(w.ana, client, timezone.now() + datetime.timedelta(days=1))
    response = api(w.ana).post(
        f"/api/v1/teams/{w.noord.pk}/help-requests",
        {"visits": [visit.pk, MAX]},
        format="json",
    )
    assert response.status_code == 400, response.content
    _code, _message, fields = error(response)
    assert fields["visits"] == ["Only visits of your team's clients."]
    # The page's form reaches the same service with whatever digits were typed.
    browser = APIClient()
    browser.force_login(w.ana)
    page = browser.post(
        reverse("team-help", args=["noord"]),
        {"visits": [str(visit.pk), str(TOO_LARGE)]},
        headers={"HX-Request": "true"},
    )
    assert page.status_code == 400
    assert b"Only visits of your team" in page.content
    assert Visit.objects.get(pk=visit.pk).help_requests.count() == 0


def post_note(person, **fields):
    ensure_omaha_reference()
    body = {"kind": "tip", "title": "Rollators", "body": "Check the brakes."} | fields
    return api(person).post("/api/v1/practice/notes", body, format="json")


def test_a_practice_note_linking_an_omaha_number_past_the_range_says_there_is_none(personas):
    response = post_note(personas.ana, problems=[TOO_LARGE])
    assert response.status_code == 400, response.content
    _code, _message, fields = error(response)
    assert fields["problems"][0].startswith(f"No Omaha problem {TOO_LARGE}:")


# --- what slips past every check still is not a 500 -------------------------------------


def _overflowing(**_kwargs):
    raise OverflowError("Python int too large to convert to SQLite INTEGER")


def test_an_overflow_in_the_api_is_a_400_in_the_error_shape(world, monkeypatch):
    monkeypatch.setattr(handover_services, "handover_offer", _overflowing)
    response = api(world.ana).post(
        f"/api/v1/visits/{world.visit.pk}/handovers",
        {"to": world.ben.pk},
        format="json",
        headers={"If-Match": f'"{world.visit.version}"'},
    )
    assert response.status_code == 400
    assert response.json() == {
        "message": "A number in the request is out of range, so nothing was changed.",
        "extra": {},
    }


def test_an_overflow_behind_a_page_is_the_400_page(personas, client, monkeypatch):
    from frontend.views import team as team_views

    monkeypatch.setattr(team_views, "render", lambda *a, **k: _overflowing())
    client.force_login(personas.ana)
    response = client.get(reverse("team-details", args=["noord"]))
    assert response.status_code == 400
    assert b"out of range, so nothing was changed" in response.content


QUERIES = [
    ("practice/notes", "problem"),
    ("practice/notes", "team"),
    ("practice/notes", "limit"),
    ("practice/search", "problem"),
    ("practice/search", "team"),
    ("practice/search", "limit"),
    ("practice/feed", "limit"),
    # The route as a client writes it (a stream's name in the path), filled in below.
    ("streams/team.{noord}/events", "after"),
    ("streams/team.{noord}/events", "limit"),
    ("teams/{noord}/board", "days"),
]


@pytest.mark.parametrize(("path", "name"), QUERIES, ids=[f"{p}?{n}" for p, n in QUERIES])
def test_a_query_number_past_its_range_is_a_400_naming_it(personas, path, name):
    ensure_omaha_reference()
    url = "/api/v1/" + path.format(noord=personas.noord.pk)
    query = {name: str(TOO_LARGE)} | ({"q": "brakes"} if "search" in path else {})
    response = api(personas.ana).get(url, query)
    assert response.status_code == 400, response.content
    _code, _message, fields = error(response)
    assert name in fields, fields


@pytest.mark.parametrize(
    ("path", "cursor"),
    [
        ("notifications", cursors.pack("2026-12-01T10:00:00+00:00", TOO_LARGE)),
        ("practice/feed", cursors.pack("2026-12-01T10:00:00+00:00", TOO_LARGE)),
        ("practice/notes", cursors.pack("date", "2026-12-01T10:00:00+00:00", TOO_LARGE)),
        ("practice/search", cursors.pack("rank", "0.5", TOO_LARGE)),
    ],
    ids=["notifications", "feed", "notes", "search"],
)
def test_a_cursor_naming_a_row_past_a_keys_range_is_a_400_on_the_cursor(personas, path, cursor):
    query = {"cursor": cursor} | ({"q": "brakes"} if "search" in path else {})
    response = api(personas.ana).get(f"/api/v1/{path}", query)
    assert response.status_code == 400, response.content
    _code, _message, fields = error(response)
    assert list(fields) == ["cursor"]


# --- NUL characters: PostgreSQL cannot store them, so neither database is given one -----

NUL_TEXT = "Hoist\x00 and two carers"


def test_a_nul_in_a_form_field_is_the_400_page_and_nothing_is_asked(personas):
    w = personas
    client, _petra = jansen_with_family(w)
    visit = plan(w.ana, client, timezone.now() + datetime.timedelta(days=1))
    browser = APIClient()
    browser.force_login(w.ana)
    page = browser.post(
        reverse("team-help", args=["noord"]),
        {"visits": [str(visit.pk)], "skills": NUL_TEXT},
        headers={"HX-Request": "true"},
    )
    assert page.status_code == 400
    assert b"holds a NUL character, which cannot be stored" in page.content
    assert Visit.objects.get(pk=visit.pk).help_requests.count() == 0
    # Without the NUL the same request is taken.
    page = browser.post(
        reverse("team-help", args=["noord"]),
        {"visits": [str(visit.pk)], "skills": NUL_TEXT.replace("\x00", "")},
        headers={"HX-Request": "true"},
    )
    assert page.status_code == 200
    assert Visit.objects.get(pk=visit.pk).help_requests.count() == 1


def test_a_nul_in_a_query_parameter_is_a_400_naming_it(personas):
    response = api(personas.ana).get("/api/v1/practice/search", {"q": NUL_TEXT})
    assert response.status_code == 400
    assert error(response)[2] == {"q": ["Holds a NUL character, which cannot be stored."]}


def test_a_nul_in_a_json_text_field_is_a_400_naming_it(personas):
    response = api(personas.ana).post(
        f"/api/v1/teams/{personas.noord.pk}/proposals",
        {"kind": "general", "title": NUL_TEXT, "purpose": "So that nobody eats alone."},
        format="json",
    )
    assert response.status_code == 400
    assert list(error(response)[2]) == ["title"]


def test_a_nul_in_an_untyped_json_value_is_still_a_400(personas):
    response = post_note(personas.ana, tags=[NUL_TEXT])
    assert response.status_code == 400, response.content


def test_a_keyed_form_write_is_taken_and_a_keyed_form_with_a_nul_is_refused_and_replayed(world):
    # The idempotency middleware reads the raw body; the NUL check parses the form
    # after it, so a multipart write with a key still works.
    url = f"/api/v1/proposals/{world.proposal.pk}/comments"
    body = {"body": "Is the car electric?", "kind": "question"}
    taken = api(world.ben).post(url, body, format="multipart", headers={"Idempotency-Key": "f-1"})
    assert taken.status_code == 201, taken.content

    refused_body = body | {"body": NUL_TEXT}
    before = _stored()
    for _attempt in range(2):
        refused = api(world.ben).post(
            url, refused_body, format="multipart", headers={"Idempotency-Key": "f-2"}
        )
        assert refused.status_code == 400
        assert error(refused)[2] == {"body": ["Holds a NUL character, which cannot be stored."]}
    assert refused["Idempotent-Replayed"] == "true"
    assert {k: v for k, v in _stored().items() if k != "kith_config.IdempotentRequest"} == {
        k: v for k, v in before.items() if k != "kith_config.IdempotentRequest"
    }
