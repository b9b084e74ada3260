"""How tests knock at Kith's doors as a person: the API, and pages with or without
htmx. Every test module uses these; none carries its own copy."""

from __future__ import annotations

import html

from django.test import Client
from rest_framework.test import APIClient


def api(person=None, **kwargs) -> APIClient:
    """The API as ``person`` (signed in, no token needed); with no person, as nobody."""
    client = APIClient(**kwargs)
    if person is not None:
        client.force_authenticate(person)
    return client


def pages(person, *, js: bool = True) -> Client:
    """Pages as ``person``; with ``js``, every request is an htmx request, as the page's
    scripts send them."""
    browser = Client()
    browser.force_login(person)
    if js:
        browser.defaults["HTTP_HX_REQUEST"] = "true"
    return browser


def page_text(response) -> str:
    return html.unescape(response.content.decode())


def refused(response, message: str) -> dict:
    """A 400 in the API's error shape whose message starts with ``message``: its field
    messages."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"message", "extra"}
    assert body["message"].startswith(message), body
    return body["extra"]["fields"]


def two_step(person, client: Client | None = None) -> Client:
    """Pages as ``person`` signed in with both steps: a confirmed authenticator of
    theirs (made if they have none) verified the session, as the sign-in code page
    does. The admin admits operators only so."""
    from django.contrib.sessions.backends.base import SessionBase
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    person = type(person).objects.get(pk=person.pk)  # its session generation as stored
    device = TOTPDevice.objects.filter(user=person, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=person, name="Authenticator app", confirmed=True)
    client = client or Client()
    client.force_login(person)
    session: SessionBase = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client
