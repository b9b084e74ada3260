"""Found a team on the network's decision: its patch, locale and founding members,
each invited by email. Records who asked and why in the audit."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from teams.management.commands._founding import print_links, refuse
from teams.services.founding import team_found


class Command(BaseCommand):
    help = "Found a team and invite its founding members by email."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument(
            "--founders", required=True, help="Founding members' emails, comma-separated."
        )
        parser.add_argument("--asked-by", required=True, help="Who asked for the team.")
        parser.add_argument("--why", required=True, help="Why, and where it was decided.")
        parser.add_argument("--slug", default="")
        parser.add_argument("--town", default="")
        parser.add_argument("--patch", default="")
        parser.add_argument("--postcodes", default="")
        parser.add_argument("--language", default=settings.LANGUAGE_CODE)
        parser.add_argument("--time-zone", default=settings.TIME_ZONE)

    def handle(self, *args, **options):
        try:
            team, sent = team_found(
                actor=None,
                name=options["name"],
                founders=[options["founders"]],
                asked_by=options["asked_by"],
                why=options["why"],
                slug=options["slug"],
                town=options["town"],
                patch=options["patch"],
                postcodes=options["postcodes"],
                language=options["language"],
                time_zone=options["time_zone"],
            )
        except ValidationError as exc:
            raise refuse(exc) from None
        self.stdout.write(f"Founded team {team.name} (/teams/{team.slug}/). Invited:")
        print_links(self, sent)
