"""Error reports: Sentry only with a DSN, mail to ADMINS as the fallback, and neither
carries a care record."""

from __future__ import annotations

import json
import logging
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import sentry_sdk
from django.contrib.auth.models import AnonymousUser
from django.core import mail
from django.utils.log import AdminEmailHandler

from config import errors

ROOT = Path(__file__).resolve().parents[2]
# Loopback's discard port: nothing listens, so nothing could be sent even by mistake.
DSN = "http://0123456789abcdef0123456789abcdef@127.0.0.1:9/42"
CARE_RECORD = "Wilma Jansen, leg ulcer dressed, lives at Brink 12"


def run_python(script: str, **environ: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "DATABASE_URL", "REDIS_URL", "SENTRY_DSN", "ADMINS"}
    }
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )


class TestSentry:
    def test_not_started_without_a_dsn(self, settings):
        assert settings.SENTRY_DSN == ""
        assert not sentry_sdk.get_client().is_active()
        assert (
            errors.start_error_reporting(
                dsn="", environment="production", release="", traces_sample_rate=0.0
            )
            is False
        )
        assert not sentry_sdk.get_client().is_active()

    def test_started_with_a_dsn_and_sends_no_care_record(self):
        """A process with SENTRY_DSN reports an error with its request id and nothing
        the code held. The transport is swapped for one that keeps what it is given:
        nothing leaves the machine."""
        script = f"""
import json, django, sentry_sdk
from sentry_sdk.transport import Transport
django.setup()
from asgi_correlation_id import correlation_id

class Keep(Transport):
    envelopes = []
    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)

client = sentry_sdk.get_client()
client.transport = Keep(client.options)
correlation_id.set("0123456789abcdef0123456789abcdef")

def record_visit():
    note = {CARE_RECORD!r}
    raise ValueError("could not save the visit")

try:
    record_visit()
except ValueError:
    sentry_sdk.capture_exception()
sentry_sdk.flush()
events = [e.get_event() for e in Keep.envelopes if e.get_event() is not None]
o = client.options
print(json.dumps({{
    "active": client.is_active(),
    "options": [o["dsn"], o["environment"], o["release"], o["traces_sample_rate"],
                o["send_default_pii"], o["max_request_body_size"], o["include_local_variables"]],
    "events": events,
}}, default=str))
"""
        result = run_python(
            script,
            SENTRY_DSN=DSN,
            SENTRY_ENVIRONMENT="staging",
            SENTRY_RELEASE="kith@1.2.3",
            SENTRY_TRACES_SAMPLE_RATE="0.25",
        )
        assert result.returncode == 0, result.stderr
        out = json.loads(result.stdout.strip().splitlines()[-1])
        assert out["active"] is True
        assert out["options"] == [DSN, "staging", "kith@1.2.3", 0.25, False, "never", False]
        (event,) = out["events"]
        assert event["tags"]["request_id"] == "0123456789abcdef0123456789abcdef"
        (exception,) = event["exception"]["values"]
        assert exception["type"] == "ValueError"
        assert "Wilma" not in json.dumps(event)

    def test_a_request_in_a_report_keeps_no_body_cookies_query_or_user(self):
        event = {
            "request": {
                "method": "POST",
                "url": "https://kith.example/clients/7/notes",
                "query_string": "q=Wilma+Jansen",
                "data": {"text": CARE_RECORD},
                "cookies": {"sessionid": "secret"},
                "headers": {"User-Agent": "Firefox"},
                "env": {"REMOTE_ADDR": "10.0.0.7"},
            },
            "user": {"id": 7, "username": "ana", "ip_address": "10.0.0.7"},
        }
        scrubbed = errors.scrub(event, {})
        assert scrubbed["request"] == {
            "method": "POST",
            "url": "https://kith.example/clients/7/notes",
            "headers": {"User-Agent": "Firefox"},
        }
        assert "user" not in scrubbed


