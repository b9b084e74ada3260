"""Metrics for an operator: served only to the bearer of the token, on a port of each
process's own; counters that move when Kith does something."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from prometheus_client import REGISTRY

from config import env, metrics
from coordination.events import Event, publish
from coordination.events import metrics as live
from coordination.events.streams import client_stream, team_stream

TOKEN = "t0ken-" + "x" * 40
# Loopback only: never let an environment proxy sit between the test and the server.
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def server():
    running = metrics.serve(port=0, token=TOKEN, addr="127.0.0.1")
    yield f"http://127.0.0.1:{running.server_port}"
    running.shutdown()
    running.server_close()


def fetch(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url)
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class TestEndpoint:
    def test_the_bearer_of_the_token_gets_the_metrics(self, server):
        status, body = fetch(f"{server}/metrics", TOKEN)
        assert status == 200
        assert "# TYPE kith_http_requests_total counter" in body
        assert "# TYPE kith_live_sockets_open gauge" in body

    @pytest.mark.parametrize(
        "token", [None, "", TOKEN[:-1], TOKEN + "x", "x" * len(TOKEN), f"Token {TOKEN}"]
    )
    def test_anyone_else_gets_a_404(self, server, token):
        status, body = fetch(f"{server}/metrics", token)
        assert status == 404
        assert "kith_" not in body

    def test_only_the_metrics_path_answers(self, server):
        assert fetch(f"{server}/", TOKEN)[0] == 404
        assert fetch(f"{server}/metrics/extra", TOKEN)[0] == 404

    def test_off_unless_a_token_is_set(self, settings):
        settings.METRICS_TOKEN = ""
        assert metrics.serve_from_settings() is None

    def test_served_from_the_settings_when_a_token_is_set(self, settings):
        settings.METRICS_TOKEN = TOKEN
        settings.METRICS_PORT = 0
        running = metrics.serve_from_settings()
        try:
            url = f"http://127.0.0.1:{running.server_port}/metrics"
            assert fetch(url, TOKEN)[0] == 200
            assert fetch(url)[0] == 404
        finally:
            running.shutdown()
            running.server_close()

    def test_the_site_has_no_metrics_page(self, client):
        assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404


def test_a_short_token_stops_startup_naming_the_variable():
    from tests.config.test_settings import run_manage

    result = run_manage("check", KITH_METRICS_TOKEN="short")
    assert result.returncode != 0
    assert "KITH_METRICS_TOKEN" in result.stderr and "32" in result.stderr


@pytest.mark.django_db
class TestCounters:
    def test_a_request_is_counted_by_route_and_status_class_and_timed(self, client):
        labels = {"method": "GET", "view": "healthz", "status": "2xx"}
        before = value("kith_http_requests_total", **labels)
        timed = value("kith_http_request_duration_seconds_count", method="GET", view="healthz")
        assert client.get("/healthz").status_code == 200
        assert value("kith_http_requests_total", **labels) == before + 1
        assert (
            value("kith_http_request_duration_seconds_count", method="GET", view="healthz")
            == timed + 1
        )

    def test_a_path_with_an_id_is_counted_under_its_route_never_its_path(self, client, personas):
        client.force_login(personas.ana)
        labels = {"method": "POST", "view": "api-visit-start", "status": "4xx"}
        before = value("kith_http_requests_total", **labels)
        response = client.post("/api/v1/visits/987654321/start")
        assert 400 <= response.status_code < 500
        assert value("kith_http_requests_total", **labels) == before + 1
        exposed = [
            sample.labels
            for family in REGISTRY.collect()
            if family.name == "kith_http_requests"
            for sample in family.samples
        ]
        assert not any("987654321" in str(labels) for labels in exposed)

    def test_an_unrouted_path_and_an_odd_method_stay_bounded(self, client):
        labels = {"method": "other", "view": "unrouted", "status": "4xx"}
        before = value("kith_http_requests_total", **labels)
        client.generic("BREW", "/no/such/thing/42")
        assert value("kith_http_requests_total", **labels) == before + 1

    def test_a_failed_login_is_counted_at_every_door(self, client, personas):
        before = value("kith_login_failures_total")
        client.post(reverse("login"), {"username": "ana", "password": "wrong"})
        client.post(
            reverse("api-token"),
            {"username": "ana", "password": "wrong"},
            content_type="application/json",
        )
        client.post("/ops/admin/login/", {"username": "ana", "password": "wrong"})
        assert value("kith_login_failures_total") == before + 3
        assert "ana" not in str(
            [s.labels for f in REGISTRY.collect() if "login" in f.name for s in f.samples]
        )

    def test_a_published_event_is_counted_once_committed(
        self, personas, django_capture_on_commit_callbacks, loose_events
    ):
        before = value("kith_events_published_total", type="visit.claimed")
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            publish(
                Event("visit.claimed", {"visit": 1}),
                streams=[team_stream(1), client_stream(2, "visits")],
            )
        assert value("kith_events_published_total", type="visit.claimed") == before + 1

    def test_a_publish_rolled_back_is_not_counted(
        self, personas, django_capture_on_commit_callbacks, loose_events
    ):
        before = value("kith_events_published_total", type="visit.claimed")
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            publish(Event("visit.claimed", {"visit": 1}), streams=[team_stream(1)])
            raise RuntimeError("the write failed")
        assert value("kith_events_published_total", type="visit.claimed") == before

    def test_a_failed_live_delivery_is_counted(
        self, personas, monkeypatch, django_capture_on_commit_callbacks, loose_events
    ):
        from coordination import events

        def down(messages):
            raise ConnectionError("redis is down")

        monkeypatch.setattr(events, "_send_all", down)
        before = value("kith_events_ring_failures_total")
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            publish(Event("visit.claimed", {}), streams=[team_stream(1)])
        assert value("kith_events_ring_failures_total") == before + 1

    def test_a_tick_is_counted_with_its_time(self, personas):
        before = value("kith_tick_runs_total")
        started = time.time()
        call_command("tick", stdout=open("/dev/null", "w"))  # noqa: SIM115
        assert value("kith_tick_runs_total") == before + 1
        assert value("kith_tick_last_run_timestamp_seconds") >= int(started)


class TestLiveSide:
    """What the live socket reports through (coordination.events.metrics)."""

    def test_open_sockets_go_up_and_down(self):
        before = value("kith_live_sockets_open")
        live.socket_opened()
        live.socket_opened()
        assert value("kith_live_sockets_open") == before + 2
        live.socket_closed()
        live.socket_closed()
        assert value("kith_live_sockets_open") == before

    def test_deliveries_and_replay_sizes(self):
        delivered = value("kith_events_delivered_total")
        replays = value("kith_live_replay_events_count")
        replayed = value("kith_live_replay_events_sum")
        live.events_delivered()
        live.events_delivered(12)
        live.events_delivered(0)
        live.replayed(12)
        live.replayed(0)
        assert value("kith_events_delivered_total") == delivered + 13
        assert value("kith_live_replay_events_count") == replays + 2
        assert value("kith_live_replay_events_sum") == replayed + 12


@pytest.mark.parametrize("raw", ["0", "65536", "http"])
def test_a_bad_port_is_refused_with_the_variable_named(monkeypatch, raw):
    monkeypatch.setenv("KITH_METRICS_PORT", raw)
    with pytest.raises(env.ConfigError, match="KITH_METRICS_PORT"):
        env.env_int("KITH_METRICS_PORT", 9100, minimum=1, maximum=65535)
