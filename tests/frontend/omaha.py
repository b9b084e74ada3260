"""The Omaha System reference set for tests that write care plans.

The set is loaded by a data migration; a transactional test (the browser tests, the
socket tests) empties every table when it ends, reference tables included, so a test
that runs after one finds no problems to code a plan in. This loads the set again,
with the migration's own loader, when it is missing.
"""

from __future__ import annotations

import importlib

from django.apps import apps

from care.models import OmahaProblem


def ensure_omaha_reference() -> None:
    if OmahaProblem.objects.exists():
        return
    migration = importlib.import_module("care.migrations.0002_load_omaha_reference")
    migration.load(apps, None)
