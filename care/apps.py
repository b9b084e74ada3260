from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "care"
    verbose_name = "Care"

    def ready(self) -> None:
        # Clients follow a team split (teams never imports care: care registers).
        from care import split
        from care.figures.quality import services as quality
        from care.services import invitations

        split.register()
        # Publishing quality figures is a decision of the team (teams.decisions).
        quality.register()
        # The client's own account, their representative and their network are asked
        # in by the one invitation machinery (teams.invitations).
        invitations.register()
