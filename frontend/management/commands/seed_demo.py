from django.core.management.base import BaseCommand

from care import demo as care_demo
from coordination import demo as coordination_demo
from coordination.practice import demo as practice_demo
from teams import demo


class Command(BaseCommand):
    help = "Load the demo network (idempotent: a second run changes nothing)."

    def handle(self, *args, **options):
        made = demo.seed()
        summary = ", ".join(f"{n} {what}" for what, n in made.items())
        self.stdout.write(f"Demo network ready ({summary} added).")
        care_made = care_demo.seed()  # needs the teams and their members
        summary = ", ".join(f"{n} {what}" for what, n in care_made.items())
        self.stdout.write(f"Demo care records ready ({summary} added).")
        practice_made = practice_demo.seed()  # needs the people of the teams
        summary = ", ".join(f"{n} {what}" for what, n in practice_made.items())
        self.stdout.write(f"Demo practice notes ready ({summary} added).")
        live_made = coordination_demo.seed()  # needs the visits
        summary = ", ".join(f"{n} {what}" for what, n in live_made.items())
        self.stdout.write(f"Demo coordination ready ({summary} added).")
        self.stdout.write(f"Sign in with any of these (password '{demo.DEMO_PASSWORD}'):")
        for username, role in [*demo.accounts(), *care_demo.accounts()]:
            self.stdout.write(f"  {username:<10} {role}")
