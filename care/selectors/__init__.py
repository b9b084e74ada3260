"""Every read of care records: scoped, with related rows fetched in a constant number
of queries. Callers import the module of the subject they read
(``from care.selectors import clients as client_selectors``): ``clients`` (a client's
record for whoever may read it, logged), ``records`` (the record's sections for pages
and the API), ``visits``, ``budgets`` (statements), ``diary``, ``grants`` (what a
helper from another team may read of one visit), ``continuity`` (continuity of carer)
and ``figures`` (a team's figures and the network's shared ones). ``budgets``,
``visits`` and ``diary`` check nobody's permission: the caller reads the client
through ``clients`` first."""
