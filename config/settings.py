"""Kith settings: one module, driven by the environment (see README, "Configuration").

With nothing set, Kith runs on the embedded default: SQLite in the project folder and
the in-memory channel layer. DATABASE_URL and REDIS_URL switch to PostgreSQL and Redis.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from django.utils.csp import CSP

from config import logs
from config.env import (
    ConfigError,
    caches,
    channel_layers,
    database_config,
    env_bool,
    env_choice,
    env_emails,
    env_float,
    env_int,
    env_list,
    env_region,
    env_secret,
    env_site_url,
    env_str,
    mailers,
)
from teams import numbers  # a plain module: the bound on ids, for the schema below

BASE_DIR = Path(__file__).resolve().parent.parent

# Used only when SECRET_KEY is unset; config.checks refuses it whenever DEBUG is off.
DEV_SECRET_KEY = "django-insecure-kith-development-only-never-use-in-production"

try:
    DEBUG = env_bool("DEBUG", False)
    SECRET_KEY = env_secret("SECRET_KEY") or DEV_SECRET_KEY
    ALLOWED_HOSTS = env_list(
        "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else ["localhost"]
    )
    CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])
    HTTPS = env_bool("KITH_HTTPS", not DEBUG)
    DATABASE_URL = env_secret("DATABASE_URL")
    REDIS_URL = env_secret("REDIS_URL")
    DATABASES = {
        "default": database_config(
            DATABASE_URL,
            base_dir=BASE_DIR,
            pool_min=env_int("DB_POOL_MIN_SIZE", 2, minimum=0),
            pool_max=env_int("DB_POOL_MAX_SIZE", 20, minimum=1),
        )
    }
    KITH_CHANNEL_PREFIX = env_str("KITH_CHANNEL_PREFIX", "kith")
    # Seconds to wait for Redis to connect or answer before a page goes on without it
    # (who is online, a live event's ring) or readiness calls it unreachable.
    REDIS_TIMEOUT = env_int("REDIS_TIMEOUT", 3, minimum=1, maximum=60)
    CHANNEL_LAYERS = channel_layers(
        REDIS_URL,
        max_connections=env_int("REDIS_MAX_CONNECTIONS", 5000, minimum=1),
        prefix=KITH_CHANNEL_PREFIX,
        timeout=REDIS_TIMEOUT,
    )
    # Readiness (/readyz) calls the tick late when its last pass finished longer ago
    # than this (it runs every 15 s; a pass that sends digests can take a while).
    TICK_MAX_AGE = env_int("KITH_TICK_MAX_AGE", 300, minimum=30)
    # The cache holds the counts of failed sign-ins: Redis with REDIS_URL, else files
    # in KITH_CACHE_DIR, which management commands read too (config.env.caches).
    CACHES = caches(
        REDIS_URL,
        prefix=env_str("KITH_CACHE_PREFIX", KITH_CHANNEL_PREFIX),
        timeout=REDIS_TIMEOUT,
        folder=Path(env_str("KITH_CACHE_DIR", str(BASE_DIR / "kith-cache"))),
    )
    SERVE_STATIC = env_bool("KITH_SERVE_STATIC", DEBUG)
    EVENT_REPLAY_LIMIT = env_int("KITH_EVENT_REPLAY_LIMIT", 500, minimum=1)
    # An event that does not match its declared type (coordination.events.types) is an
    # error when strict (development and tests); in production it is logged and kept.
    EVENTS_STRICT = env_bool("KITH_EVENTS_STRICT", DEBUG)
    # Sockets of one process opening at once (their database trips), and how long
    # an accepted socket waits for a slot before it is told to try again later
    # (close 4503).
    LIVE_OPEN_SLOTS = env_int("KITH_LIVE_OPEN_SLOTS", 8, minimum=1)
    LIVE_OPEN_WAIT = env_int("KITH_LIVE_OPEN_WAIT", 60, minimum=1)
    # Each open socket checks what its person may read at least this often (seconds,
    # jittered), besides at every "access changed" and when a grant or term it reads
    # ends: a safety net for an ending nobody rang.
    LIVE_RECHECK_EVERY = env_int("KITH_LIVE_RECHECK_EVERY", 900, minimum=5)
    MAILERS = mailers(env_secret("EMAIL_URL"), debug=DEBUG)
    # The deployment's own address: every link in Kith's mail starts with it.
    SITE_URL = env_site_url("KITH_SITE_URL", "http://127.0.0.1:8000" if DEBUG else "")
    DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Kith <kith@localhost>")
    # What an operator sees (README, "Logs, errors and metrics").
    LOG_FORMAT = env_choice("KITH_LOG_FORMAT", logs.LOG_FORMATS, "plain" if DEBUG else "json")
    # Kith's own access line (with the request id, in LOG_FORMAT); in development
    # daphne prints its own.
    ACCESS_LOG = env_bool("KITH_ACCESS_LOG", not DEBUG)
    SENTRY_DSN = env_secret("SENTRY_DSN")
    SENTRY_ENVIRONMENT = env_str("SENTRY_ENVIRONMENT", "production")
    SENTRY_RELEASE = env_str("SENTRY_RELEASE")
    SENTRY_TRACES_SAMPLE_RATE = env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0, maximum=1.0)
    ADMINS = env_emails("ADMINS")
    SERVER_EMAIL = env_str("SERVER_EMAIL", DEFAULT_FROM_EMAIL)
    METRICS_TOKEN = env_secret("KITH_METRICS_TOKEN")
    if METRICS_TOKEN and len(METRICS_TOKEN) < 32:
        raise ConfigError(
            "KITH_METRICS_TOKEN is shorter than 32 characters (make one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    METRICS_PORT = env_int("KITH_METRICS_PORT", 9100, minimum=1, maximum=65535)
    # The country whose phone numbers people write without a country code: the
    # privacy check reads "020 7946 0018" as a number of this country.
    PHONE_REGION = env_region("KITH_PHONE_REGION", "GB")
    # Credentials (README, "Signing in, sessions and API tokens").
    LOGIN_FAILURE_LIMIT = env_int("KITH_LOGIN_FAILURE_LIMIT", 5, minimum=1)
    # An office signs in from one address: its limit is the higher (config.lockout).
    LOGIN_ADDRESS_LIMIT = env_int("KITH_LOGIN_ADDRESS_FAILURE_LIMIT", 30, minimum=1)
    LOGIN_LOCKOUT_MINUTES = env_int("KITH_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
    PASSWORD_HASH_THREADS = env_int("KITH_PASSWORD_THREADS", 1, minimum=1)
    SESSION_IDLE_HOURS = env_int("KITH_SESSION_IDLE_HOURS", 12, minimum=1)
    SESSION_MAX_DAYS = env_int("KITH_SESSION_MAX_DAYS", 7, minimum=1, maximum=366)
    API_TOKEN_DAYS = env_int("KITH_TOKEN_DAYS", 90, minimum=1, maximum=3650)
    # How long an invitation's link works (a resend starts the days again).
    INVITATION_DAYS = env_int("KITH_INVITATION_DAYS", 14, minimum=1, maximum=90)
    # How long a password reset link works (it works once in any case).
    PASSWORD_RESET_HOURS = env_int("KITH_PASSWORD_RESET_HOURS", 3, minimum=1, maximum=72)
    # How long the link that confirms a new email address works.
    EMAIL_CONFIRM_HOURS = env_int("KITH_EMAIL_CONFIRM_HOURS", 24, minimum=1, maximum=168)
    # Who must sign in with a second step (teams.two_factor): "members", "coaches".
    # Operators always need it for the admin.
    REQUIRE_TWO_FACTOR = env_list("KITH_REQUIRE_TWO_FACTOR", [])
    if unknown := set(REQUIRE_TWO_FACTOR) - {"members", "coaches"}:
        raise ConfigError(
            f"KITH_REQUIRE_TWO_FACTOR names {', '.join(sorted(unknown))}; it takes"
            " members, coaches, both (members,coaches) or nothing"
        )
    # The name authenticator apps show beside the account.
    OTP_TOTP_ISSUER = env_str("KITH_TWO_FACTOR_ISSUER", "Kith")
except ConfigError as exc:
    raise SystemExit(f"Kith cannot start: {exc}") from None

INSTALLED_APPS = [
    "daphne",
    # Django's admin on Kith's own site: two-step sign-in required (config/admin.py).
    "config.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Full-text search of practice notes (SearchVectorField, GinIndex) on PostgreSQL;
    # harmless on SQLite, where the notes are searched by a simpler fallback.
    "django.contrib.postgres",
    "channels",
    "rest_framework",
    # Counts failed sign-ins at every door and locks out (README, "Signing in").
    "axes",
    # Two-step sign-in: authenticator apps (TOTP) and recovery codes (teams.two_factor).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "drf_spectacular",
    "django_htmx",
    "teams",
    "care",
    "coordination",
    "frontend",
    "config.apps.WiringConfig",
]

MIDDLEWARE = [
    # Outermost: it times and counts every answer, the other middleware's included.
    "config.metrics.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # /healthz and /readyz answer probes that do not know the site's hostname,
    # before the host check below (config/health.py says why that is safe).
    "config.health.health_probes",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Ends a session that was idle or open too long, before anything reads the person.
    "config.sessions.SessionDeadlineMiddleware",
    # Which device, if any, confirmed this session's second step; then a session that
    # still owes one counts as not signed in, or may only set it up (config/two_factor.py).
    "django_otp.middleware.OTPMiddleware",
    "config.two_factor.TwoFactorMiddleware",
    "config.idempotency.IdempotencyMiddleware",
    # After the key is taken: that middleware reads the raw body first, which a
    # multipart form parsed here would have consumed.
    "config.bad_input.BadInputMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last: turns a sign-in refused for too many failures into its answer.
    "axes.middleware.AxesMiddleware",
]

# The lockout backend first: it refuses a locked-out account or address before any
# password is hashed.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"
AUTH_USER_MODEL = "teams.Person"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
PASSWORD_RESET_TIMEOUT = PASSWORD_RESET_HOURS * 60 * 60

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "frontend.context_processors.navigation",
                "frontend.views.notifications.bell_context",
            ],
            # The project's own tags, on every page without a {% load %}: one way to
            # lay out a field, read a field's limit and name a client's stream.
            "builtins": [
                f"frontend.templatetags.{name}" for name in ("fields", "limits", "streams")
            ],
        },
    },
]

# Django's PBKDF2 hashers, with at most PASSWORD_HASH_THREADS hashes at once per
# process (teams/passwords.py): a dozen parallel wrong passwords made every other
# request wait for the cores.
PASSWORD_HASHERS = [
    "teams.passwords.PBKDF2PasswordHasher",
    "teams.passwords.PBKDF2SHA1PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# The languages a team or a person may choose (Kith's own texts are translated as
# they come; a team's choice is kept for its mail and pages).
LANGUAGES = [("en-gb", "English"), ("nl", "Nederlands")]
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Where the proxy serves /static/ (production), collectstatic writes each file also
# under a name with a hash of its content (kith.3f2a9c1b7d4e.css) and pages link to
# that name, so the proxy lets browsers keep them for a year (deploy/nginx.conf): a new
# release's files have new names. Where daphne serves them itself (KITH_SERVE_STATIC,
# on with DEBUG) it finds them by their own names in the apps, unhashed and uncollected.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage."
        + ("StaticFilesStorage" if SERVE_STATIC else "ManifestStaticFilesStorage")
    },
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Content Security Policy (Django 6): no inline script anywhere; data reaches scripts
# through json_script blocks and data- attributes.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
}

# A session ends after SESSION_IDLE_HOURS without a request, and SESSION_MAX_DAYS
# after signing in whatever happens (config/sessions.py, teams/sessions.py).
SESSION_COOKIE_AGE = SESSION_MAX_DAYS * 24 * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SILENCED_SYSTEM_CHECKS: list[str] = []
if HTTPS:
    # TLS ends at the proxy in front (docker-compose.yml), which sets X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    # Health checks speak plain HTTP inside (docker-compose.yml, an orchestrator).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = False
    SILENCED_SYSTEM_CHECKS.append("security.W021")  # preload is the operator's choice

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "config.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "config.schema.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    # JSON nested too deeply is a 400, not a recursion (config.parsers).
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# Sign-in lockout (django-axes): after LOGIN_FAILURE_LIMIT failures in a row for one
# username, or from one address, sign-in is refused for LOGIN_LOCKOUT_MINUTES, a
# correct password included. The counts live in the cache (Redis with REDIS_URL, so
# every server process shares them). A success resets its account's and address's
# count; attempts while locked out neither count nor extend the lockout.
# Each count against its own limit (config.lockout): axes compares with the largest.
AXES_HANDLER = "config.lockout.LockoutHandler"
AXES_FAILURE_LIMIT = max(LOGIN_FAILURE_LIMIT, LOGIN_ADDRESS_LIMIT)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "config.lockout.locked_out"
# The address is the connection's own (REMOTE_ADDR), never a header a client may
# send. Behind the proxy, daphne runs with --proxy-headers and nginx overwrites
# X-Forwarded-For with the address it was reached from (deploy/nginx.conf).
AXES_IPWARE_META_PRECEDENCE_ORDER = ("REMOTE_ADDR",)
if not REDIS_URL:
    # Without Redis the counts live in the one server process (development), which
    # is all there is; production requires REDIS_URL (config/checks.py).
    SILENCED_SYSTEM_CHECKS.append("axes.W001")

SPECTACULAR_SETTINGS = {
    "TITLE": "Kith API",
    "DESCRIPTION": "The coordination intranet for self-managing neighbourhood care teams.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    # ``<id:pk>`` (config.converters): an integer of at most 18 digits.
    "PATH_CONVERTER_OVERRIDES": {
        "id": {"type": "integer", "minimum": 0, "maximum": numbers.MAX},
    },
    # Several models have a "status"; name each set of choices after its model.
    "ENUM_NAME_OVERRIDES": {
        "ProposalStatusEnum": "teams.models.Proposal.Status",
        "ClientStatusEnum": "care.models.Client.Status",
        "PlanProblemStatusEnum": "care.models.PlanProblem.Status",
        "NotificationKindEnum": "coordination.notifications.models.Notification.Kind",
    },
}

# Errors reach an operator through Sentry when SENTRY_DSN is set (config.errors, started
# by config.apps); without it, in production, Django mails them to ADMINS.
LOGGING = logs.logging_config(
    fmt=LOG_FORMAT,
    mail_admins=bool(ADMINS) and not SENTRY_DSN and not DEBUG,
    access_log=ACCESS_LOG,
)
# What an error report (the mail to ADMINS) shows of a request and its frames: no care
# record (config.errors). Off with DEBUG, like Django's own filter it extends.
DEFAULT_EXCEPTION_REPORTER_FILTER = "config.errors.ReportFilter"
