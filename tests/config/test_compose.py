"""The production shape (DESIGN.md section 4): docker-compose.yml, deploy/nginx.conf and
the Dockerfile hold together. No Docker engine is needed: the files are read as text.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WEB = ("web1", "web2")
KITH = ("migrate", "tick", *WEB)  # the services that run Kith with its settings

# Compose's interpolation (compose specification, "Interpolation"): $$, $NAME, ${NAME}
# and ${NAME<op>word} with :- - :? ? :+ +.
REFERENCE = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<word>[^}]*))?\}"
    r"|(?P<named>[A-Za-z_][A-Za-z0-9_]*))"
)


def interpolate(text: str, values: dict[str, str]) -> str:
    def one(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["named"]
        op, word = match["op"] or "", match["word"] or ""
        value = values.get(name)
        present = value is not None and (value != "" or not op.startswith(":"))
        if op.endswith("-"):
            return value if present else word
        if op.endswith("?"):
            if not present:
                raise ValueError(f"required variable {name} is missing: {word}")
            return value
        if op.endswith("+"):
            return word if present else ""
        return value or ""

    return REFERENCE.sub(one, text)


def interpolated(node, values: dict[str, str]):
    """The loaded file with every string interpolated, as Compose does before it
    validates and merges."""
    if isinstance(node, dict):
        return {key: interpolated(value, values) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolated(value, values) for value in node]
    if isinstance(node, str):
        return interpolate(node, values)
    return node


def dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of an .env file (comments and blank lines skipped)."""
    values = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[key.strip()] = value
    return values


@pytest.fixture(scope="module")
def compose() -> dict:
    # safe_load resolves the YAML anchors and `<<` merges the file shares settings with.
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def nginx() -> str:
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    return re.sub(r"#[^\n]*", "", text)


@pytest.fixture(scope="module")
def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def depends(service: dict) -> dict[str, str]:
    """{dependency: condition} (a plain list means service_started)."""
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def block(text: str, opener: str) -> str:
    """The body of the first `opener { ... }` block (location blocks do not nest here)."""
    match = re.search(re.escape(opener) + r"\s*\{", text)
    assert match, f"nginx.conf has no `{opener} {{` block"
    depth, start = 1, match.end()
    for index in range(start, len(text)):
        depth += {"{": 1, "}": -1}.get(text[index], 0)
        if depth == 0:
            return text[start:index]
    raise AssertionError(f"`{opener}` block is not closed")


def directives(body: str, name: str) -> list[str]:
    return [value.strip() for value in re.findall(rf"(?m)^\s*{name}\s+([^;]+);", body)]


def headers(body: str) -> dict[str, str]:
    pairs = (value.split(None, 1) for value in directives(body, "proxy_set_header"))
    return {key.lower(): rest.strip() for key, rest in pairs}


