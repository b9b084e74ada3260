"""Every write to care records: keyword-only, actor first, one transaction, permission
through ``care.access``, audited, one event per state change.

Modules: ``visits`` (visits and series), ``budgets`` (budgets and their ledger),
``common`` (what they share).
"""

from care.services.budgets import budget_create, budget_state, debit_visit, ledger_add
from care.services.visits import (
    ALREADY_RECORDED,
    series_create,
    series_exception_add,
    series_generate,
    series_start,
    series_state,
    visit_assign,
    visit_cancel,
    visit_claim,
    visit_finish,
    visit_lend,
    visit_mark_missed,
    visit_plan,
    visit_record,
    visit_running_late,
    visit_start,
    visit_state,
    visit_swap,
)

__all__ = [
    "ALREADY_RECORDED",
    "budget_create",
    "budget_state",
    "debit_visit",
    "ledger_add",
    "series_create",
    "series_exception_add",
    "series_generate",
    "series_start",
    "series_state",
    "visit_assign",
    "visit_cancel",
    "visit_claim",
    "visit_finish",
    "visit_lend",
    "visit_mark_missed",
    "visit_plan",
    "visit_record",
    "visit_running_late",
    "visit_start",
    "visit_state",
    "visit_swap",
]

# The shared diary (care/services/diary.py).
from care.services.diary import diary_add  # noqa: E402

__all__ += ["diary_add"]
