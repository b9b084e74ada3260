from django.urls import path

from teams.api import account, auth, core, decisions, invitations

urlpatterns = [
    path("auth/token", auth.TokenView.as_view(), name="api-token"),
    path("auth/tokens", auth.TokenListView.as_view(), name="api-tokens"),
    path("auth/tokens/<id:pk>", auth.TokenDetailView.as_view(), name="api-token-detail"),
    path(
        "auth/sign-out-everywhere",
        auth.SignOutEverywhereView.as_view(),
        name="api-sign-out-everywhere",
    ),
    path("me", core.MeView.as_view(), name="api-me"),
    path("invitations/open", invitations.InvitationOpenView.as_view(), name="api-invitation-open"),
    path(
        "invitations/accept",
        invitations.InvitationAcceptView.as_view(),
        name="api-invitation-accept",
    ),
    path(
        "invitations/<id:pk>/resend",
        invitations.InvitationResendView.as_view(),
        name="api-invitation-resend",
    ),
    path(
        "invitations/<id:pk>/withdraw",
        invitations.InvitationWithdrawView.as_view(),
        name="api-invitation-withdraw",
    ),
    path(
        "teams/<id:pk>/invitations",
        invitations.TeamInvitationsView.as_view(),
        name="api-team-invitations",
    ),
    path("me/email", account.EmailChangeView.as_view(), name="api-me-email"),
    path("me/email/confirm", account.EmailConfirmView.as_view(), name="api-me-email-confirm"),
    path("me/close", account.CloseAccountView.as_view(), name="api-me-close"),
    path("teams/", core.TeamListView.as_view(), name="api-teams"),
    path("teams/<id:pk>", core.TeamDetailView.as_view(), name="api-team"),
    path(
        "teams/<id:pk>/proposals", decisions.TeamProposalsView.as_view(), name="api-team-proposals"
    ),
    path(
        "teams/<id:pk>/decisions", decisions.TeamDecisionsView.as_view(), name="api-team-decisions"
    ),
    path("teams/<id:pk>/roles", decisions.TeamRolesView.as_view(), name="api-team-roles"),
    path(
        "teams/<id:pk>/coach-accesses",
        decisions.TeamCoachAccessView.as_view(),
        name="api-team-coach-accesses",
    ),
    path("decision-kinds", decisions.DecisionKindsView.as_view(), name="api-decision-kinds"),
    path("coaching", decisions.CoachingView.as_view(), name="api-coaching"),
    path("proposals/<id:pk>", decisions.ProposalView.as_view(), name="api-proposal"),
    path(
        "proposals/<id:pk>/comments",
        decisions.ProposalCommentsView.as_view(),
        name="api-proposal-comments",
    ),
    path(
        "proposals/<id:pk>/consent",
        decisions.ProposalConsentView.as_view(),
        name="api-proposal-consent",
    ),
    path(
        "proposals/<id:pk>/objections",
        decisions.ProposalObjectView.as_view(),
        name="api-proposal-object",
    ),
    path(
        "proposals/<id:pk>/amend", decisions.ProposalAmendView.as_view(), name="api-proposal-amend"
    ),
    path(
        "proposals/<id:pk>/withdraw",
        decisions.ProposalWithdrawView.as_view(),
        name="api-proposal-withdraw",
    ),
    path(
        "objections/<id:pk>/withdraw",
        decisions.ObjectionWithdrawView.as_view(),
        name="api-objection-withdraw",
    ),
]
