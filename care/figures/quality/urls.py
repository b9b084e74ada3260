from django.urls import path

from care.figures.quality import api

urlpatterns = [
    path("clients/<id:pk>/surveys", api.ClientSurveysView.as_view(), name="api-client-surveys"),
    path(
        "teams/<id:pk>/snapshot-drafts",
        api.TeamDraftsView.as_view(),
        name="api-team-snapshot-drafts",
    ),
    path("teams/<id:pk>/snapshots", api.TeamSnapshotsView.as_view(), name="api-team-snapshots"),
    path(
        "teams/<id:pk>/snapshot-reads",
        api.TeamSnapshotReadsView.as_view(),
        name="api-team-snapshot-reads",
    ),
    path("snapshots", api.NetworkSnapshotsView.as_view(), name="api-snapshots"),
    path("snapshots/median", api.NetworkMedianView.as_view(), name="api-snapshots-median"),
    path("snapshots/<id:pk>", api.SnapshotView.as_view(), name="api-snapshot"),
    path("snapshots/<id:pk>/export", api.SnapshotExportView.as_view(), name="api-snapshot-export"),
    path(
        "snapshots/<id:pk>/propose", api.SnapshotProposeView.as_view(), name="api-snapshot-propose"
    ),
]
