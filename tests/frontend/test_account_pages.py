"""The account pages: reached from the header; one's own API tokens listed and revoked;
sign out everywhere; the sign-in page says why a session ended."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from coordination.events import person_group
from teams.models import ApiToken
from tests.factories import api_token

pytestmark = pytest.mark.django_db


def browser_of(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def works(raw: str) -> bool:
    return APIClient(headers={"Authorization": f"Token {raw}"}).get("/api/v1/me").status_code == 200


def test_every_page_links_to_the_account(personas):
    page = browser_of(personas.mrs_jansen).get("/notifications/")
    assert 'href="/account/"' in page.content.decode()


def test_the_account_page_lists_ones_own_tokens_only(personas):
    api_token(personas.ana, name="Phone")
    api_token(personas.ben, name="Ben's tablet")
    page = browser_of(personas.ana).get("/account/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Phone" in text and ApiToken.objects.get(name="Phone").prefix in text
    assert "Ben's tablet" not in text and "Ben&#x27;s tablet" not in text
    assert "/api/v1/auth/token" in text  # how to make one


def test_a_token_is_revoked_from_the_page(
    personas, captured_sends, django_capture_on_commit_callbacks
):
    phone = api_token(personas.ana, name="Phone")
    laptop = api_token(personas.ana, name="Laptop")
    browser = browser_of(personas.ana)
    token = ApiToken.objects.get(name="Phone")
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert not works(phone) and works(laptop)
    page = browser.get("/account/").content.decode()
    assert "revoked" in page and "Laptop" in page
    assert (person_group(personas.ana.pk), {"type": "access.changed"}) in captured_sends


@pytest.mark.parametrize("who", ["ben", "outsider", "coach", "inspector", "client", "family"])
def test_nobody_revokes_another_persons_token_from_the_page(personas, outsiders, who):
    phone = api_token(personas.ana, name="Phone")
    token = ApiToken.objects.get()
    someone = personas.ben if who == "ben" else outsiders[who]
    response = browser_of(someone).post(f"/account/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    assert works(phone)
    assert "Phone" not in browser_of(someone).get("/account/").content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(personas):
    api_token(personas.ana)
    token = ApiToken.objects.get()
    assert Client().get("/account/")["Location"].startswith("/login/")
    assert Client().post(f"/account/tokens/{token.pk}/revoke/")["Location"].startswith("/login/")
    assert ApiToken.objects.get().revoked is None


def test_sign_out_everywhere_from_the_page(personas):
    phone = api_token(personas.ana)
    here = browser_of(personas.ana)
    elsewhere = browser_of(personas.ana)
    bens = browser_of(personas.ben)
    response = here.post("/account/sign-out-everywhere/")
    assert response["Location"] == "/login/?ended=everywhere"
    message = here.get(response["Location"]).content.decode()
    assert "You were signed out everywhere" in message
    for browser in (here, elsewhere):
        assert browser.get("/account/")["Location"].startswith("/login/")
    assert not works(phone)
    assert bens.get("/account/").status_code == 200


def test_sign_out_everywhere_is_a_post(personas):
    browser = browser_of(personas.ana)
    assert browser.get("/account/sign-out-everywhere/").status_code == 405
    assert browser.get("/account/").status_code == 200
