"""Existing API tokens move to the new store, hashed, and the old table goes.

Before this, tokens lived in plain text in Django REST framework's ``authtoken_token``
table (one per person, never expiring). Each becomes an ApiToken of its person,
named "Token from before expiry", that expires ``API_TOKEN_DAYS`` from now, so the
integrations that hold one keep working until then. The old table (and its plain
text) is dropped. A database made after this never had that table: nothing to do.

Going back leaves the old table gone: its plain text is not kept anywhere, by design.
"""

import datetime
import hashlib

from django.conf import settings
from django.db import migrations
from django.utils import timezone

OLD_TABLE = "authtoken_token"
NAME = "Token from before expiry"


def move_tokens(apps, schema_editor):
    connection = schema_editor.connection
    if OLD_TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("teams", "ApiToken")
    quoted = connection.ops.quote_name(OLD_TABLE)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name('key')}, user_id FROM {quoted}")  # noqa: S608
        rows = cursor.fetchall()
    now = timezone.now()
    expires = now + datetime.timedelta(days=getattr(settings, "API_TOKEN_DAYS", 90))
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                person_id=person_id,
                name=NAME,
                # The new tokens' prefixes start with "kith_"; an old one shows its own
                # first characters.
                prefix=key[:8],
                digest=hashlib.sha256(key.encode()).hexdigest(),
                created=now,
                expires=expires,
            )
            for key, person_id in rows
        ]
    )
    schema_editor.execute(f"DROP TABLE {quoted}")
    schema_editor.execute(
        "DELETE FROM django_migrations WHERE app = %s", params=["authtoken"]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("teams", "0005_credentials"),
    ]

    operations = [
        migrations.RunPython(move_tokens, migrations.RunPython.noop, elidable=False),
    ]
