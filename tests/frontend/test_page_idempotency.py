"""An Idempotency-Key on a page's form: the phone's outbox sends a form saved offline
with the key made when the nurse tapped, so a form that reached Kith before the signal
went is applied once, however often it is sent (config/idempotency.py)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import time_machine
from django.test import Client as Browser

from care.models import Visit
from coordination.events import EventRecord
from tests.coordination.board.world import DAY, MORNING, build

pytestmark = pytest.mark.django_db

BOARD = "/teams/noord/board/"


@pytest.fixture
def w(personas):
    with time_machine.travel(MORNING, tick=False):
        yield build(personas)


def browser(person, *, csrf: bool = False) -> Browser:
    b = Browser(enforce_csrf_checks=csrf)
    b.force_login(person)
    b.defaults["HTTP_HX_REQUEST"] = "true"
    return b


def claim(b, w, key: str | None, **body):
    headers = {"Idempotency-Key": key} if key else {}
    with time_machine.travel(MORNING, tick=False):
        # As htmx and the outbox send a form.
        return b.post(
            f"{BOARD}visits/{w.open.pk}/claim/",
            urlencode({"version": 1, "date": DAY, **body}),
            content_type="application/x-www-form-urlencoded",
            headers=headers,
        )


def claims(w) -> int:
    return EventRecord.objects.filter(type="visit.claimed", data__visit=w.open.pk).count()


def test_a_form_sent_again_under_its_key_is_applied_once_and_answered_as_the_first_time(w):
    b = browser(w.ben)
    first = claim(b, w, "tap-1")
    assert first.status_code == 200
    published = claims(w)
    assert published
    assert Visit.objects.get(pk=w.open.pk).assignee == w.ben
    again = claim(b, w, "tap-1")
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.content == first.content
    assert claims(w) == published
    assert Visit.objects.get(pk=w.open.pk).version == 2


def test_the_same_key_for_another_form_is_refused_in_words(w):
    b = browser(w.ben)
    assert claim(b, w, "tap-2").status_code == 200
    other = claim(b, w, "tap-2", date="2026-12-09")
    assert other.status_code == 422
    assert "already used for a different request" in other.json()["message"]


def test_a_refusal_is_not_kept_so_a_retry_is_judged_afresh(w):
    stale = claim(browser(w.ben), w, "tap-3", version=7)
    assert stale.status_code == 409
    assert Visit.objects.get(pk=w.open.pk).assignee is None
    assert claim(browser(w.ben), w, "tap-3", version=7).status_code == 409
    assert "Idempotent-Replayed" not in claim(browser(w.ben), w, "tap-3", version=1)
    assert Visit.objects.get(pk=w.open.pk).assignee == w.ben


def test_the_csrf_token_is_the_sessions_not_the_requests(w):
    """A new sign-in gives a new token; a form kept on the phone across it is the same
    request. And a form without a valid token is refused and keeps nothing."""
    b = browser(w.ben, csrf=True)
    b.get(BOARD)
    token = b.cookies["csrftoken"].value
    refused = claim(b, w, "tap-4", csrfmiddlewaretoken="x" * 32)
    assert refused.status_code == 403
    first = claim(b, w, "tap-4", csrfmiddlewaretoken=token)
    assert first.status_code == 200
    published = claims(w)
    b.cookies["csrftoken"] = "y" * 32
    again = claim(b, w, "tap-4", csrfmiddlewaretoken="y" * 32)
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert claims(w) == published


def test_keys_are_each_persons_own(w):
    assert claim(browser(w.ben), w, "tap-5").status_code == 200
    # Ana's form under the same key is hers: judged on its own (stale now).
    assert claim(browser(w.ana), w, "tap-5").status_code == 409
