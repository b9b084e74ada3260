"""Every read of care records: scoped, with related rows fetched in as few queries as
rows allow. Modules: ``budgets`` (statements)."""

from care.selectors.budgets import Statement, current_statement, statement

__all__ = ["Statement", "current_statement", "statement"]

# The shared diary (care/selectors/diary.py).
from care.selectors.diary import diary_of  # noqa: E402

__all__ += ["diary_of"]
from care.selectors.budgets import client_statement  # noqa: E402
from care.selectors.visits import upcoming_visits  # noqa: E402

__all__ += ["client_statement", "upcoming_visits"]
