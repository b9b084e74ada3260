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
]
