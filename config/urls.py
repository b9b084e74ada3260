from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView

from config.health import healthz, readyz

api_v1: list[URLPattern | URLResolver] = [
    path("", include("teams.urls")),
    path("", include("care.urls")),
    path("", include("coordination.urls")),
    path("schema", SpectacularAPIView.as_view(), name="api-schema"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("api/v1/", include(api_v1)),
    # One door to change one's own password: Kith's, whose current-password check
    # counts towards the sign-in lockout (the admin's own form does not).
    path(
        "ops/admin/password_change/",
        admin.site.admin_view(RedirectView.as_view(pattern_name="password-change")),
        name="admin-password-change",
    ),
    path("ops/admin/", admin.site.urls),
    path("", include("frontend.urls")),
]
