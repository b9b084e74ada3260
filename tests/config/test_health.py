"""Liveness (/healthz) answers from the process alone; readiness (/readyz) says whether
the database, Redis and the periodic tick are working, and names what is not."""

from __future__ import annotations

import datetime
import io
import json

import pytest
import time_machine
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import Client as Browser
from django.utils import timezone

from config.models import TickRun

pytestmark = pytest.mark.django_db


def get(path: str):
    return Browser().get(path)


def test_liveness_asks_neither_the_database_nor_redis(redis_down, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_is_read_only(path):
    assert Browser().post(path).status_code == 405


def test_ready_when_the_database_answers_and_the_tick_ran(settings):
    call_command("tick", stdout=io.StringIO())
    response = get("/readyz")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "ready" and body["degraded"] == []
    assert set(body["checks"]) == {"database", "redis", "tick"}
    assert body["checks"]["database"] == {"ok": True, "detail": "answered"}
    assert body["checks"]["tick"]["ok"] is True
    assert body["checks"]["tick"]["age_seconds"] <= settings.TICK_MAX_AGE
    # Redis is checked when configured (the PostgreSQL + Redis run), else said to be off.
    expected = "answered" if settings.REDIS_URL else "not configured"
    assert body["checks"]["redis"]["ok"] is True
    assert body["checks"]["redis"]["detail"].startswith(expected)


def test_a_tick_that_never_ran_is_degraded():
    response = get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["degraded"]) == ("degraded", ["tick"])
    assert body["checks"]["tick"]["detail"] == "never ran"


def test_a_tick_that_stopped_is_named_once_it_is_late(settings):
    settings.TICK_MAX_AGE = 60
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        call_command("tick", stdout=io.StringIO())
    with time_machine.travel(start + datetime.timedelta(seconds=60), tick=False):
        assert get("/readyz").status_code == 200
    with time_machine.travel(start + datetime.timedelta(seconds=61), tick=False):
        response = get("/readyz")
    assert response.status_code == 503
    tick = response.json()["checks"]["tick"]
    assert response.json()["degraded"] == ["tick"]
    assert (tick["ok"], tick["detail"], tick["age_seconds"]) == (False, "late", 61)


def test_the_tick_records_its_pass_even_when_redis_is_down(redis_down):
    call_command("tick", stdout=io.StringIO())
    assert TickRun.objects.filter(pk=TickRun.ONE).exists()


def test_redis_down_is_named_without_its_address(redis_down):
    call_command("tick", stdout=io.StringIO())
    response = get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["degraded"] == ["redis"]
    assert body["checks"]["redis"] == {"ok": False, "detail": "unreachable"}
    text = json.dumps(body)
    assert "6390" not in text and "127.0.0.1" not in text and "redis://" not in text


def test_database_down_is_named_and_the_tick_is_not_guessed(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError('connection to server at "db.internal" failed: password=hunter2')

    monkeypatch.setattr(connection, "cursor", refuse)
    response = get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["degraded"] == ["database"]
    assert body["checks"]["database"] == {"ok": False, "detail": "unreachable"}
    assert body["checks"]["tick"]["ok"] is None
    assert "db.internal" not in response.content.decode()
    assert "hunter2" not in response.content.decode()


def test_health_is_answered_over_plain_http_while_everything_else_goes_to_https(settings):
    """Health checks come from inside (the compose file, an orchestrator) over HTTP."""
    settings.SECURE_SSL_REDIRECT = True
    assert get("/healthz").status_code == 200
    assert get("/readyz").status_code in (200, 503)
    assert get("/login/").status_code == 301


class TestProbesWithTheRealHostname:
    """With ALLOWED_HOSTS naming the site, probes that do not know its name (the
    containers' own health checks call 127.0.0.1, Kubernetes sends the pod's address)
    still get their answer; every other path is refused as before."""

    @pytest.fixture(autouse=True)
    def _real_hostname(self, settings):
        settings.ALLOWED_HOSTS = ["kith.example.org"]
        call_command("tick", stdout=io.StringIO())

    @pytest.mark.parametrize("host", ["127.0.0.1:8000", "127.0.0.1", "10.1.2.3:8000", "evil.test"])
    def test_liveness_and_readiness_answer_any_host(self, host):
        assert Browser().get("/healthz", HTTP_HOST=host).content == b"ok"
        response = Browser().get("/readyz", HTTP_HOST=host)
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "ready"

    def test_the_answers_hold_nothing_of_the_host(self):
        response = Browser().get("/readyz", HTTP_HOST="evil.test")
        assert b"evil" not in response.content
        assert not any("evil" in value for value in response.headers.values())

    @pytest.mark.parametrize("path", ["/login/", "/healthz/", "/readyz/x", "/api/v1/schema"])
    def test_every_other_path_still_refuses_an_unknown_host(self, path):
        assert Browser().get(path, HTTP_HOST="127.0.0.1:8000").status_code == 400

    def test_the_site_answers_its_own_name(self):
        assert Browser().get("/login/", HTTP_HOST="kith.example.org").status_code == 200

    @pytest.mark.parametrize("path", ["/healthz", "/readyz"])
    def test_still_read_only(self, path):
        assert Browser().post(path, HTTP_HOST="127.0.0.1").status_code == 405

    def test_plain_http_inside_with_https_on_outside(self, settings):
        settings.SECURE_SSL_REDIRECT = True
        settings.SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
        assert Browser().get("/healthz", HTTP_HOST="127.0.0.1:8000").status_code == 200
        assert Browser().get("/readyz", HTTP_HOST="127.0.0.1:8000").status_code == 200
        site = Browser().get("/login/", HTTP_HOST="kith.example.org")
        assert site.status_code == 301 and site["Location"].startswith("https://kith.example.org")

    def test_metrics_name_the_route(self):
        from config.metrics import REQUESTS

        before = REQUESTS.labels("GET", "healthz", "2xx")._value.get()
        Browser().get("/healthz", HTTP_HOST="127.0.0.1:8000")
        assert REQUESTS.labels("GET", "healthz", "2xx")._value.get() == before + 1
