"""Request ids on every request and socket, in every log line; JSON or plain lines."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
import runpy
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path
from unittest import mock

import pytest
from asgi_correlation_id import correlation_id
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator, WebsocketCommunicator
from django.db import transaction
from django.test import Client

from config import env, logs
from coordination.events import Event, publish

ROOT = Path(__file__).resolve().parents[2]
ORIGIN = (b"origin", b"http://localhost")


def application():
    # The preflight (a production check of settings and services) is not under test.
    with mock.patch.dict(os.environ, {"KITH_SKIP_PREFLIGHT": "1"}):
        from config.asgi import application

    return application


@pytest.fixture
def lines():
    """What the console handler configured by settings.LOGGING writes, line by line."""
    application()  # its first import sets Django up again, and with it the logging
    (console,) = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    stream = io.StringIO()
    previous = console.setStream(stream)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        console.setStream(previous)


async def get(path: str, headers: list[tuple[bytes, bytes]] = (), query_string=b"") -> dict:
    communicator = HttpCommunicator(
        application(), "GET", path, headers=[(b"host", b"localhost"), *headers]
    )
    communicator.scope["query_string"] = query_string
    return await communicator.get_response(timeout=10)


def header(response: dict, name: bytes) -> list[str]:
    return [value.decode() for key, value in response["headers"] if key.lower() == name]


@pytest.mark.django_db(transaction=True)
class TestHttpRequests:
    async def test_a_request_gets_an_id_in_its_answer_and_its_log_lines(self, lines):
        response = await get("/no-such-page/")
        assert response["status"] == 404
        (request_id,) = header(response, b"x-request-id")
        assert logs.well_formed_request_id(request_id)
        # Django logs every 404 ("Not Found: ...") while serving the request.
        (line,) = [line for line in lines() if line["message"].startswith("Not Found")]
        assert line["request_id"] == request_id
        assert "/no-such-page/" in line["message"]

    async def test_each_answer_gets_an_access_line_with_its_id_and_no_query(self, lines):
        response = await get("/no-such-page/", query_string=b"q=Wilma+Jansen")
        (request_id,) = header(response, b"x-request-id")
        (line,) = [line for line in lines() if line["logger"] == "kith.access"]
        assert line["request_id"] == request_id
        assert line["message"] == "GET /no-such-page/ 404"
        assert (line["route"], line["status"]) == ("unrouted", 404)
        assert line["duration_ms"] >= 0
        assert "Wilma" not in json.dumps(line)

    async def test_two_requests_get_two_ids(self):
        first, second = await get("/healthz"), await get("/healthz")
        assert header(first, b"x-request-id") != header(second, b"x-request-id")

    async def test_the_proxys_well_formed_id_is_kept(self, lines):
        for given in (uuid.uuid4().hex, str(uuid.uuid4()), uuid.uuid4().hex.upper()):
            response = await get("/no-such-page/", [(b"x-request-id", given.encode())])
            assert header(response, b"x-request-id") == [given]
        assert [line["request_id"] for line in lines() if line["logger"] == "django.request"][
            -1
        ] == given

    @pytest.mark.parametrize(
        "forged",
        [
            "x" * 300,  # overlong
            uuid.uuid4().hex + "0",  # one digit too many
            "abc",
            "a" * 31 + "\n",
            'deadbeef" "level": "ERROR',  # a try at writing fields into a JSON line
            "{12345678-1234-1234-1234-123456789abc}",
            "urn:uuid:12345678-1234-1234-1234-123456789abc",
        ],
    )
    async def test_a_forged_or_overlong_id_is_replaced(self, lines, forged):
        response = await get("/no-such-page/", [(b"x-request-id", forged.encode())])
        (request_id,) = header(response, b"x-request-id")
        assert request_id != forged
        assert logs.well_formed_request_id(request_id)
        (line,) = [line for line in lines() if line["message"].startswith("Not Found")]
        assert line["request_id"] == request_id


@database_sync_to_async
def session_cookie(person) -> bytes:
    client = Client()
    client.force_login(person)
    return f"sessionid={client.cookies['sessionid'].value}".encode()


@database_sync_to_async
def emit(stream: str, kind: str) -> None:
    with transaction.atomic():
        publish(Event(kind, {}), streams=[stream])


async def ready(socket) -> None:
    while (await socket.receive_json_from(timeout=5))["type"] != "ready":
        pass


@pytest.mark.django_db(transaction=True)
async def test_a_sockets_log_lines_carry_its_handshakes_id(
    personas, lines, monkeypatch, loose_events
):
    """Lines written while a socket opens (on a worker thread) and while it forwards a
    live event (on the event loop, long after the handshake) carry the handshake's
    id, and two sockets open at once each keep their own."""
    from coordination import consumers

    log = logging.getLogger("kith.live")
    who_may_read = consumers.who_may_read
    stream_event = consumers.LiveConsumer.stream_event

    def logged_who_may_read(scope):
        log.warning("opening")
        return who_may_read(scope)

    async def logged_stream_event(self, message):
        log.warning("forwarding %s", message["seq"])
        await stream_event(self, message)

    monkeypatch.setattr(consumers, "who_may_read", logged_who_may_read)
    monkeypatch.setattr(consumers.LiveConsumer, "stream_event", logged_stream_event)
    ids = [uuid.uuid4().hex, uuid.uuid4().hex]
    sockets = [
        WebsocketCommunicator(
            application(),
            "/ws/live/",
            headers=[
                ORIGIN,
                (b"host", b"localhost"),
                (b"cookie", await session_cookie(person)),
                (b"x-request-id", request_id.encode()),
            ],
        )
        for person, request_id in zip((personas.ana, personas.ben), ids, strict=True)
    ]
    for socket in sockets:
        assert (await socket.connect())[0]
        await ready(socket)
    await emit(personas.noord.stream, "visit.claimed")
    for socket in sockets:
        assert (await socket.receive_json_from(timeout=5))["event"] == "visit.claimed"
        await socket.disconnect()
    await asyncio.sleep(0)
    written = [
        (line["message"], line["request_id"]) for line in lines() if line["logger"] == "kith.live"
    ]
    assert sorted(written) == sorted(
        [
            ("opening", ids[0]),
            ("opening", ids[1]),
            ("forwarding 1", ids[0]),
            ("forwarding 1", ids[1]),
        ]
    )


class TestJsonLines:
    def test_a_line_is_one_json_object_with_the_fields_an_operator_searches(self, lines):
        token = correlation_id.set("0123456789abcdef0123456789abcdef")
        try:
            try:
                raise ValueError("the reason")
            except ValueError:
                logging.getLogger("kith.example").exception("a visit could not be saved")
        finally:
            correlation_id.reset(token)
        (line,) = lines()
        assert line["level"] == "ERROR"
        assert line["logger"] == "kith.example"
        assert line["message"] == "a visit could not be saved"
        assert line["request_id"] == "0123456789abcdef0123456789abcdef"
        assert "Traceback" in line["exception"] and "ValueError: the reason" in line["exception"]
        assert datetime.fromisoformat(line["time"]).utcoffset().total_seconds() == 0

    def test_a_line_outside_any_request_says_so(self, lines):
        logging.getLogger("kith.example").warning("from the tick")
        (line,) = lines()
        assert line["request_id"] is None
        assert "exception" not in line

    def test_the_request_itself_is_not_written_into_a_line(self, lines, rf):
        request = rf.get("/clients/?q=Wilma+Jansen")
        logging.getLogger("django.request").warning(
            "Not Found: %s", request.path, extra={"status_code": 404, "request": request}
        )
        (line,) = lines()
        assert line["status_code"] == 404
        assert "Jansen" not in json.dumps(line)


def log_a_line(**environ: str) -> subprocess.CompletedProcess:
    """A fresh process with the given environment writes one warning through Kith's
    logging settings; its stderr holds the line."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "KITH_LOG_FORMAT", "DATABASE_URL", "REDIS_URL"}
    }
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('kith.example').warning('hello %s', 'there')"
    )
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )


