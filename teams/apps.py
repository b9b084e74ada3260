from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Teams and people"

    def ready(self) -> None:
        # Registers the decision kinds teams owns (teams.services.effects).
        import teams.services  # noqa: F401
