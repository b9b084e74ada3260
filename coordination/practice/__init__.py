"""Practice across the network: notes on how teams do things, questions and answers,
tags and Omaha links, full-text search and the network feed.

A note (practice, question, story or guide) is written by a person, usually for one
of their teams; it is read by every team member and every coach in the network, and
by inspectors and clients only when it is marked public. Edits make new versions
(optimistic concurrency on ``version``). Questions get answers, the asker marks the
one that helped, anyone in the network marks a note useful, comments on it, follows
tags, Omaha problems and teams; coaches point questions to a team that solved them.

Modules: ``models`` (tables, registered with the coordination app), ``access`` (who
may do what), ``services`` (every write), ``selectors`` (every read), ``render``
(Markdown to safe HTML), ``search`` (full-text
search, PostgreSQL or the SQLite fallback), ``feed`` (the network feed, including
shared team figures heard from the event log), ``api`` (the DRF views). Every text
written here is checked by ``coordination.privacy`` before it is stored.
"""
