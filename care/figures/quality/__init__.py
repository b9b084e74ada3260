"""Published quality data: the experience survey clients answer on the
portal, the snapshots a team publishes of its indicators by consent decision, and the
disclosure control that keeps every published figure from pointing at a client.

Modules: ``disclosure`` (the pure rules), ``content`` (building the table, its
canonical JSON and hash), ``access`` (who may do what), ``services`` (every write,
and the decision kind that publishes), ``selectors`` (every read), ``api``.
Models: ``care.models.quality``. The method: ``docs/indicators.md``.
"""
