"""Found the network once: name it and invite its first operator."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from teams.management.commands._founding import print_links, refuse
from teams.services.founding import network_found


class Command(BaseCommand):
    help = "Found the network (once): its name and the first operator, invited by email."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True, help="The network's name.")
        parser.add_argument(
            "--operator-email", required=True, help="The first operator's email address."
        )

    def handle(self, *args, name, operator_email, **options):
        try:
            network, invitation, token = network_found(name=name, operator_email=operator_email)
        except ValidationError as exc:
            raise refuse(exc) from None
        self.stdout.write(f"Founded {network.name}. Invited the first operator:")
        print_links(self, [(invitation, token)])
