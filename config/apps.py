from django.apps import AppConfig
from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    """Django's admin, on Kith's site: two-step sign-in required (config/admin.py)."""

    default_site = "config.admin.KithAdminSite"


class WiringConfig(AppConfig):
    """Installed for its system checks, its models, the ``id`` path converter, error
    reporting and the failed-login metric."""

    name = "config"
    label = "kith_config"
    verbose_name = "Kith wiring"

    def ready(self) -> None:
        from django.urls import register_converter

        from config import checks  # noqa: F401  (registers the production checks)
        from config.converters import IdConverter

        register_converter(IdConverter, "id")

        from django.conf import settings
        from django.contrib.auth.signals import user_login_failed

        from config import errors, metrics

        # Every door that signs a person in (pages, token endpoint, admin) goes
        # through Django's authenticate(), which sends this on a refusal.
        user_login_failed.connect(metrics.count_failed_login, dispatch_uid="kith-login-failed")
        # Here, not in the settings: every process (daphne, the tick, a command)
        # reports, once Django's apps are ready for Sentry's Django integration.
        errors.start_error_reporting(
            dsn=settings.SENTRY_DSN,
            environment=settings.SENTRY_ENVIRONMENT,
            release=settings.SENTRY_RELEASE,
            traces_sample_rate=settings.SENTRY_TRACES_SAMPLE_RATE,
        )