def seconds(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([smhd]?)", value).groups()
    return int(number) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[unit]


class TestCompose:
    def test_all_services_are_present(self, services):
        assert {"postgres", "redis", "migrate", *WEB, "proxy"} <= set(services)

    @pytest.mark.parametrize("name", WEB)
    def test_web_processes_use_postgres_and_redis(self, services, name):
        env = environment(services[name])
        assert env["DATABASE_URL"].startswith("postgres://")
        assert "@postgres:" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:")

    @pytest.mark.parametrize("name", WEB)
    def test_web_processes_take_their_secret_from_env_and_stay_out_of_debug(self, services, name):
        env = environment(services[name])
        # From .env or the file SECRET_KEY_FILE names; no default key (without one
        # every process refuses to start: kith.E001).
        assert env["SECRET_KEY"] == "${SECRET_KEY:-}"
        assert env["SECRET_KEY_FILE"] == "${SECRET_KEY_FILE:-}"
        assert env.get("DEBUG", "0").lower() in {"0", "false", "no", "off", ""}
        # Without .env: http://localhost:8080 only.
        assert "localhost" in interpolate(env["ALLOWED_HOSTS"], {}).split(",")
        assert "http://localhost:8080" in interpolate(env["CSRF_TRUSTED_ORIGINS"], {}).split(",")

    def test_web_processes_run_the_same_image_as_migrate(self, services):
        images = {services[name].get("image") for name in (*WEB, "migrate")}
        assert len(images) == 1 and None not in images

    @pytest.mark.parametrize("name", WEB)
    def test_web_processes_start_after_migrations_and_have_a_healthcheck(self, services, name):
        service = services[name]
        assert depends(service)["migrate"] == "service_completed_successfully"
        assert depends(service)["redis"] == "service_healthy"
        test = service["healthcheck"]["test"]
        assert "8000" in " ".join(test if isinstance(test, list) else [test])

    @pytest.mark.parametrize("name", WEB)
    def test_web_processes_are_checked_for_liveness_only(self, services, name):
        """A web process that answers renders pages even with Redis or the tick down:
        the proxy waits for it to answer, not for everything behind it to work."""
        test = " ".join(services[name]["healthcheck"]["test"])
        assert "/healthz" in test and "/readyz" not in test

    def test_the_proxy_reports_readiness_of_the_whole_service(self, services):
        test = services["proxy"]["healthcheck"]["test"]
        assert "http://127.0.0.1/readyz" in test
        # Nothing waits on the proxy's health: a degraded service is shown, not stopped.
        assert not any("proxy" in depends(service) for service in services.values())

    def test_migrate_runs_once(self, services):
        migrate = services["migrate"]
        command = migrate["command"]
        command = command if isinstance(command, list) else command.split()
        assert command[-3:] == ["manage.py", "migrate", "--no-input"]
        assert migrate["restart"] == "no"
        assert depends(migrate) == {"postgres": "service_healthy", "redis": "service_healthy"}

    def test_backing_services_have_healthchecks_and_postgres_keeps_its_data(self, compose):
        services = compose["services"]
        assert "pg_isready" in services["postgres"]["healthcheck"]["test"]
        assert "redis-cli" in services["redis"]["healthcheck"]["test"]
        data = [
            v.split(":")[0] for v in services["postgres"]["volumes"] if ":/var/lib/postgresql" in v
        ]
        assert data and data[0] in compose["volumes"]

    def test_proxy_fronts_both_web_processes_on_8080(self, services):
        proxy = services["proxy"]
        assert proxy["image"].startswith("nginx:")
        deps = depends(proxy)
        assert deps["web1"] == deps["web2"] == "service_healthy"
        assert [interpolate(str(port), {}) for port in proxy["ports"]] == ["8080:80"]
        assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]

    def test_proxy_serves_the_static_files_collected_in_the_image(self, compose, nginx):
        services = compose["services"]
        (root,) = directives(block(nginx, "location /static/"), "root")
        static_path = root.rstrip("/") + "/static"
        mounts = [v for v in services["proxy"]["volumes"] if f":{static_path}" in v]
        assert mounts, f"the proxy mounts nothing at {static_path}"
        volume = mounts[0].split(":")[0]
        assert volume in compose["volumes"]
        # Something running the app image fills that volume from /app/staticfiles.
        fillers = [
            name
            for name, service in services.items()
            if service.get("image") == services["web1"]["image"]
            and any(v.startswith(f"{volume}:") for v in service.get("volumes", []))
            and "/app/staticfiles" in " ".join(service.get("command") or [])
        ]
        assert fillers
        assert all(depends(services["proxy"]).get(name) for name in fillers)


