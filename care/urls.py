from django.urls import include, path

from care import api, api_invitations, api_visits
from care.figures import api as api_figures

# (route, view, name): every view here answers one route.
urlpatterns = [
    path(route, view.as_view(), name=name)
    for route, view, name in [
        ("teams/<id:pk>/clients", api.TeamClientsView, "api-team-clients"),
        ("clients/<id:pk>", api.ClientView, "api-client"),
        ("clients/<id:pk>/status", api.ClientStatusView, "api-client-status"),
        ("clients/<id:pk>/network", api.NetworkView, "api-client-network"),
        ("clients/<id:pk>/grants", api.GrantsView, "api-client-grants"),
        ("grants/<id:pk>/revoke", api.GrantRevokeView, "api-grant-revoke"),
        (
            "clients/<id:pk>/portal-invitation",
            api_invitations.PortalInvitationView,
            "api-client-portal-invitation",
        ),
        (
            "clients/<id:pk>/representative",
            api_invitations.RepresentativeView,
            "api-client-representative",
        ),
        (
            "clients/<id:pk>/representative/remove",
            api_invitations.RepresentativeRemoveView,
            "api-client-representative-remove",
        ),
        (
            "clients/<id:pk>/invitations",
            api_invitations.ClientInvitationsView,
            "api-client-invitations",
        ),
        (
            "clients/<id:pk>/network/invitations",
            api_invitations.NetworkInvitationsView,
            "api-client-network-invitations",
        ),
        (
            "network-members/<id:pk>/remove",
            api_invitations.NetworkMemberRemoveView,
            "api-network-member-remove",
        ),
        (
            "client-invitations/<id:pk>/resend",
            api_invitations.InvitationResendView,
            "api-client-invitation-resend",
        ),
        (
            "client-invitations/<id:pk>/withdraw",
            api_invitations.InvitationWithdrawView,
            "api-client-invitation-withdraw",
        ),
        ("clients/<id:pk>/plan", api.PlanView, "api-client-plan"),
        ("clients/<id:pk>/plan/problems", api.PlanProblemsView, "api-plan-problems"),
        ("plan-problems/<id:pk>/interventions", api.InterventionsView, "api-interventions"),
        ("plan-problems/<id:pk>/ratings", api.RatingsView, "api-ratings"),
        ("clients/<id:pk>/access-log", api.AccessLogView, "api-client-access-log"),
        ("omaha", api.OmahaView, "api-omaha"),
        ("clients/<id:pk>/visits", api_visits.ClientVisitsView, "api-client-visits"),
        ("clients/<id:pk>/series", api_visits.ClientSeriesView, "api-client-series"),
        ("clients/<id:pk>/budget", api_visits.BudgetView, "api-client-budget"),
        ("budgets/<id:pk>/entries", api_visits.BudgetEntriesView, "api-budget-entries"),
        ("teams/<id:pk>/indicators", api_figures.TeamIndicatorsView, "api-team-indicators"),
        ("teams/<id:pk>/figures", api_figures.TeamFiguresView, "api-team-figures"),
        ("figures", api_figures.NetworkFiguresView, "api-network-figures"),
    ]
] + [
    path("", include("care.figures.quality.urls")),
]
