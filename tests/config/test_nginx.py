"""deploy/nginx.conf, checked by nginx itself (`nginx -t`) and run in front of a real
daphne with the site's real hostname in ALLOWED_HOSTS, as docker-compose.yml runs it.

Debian's nginx (`make nginx`, part of `make test`, installs it as root); without it
these tests skip, which under KITH_REQUIRE_SERVICES=1 is a failure. Outside Compose
the services' names do not resolve, so the test renders the file with loopback
addresses and paths in a temporary folder, changing nothing else.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.db import connection

from tests.conftest import need
from tests.servers import Daphne, database_url, free_port, server_env
from tests.servers import http as fetch

ROOT = Path(__file__).resolve().parents[2]
CONF = ROOT / "deploy" / "nginx.conf"
HOSTNAME = "kith.example.org"
STRONG_KEY = "s" * 20 + "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"


@pytest.fixture(scope="module")
def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if os.access(p, os.X_OK)), None
    )
    if found is None:
        need("nginx is not installed (make nginx, or apt-get install nginx)")
    return found


def replace_once(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1, f"deploy/nginx.conf no longer has exactly one {old!r}"
    return text.replace(old, new)


def render(tmp: Path, *, listen: int, upstreams: tuple[int, int]) -> Path:
    """deploy/nginx.conf with loopback upstreams, its files under tmp, and the user
    this test runs as: nothing else changes."""
    text = CONF.read_text()
    text = replace_once(text, "server web1:8000;", f"server 127.0.0.1:{upstreams[0]};")
    text = replace_once(text, "server web2:8000;", f"server 127.0.0.1:{upstreams[1]};")
    text = replace_once(text, "listen 80;", f"listen 127.0.0.1:{listen};")
    text = replace_once(text, "root /srv;", f"root {tmp};")
    text = replace_once(text, "pid /var/run/nginx.pid;", f"pid {tmp}/nginx.pid;")
    text = replace_once(text, "error_log /var/log/nginx/error.log", f"error_log {tmp}/error.log")
    text = replace_once(
        text, "access_log /var/log/nginx/access.log", f"access_log {tmp}/access.log"
    )
    # The image's user; as root here, the workers read the test's files as root.
    text = replace_once(text, "user nginx;", "user root;" if os.geteuid() == 0 else "")
    for folder in ("client_body", "proxy"):
        (tmp / folder).mkdir(exist_ok=True)
    text = replace_once(
        text,
        "http {\n",
        f"http {{\n    client_body_temp_path {tmp}/client_body;\n"
        f"    proxy_temp_path {tmp}/proxy;\n",
    )
    conf = tmp / "nginx.conf"
    conf.write_text(text)
    return conf


def nginx_command(binary: str, conf: Path, *args: str) -> list[str]:
    return [
        binary,
        "-p",
        str(conf.parent),
        "-e",
        str(conf.parent / "error.log"),
        "-c",
        str(conf),
        *args,
    ]


def test_nginx_accepts_the_configuration(nginx_binary, tmp_path):
    conf = render(tmp_path, listen=free_port(), upstreams=(free_port(), free_port()))
    result = subprocess.run(
        nginx_command(nginx_binary, conf, "-t"), capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_nginx_refuses_a_broken_one(nginx_binary, tmp_path):
    """The check above can fail."""
    conf = render(tmp_path, listen=free_port(), upstreams=(free_port(), free_port()))
    conf.write_text(conf.read_text().replace("least_conn;", "least_conn"))
    result = subprocess.run(
        nginx_command(nginx_binary, conf, "-t"), capture_output=True, text=True, timeout=30
    )
    assert result.returncode != 0


@contextlib.contextmanager
def running_nginx(binary: str, conf: Path, port: int):
    process = subprocess.Popen(
        nginx_command(binary, conf, "-g", "daemon off;"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start: {process.stderr.read().decode()}")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        process.stderr.close()


class TestStaticFiles:
    HASHED = "frontend/kith.0123456789ab.css"
    PLAIN = "frontend/kith.css"

    @pytest.fixture
    def proxy(self, nginx_binary, tmp_path):
        static = tmp_path / "static" / "frontend"
        static.mkdir(parents=True)
        for name in (self.HASHED, self.PLAIN):
            (tmp_path / "static" / name).write_text("body { color: black; }\n")
        port = free_port()
        conf = render(tmp_path, listen=port, upstreams=(free_port(), free_port()))
        with running_nginx(nginx_binary, conf, port) as url:
            yield url

    def test_hashed_names_are_kept_a_year(self, proxy):
        response = fetch("GET", f"{proxy}/static/{self.HASHED}")
        assert response.status == 200
        assert response.body == b"body { color: black; }\n"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert "Expires" not in response.headers

    def test_plain_names_an_hour(self, proxy):
        response = fetch("GET", f"{proxy}/static/{self.PLAIN}")
        assert response.status == 200
        assert response.headers["Cache-Control"] == "max-age=3600"

    def test_a_missing_file_is_not_kept(self, proxy):
        response = fetch("GET", f"{proxy}/static/frontend/gone.0123456789ab.css")
        assert response.status == 404
        assert "immutable" not in response.headers.get("Cache-Control", "")


def compose_healthcheck(service: str) -> list[str]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return compose["services"][service]["healthcheck"]["test"]


@pytest.mark.django_db(transaction=True)
def test_health_checks_pass_with_the_real_hostname(nginx_binary, tmp_path):
    """Production settings with ALLOWED_HOSTS=kith.example.org: the web processes'
    own check (127.0.0.1:8000/healthz, run as Compose runs it) and the proxy's
    (http://127.0.0.1/readyz through nginx) pass, while the site refuses any other
    name. Before, both were 400 and nginx never started."""
    call_command("tick", stdout=io.StringIO())  # readiness asks for a recent pass
    env = server_env(
        database_url=database_url(connection.settings_dict),
        redis_url=os.environ.get("REDIS_URL", ""),
        secret_key=STRONG_KEY,
    )
    env.update(
        DEBUG="0",
        ALLOWED_HOSTS=HOSTNAME,
        CSRF_TRUSTED_ORIGINS=f"https://{HOSTNAME}",
        KITH_HTTPS="1",
        KITH_CACHE_DIR=str(tmp_path / "cache"),
        # Pages render from the apps' own files (no collectstatic in a test); and no
        # preflight: without REDIS_URL it would refuse production settings.
        KITH_SERVE_STATIC="1",
        KITH_SKIP_PREFLIGHT="1",
    )
    if not env["REDIS_URL"]:
        del env["REDIS_URL"]
    web = [Daphne(name, env, tmp_path) for name in ("web1", "web2")]
    try:
        for server in web:
            deadline = time.monotonic() + 30
            while True:
                check = compose_healthcheck(server.name)
                assert check[0] == "CMD" and check[1] == "python"
                command = [sys.executable, *check[2:]]
                command = [
                    part.replace("127.0.0.1:8000", f"127.0.0.1:{server.port}") for part in command
                ]
                result = subprocess.run(command, capture_output=True, text=True, timeout=15)
                if result.returncode == 0:
                    break
                assert server.process.poll() is None, server.log()
                assert time.monotonic() < deadline, result.stderr + server.log()
                time.sleep(0.2)

        port = free_port()
        conf = render(tmp_path, listen=port, upstreams=(web[0].port, web[1].port))
        with running_nginx(nginx_binary, conf, port) as proxy:
            check = compose_healthcheck("proxy")
            assert check[:4] == ["CMD", "wget", "-q", "-O"]
            url = check[-1].replace("http://127.0.0.1/", f"{proxy}/")
            assert url == f"{proxy}/readyz"
            ready = fetch("GET", url)
            assert ready.status == 200, ready.body
            assert ready.json()["status"] == "ready"
            # The site itself: its own name only, https only (TLS ends in front).
            assert fetch("GET", f"{proxy}/login/").status == 400
            assert fetch("GET", f"{proxy}/login/", headers={"Host": "evil.test"}).status == 400
            site = fetch(
                "GET", f"{proxy}/login/", headers={"Host": HOSTNAME, "X-Forwarded-Proto": "https"}
            )
            assert site.status == 200, [s.log() for s in web]
            assert re.search(rb'href="/static/frontend/kith\.css"', site.body)
            # Reached over plain http: told to come back over https (not followed).
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                client.request("GET", "/login/", headers={"Host": HOSTNAME})
                redirected = client.getresponse()
                assert redirected.status == 301
                assert redirected.getheader("Location") == f"https://{HOSTNAME}/login/"
            finally:
                client.close()
    finally:
        for server in web:
            server.stop()
