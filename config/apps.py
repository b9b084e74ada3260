from django.apps import AppConfig


class WiringConfig(AppConfig):
    """Installed for its system checks, its models and the ``id`` path converter."""

    name = "config"
    label = "kith_config"
    verbose_name = "Kith wiring"

    def ready(self) -> None:
        from django.urls import register_converter

        from config import checks  # noqa: F401  (registers the production checks)
        from config.converters import IdConverter

        register_converter(IdConverter, "id")
