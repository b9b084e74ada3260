from django.apps import AppConfig


class WiringConfig(AppConfig):
    """Installed only so its system checks register with Django."""

    name = "config"
    label = "kith_config"
    verbose_name = "Kith wiring"

    def ready(self) -> None:
        from config import checks  # noqa: F401  (registers the production checks)
