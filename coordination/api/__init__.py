"""The live intranet's API, one module per subsystem: ``streams`` (the event log),
``visits`` (the team board and its visits, handovers and swaps), ``help`` (help across
teams and the visits lent to a helper); ``common`` is what they share."""