class TestNginx:
    def test_upstream_has_both_daphne_processes(self, nginx):
        upstream = block(nginx, "upstream kith")
        assert {"web1:8000", "web2:8000"} <= {
            value.split()[0] for value in directives(upstream, "server")
        }

    @pytest.mark.parametrize("path", ["/ws/", "/"])
    def test_locations_proxy_to_the_upstream_with_forwarded_headers(self, nginx, path):
        body = block(nginx, f"location {path}")
        assert directives(body, "proxy_pass") == ["http://kith"]
        sent = headers(body)
        assert sent["host"] in {"$host", "$http_host"}
        assert "x-forwarded-for" in sent
        assert "x-forwarded-proto" in sent

    @pytest.mark.parametrize("path", ["/healthz", "/readyz"])
    def test_health_reaches_a_web_process_and_stays_out_of_the_access_log(self, nginx, path):
        body = block(nginx, f"location = {path}")
        assert directives(body, "proxy_pass") == ["http://kith"]
        assert directives(body, "access_log") == ["off"]
        assert "x-forwarded-proto" in headers(body)

    @pytest.mark.parametrize("path", ["/ws/", "/"])
    def test_the_client_cannot_choose_its_own_address(self, nginx, dockerfile, path):
        """daphne --proxy-headers takes the first address of X-Forwarded-For: the proxy
        must replace the header, not append to what the client sent, or a guesser
        would dodge the sign-in lockout by address with every attempt."""
        assert "--proxy-headers" in dockerfile
        assert headers(block(nginx, f"location {path}"))["x-forwarded-for"] == "$remote_addr"

    def test_websockets_are_upgraded_and_kept_open(self, nginx):
        body = block(nginx, "location /ws/")
        assert directives(body, "proxy_http_version") == ["1.1"]
        sent = headers(body)
        assert sent["upgrade"] == "$http_upgrade"
        connection = sent["connection"]
        if connection.startswith("$"):  # a map from $http_upgrade to "upgrade"
            mapped = block(nginx, f"map $http_upgrade {connection}")
            assert re.search(r"(?m)^\s*default\s+upgrade;", mapped)
        else:
            assert connection.strip("\"'").lower() == "upgrade"
        assert seconds(directives(body, "proxy_read_timeout")[0]) >= 300

    def test_the_access_log_holds_paths_never_query_strings(self, nginx):
        """A search's terms (a client's name, a street) are in its query string, and
        the referring address repeats the query of the page before."""
        logs = [value.split() for value in directives(nginx, "access_log")]
        assert logs and all(len(log) >= 2 or log == ["off"] for log in logs)
        for log in logs:
            if log == ["off"]:
                continue
            (fmt,) = re.findall(rf"log_format\s+{re.escape(log[1])}\s+([^;]+);", nginx)
            variables = set(re.findall(r"\$(\w+)", fmt))
            assert "uri" in variables
            leaking = {"request", "request_uri", "args", "query_string", "http_referer"}
            assert not variables & leaking, variables & leaking
            assert not any(v.startswith("arg_") for v in variables)


class TestDockerfile:
    def test_installs_the_hashed_lock_and_collects_static_files(self, dockerfile):
        assert re.search(r"(?m)^FROM python:3\.12-slim", dockerfile)
        assert re.search(r"pip install --require-hashes -r requirements\.txt", dockerfile)
        assert "manage.py collectstatic --no-input" in dockerfile

    def test_daphne_writes_no_access_log_of_its_own(self, dockerfile):
        """daphne's access lines hold the query string; the proxy logs the path."""
        command = json.loads(re.search(r"(?m)^CMD (\[.*\])$", dockerfile).group(1))
        # daphne writes access lines to the file --access-log names, else to standard
        # out whenever its verbosity (-v) is 1 or more.
        if "--access-log" in command:
            assert command[command.index("--access-log") + 1] == "/dev/null"
        else:
            assert command[command.index("-v") + 1] == "0"

    def test_runs_daphne_as_a_non_root_user(self, dockerfile):
        users = re.findall(r"(?m)^USER\s+(\S+)", dockerfile)
        assert users and users[-1] not in {"root", "0"}
        assert re.search(r'(?m)^CMD \["daphne", .*"config\.asgi:application"\]', dockerfile)
        assert '"8000"' in dockerfile.split("CMD", 1)[1]


