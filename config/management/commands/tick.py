"""The clock of Kith: what happens with nobody looking.

Each pass adopts proposals whose objection window has closed and sends due reminders
(teams) and lets help requests whose visits have passed lapse (coordination); every
ten minutes it sends the daily notification digests that are due; once a day it
generates the coming weeks of every repeating visit (care) and forgets idempotency
keys older than a day (the wiring's own table). Each finished pass is recorded, so
readiness (``/readyz``) can tell when the tick stopped. It lives in the wiring because
it drives every app. Runs once, or every N seconds with ``--every N`` (``make run``
and docker-compose do).
"""

import datetime
import time
import uuid

from asgi_correlation_id import correlation_id
from django.core.management.base import BaseCommand
from django.utils import timezone

from care.services.schedule import series_generate_due
from config import metrics
from config.health import tick_finished
from config.idempotency import purge_idempotency_keys
from coordination.notifications.digest import send_digests
from coordination.services.help import help_requests_expire_due
from teams.services import effects as effect_services
from teams.services import proposals as proposal_services
from teams.services import reminders as reminder_services


class Command(BaseCommand):
    help = (
        "Adopt proposals whose objection window has closed, send due reminders and digests, "
        "let lapsed help requests go and, once a day, generate the coming weeks of repeating "
        "visits. Runs once, or every N seconds with --every N."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0, help="repeat every N seconds")

    def handle(self, *args, every: float = 0, **options):
        generated_on = None
        digests_at = None
        if every:
            # Its own metrics port (KITH_METRICS_TOKEN): the tick is a process apart.
            metrics.serve_from_settings()
        while True:
            # Each pass's log lines share an id, as a request's do.
            pass_id = correlation_id.set(uuid.uuid4().hex)
            adopted = proposal_services.proposals_close_due()
            sent = reminder_services.reminders_due()
            today = timezone.localdate()
            # Memberships whose agreed last day has passed (their access ended with the
            # day already): close the rows and end the roles.
            left = effect_services.memberships_end_due(today=today)
            visits = None
            if today != generated_on:
                visits = series_generate_due(today=today)
                # Idempotency keys answer retries for 24 hours; older ones go daily.
                purge_idempotency_keys()
                generated_on = today
            now = timezone.now()
            # Help requests whose visits' time has passed stop asking other teams.
            expired = help_requests_expire_due(now=now)
            if digests_at is None or now - digests_at >= datetime.timedelta(minutes=10):
                # Daily digests (each person's own day, hours and quiet hours): checked
                # at most every ten minutes.
                send_digests(now)
                digests_at = now
            if adopted or any(sent.values()) or visits or expired or left or not every:
                line = (
                    f"adopted {len(adopted)} proposal(s); reminders: "
                    f"{sent['role_terms']} role term(s), {sent['reviews']} review(s)"
                )
                if left:
                    line += f"; {len(left)} membership(s) ended after their agreed last day"
                if expired:
                    line += f"; {len(expired)} help request(s) lapsed"
                if visits is not None:
                    line += f"; {visits} visit(s) generated from series"
                self.stdout.write(line)
            metrics.tick_ran()
            correlation_id.reset(pass_id)
            tick_finished()
            if not every:
                return
            time.sleep(every)
