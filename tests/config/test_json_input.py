"""JSON from clients is read without recursion, and request bodies are bounded: a body
nested too deeply, too large or with too many fields is a 4xx in the API's error
shape at every door that parses one, never a 500 with a traceback."""

from __future__ import annotations

import json
import logging

import pytest
from django.utils.crypto import get_random_string
from rest_framework.test import APIClient

from teams.json_input import MAX_DEPTH, Decoder, TooDeep, depth
from teams.models import Proposal
from tests.api_walk import api_views
from tests.config.test_idempotency import (
    API,
    KEY,
    REQUESTS,
    _request,
    build_world,
    error,
    proposal_body,
    snapshot,
)

pytestmark = pytest.mark.django_db

DEEP = "[" * 5000 + "]" * 5000  # what was sent: 10 KB, a 500 and a traceback each time


def nested(levels: int) -> str:
    return "[" * levels + "]" * levels


@pytest.fixture
def world(personas):
    return build_world(personas)


def anonymous() -> APIClient:
    return APIClient(raise_request_exception=False)


# --- counting nesting ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("1", 0),
        ('"[[[["', 0),  # brackets inside a string do not nest
        ("[]", 1),
        ('{"a": [1, {"b": []}]}', 4),
        ('[["]\\"]"], [[]]]', 3),  # an escaped quote does not end the string
        ("[][][]", 1),
        (nested(MAX_DEPTH + 1), MAX_DEPTH + 1),
    ],
)
def test_depth_counts_arrays_and_objects_not_what_strings_hold(text, levels):
    assert depth(text) == levels


def test_the_decoder_reads_up_to_the_limit_and_refuses_past_it():
    assert json.loads(nested(MAX_DEPTH), cls=Decoder) is not None
    with pytest.raises(TooDeep):
        json.loads(nested(MAX_DEPTH + 1), cls=Decoder)
    with pytest.raises(ValueError, match="nested deeper"):
        json.loads(DEEP, cls=Decoder)


# --- the doors --------------------------------------------------------------------------------


def test_deep_json_to_the_token_endpoint_is_a_400_without_a_traceback(personas, caplog):
    with caplog.at_level(logging.WARNING):
        response = anonymous().post(f"{API}/auth/token", DEEP, content_type="application/json")
    assert response.status_code == 400
    code, message, _fields = error(response)
    assert "nested deeper than" in message
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def _stored() -> dict:
    """Every row but the access log: opening a client's record to refuse a write is
    still a reading of it, and is logged as one."""
    rows = snapshot()
    rows.pop("care.AccessLogEntry")
    return rows


@pytest.mark.parametrize(
    ("name", "method"), sorted(REQUESTS), ids=[f"{m.upper()} {n}" for n, m in sorted(REQUESTS)]
)
def test_deep_json_is_refused_at_every_write_and_changes_nothing(world, name, method):
    """Each write endpoint, sent deep JSON as the person it expects: one that reads a
    body refuses it (400, nothing stored); one that takes no body never parses it."""
    route = next(r for n, r, m, _v in api_views() if (n, m) == (name, method))
    person, url, body, if_match = _request(world, name, route, method)
    headers = {"If-Match": if_match} if if_match else {}
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(person)
    before = _stored()
    response = getattr(client, method)(url, DEEP, content_type="application/json", headers=headers)
    if not body:
        assert response.status_code < 300, (response.status_code, response.content[:300])
        return
    assert response.status_code == 400, (response.status_code, response.content[:300])
    assert "nested deeper than" in error(response)[1]
    assert _stored() == before


