from django.urls import path

from teams.api import MeView, TeamDetailView, TeamListView, TokenView

urlpatterns = [
    path("auth/token", TokenView.as_view(), name="api-token"),
    path("me", MeView.as_view(), name="api-me"),
    path("teams/", TeamListView.as_view(), name="api-teams"),
    path("teams/<int:pk>", TeamDetailView.as_view(), name="api-team"),
]
