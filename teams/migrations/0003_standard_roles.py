from django.db import migrations

STANDARD_ROLES = [
    ("planner", "Planner", "Keeps the rota: who visits whom and when, cover for absences."),
    ("housekeeper", "Housekeeper", "Looks after the office, expenses and the team budget."),
    ("informer", "Informer", "Keeps the team's figures and prepares what the team publishes."),
    ("developer", "Developer", "Brings learning in from other teams and the wider network."),
    ("mentor", "Mentor", "Welcomes new colleagues and offers peer coaching."),
]


def add_standard_roles(apps, schema_editor):
    Team = apps.get_model("teams", "Team")
    Role = apps.get_model("teams", "Role")
    for team in Team.objects.all():
        for key, name, description in STANDARD_ROLES:
            Role.objects.get_or_create(
                team=team,
                key=key,
                defaults={"name": name, "description": description, "standard": True},
            )


class Migration(migrations.Migration):
    dependencies = [("teams", "0002_decisions_roles_coaches")]
    operations = [migrations.RunPython(add_standard_roles, migrations.RunPython.noop)]
