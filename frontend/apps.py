from django.apps import AppConfig


class FrontendConfig(AppConfig):
    name = "frontend"
    verbose_name = "Pages"

    def ready(self) -> None:
        # Notifications say what they lead to; these pages say where that is.
        from coordination.notifications import targets as notification_targets
        from frontend import targets

        notification_targets.register(targets.resolve)
