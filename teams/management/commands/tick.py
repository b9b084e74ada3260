import time

from django.core.management.base import BaseCommand

from teams import services


class Command(BaseCommand):
    help = (
        "Adopt proposals whose objection window has closed and send due reminders. "
        "Runs once, or every N seconds with --every N (make run and docker-compose do)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0, help="repeat every N seconds")

    def handle(self, *args, every: float = 0, **options):
        while True:
            adopted = services.proposals_close_due()
            sent = services.reminders_due()
            if adopted or any(sent.values()) or not every:
                self.stdout.write(
                    f"adopted {len(adopted)} proposal(s); reminders: "
                    f"{sent['role_terms']} role term(s), {sent['reviews']} review(s)"
                )
            if not every:
                return
            time.sleep(every)