class TestFormatSetting:
    def test_production_writes_json_lines(self):
        result = log_a_line(DEBUG="0")
        line = json.loads(result.stderr.strip().splitlines()[-1])
        assert (line["level"], line["logger"], line["message"]) == (
            "WARNING",
            "kith.example",
            "hello there",
        )

    def test_development_writes_plain_lines(self):
        result = log_a_line(DEBUG="1")
        line = result.stderr.strip().splitlines()[-1]
        assert line.endswith("WARNING kith.example [-] hello there")

    @pytest.mark.parametrize(
        "debug, chosen, fmt",
        [("0", None, "json"), ("1", None, "plain"), ("0", "plain", "plain"), ("1", "JSON", "json")],
    )
    def test_the_setting_chooses(self, monkeypatch, debug, chosen, fmt):
        monkeypatch.setenv("DEBUG", debug)
        if chosen is None:
            monkeypatch.delenv("KITH_LOG_FORMAT", raising=False)
        else:
            monkeypatch.setenv("KITH_LOG_FORMAT", chosen)
        loaded = runpy.run_path(str(ROOT / "config" / "settings.py"))
        assert loaded["LOG_FORMAT"] == fmt
        assert loaded["LOGGING"]["handlers"]["console"]["formatter"] == fmt

    @pytest.mark.parametrize(
        "debug, chosen, level",
        [("0", None, "INFO"), ("1", None, "WARNING"), ("0", "0", "WARNING"), ("1", "1", "INFO")],
    )
    def test_the_access_log_is_kiths_own_in_production(self, monkeypatch, debug, chosen, level):
        """daphne's access line has no request id and keeps the query string: the
        image turns it off, and Kith writes its own unless DEBUG (daphne's is there)."""
        monkeypatch.setenv("DEBUG", debug)
        if chosen is None:
            monkeypatch.delenv("KITH_ACCESS_LOG", raising=False)
        else:
            monkeypatch.setenv("KITH_ACCESS_LOG", chosen)
        loaded = runpy.run_path(str(ROOT / "config" / "settings.py"))
        assert loaded["LOGGING"]["loggers"]["kith.access"]["level"] == level
        dockerfile = (ROOT / "Dockerfile").read_text()
        command = json.loads(re.search(r"(?m)^CMD (\[.*\])$", dockerfile).group(1))
        assert command[command.index("-v") + 1] == "0"

    def test_an_unknown_format_is_refused_with_the_variable_named(self, monkeypatch):
        monkeypatch.setenv("KITH_LOG_FORMAT", "xml")
        with pytest.raises(env.ConfigError, match="KITH_LOG_FORMAT"):
            env.env_choice("KITH_LOG_FORMAT", logs.LOG_FORMATS, "json")