def test_a_tick_service_closes_decision_windows_after_migrations(services):
    tick = services["tick"]
    assert tick["command"][:3] == ["python", "manage.py", "tick"]
    assert "--every" in tick["command"]
    assert tick["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert tick["environment"]["DATABASE_URL"].startswith("postgres://")


class TestObservability:
    """Request ids through the proxy, error reporting and metrics in the production shape."""

    @pytest.mark.parametrize("path", ["/ws/", "/"])
    def test_the_proxy_hands_kith_a_well_formed_request_id(self, nginx, path):
        sent = headers(block(nginx, f"location {path}"))
        variable = sent["x-request-id"]
        assert variable.startswith("$")
        mapped = block(nginx, f"map $http_x_request_id {variable}")
        # Made by nginx unless the one sent from in front is a UUID or 32 hex digits.
        assert re.search(r"(?m)^\s*default\s+\$request_id;", mapped)
        patterns = re.findall(r'"~([^"]+)"\s+\$http_x_request_id;', mapped)
        assert patterns
        for pattern in patterns:
            assert pattern.startswith("^") and pattern.endswith("$")
            assert re.fullmatch(pattern[1:-1], "0123456789abcdef" * 2) or re.fullmatch(
                pattern[1:-1], "01234567-89ab-cdef-0123-456789abcdef"
            )
            assert not re.fullmatch(pattern[1:-1], "x" * 32)

    def test_the_proxys_access_log_carries_the_request_id_and_no_query_string(self, nginx):
        (used,) = [value for value in directives(nginx, "access_log") if value != "off"]
        name = used.split()[-1]
        line = re.search(rf"log_format\s+{name}\s+([^;]+);", nginx).group(1)
        assert "$kith_request_id" in line
        assert "$request " not in line and "$request_uri" not in line and "$args" not in line

    def test_the_proxy_never_serves_metrics(self, nginx, services):
        body = block(nginx, "location = /metrics")
        assert directives(body, "return") == ["404"]
        # The proxy forwards to the site's port only, and publishes nothing else.
        upstream = block(nginx, "upstream kith")
        assert {value.split()[0] for value in directives(upstream, "server")} == {
            "web1:8000",
            "web2:8000",
        }
        for name, service in services.items():
            published = [str(port) for port in service.get("ports", [])]
            assert not any("9100" in port for port in published), name

    @pytest.mark.parametrize("name", [*WEB, "tick"])
    def test_every_process_serves_its_metrics_on_its_own_port_once_a_token_is_set(
        self, services, name
    ):
        service = services[name]
        env = environment(service)
        assert env["KITH_METRICS_TOKEN"] == "${KITH_METRICS_TOKEN:-}"  # off until set
        assert env["KITH_METRICS_PORT"] in [str(port) for port in service["expose"]]

    @pytest.mark.parametrize("name", [*WEB, "tick"])
    def test_errors_are_reported_when_the_operator_names_where(self, services, name):
        env = environment(services[name])
        assert env["SENTRY_DSN"] == "${SENTRY_DSN:-}"
        assert env["ADMINS"] == "${ADMINS:-}"
        assert env.get("KITH_LOG_FORMAT", "json") == "json"


def new_env(*args: str, output: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "new-env"), *args, "--output", str(output)],
        capture_output=True,
        text=True,
        timeout=30,
    )


