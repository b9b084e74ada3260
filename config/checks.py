"""System checks that refuse an unsafe production configuration.

They are deploy checks (`manage.py check --deploy`, which CI runs), so development
commands such as makemigrations are not refused; the server itself enforces them at
startup through ``config.preflight``.

Registered by ``config.apps``; ``config.preflight`` runs the same rules when
the server starts, because daphne runs no system checks of its own.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register

WEAK_PREFIX = "django-insecure"


def secret_key_problem(key: str) -> str | None:
    if not key:
        return "SECRET_KEY is not set"
    if key.startswith(WEAK_PREFIX):
        return "SECRET_KEY is the development key"
    if len(key) < 50 or len(set(key)) < 5:
        return "SECRET_KEY is weak (use at least 50 random characters)"
    return None


def production_problems() -> list[tuple[str, str]]:
    """(check id, reason) for every reason this configuration must not serve."""
    if settings.DEBUG:
        return []
    problems = []
    if (reason := secret_key_problem(settings.SECRET_KEY)) is not None:
        problems.append(("kith.E001", reason))
    backend = settings.CHANNEL_LAYERS.get("default", {}).get("BACKEND", "")
    if backend.endswith("InMemoryChannelLayer"):
        problems.append(
            (
                "kith.E002",
                "REDIS_URL is not set: the in-memory channel layer reaches one process only",
            )
        )
    return problems


@register("kith", deploy=True)
def check_production(app_configs=None, **kwargs):
    hint = "Set it in the environment (README, Configuration), or DEBUG=1 for development."
    return [Error(reason, hint=hint, id=check_id) for check_id, reason in production_problems()]


@register("kith", deploy=True)
def check_site_url(app_configs=None, **kwargs):
    if settings.DEBUG or settings.SITE_URL:
        return []
    return [
        Warning(
            "KITH_SITE_URL is not set: links in Kith's mail (invitations, password "
            "resets, digests) would be paths without the site's address",
            hint="Set it to the address people open, e.g. https://kith.example.org.",
            id="kith.W001",
        )
    ]
