from django.urls import path

from teams.api import account, auth, core, decisions, invitations

# (route, view, name): every view here answers one route.
urlpatterns = [
    path(route, view.as_view(), name=name)
    for route, view, name in [
        ("auth/token", auth.TokenView, "api-token"),
        ("auth/tokens", auth.TokenListView, "api-tokens"),
        ("auth/tokens/<id:pk>", auth.TokenDetailView, "api-token-detail"),
        ("auth/sign-out-everywhere", auth.SignOutEverywhereView, "api-sign-out-everywhere"),
        ("me", core.MeView, "api-me"),
        ("invitations/open", invitations.InvitationOpenView, "api-invitation-open"),
        ("invitations/accept", invitations.InvitationAcceptView, "api-invitation-accept"),
        ("invitations/<id:pk>/resend", invitations.InvitationResendView, "api-invitation-resend"),
        (
            "invitations/<id:pk>/withdraw",
            invitations.InvitationWithdrawView,
            "api-invitation-withdraw",
        ),
        ("teams/<id:pk>/invitations", invitations.TeamInvitationsView, "api-team-invitations"),
        ("me/email", account.EmailChangeView, "api-me-email"),
        ("me/email/confirm", account.EmailConfirmView, "api-me-email-confirm"),
        ("me/close", account.CloseAccountView, "api-me-close"),
        ("teams/", core.TeamListView, "api-teams"),
        ("teams/<id:pk>", core.TeamDetailView, "api-team"),
        ("teams/<id:pk>/proposals", decisions.TeamProposalsView, "api-team-proposals"),
        ("teams/<id:pk>/decisions", decisions.TeamDecisionsView, "api-team-decisions"),
        ("teams/<id:pk>/roles", decisions.TeamRolesView, "api-team-roles"),
        ("teams/<id:pk>/coach-accesses", decisions.TeamCoachAccessView, "api-team-coach-accesses"),
        ("decision-kinds", decisions.DecisionKindsView, "api-decision-kinds"),
        ("coaching", decisions.CoachingView, "api-coaching"),
        ("proposals/<id:pk>", decisions.ProposalView, "api-proposal"),
        ("proposals/<id:pk>/comments", decisions.ProposalCommentsView, "api-proposal-comments"),
        ("proposals/<id:pk>/consent", decisions.ProposalConsentView, "api-proposal-consent"),
        ("proposals/<id:pk>/objections", decisions.ProposalObjectView, "api-proposal-object"),
        ("proposals/<id:pk>/amend", decisions.ProposalAmendView, "api-proposal-amend"),
        ("proposals/<id:pk>/withdraw", decisions.ProposalWithdrawView, "api-proposal-withdraw"),
        ("objections/<id:pk>/withdraw", decisions.ObjectionWithdrawView, "api-objection-withdraw"),
    ]
]
