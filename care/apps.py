from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "care"
    verbose_name = "Care"

    def ready(self) -> None:
        # Clients follow a team split (teams never imports care: care registers).
        from care import split
        from care.quality import services as quality

        split.register()
        # Publishing quality figures is a decision of the team (teams.decisions).
        quality.register()
