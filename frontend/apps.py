from django.apps import AppConfig


class FrontendConfig(AppConfig):
    name = "frontend"
    verbose_name = "Pages"

    def ready(self) -> None:
        # Notifications and mail say what they lead to; these pages say where that is.
        from coordination.notifications import targets as notification_targets
        from frontend import targets
        from teams import mail

        notification_targets.register(targets.resolve)
        mail.register_links(targets.resolve)
