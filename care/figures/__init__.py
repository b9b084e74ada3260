"""A team's figures, one idea in one place: what a team measures of its own work, what
it shares with the network and what it publishes for inspectors.

- ``compute``: the indicators of a team for a period, computed in SQL; ``periods``:
  the months and quarters they are computed for. The method: ``docs/indicators.md``.
- ``access``: who may see a team's figures and who shares them.
- ``services`` and ``selectors``: a team's month figures shared with the network
  (every write, as in every app), and the network's shared figures beside their median.
- ``api``: the figures' API (a team's indicators, its shared figures, the network's).
- ``quality``: published quality data, the experience survey and the snapshots a
  team publishes by consent decision, with their disclosure control.

The tables are ``care.models.figures`` and ``care.models.quality`` (Django finds an
app's models in its ``models`` package).
"""
