from django.apps import AppConfig


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = "Coordination"

    def ready(self) -> None:
        # The event types coordination publishes (coordination.events.types).
        import coordination.event_types  # noqa: F401

        # Notifications follow the event log: every publish passes the rules.
        from coordination.notifications import rules

        rules.register()
        # The network feed hears of shared team figures from the event log.
        from coordination.practice import feed

        feed.register()
        # What a team shares with its coaches (its decisions) passes the client-data
        # check (teams.texts: teams never imports coordination).
        from coordination import privacy

        privacy.register()
