"""Notifications keep where they lead as a target (what they are about, as a kind and
ids) instead of a page's address: the pages resolve targets (coordination/
notifications/targets.py). The addresses stored so far become targets."""

import re

from django.db import migrations, models

BOARD = re.compile(r"^/teams/(?P<slug>[^/]+)/board/\?date=(?P<day>\d{4}-\d{2}-\d{2})$")
PROPOSAL = re.compile(r"^/proposals/(?P<pk>\d+)/$")


def to_targets(apps, schema_editor):
    Notification = apps.get_model("coordination", "Notification")
    Team = apps.get_model("teams", "Team")
    teams = dict(Team.objects.values_list("slug", "pk"))
    for notification in Notification.objects.all().only("pk", "url").iterator():
        board = BOARD.match(notification.url)
        proposal = PROPOSAL.match(notification.url)
        if board and board["slug"] in teams:
            target = {"to": "board", "team": teams[board["slug"]], "day": board["day"]}
        elif proposal:
            target = {"to": "proposal", "proposal": int(proposal["pk"])}
        elif notification.url == "/help/":
            target = {"to": "help"}
        else:
            target = {"to": "notifications"}
        Notification.objects.filter(pk=notification.pk).update(target=target)


def to_addresses(apps, schema_editor):
    Notification = apps.get_model("coordination", "Notification")
    Team = apps.get_model("teams", "Team")
    slugs = dict(Team.objects.values_list("pk", "slug"))
    for notification in Notification.objects.all().only("pk", "target").iterator():
        target = notification.target or {}
        if target.get("to") == "board" and target.get("team") in slugs:
            url = f"/teams/{slugs[target['team']]}/board/?date={target['day']}"
        elif target.get("to") == "proposal":
            url = f"/proposals/{target['proposal']}/"
        elif target.get("to") == "help":
            url = "/help/"
        else:
            url = "/notifications/"
        Notification.objects.filter(pk=notification.pk).update(url=url)


class Migration(migrations.Migration):
    dependencies = [
        ("coordination", "0007_note_newest_per_kind"),
        ("teams", "0004_team_location"),
    ]

    operations = [
        migrations.AddField(
            model_name="notification",
            name="target",
            field=models.JSONField(default=dict),
        ),
        migrations.RunPython(to_targets, to_addresses),
        # A default, so that going back can add the column to existing rows first.
        migrations.AlterField(
            model_name="notification",
            name="url",
            field=models.CharField(max_length=200, default=""),
        ),
        migrations.RemoveField(model_name="notification", name="url"),
    ]
