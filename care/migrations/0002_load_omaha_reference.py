"""Loads the Omaha System reference set (2005) from care/omaha_reference.json.

The file is the data; see tests/care/OMAHA-SOURCES.md for where it comes from. It is
read when the migration runs, so the migration does the same thing on every database.
"""

import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "omaha_reference.json"


def load(apps, schema_editor):
    data = json.loads(DATA.read_text(encoding="utf-8"))
    Domain = apps.get_model("care", "OmahaDomain")
    Problem = apps.get_model("care", "OmahaProblem")
    Sign = apps.get_model("care", "OmahaSign")
    Category = apps.get_model("care", "OmahaCategory")
    Target = apps.get_model("care", "OmahaTarget")
    Anchor = apps.get_model("care", "OmahaAnchor")
    for position, spec in enumerate(data["domains"], start=1):
        domain = Domain.objects.create(code=spec["code"], name=spec["name"], position=position)
        for problem_spec in spec["problems"]:
            problem = Problem.objects.create(
                number=problem_spec["number"], name=problem_spec["name"], domain=domain
            )
            Sign.objects.bulk_create(
                Sign(problem=problem, position=i, text=text)
                for i, text in enumerate(problem_spec["signs"], start=1)
            )
    Category.objects.bulk_create(Category(**c) for c in data["categories"])
    Target.objects.bulk_create(Target(**t) for t in data["targets"])
    Anchor.objects.bulk_create(
        Anchor(scale=scale, rating=int(rating), wording=wording)
        for scale, anchors in data["scales"].items()
        for rating, wording in anchors.items()
    )


def unload(apps, schema_editor):
    for model in ("OmahaAnchor", "OmahaTarget", "OmahaCategory", "OmahaSign", "OmahaProblem", "OmahaDomain"):
        apps.get_model("care", model).objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("care", "0001_omaha_reference")]
    operations = [migrations.RunPython(load, unload)]
