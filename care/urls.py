from django.urls import include, path

from care import api, api_invitations, api_visits
from care.figures import api as api_figures

urlpatterns = [
    path("teams/<id:pk>/clients", api.TeamClientsView.as_view(), name="api-team-clients"),
    path("clients/<id:pk>", api.ClientView.as_view(), name="api-client"),
    path("clients/<id:pk>/status", api.ClientStatusView.as_view(), name="api-client-status"),
    path("clients/<id:pk>/network", api.NetworkView.as_view(), name="api-client-network"),
    path("clients/<id:pk>/grants", api.GrantsView.as_view(), name="api-client-grants"),
    path("grants/<id:pk>/revoke", api.GrantRevokeView.as_view(), name="api-grant-revoke"),
    path(
        "clients/<id:pk>/portal-invitation",
        api_invitations.PortalInvitationView.as_view(),
        name="api-client-portal-invitation",
    ),
    path(
        "clients/<id:pk>/representative",
        api_invitations.RepresentativeView.as_view(),
        name="api-client-representative",
    ),
    path(
        "clients/<id:pk>/representative/remove",
        api_invitations.RepresentativeRemoveView.as_view(),
        name="api-client-representative-remove",
    ),
    path(
        "clients/<id:pk>/invitations",
        api_invitations.ClientInvitationsView.as_view(),
        name="api-client-invitations",
    ),
    path(
        "clients/<id:pk>/network/invitations",
        api_invitations.NetworkInvitationsView.as_view(),
        name="api-client-network-invitations",
    ),
    path(
        "network-members/<id:pk>/remove",
        api_invitations.NetworkMemberRemoveView.as_view(),
        name="api-network-member-remove",
    ),
    path(
        "client-invitations/<id:pk>/resend",
        api_invitations.InvitationResendView.as_view(),
        name="api-client-invitation-resend",
    ),
    path(
        "client-invitations/<id:pk>/withdraw",
        api_invitations.InvitationWithdrawView.as_view(),
        name="api-client-invitation-withdraw",
    ),
    path("clients/<id:pk>/plan", api.PlanView.as_view(), name="api-client-plan"),
    path("clients/<id:pk>/plan/problems", api.PlanProblemsView.as_view(), name="api-plan-problems"),
    path(
        "plan-problems/<id:pk>/interventions",
        api.InterventionsView.as_view(),
        name="api-interventions",
    ),
    path("plan-problems/<id:pk>/ratings", api.RatingsView.as_view(), name="api-ratings"),
    path("clients/<id:pk>/access-log", api.AccessLogView.as_view(), name="api-client-access-log"),
    path("omaha", api.OmahaView.as_view(), name="api-omaha"),
    path("clients/<id:pk>/visits", api_visits.ClientVisitsView.as_view(), name="api-client-visits"),
    path("clients/<id:pk>/series", api_visits.ClientSeriesView.as_view(), name="api-client-series"),
    path("clients/<id:pk>/budget", api_visits.BudgetView.as_view(), name="api-client-budget"),
    path(
        "budgets/<id:pk>/entries",
        api_visits.BudgetEntriesView.as_view(),
        name="api-budget-entries",
    ),
    path(
        "teams/<id:pk>/indicators",
        api_figures.TeamIndicatorsView.as_view(),
        name="api-team-indicators",
    ),
    path("teams/<id:pk>/figures", api_figures.TeamFiguresView.as_view(), name="api-team-figures"),
    path("figures", api_figures.NetworkFiguresView.as_view(), name="api-network-figures"),
    # Published quality data: the experience survey and snapshots (care/figures/quality/urls.py).
    path("", include("care.figures.quality.urls")),
]
