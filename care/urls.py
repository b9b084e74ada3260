from django.urls import include, path

from care import api, api_figures, api_visits

urlpatterns = [
    path("teams/<int:pk>/clients", api.TeamClientsView.as_view(), name="api-team-clients"),
    path("clients/<int:pk>", api.ClientView.as_view(), name="api-client"),
    path("clients/<int:pk>/status", api.ClientStatusView.as_view(), name="api-client-status"),
    path("clients/<int:pk>/network", api.NetworkView.as_view(), name="api-client-network"),
    path("clients/<int:pk>/grants", api.GrantsView.as_view(), name="api-client-grants"),
    path("grants/<int:pk>/revoke", api.GrantRevokeView.as_view(), name="api-grant-revoke"),
    path("clients/<int:pk>/plan", api.PlanView.as_view(), name="api-client-plan"),
    path(
        "clients/<int:pk>/plan/problems", api.PlanProblemsView.as_view(), name="api-plan-problems"
    ),
    path(
        "plan-problems/<int:pk>/interventions",
        api.InterventionsView.as_view(),
        name="api-interventions",
    ),
    path("plan-problems/<int:pk>/ratings", api.RatingsView.as_view(), name="api-ratings"),
    path("clients/<int:pk>/access-log", api.AccessLogView.as_view(), name="api-client-access-log"),
    path("omaha", api.OmahaView.as_view(), name="api-omaha"),
    path(
        "clients/<int:pk>/visits", api_visits.ClientVisitsView.as_view(), name="api-client-visits"
    ),
    path("visits/<int:pk>/assign", api_visits.VisitAssignView.as_view(), name="api-visit-assign"),
    path("visits/<int:pk>/start", api_visits.VisitStartView.as_view(), name="api-visit-start"),
    path("visits/<int:pk>/finish", api_visits.VisitFinishView.as_view(), name="api-visit-finish"),
    path("visits/<int:pk>/cancel", api_visits.VisitCancelView.as_view(), name="api-visit-cancel"),
    path("clients/<int:pk>/budget", api_visits.BudgetView.as_view(), name="api-client-budget"),
    path(
        "budgets/<int:pk>/entries",
        api_visits.BudgetEntriesView.as_view(),
        name="api-budget-entries",
    ),
    path(
        "teams/<int:pk>/indicators",
        api_figures.TeamIndicatorsView.as_view(),
        name="api-team-indicators",
    ),
    path("teams/<int:pk>/figures", api_figures.TeamFiguresView.as_view(), name="api-team-figures"),
    path("figures", api_figures.NetworkFiguresView.as_view(), name="api-network-figures"),
    # Published quality data: the experience survey and snapshots (care/quality/urls.py).
    path("", include("care.quality.urls")),
]
