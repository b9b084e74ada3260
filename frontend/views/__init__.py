"""Pages: read through selectors, write through services, decide through access."""

from frontend.views.clients import (
    client_details,
    client_list,
    client_network,
    client_page,
    client_section,
    client_status,
    omaha_signs,
    plan_chart,
    plan_intervention_add,
    plan_problem_add,
    plan_rate,
)
from frontend.views.coach import shared_section, shared_team
from frontend.views.portal import portal_page, portal_section, portal_sharing
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
    "client_details",
    "client_list",
    "client_network",
    "client_page",
    "client_section",
    "client_status",
    "omaha_signs",
    "plan_chart",
    "plan_intervention_add",
    "plan_problem_add",
    "plan_rate",
    "portal_page",
    "portal_section",
    "portal_sharing",
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