def test_deep_json_from_a_session_with_a_key_is_a_400(world):
    """The idempotency layer parses the body to find who a session caller is (DRF's
    CSRF check reads it) before any view runs: that parse is bounded too."""
    browser = APIClient(enforce_csrf_checks=True, raise_request_exception=False)
    browser.force_login(world.ana)
    secret = get_random_string(32)
    browser.cookies["csrftoken"] = secret
    response = browser.post(
        f"{API}/teams/{world.noord.pk}/proposals",
        DEEP,
        content_type="application/json",
        headers={KEY: "k-deep", "X-CSRFToken": secret},
    )
    assert response.status_code == 400, response.content[:300]
    assert "nested deeper than" in error(response)[1]


@pytest.mark.parametrize("encoding", ["multipart", "urlencoded"])
def test_a_payload_sent_as_text_in_a_form_is_bounded_too(world, encoding):
    """A JSON field sent in a form is parsed by the field itself, from text."""
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(world.ana)
    body = proposal_body() | {"payload": DEEP}
    url = f"{API}/teams/{world.noord.pk}/proposals"
    if encoding == "multipart":
        response = client.post(url, body, format="multipart")
    else:
        from urllib.parse import urlencode

        response = client.post(
            url, urlencode(body), content_type="application/x-www-form-urlencoded"
        )
    assert response.status_code == 400, response.content[:300]
    assert "payload" in error(response)[2]
    assert not Proposal.objects.filter(title=body["title"]).exclude(pk=world.proposal.pk).exists()


def test_json_nested_to_the_limit_is_parsed(world):
    """The bound refuses only what nobody sends: a payload of many levels reaches the
    service, which answers for the proposal kind."""
    client = APIClient()
    client.force_authenticate(world.ana)
    payload = json.loads(nested(MAX_DEPTH - 2))
    response = client.post(
        f"{API}/teams/{world.noord.pk}/proposals",
        {**proposal_body(), "payload": payload},
        format="json",
    )
    assert "nested deeper" not in response.content.decode()
    assert response.status_code in (201, 400)


# --- sizes ----------------------------------------------------------------------------------


def test_a_body_over_the_upload_limit_is_a_413_in_the_api_shape(personas, settings, caplog):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"username": "ana", "password": "x" * 20_000})
    with caplog.at_level(logging.WARNING):
        response = anonymous().post(f"{API}/auth/token", body, content_type="application/json")
    assert response.status_code == 413
    assert "at most 10,000 bytes" in error(response)[1]
    form = anonymous().post(
        f"{API}/auth/token",
        "username=ana&password=" + "x" * 20_000,
        content_type="application/x-www-form-urlencoded",
    )
    assert form.status_code == 413
    assert error(form)[0] == 413


def test_a_form_with_too_many_fields_is_a_400_in_the_api_shape(personas, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    body = "&".join(f"f{i}=1" for i in range(50))
    response = anonymous().post(
        f"{API}/auth/token", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert "too many fields" in error(response)[1]


def test_every_api_view_parses_json_with_the_bounded_parser():
    """A view naming its own parsers (as REST framework's token view does) must name
    the project's: otherwise deep JSON reaches Python's recursive parser there."""
    from rest_framework.parsers import JSONParser as Unbounded

    from config.parsers import JSONParser

    unbounded = sorted(
        {
            f"{name} ({view.__name__})"
            for name, _route, _method, view in api_views()
            if view is not None
            for parser in getattr(view, "parser_classes", ())
            if issubclass(parser, Unbounded) and not issubclass(parser, JSONParser)
        }
    )
    assert unbounded == []


def test_a_form_too_large_for_a_page_is_answered_as_a_page(personas, settings):
    from django.test import Client as Browser

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    browser = Browser()
    browser.force_login(personas.ana)
    response = browser.post(
        "/teams/noord/details/",
        "name=Noord&town=" + "x" * 20_000,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert "at most 10,000 bytes" in response.content.decode()


def test_a_multipart_body_that_is_not_one_is_a_400_in_the_api_shape(world):
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(world.ana)
    response = client.generic(
        "POST",
        f"{API}/teams/{world.noord.pk}/proposals",
        b"--x\r\nbroken",
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert error(response)[1]
