"""Configuration: parsing, one-line failures, production checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import env
from config.checks import secret_key_problem

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k" * 20 + "0123456789abcdefghijklmnopqrstuvwxyz"


def run_manage(*args: str, **environ: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **environ},
        capture_output=True,
        text=True,
        timeout=60,
    )


class TestDatabaseUrl:
    def test_unset_means_sqlite_in_the_project(self, tmp_path):
        config = env.database_config("", base_dir=tmp_path, pool_min=1, pool_max=5)
        assert config["ENGINE"] == "django.db.backends.sqlite3"
        assert config["NAME"] == tmp_path / "kith.sqlite3"

    def test_sqlite_named_by_url_queues_its_writers_like_the_default(self, tmp_path):
        """Two writers at once (a race for the same visit) wait their turn instead of
        one failing with "database is locked" (a 500): the browser tests' daphne and
        any deployment that names its SQLite file get the same options as the default."""
        default = env.database_config("", base_dir=tmp_path, pool_min=1, pool_max=5)
        named = env.database_config(
            f"sqlite:///{tmp_path}/other.sqlite3", base_dir=tmp_path, pool_min=1, pool_max=5
        )
        assert named["ENGINE"] == "django.db.backends.sqlite3"
        assert named["NAME"] == f"{tmp_path}/other.sqlite3"
        assert named["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
        assert named["OPTIONS"]["timeout"] >= 5
        assert named["OPTIONS"] == default["OPTIONS"]

    def test_postgres_uses_the_pool_and_no_persistent_connections(self, tmp_path):
        config = env.database_config(
            "postgres://kith:pw@db.local:5433/kith", base_dir=tmp_path, pool_min=2, pool_max=9
        )
        assert config["ENGINE"] == "django.db.backends.postgresql"
        assert (config["HOST"], config["PORT"], config["NAME"]) == ("db.local", 5433, "kith")
        assert config["CONN_MAX_AGE"] == 0
        assert config["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 9, "timeout": 10}

    @pytest.mark.parametrize(
        "url, words",
        [
            ("mysql://x@y/z", "scheme 'mysql'"),
            ("localhost:5432", "scheme"),
            ("postgres://u@host:notaport/db", "malformed"),
            ("postgres://u@host:5432", "names no database"),
        ],
    )
    def test_malformed_urls_are_refused_with_the_variable_named(self, tmp_path, url, words):
        with pytest.raises(env.ConfigError) as err:
            env.database_config(url, base_dir=tmp_path, pool_min=1, pool_max=5)
        assert "DATABASE_URL" in str(err.value)
        assert words in str(err.value)


class TestRedisUrl:
    def test_unset_means_the_in_memory_layer(self):
        layer = env.channel_layers("", max_connections=10)["default"]
        assert layer["BACKEND"] == "channels.layers.InMemoryChannelLayer"

    def test_set_means_the_pubsub_layer_with_many_connections(self):
        layer = env.channel_layers("redis://r:6379/1", max_connections=4000, timeout=2)["default"]
        assert layer["BACKEND"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
        assert layer["CONFIG"]["hosts"] == [
            {"address": "redis://r:6379/1", "max_connections": 4000, "socket_connect_timeout": 2}
        ]

    @pytest.mark.parametrize("url", ["http://r:6379", "redis://:abc", "redis://r:port/0"])
    def test_malformed_urls_are_refused(self, url):
        with pytest.raises(env.ConfigError, match="REDIS_URL"):
            env.channel_layers(url, max_connections=10)


class TestEmailUrl:
    def test_development_prints_mail_and_production_defaults_to_local_smtp(self):
        assert env.mailers("", debug=True)["default"]["BACKEND"].endswith("console.EmailBackend")
        production = env.mailers("", debug=False)["default"]
        assert production["BACKEND"].endswith("smtp.EmailBackend")
        assert production["OPTIONS"] == {"host": "localhost", "port": 25}

    def test_smtp_url_with_credentials(self):
        options = env.mailers("smtp://kith%40x.org:p%2Fw@mail.x.org:587", debug=False)["default"][
            "OPTIONS"
        ]
        assert options == {
            "host": "mail.x.org",
            "port": 587,
            "use_tls": True,
            "username": "kith@x.org",
            "password": "p/w",
            "timeout": 10,
        }

    def test_a_folder_of_files(self):
        mailer = env.mailers("file:///var/kith/mail%20box", debug=False)["default"]
        assert mailer["BACKEND"].endswith("filebased.EmailBackend")
        assert mailer["OPTIONS"] == {"file_path": "/var/kith/mail box"}

    @pytest.mark.parametrize(
        "url", ["http://mail", "smtp://host:port", "smtp://", "file://", "file://relative/mail"]
    )
    def test_malformed_is_refused(self, url):
        with pytest.raises(env.ConfigError, match="EMAIL_URL"):
            env.mailers(url, debug=False)


@pytest.mark.parametrize(
    "name, value, words",
    [("DEBUG", "maybe", "DEBUG='maybe'"), ("DB_POOL_MAX_SIZE", "lots", "DB_POOL_MAX_SIZE")],
)
def test_malformed_values_are_named(monkeypatch, name, value, words):
    monkeypatch.setenv(name, value)
    reader = env.env_bool if name == "DEBUG" else env.env_int
    with pytest.raises(env.ConfigError, match=words):
        reader(name, 1) if reader is env.env_int else reader(name)


def test_pool_size_must_be_positive(monkeypatch):
    monkeypatch.setenv("DB_POOL_MAX_SIZE", "0")
    with pytest.raises(env.ConfigError, match="out of range"):
        env.env_int("DB_POOL_MAX_SIZE", 20, minimum=1)


@pytest.mark.parametrize(
    "key, ok",
    [
        ("", False),
        ("django-insecure-" + "x" * 60, False),
        ("short", False),
        ("a" * 60, False),
        (STRONG_KEY, True),
    ],
)
def test_secret_key_strength(key, ok):
    assert (secret_key_problem(key) is None) is ok


class TestStartupStopsWithOneLine:
    """A wrong setting or a service that is down: one line naming it, no traceback."""

    def assert_one_line(self, result, *words):
        assert result.returncode != 0
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
        assert "Traceback" not in result.stderr
        for word in words:
            assert word in lines[0]

    def test_invalid_database_url(self):
        self.assert_one_line(run_manage("check", DATABASE_URL="mysql://a@b/c"), "DATABASE_URL")

    def test_malformed_boolean(self):
        self.assert_one_line(run_manage("check", DEBUG="sometimes"), "DEBUG")

    def test_invalid_redis_url(self):
        self.assert_one_line(run_manage("check", REDIS_URL="http://x"), "REDIS_URL")

    def test_unreachable_redis(self):
        result = run_manage("migrate", DEBUG="1", REDIS_URL="redis://127.0.0.1:1/0")
        self.assert_one_line(result, "REDIS_URL", "cannot reach Redis")

    def test_unreachable_database(self):
        result = run_manage("migrate", DEBUG="1", DATABASE_URL="postgres://u@127.0.0.1:1/kith")
        self.assert_one_line(result, "DATABASE_URL", "cannot connect")

    def test_asgi_server_refuses_weak_secret_and_in_memory_layer(self):
        clean = {
            k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY", "REDIS_URL"}
        }
        result = subprocess.run(
            [sys.executable, "-c", "import config.asgi"],
            cwd=ROOT,
            env=clean,
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assert_one_line(result, "SECRET_KEY", "REDIS_URL")


def test_system_check_refuses_production_without_redis_or_secret():
    result = run_manage("check", "--deploy")
    assert result.returncode != 0
    assert "kith.E001" in result.stderr and "kith.E002" in result.stderr


def test_development_commands_are_not_refused_by_production_checks():
    assert run_manage("makemigrations", "--check", "--dry-run").returncode == 0


def test_system_check_passes_in_development():
    result = run_manage("check", DEBUG="1")
    assert result.returncode == 0, result.stderr


class TestCredentialSettings:
    """Lockout, sessions and tokens are set from the environment (README table)."""

    def read(self, **environ: str) -> list[str]:
        script = (
            "from django.conf import settings as s;"
            "print(s.LOGIN_FAILURE_LIMIT, s.LOGIN_ADDRESS_LIMIT,"
            " int(s.AXES_COOLOFF_TIME.total_seconds()),"
            " s.SESSION_IDLE_HOURS, s.SESSION_MAX_DAYS, s.SESSION_COOKIE_AGE,"
            " s.API_TOKEN_DAYS, s.PASSWORD_HASH_THREADS, s.CACHES['default']['BACKEND'])"
        )
        result = run_manage("shell", "--no-imports", "-c", script, DEBUG="1", **environ)
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    def test_safe_defaults(self):
        assert self.read() == [
            "5",
            "30",
            str(15 * 60),
            "12",
            "7",
            str(7 * 24 * 3600),
            "90",
            "1",
            "django.core.cache.backends.filebased.FileBasedCache",
        ]

    def test_each_is_a_variable(self):
        assert self.read(
            KITH_LOGIN_FAILURE_LIMIT="3",
            KITH_LOGIN_ADDRESS_FAILURE_LIMIT="20",
            KITH_LOGIN_LOCKOUT_MINUTES="30",
            KITH_SESSION_IDLE_HOURS="2",
            KITH_SESSION_MAX_DAYS="1",
            KITH_TOKEN_DAYS="30",
            KITH_PASSWORD_THREADS="2",
        )[:8] == ["3", "20", "1800", "2", "1", "86400", "30", "2"]

    def test_a_malformed_one_stops_startup_with_one_line(self):
        result = run_manage("check", DEBUG="1", KITH_SESSION_IDLE_HOURS="soon")
        assert result.returncode != 0
        assert "KITH_SESSION_IDLE_HOURS" in result.stderr and "Traceback" not in result.stderr

    def test_redis_url_shares_the_cache_between_processes(self):
        # Unset: files in the project folder, which a management command reads too.
        local = env.caches("", prefix="kith", folder=Path("/srv/kith/kith-cache"))["default"]
        assert local == {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": "/srv/kith/kith-cache/kith",
        }
        redis = env.caches("redis://cache.local:6379/3", prefix="site-a", timeout=2)["default"]
        assert redis == {
            # Django's Redis cache, counting in the process while Redis is down.
            "BACKEND": "config.cache.RedisCacheWithFallback",
            "LOCATION": "redis://cache.local:6379/3",
            "KEY_PREFIX": "site-a",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }


class TestSecretsFromFiles:
    """Each secret may come from a file ``X_FILE`` names (Docker and Compose secrets,
    Kubernetes, systemd credentials) instead of the environment."""

    SECRETS = env.SECRET_SETTINGS

    @pytest.fixture(autouse=True)
    def _clean(self, monkeypatch):
        for name in self.SECRETS:
            monkeypatch.delenv(name, raising=False)
            monkeypatch.delenv(f"{name}_FILE", raising=False)

    @pytest.mark.parametrize("name", SECRETS)
    def test_the_file_is_read_when_the_variable_is_unset(self, monkeypatch, tmp_path, name):
        secret = tmp_path / "secret"
        secret.write_text("value-from-the-file\n")
        monkeypatch.setenv(f"{name}_FILE", str(secret))
        assert env.env_secret(name) == "value-from-the-file"

    @pytest.mark.parametrize("name", SECRETS)
    def test_both_set_is_an_error_naming_the_variable(self, monkeypatch, tmp_path, name):
        secret = tmp_path / "secret"
        secret.write_text("from-the-file")
        monkeypatch.setenv(name, "from-the-environment")
        monkeypatch.setenv(f"{name}_FILE", str(secret))
        with pytest.raises(env.ConfigError) as err:
            env.env_secret(name)
        assert f"{name} and {name}_FILE are both set" in str(err.value)

    def test_the_variable_alone_is_read_as_before(self, monkeypatch):
        monkeypatch.setenv("SECRET_KEY", "  from-the-environment ")
        assert env.env_secret("SECRET_KEY") == "from-the-environment"
        monkeypatch.delenv("SECRET_KEY")
        assert env.env_secret("SECRET_KEY") == ""

    def test_an_empty_variable_counts_as_unset(self, monkeypatch, tmp_path):
        """Compose writes ``X: ${X:-}`` as an empty variable: the file still counts."""
        secret = tmp_path / "secret"
        secret.write_text("from-the-file\r\n")
        monkeypatch.setenv("SENTRY_DSN", "")
        monkeypatch.setenv("SENTRY_DSN_FILE", str(secret))
        assert env.env_secret("SENTRY_DSN") == "from-the-file"

    @pytest.mark.parametrize(
        "content, words",
        [
            (None, "does not exist"),
            ("", "is empty"),
            ("\n", "is empty"),
            ("one\ntwo\n", "more than one line"),
            (b"\xff\xfe", "not UTF-8"),
            ("folder", "is a folder"),
        ],
    )
    def test_a_file_that_cannot_serve_is_named(self, monkeypatch, tmp_path, content, words):
        secret = tmp_path / "secret"
        if content == "folder":
            secret.mkdir()
        elif isinstance(content, bytes):
            secret.write_bytes(content)
        elif content is not None:
            secret.write_text(content)
        monkeypatch.setenv("DATABASE_URL_FILE", str(secret))
        with pytest.raises(env.ConfigError) as err:
            env.env_secret("DATABASE_URL")
        assert "DATABASE_URL_FILE" in str(err.value) and words in str(err.value)

    def test_settings_take_every_secret_from_its_file(self, tmp_path):
        values = {
            "SECRET_KEY": STRONG_KEY,
            "DATABASE_URL": f"sqlite:///{tmp_path}/from-file.sqlite3",
            "EMAIL_URL": "smtp://mailer:pw@mail.example.org:587",
            "REDIS_URL": "redis://cache.example.org:6379/4",
            "SENTRY_DSN": "https://public@sentry.example.org/1",
            "KITH_METRICS_TOKEN": "m" * 40,
        }
        files = {}
        for name, value in values.items():
            path = tmp_path / name.lower()
            path.write_text(value + "\n")
            files[f"{name}_FILE"] = str(path)
        script = (
            "from django.conf import settings as s;"
            "print(s.SECRET_KEY); print(s.DATABASES['default']['NAME']);"
            "print(s.MAILERS['default']['OPTIONS']['host']); print(s.REDIS_URL);"
            "print(s.SENTRY_DSN); print(s.METRICS_TOKEN)"
        )
        clean = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DEBUG", "SENTRY_DSN", "EMAIL_URL", "SECRET_KEY", "KITH_METRICS_TOKEN"}
        }
        result = subprocess.run(
            [sys.executable, "-c", f"import django; django.setup(); {script}"],
            cwd=ROOT,
            env={**clean, "DEBUG": "1", "DJANGO_SETTINGS_MODULE": "config.settings", **files},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [
            STRONG_KEY,
            f"{tmp_path}/from-file.sqlite3",
            "mail.example.org",
            "redis://cache.example.org:6379/4",
            "https://public@sentry.example.org/1",
            "m" * 40,
        ]

    def test_both_set_stops_startup_with_one_line(self, tmp_path):
        secret = tmp_path / "key"
        secret.write_text(STRONG_KEY)
        result = run_manage("check", DEBUG="1", SECRET_KEY=STRONG_KEY, SECRET_KEY_FILE=str(secret))
        assert result.returncode != 0
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines == [
            "Kith cannot start: SECRET_KEY and SECRET_KEY_FILE are both set; set only one of them"
        ]


# --- an environment older than the lock files ------------------------------------------


def _manage_without(module: str) -> subprocess.CompletedProcess:
    """manage.py check, in a Python where ``module`` cannot be imported (as in a
    virtual environment made before a dependency was added)."""
    code = (
        f"import runpy, sys; sys.modules[{module!r}] = None; "
        "sys.argv = ['manage.py', 'check']; "
        "runpy.run_path('manage.py', run_name='__main__')"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**env, "DEBUG": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_missing_dependency_says_how_to_install_it_in_one_line():
    result = _manage_without("django_otp")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Kith cannot start: the package that provides 'django_otp'")
    assert "make .venv/.dev-installed" in line


def test_a_missing_module_of_kiths_own_is_a_traceback():
    result = _manage_without("teams.invitations")
    assert result.returncode == 1
    assert "Traceback" in result.stderr and "teams.invitations" in result.stderr
