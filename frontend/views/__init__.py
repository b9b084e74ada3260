"""Pages: read through selectors, write through services, decide through access."""

from frontend.views.coach import shared_section, shared_team
from frontend.views.proposals import (
    objection_withdraw,
    proposal_amend,
    proposal_comment,
    proposal_consent,
    proposal_object,
    proposal_page,
    proposal_part,
    proposal_withdraw,
)
from frontend.views.raising import proposal_new
from frontend.views.team import (
    coach_reads,
    decision_log,
    home,
    role_history,
    team_activity,
    team_details,
    team_home,
    team_section,
)

__all__ = [
    "coach_reads",
    "decision_log",
    "home",
    "objection_withdraw",
    "proposal_amend",
    "proposal_comment",
    "proposal_consent",
    "proposal_new",
    "proposal_object",
    "proposal_page",
    "proposal_part",
    "proposal_withdraw",
    "role_history",
    "shared_section",
    "shared_team",
    "team_activity",
    "team_details",
    "team_home",
    "team_section",
]
