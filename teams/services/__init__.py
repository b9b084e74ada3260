"""Every write to teams: keyword-only, actor first, one transaction, audited, published.

Modules: ``details`` (contact and patch), ``proposals`` (consent decisions),
``effects`` (what adopted decisions do, one kind each), ``reminders``,
``credentials`` (API tokens, sessions, what a password change ends).
"""

from teams.services import founding as _founding  # noqa: F401  (registers purposes)
from teams.services.common import audit
from teams.services.credentials import (
    person_sign_out_everywhere,
    token_create,
    token_revoke,
)
from teams.services.details import TEAM_DETAIL_FIELDS, team_state, team_update_details
from teams.services.effects import STANDARD_ROLES, memberships_end_due, roles_ensure_standard
from teams.services.proposals import (
    DEFAULT_WINDOW,
    MAX_WINDOW,
    MIN_WINDOW,
    SETTLE,
    Stage,
    objection_withdraw,
    proposal_amend,
    proposal_comment,
    proposal_consent,
    proposal_object,
    proposal_raise,
    proposal_stage,
    proposal_state,
    proposal_withdraw,
    proposals_close_due,
    quorum,
    tally,
)
from teams.services.reminders import reminders_due

__all__ = [
    "DEFAULT_WINDOW",
    "MAX_WINDOW",
    "MIN_WINDOW",
    "SETTLE",
    "STANDARD_ROLES",
    "Stage",
    "TEAM_DETAIL_FIELDS",
    "audit",
    "memberships_end_due",
    "objection_withdraw",
    "person_sign_out_everywhere",
    "proposal_amend",
    "proposal_comment",
    "proposal_consent",
    "proposal_object",
    "proposal_raise",
    "proposal_stage",
    "proposal_state",
    "proposal_withdraw",
    "proposals_close_due",
    "quorum",
    "reminders_due",
    "roles_ensure_standard",
    "tally",
    "team_state",
    "team_update_details",
    "token_create",
    "token_revoke",
]
