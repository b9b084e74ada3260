"""Invite another operator from the server's command line (operators can also invite
each other from /ops/)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from teams.management.commands._founding import print_links, refuse
from teams.services.founding import operator_invite


class Command(BaseCommand):
    help = "Invite an operator by email."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--why", default="", help="Recorded in the audit.")

    def handle(self, *args, email, why, **options):
        try:
            sent = operator_invite(actor=None, email=email, why=why)
        except ValidationError as exc:
            raise refuse(exc) from None
        self.stdout.write("Invited:")
        print_links(self, [sent])