def validate(compose_file: Path) -> subprocess.CompletedProcess:
    """check-jsonschema against the Compose specification's schema it ships."""
    checker = Path(sys.executable).with_name("check-jsonschema")
    return subprocess.run(
        [str(checker), "--builtin-schema", "vendor.compose-spec", str(compose_file)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def real_env(tmp_path) -> dict[str, str]:
    result = new_env("kith.example.org", output=tmp_path / ".env")
    assert result.returncode == 0, result.stderr
    return dotenv(tmp_path / ".env")


class TestDeployingOnARealHostname:
    """docker-compose.yml with the .env tools/new-env writes for kith.example.org."""

    def write(self, tmp_path: Path, data: dict) -> Path:
        path = tmp_path / "docker-compose.yml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    def test_the_file_follows_the_compose_specification(self, tmp_path, compose, real_env):
        result = validate(self.write(tmp_path, interpolated(compose, real_env)))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "ok -- validation done" in result.stdout

    def test_without_an_env_file_it_follows_the_specification_too(self, tmp_path, compose):
        result = validate(self.write(tmp_path, interpolated(compose, {})))
        assert result.returncode == 0, result.stdout + result.stderr

    def test_the_validation_can_fail(self, tmp_path, compose, real_env):
        broken = interpolated(compose, real_env)
        broken["services"]["web1"]["healthcheck"]["every"] = "10s"  # not a Compose key
        result = validate(self.write(tmp_path, broken))
        assert result.returncode != 0
        assert "every" in result.stdout + result.stderr

    @pytest.mark.parametrize("name", KITH)
    def test_every_kith_process_gets_the_sites_settings(self, compose, real_env, name):
        env = environment(interpolated(compose, real_env)["services"][name])
        assert env["KITH_SITE_URL"] == "https://kith.example.org"
        assert env["ALLOWED_HOSTS"] == "kith.example.org"
        assert env["CSRF_TRUSTED_ORIGINS"] == "https://kith.example.org"
        assert env["KITH_HTTPS"] == "1"
        assert env["EMAIL_URL"] == "console://"
        assert env["DEFAULT_FROM_EMAIL"] == "Kith <kith@kith.example.org>"
        # The key of .env: the same on every start, for every process.
        assert len(env["SECRET_KEY"]) >= 80 and env["SECRET_KEY"] == real_env["SECRET_KEY"]
        assert env["SECRET_KEY_FILE"] == ""

    def test_the_proxy_listens_where_env_says(self, compose, real_env):
        proxy = interpolated(compose, real_env)["services"]["proxy"]
        assert proxy["ports"] == ["127.0.0.1:8080:80"]

    @pytest.mark.parametrize(
        "name", ["SECRET_KEY", "EMAIL_URL", "SENTRY_DSN", "KITH_METRICS_TOKEN"]
    )
    def test_each_secret_may_come_from_a_file(self, services, name):
        """Both from .env, empty when unset: Kith reads X_FILE when X is empty."""
        from config.env import SECRET_SETTINGS

        assert name in SECRET_SETTINGS
        for service in KITH:
            env = environment(services[service])
            assert env[name] == f"${{{name}:-}}"
            assert env[f"{name}_FILE"] == f"${{{name}_FILE:-}}"

    def test_env_example_names_exactly_what_the_file_reads(self, compose):
        text = (ROOT / "docker-compose.yml").read_text()
        read = {m["braced"] or m["named"] for m in REFERENCE.finditer(text) if not m["escaped"]}
        example = set(dotenv(ROOT / ".env.example"))
        assert read == example, (read - example, example - read)

    def test_the_web_health_check_calls_the_process_by_its_address(self, compose, real_env):
        """127.0.0.1, not the site's name: config.health answers it all the same
        (a real daphne proves it in tests/config/test_nginx.py)."""
        for name in WEB:
            test = " ".join(
                interpolated(compose, real_env)["services"][name]["healthcheck"]["test"]
            )
            assert "http://127.0.0.1:8000/healthz" in test


class TestNewEnv:
    def test_a_real_hostname(self, tmp_path, real_env):
        assert real_env["KITH_HTTPS"] == "1"
        assert real_env["KITH_LISTEN"] == "127.0.0.1:8080"
        assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600
        # The rest of the example, comments included, is kept.
        example = (ROOT / ".env.example").read_text()
        written = (tmp_path / ".env").read_text()
        assert [line for line in example.splitlines() if line.startswith("#")] == [
            line for line in written.splitlines() if line.startswith("#")
        ]

    def test_each_file_gets_a_key_of_its_own(self, tmp_path):
        keys = set()
        for n in range(2):
            assert new_env("--local", output=tmp_path / f"env{n}").returncode == 0
            keys.add(dotenv(tmp_path / f"env{n}")["SECRET_KEY"])
        assert len(keys) == 2
        assert dotenv(tmp_path / "env0")["ALLOWED_HOSTS"] == "localhost,127.0.0.1"
        assert dotenv(tmp_path / "env0")["KITH_HTTPS"] == "0"

    def test_an_existing_file_is_never_overwritten(self, tmp_path, real_env):
        before = (tmp_path / ".env").read_bytes()
        result = new_env("other.example.org", output=tmp_path / ".env")
        assert result.returncode == 1
        assert "exists already" in result.stderr
        assert (tmp_path / ".env").read_bytes() == before

    @pytest.mark.parametrize(
        "host", ["https://kith.example.org", "kith.example.org/x", "bad-.example.org", "kith_x.org"]
    )
    def test_a_url_or_a_malformed_name_is_refused(self, tmp_path, host):
        result = new_env(host, output=tmp_path / ".env")
        assert result.returncode == 2 and "not a host name" in result.stderr
        assert not (tmp_path / ".env").exists()

    def test_the_key_it_writes_passes_kiths_production_check(self, real_env):
        from config.checks import secret_key_problem

        assert secret_key_problem(real_env["SECRET_KEY"]) is None
