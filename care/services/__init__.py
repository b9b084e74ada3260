"""Every write to care records: keyword-only, actor first, one transaction, permission
through ``care.access``, audited, one event per state change.

Callers import the module of the subject they change
(``from care.services import visits as visit_services``): ``clients`` (clients, their
network and what they share with whom), ``invitations`` (asking people into a
record), ``plans`` (Omaha care plans), ``visits`` (visits and series), ``schedule``
(keeping series ahead), ``budgets`` (budgets and their ledger), ``diary``,
``figures`` (a team's figures shared with the network), ``split`` (clients following
a team split) and ``common`` (what they share).
"""
