from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Teams and people"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        import teams.event_types  # noqa: F401 (declares the event types teams publishes)
        from teams import kinds, sessions, two_factor
        from teams.services import (
            credentials,
            founding,  # noqa: F401 (registers the founding purposes)
        )

        # The decision kinds teams owns (care registers its own after).
        kinds.register()
        # Every door that signs a person in or out goes through Django's login() and
        # logout(): the session's clocks start there, and a sign-out reaches the
        # person's open sockets.
        user_logged_in.connect(sessions.on_sign_in, dispatch_uid="kith-session-clocks")
        user_logged_out.connect(credentials.signed_out, dispatch_uid="kith-signed-out")
        # Whether the session owes a second step (teams.two_factor).
        user_logged_in.connect(two_factor.on_sign_in, dispatch_uid="kith-two-factor")
