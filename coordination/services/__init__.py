"""Writes of the live intranet, one module per subsystem: ``handovers`` (handing a
visit over within a team, or swapping two) and ``help`` (asking other teams for help),
with ``common`` for what they share. Callers import the module
(``from coordination.services import handovers as handover_services``)."""
