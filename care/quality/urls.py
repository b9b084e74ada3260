from django.urls import path

from care.quality import api

urlpatterns = [
    path("clients/<int:pk>/surveys", api.ClientSurveysView.as_view(), name="api-client-surveys"),
    path(
        "teams/<int:pk>/snapshot-drafts",
        api.TeamDraftsView.as_view(),
        name="api-team-snapshot-drafts",
    ),
    path("teams/<int:pk>/snapshots", api.TeamSnapshotsView.as_view(), name="api-team-snapshots"),
    path(
        "teams/<int:pk>/snapshot-reads",
        api.TeamSnapshotReadsView.as_view(),
        name="api-team-snapshot-reads",
    ),
    path("snapshots", api.NetworkSnapshotsView.as_view(), name="api-snapshots"),
    path("snapshots/median", api.NetworkMedianView.as_view(), name="api-snapshots-median"),
    path("snapshots/<int:pk>", api.SnapshotView.as_view(), name="api-snapshot"),
    path("snapshots/<int:pk>/export", api.SnapshotExportView.as_view(), name="api-snapshot-export"),
    path(
        "snapshots/<int:pk>/propose", api.SnapshotProposeView.as_view(), name="api-snapshot-propose"
    ),
]
