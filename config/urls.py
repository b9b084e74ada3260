from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from config.health import healthz, readyz

api_v1 = [
    path("", include("teams.urls")),
    path("", include("care.urls")),
    path("", include("coordination.urls")),
    path("schema", SpectacularAPIView.as_view(), name="api-schema"),
]

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("api/v1/", include(api_v1)),
    path("ops/admin/", admin.site.urls),
    path("", include("frontend.urls")),
]
