"""List the stored texts that the privacy check would hold today, so their teams can
be asked to edit them (``coordination.privacy.stored``).

One tab-separated line per kind of hit in a field: model, id, field, team, kind and
whether its writer could have confirmed it (``yes``) or must edit it (``no``: a
client's identifier). It never prints what a text says. A summary goes to standard
error, so the lines can be piped as they are.
"""

from django.core.management.base import BaseCommand

from coordination.privacy import stored

COLUMNS = ("model", "id", "field", "team", "kind", "may_confirm")


class Command(BaseCommand):
    help = (
        "List stored texts (practice, help across teams, team decisions) that the privacy"
        " check would hold today: model, id, field, team and kind of hit, never the text."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--identifiers-only",
            action="store_true",
            help="only what identifies a client (what no writer may confirm away)",
        )

    def handle(self, *args, identifiers_only: bool = False, **options):
        self.stdout.write("\t".join(COLUMNS))
        lines = 0
        texts: set[tuple[str, int]] = set()
        for found in stored.scan():
            if identifiers_only and found.confirmable:
                continue
            may_confirm = "yes" if found.confirmable else "no"
            row = (found.model, str(found.pk), found.field, found.team, found.kind, may_confirm)
            self.stdout.write("\t".join(row))
            lines += 1
            texts.add((found.model, found.pk))
        self.stderr.write(f"{lines} hits in {len(texts)} stored records.")
