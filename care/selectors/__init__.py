"""Every read of care records: scoped, with related rows fetched in as few queries as
rows allow. Modules: ``budgets`` (statements)."""

from care.selectors.budgets import Statement, current_statement, statement

__all__ = ["Statement", "current_statement", "statement"]
