"""Reading the environment into settings, with one clear line for every mistake.

Settings are read once at startup. Anything malformed raises ``ConfigError`` naming
the variable; ``config.settings`` turns that into ``SystemExit`` so the process stops
with that one line instead of a traceback.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
import phonenumbers

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


# The settings that are secrets: each may instead name a file holding it (``X_FILE``),
# as Docker and Compose secrets, Kubernetes and systemd credentials hand them over,
# so the value need not sit in the environment, where `docker inspect` shows it.
SECRET_SETTINGS = (
    "SECRET_KEY",
    "DATABASE_URL",
    "EMAIL_URL",
    "REDIS_URL",
    "SENTRY_DSN",
    "KITH_METRICS_TOKEN",
)


def env_secret(name: str) -> str:
    """``name`` from the environment or, when it is unset or empty, the content of the
    file ``name_FILE`` names (its trailing newline stripped). Both set is a mistake:
    which one wins would be a guess, so neither does."""
    value = env_str(name)
    path = env_str(f"{name}_FILE")
    if not path:
        return value
    if value:
        raise ConfigError(f"{name} and {name}_FILE are both set; set only one of them")
    try:
        content = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{name}_FILE={path!r} does not exist") from None
    except IsADirectoryError:
        raise ConfigError(f"{name}_FILE={path!r} is a folder, not a file") from None
    except PermissionError:
        raise ConfigError(f"{name}_FILE={path!r} cannot be read (permissions)") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{name}_FILE={path!r} is not UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(f"{name}_FILE={path!r} cannot be read: {exc.strerror}") from None
    value = content.rstrip("\r\n")
    if not value.strip():
        raise ConfigError(f"{name}_FILE={path!r} is empty")
    if "\n" in value:
        raise ConfigError(f"{name}_FILE={path!r} holds more than one line")
    return value.strip()


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ConfigError(f"{name}={raw!r} is not a yes/no value (use 1 or 0, true or false)")


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and {maximum}" if maximum is not None else " or more"
        raise ConfigError(f"{name}={value} is out of range (must be {minimum}{upper})")
    return value


def env_float(name: str, default: float, *, minimum: float = 0.0, maximum: float) -> float:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        value = float(raw.strip())
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a number") from None
    if not minimum <= value <= maximum:  # also refuses nan
        raise ConfigError(f"{name}={value} is out of range (must be {minimum} to {maximum})")
    return value


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value not in choices:
        raise ConfigError(f"{name}={raw!r} is not one of {', '.join(choices)}")
    return value


def env_region(name: str, default: str) -> str:
    """A country as two letters (GB, NL), one whose phone numbers ``phonenumbers`` knows."""
    raw = os.environ.get(name)
    value = (raw if raw is not None and raw.strip() else default).strip().upper()
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ConfigError(f"{name}={raw!r} is not a country code such as GB or NL")
    return value


def env_site_url(name: str, default: str) -> str:
    """The deployment's own address (``https://kith.example.org``, maybe with a path
    prefix), without a trailing slash: mail links are built on it."""
    raw = os.environ.get(name)
    value = (raw if raw is not None and raw.strip() else default).strip()
    if not value:
        return ""
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(
            f"{name}={raw!r} is not the site's address (e.g. https://kith.example.org)"
        )
    try:
        parts.port  # noqa: B018 - reading it validates it
    except ValueError:
        raise ConfigError(f"{name}={raw!r} has a malformed port") from None
    return value.rstrip("/")


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_emails(name: str) -> list[str]:
    """Comma-separated addresses (``a@example.org`` or ``Ann <a@example.org>``)."""
    from email.utils import parseaddr

    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    addresses = env_list(name, [])
    for address in addresses:
        try:
            validate_email(parseaddr(address)[1])
        except ValidationError:
            raise ConfigError(f"{name} holds {address!r}, which is not an email address") from None
    return addresses


# Every SQLite database Kith opens, named by DATABASE_URL or not. IMMEDIATE takes the
# write lock at BEGIN, so two writers queue on the timeout instead of one failing with
# "database is locked" when both upgrade their read lock mid-transaction.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
}


def database_config(url: str, *, base_dir: Path, pool_min: int, pool_max: int) -> dict[str, Any]:
    """Django DATABASES['default'] from DATABASE_URL (empty: SQLite in the project)."""
    if not url:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": base_dir / "kith.sqlite3",
            "OPTIONS": dict(SQLITE_OPTIONS),
            "TEST": {"NAME": base_dir / "kith-test.sqlite3"},
        }
    scheme = urlsplit(url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql", "sqlite"}:
        raise ConfigError(
            f"DATABASE_URL has scheme {scheme or '(none)'!r}; "
            "expected postgres://user:password@host:port/name or sqlite:///path"
        )
    try:
        urlsplit(url).port  # noqa: B018  (raises on a non-numeric port)
        config: dict[str, Any] = dict(dj_database_url.parse(url, conn_max_age=0))
    except (ValueError, KeyError) as exc:
        raise ConfigError(f"DATABASE_URL is malformed: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    if config["ENGINE"] == "django.db.backends.postgresql":
        if not config.get("NAME"):
            raise ConfigError("DATABASE_URL names no database (add /name after the host)")
        # Persistent connections under ASGI exhausted PostgreSQL here; psycopg's pool
        # with CONN_MAX_AGE = 0 fixed it (see the README, "Configuration").
        config["CONN_MAX_AGE"] = 0
        config.setdefault("OPTIONS", {})["pool"] = {
            "min_size": pool_min,
            "max_size": pool_max,
            "timeout": 10,
        }
    return config


def channel_layers(
    url: str, *, max_connections: int, prefix: str = "kith", timeout: int = 3
) -> dict:
    """CHANNEL_LAYERS from REDIS_URL (empty: the in-memory layer, one process only)."""
    if not url:
        return {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError(
            f"REDIS_URL has scheme {parts.scheme or '(none)'!r}; expected redis://host:port/db"
        )
    try:
        parts.port  # noqa: B018  (raises on a non-numeric port)
    except ValueError as exc:
        raise ConfigError(f"REDIS_URL is malformed: {exc}") from None
    if parts.scheme != "unix" and not parts.hostname:
        raise ConfigError("REDIS_URL names no host (expected redis://host:port/db)")
    if not prefix or not all(c.isalnum() or c in "-_." for c in prefix):
        raise ConfigError(
            f"KITH_CHANNEL_PREFIX={prefix!r} must be letters, digits, '-', '_' or '.'"
        )
    return {
        "default": {
            # The pub/sub layer delivered every message at 80,000/s where the default
            # layer silently dropped 36% at 1,500/s (README, "Configuration").
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            # Redis pub/sub ignores the db number: the prefix keeps deployments that
            # share a Redis server from hearing each other's events.
            # A connect that gets no answer fails after ``timeout`` seconds, so a
            # write's ring (after commit) never holds its request for minutes. (No read
            # timeout: the layer's subscriber connection waits for messages by design.)
            "CONFIG": {
                "hosts": [
                    {
                        "address": url,
                        "max_connections": max_connections,
                        "socket_connect_timeout": timeout,
                    }
                ],
                "prefix": prefix,
            },
        }
    }


def caches(url: str, *, prefix: str = "kith", timeout: int = 3, folder: Path | None = None) -> dict:
    """CACHES from REDIS_URL: Django's Redis cache, shared by every server process (the
    counts of failed sign-ins live there); unset, files in ``folder`` (the embedded
    default), which the server and a management command (``axes_reset_username``) both
    read, as they would not a cache inside the server's own memory."""
    if not url:
        if folder is None:
            raise ConfigError("Without REDIS_URL the cache needs a folder for its files.")
        return {
            "default": {
                "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                "LOCATION": str(folder / prefix),
            }
        }
    return {
        "default": {
            # Django's Redis cache, counting in the process while Redis is down.
            "BACKEND": "config.cache.RedisCacheWithFallback",
            "LOCATION": url,
            # A Redis server shared by several deployments keeps their keys apart.
            "KEY_PREFIX": prefix,
            # A Redis that does not answer costs a sign-in seconds, not minutes.
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        }
    }