def settings_from(monkeypatch, **environ: str) -> dict:
    """The settings module as a process with this environment would load it."""
    for name in ("DEBUG", "ADMINS", "SENTRY_DSN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "config" / "settings.py"))


def django_handlers(**environ: str) -> list[str]:
    result = run_python(
        "import django, logging; django.setup(); "
        "print(','.join(type(h).__name__ for h in logging.getLogger('django').handlers))",
        **environ,
    )
    assert result.returncode == 0, result.stderr
    return [name for name in result.stdout.strip().split(",") if name]


ADMINS = "Ops <ops@kith.example>, oncall@kith.example"


class TestMailToAdmins:
    def test_a_process_with_admins_mails_djangos_errors_to_them(self):
        assert django_handlers(DEBUG="0", ADMINS=ADMINS) == ["AdminEmailHandler"]

    @pytest.mark.parametrize(
        "environ, mailed",
        [
            ({"DEBUG": "0", "ADMINS": ADMINS}, True),
            ({"DEBUG": "0"}, False),
            ({"DEBUG": "0", "ADMINS": ADMINS, "SENTRY_DSN": DSN}, False),  # Sentry reports
            ({"DEBUG": "1", "ADMINS": ADMINS}, False),  # the debug page shows it
        ],
    )
    def test_only_when_admins_are_named_no_dsn_is_set_and_debug_is_off(
        self, monkeypatch, environ, mailed
    ):
        loaded = settings_from(monkeypatch, **environ)
        handlers = loaded["LOGGING"]["loggers"]["django"]["handlers"]
        assert handlers == (["mail_admins"] if mailed else [])
        if mailed:
            assert loaded["ADMINS"] == ["Ops <ops@kith.example>", "oncall@kith.example"]
            mail_admins = loaded["LOGGING"]["handlers"]["mail_admins"]
            assert mail_admins["class"] == "django.utils.log.AdminEmailHandler"

    def test_a_malformed_address_stops_startup_naming_the_variable(self):
        result = run_python("import django; django.setup()", ADMINS="ops@kith.example, nobody")
        assert result.returncode != 0
        assert "ADMINS" in result.stderr and "'nobody'" in result.stderr

    def test_the_mail_says_what_failed_but_holds_no_care_record(self, settings, rf):
        settings.ADMINS = ["ops@kith.example"]
        # The mail lists the settings; service URLs hold passwords.
        settings.DATABASE_URL = "postgres://kith:hunter2@db:5432/kith"
        settings.EMAIL_URL = "smtp://kith:hunter3@mail:587"
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels.layers.InMemoryChannelLayer",
                "CONFIG": {"hosts": [{"address": "redis://:hunter4@redis:6379/0"}]},
            }
        }
        request = rf.post(
            "/clients/7/notes/", {"text": CARE_RECORD}, HTTP_COOKIE="sessionid=a-session-of-ana"
        )
        request.user = AnonymousUser()
        logger = logging.getLogger("kith.test.mail")
        handler = AdminEmailHandler()
        logger.addHandler(handler)
        mail.outbox.clear()

        def save_note(text):
            draft = text.upper()  # noqa: F841  (a local the report must not show)
            raise ValueError("could not save the note")

        try:
            try:
                save_note(CARE_RECORD)
            except ValueError:
                logger.error(
                    "Internal Server Error: %s",
                    request.path,
                    exc_info=True,
                    extra={"status_code": 500, "request": request},
                )
        finally:
            logger.removeHandler(handler)
        (message,) = mail.outbox
        assert message.to == ["ops@kith.example"]
        body = message.body
        assert "ValueError" in body and "could not save the note" in body
        assert "text" in body  # the posted field's name, for whoever mends it
        assert "Wilma" not in body and "WILMA" not in body and "a-session-of-ana" not in body
        assert "DATABASE_URL" in body and "CHANNEL_LAYERS" in body
        assert not any(secret in body for secret in ("hunter2", "hunter3", "hunter4"))


@pytest.mark.parametrize("value", ["-0.1", "1.5", "nan", "often"])
def test_a_bad_sample_rate_is_refused_with_the_variable_named(monkeypatch, value):
    from config import env

    monkeypatch.setenv("SENTRY_TRACES_SAMPLE_RATE", value)
    with pytest.raises(env.ConfigError, match="SENTRY_TRACES_SAMPLE_RATE"):
        env.env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0, maximum=1.0)
