from django.urls import path

from care.figures.quality import api

# (route, view, name): every view here answers one route.
urlpatterns = [
    path(route, view.as_view(), name=name)
    for route, view, name in [
        ("clients/<id:pk>/surveys", api.ClientSurveysView, "api-client-surveys"),
        ("teams/<id:pk>/snapshot-drafts", api.TeamDraftsView, "api-team-snapshot-drafts"),
        ("teams/<id:pk>/snapshots", api.TeamSnapshotsView, "api-team-snapshots"),
        ("teams/<id:pk>/snapshot-reads", api.TeamSnapshotReadsView, "api-team-snapshot-reads"),
        ("snapshots", api.NetworkSnapshotsView, "api-snapshots"),
        ("snapshots/median", api.NetworkMedianView, "api-snapshots-median"),
        ("snapshots/<id:pk>", api.SnapshotView, "api-snapshot"),
        ("snapshots/<id:pk>/export", api.SnapshotExportView, "api-snapshot-export"),
        ("snapshots/<id:pk>/propose", api.SnapshotProposeView, "api-snapshot-propose"),
    ]
]