def mailers(url: str, *, debug: bool) -> dict:
    """MAILERS from EMAIL_URL: smtp://user:password@host:587 (STARTTLS), smtps://... (TLS),
    console://, or file:///a/folder (each message a file there: a test server's outbox).

    Unset: the console (development) or SMTP on localhost:25 (production).
    """
    console = {"BACKEND": "django.core.mail.backends.console.EmailBackend"}
    smtp = "django.core.mail.backends.smtp.EmailBackend"
    if not url:
        if debug:
            return {"default": console}
        return {"default": {"BACKEND": smtp, "OPTIONS": {"host": "localhost", "port": 25}}}
    parts = urlsplit(url)
    if parts.scheme == "console":
        return {"default": console}
    if parts.scheme == "file":
        if parts.netloc or not parts.path.startswith("/"):
            raise ConfigError("EMAIL_URL file:// needs an absolute folder (file:///var/kith/mail)")
        from urllib.parse import unquote

        folder = unquote(parts.path)
        backend = "django.core.mail.backends.filebased.EmailBackend"
        return {"default": {"BACKEND": backend, "OPTIONS": {"file_path": folder}}}
    if parts.scheme not in {"smtp", "smtps"}:
        raise ConfigError(
            f"EMAIL_URL has scheme {parts.scheme or '(none)'!r}; "
            "expected smtp://user:password@host:587, smtps://..., console:// or file:///folder"
        )
    try:
        port = parts.port
    except ValueError as exc:
        raise ConfigError(f"EMAIL_URL is malformed: {exc}") from None
    if not parts.hostname:
        raise ConfigError("EMAIL_URL names no host")
    from urllib.parse import unquote

    options: dict = {"host": parts.hostname, "timeout": 10}
    if parts.scheme == "smtps":
        options |= {"port": port or 465, "use_ssl": True}
    else:
        options |= {"port": port or 587, "use_tls": (port or 587) != 25}
    if parts.username:
        options |= {"username": unquote(parts.username), "password": unquote(parts.password or "")}
    return {"default": {"BACKEND": smtp, "OPTIONS": options}}
