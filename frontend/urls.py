from django.contrib.auth import views as auth_views
from django.urls import path

from frontend import views

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("teams/<slug:slug>/", views.team_home, name="team-home"),
    path("teams/<slug:slug>/details/", views.team_details, name="team-details"),
    path("teams/<slug:slug>/activity/", views.team_activity, name="team-activity"),
    path("teams/<slug:slug>/sections/<slug:name>/", views.team_section, name="team-section"),
    path("teams/<slug:slug>/proposals/new/", views.proposal_new, name="proposal-new"),
    path("teams/<slug:slug>/decisions/", views.decision_log, name="decision-log"),
    path("teams/<slug:slug>/roles/<slug:key>/", views.role_history, name="role-history"),
    path("teams/<slug:slug>/coach-reads/", views.coach_reads, name="coach-reads"),
    path("teams/<slug:slug>/shared/", views.shared_team, name="shared-team"),
    path("teams/<slug:slug>/shared/live/", views.shared_section, name="shared-section"),
    path("teams/<slug:slug>/clients/", views.client_list, name="team-clients"),
    path("clients/<int:pk>/", views.client_page, name="client"),
    path("clients/<int:pk>/sections/<slug:name>/", views.client_section, name="client-section"),
    path("clients/<int:pk>/details/", views.client_details, name="client-details"),
    path("clients/<int:pk>/status/", views.client_status, name="client-status"),
    path("clients/<int:pk>/network/", views.client_network, name="client-network"),
    path("clients/<int:pk>/plan/problems/", views.plan_problem_add, name="plan-problem-add"),
    path(
        "clients/<int:pk>/plan/<int:plan_problem>/interventions/",
        views.plan_intervention_add,
        name="plan-intervention-add",
    ),
    path("clients/<int:pk>/plan/<int:plan_problem>/ratings/", views.plan_rate, name="plan-rate"),
    path("clients/<int:pk>/plan/<int:plan_problem>/chart.svg", views.plan_chart, name="plan-chart"),
    path("omaha/signs/", views.omaha_signs, name="omaha-signs"),
    path("portal/clients/<int:pk>/", views.portal_page, name="portal-client"),
    path(
        "portal/clients/<int:pk>/sections/<slug:scope>/",
        views.portal_section,
        name="portal-section",
    ),
    path(
        "portal/clients/<int:pk>/sharing/<int:member>/",
        views.portal_sharing,
        name="portal-sharing",
    ),
    path("proposals/<int:pk>/", views.proposal_page, name="proposal"),
    path("proposals/<int:pk>/part/<slug:part>/", views.proposal_part, name="proposal-part"),
    path("proposals/<int:pk>/comment/", views.proposal_comment, name="proposal-comment"),
    path("proposals/<int:pk>/consent/", views.proposal_consent, name="proposal-consent"),
    path("proposals/<int:pk>/object/", views.proposal_object, name="proposal-object"),
    path("proposals/<int:pk>/amend/", views.proposal_amend, name="proposal-amend"),
    path("proposals/<int:pk>/withdraw/", views.proposal_withdraw, name="proposal-withdraw"),
    path(
        "proposals/<int:pk>/objections/<int:response_pk>/withdraw/",
        views.objection_withdraw,
        name="objection-withdraw",
    ),
]
