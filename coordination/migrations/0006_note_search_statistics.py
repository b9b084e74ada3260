"""A larger statistics sample for the notes' search vectors (PostgreSQL only).

The planner estimates how many notes a word matches from the column's most common
lexemes; with the default sample, any word outside that list is guessed at about
5,000 notes in a million, so a rare word could be planned like a common one (a
walk of the date index instead of the GIN index, the trap FIELD-NOTES.md
measured). With 1,000 the list is ten times longer and a rare word's guess falls to
a few hundred (measured on the bench's million notes: 167 for a word in 86)."""

from django.db import migrations

TABLE = "coordination_note"


def larger_sample(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN search SET STATISTICS 1000")


def default_sample(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN search SET STATISTICS -1")


class Migration(migrations.Migration):
    dependencies = [("coordination", "0005_practice")]

    operations = [migrations.RunPython(larger_sample, default_sample, elidable=False)]
