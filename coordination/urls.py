from django.urls import path

from coordination import api

urlpatterns = [
    path("streams/<str:stream>/events", api.StreamEventsView.as_view(), name="stream-events"),
    path("teams/<int:pk>/board", api.TeamBoardView.as_view(), name="api-team-board"),
    path("visits/<int:pk>/claim", api.VisitClaimView.as_view(), name="api-visit-claim"),
    path("visits/<int:pk>/late", api.VisitLateView.as_view(), name="api-visit-late"),
    path("visits/<int:pk>/handovers", api.VisitHandoversView.as_view(), name="api-visit-handovers"),
    path("visits/<int:pk>/swaps", api.VisitSwapsView.as_view(), name="api-visit-swaps"),
    path("handovers/<int:pk>/accept", api.HandoverAcceptView.as_view(), name="api-handover-accept"),
    path(
        "handovers/<int:pk>/decline",
        api.HandoverDeclineView.as_view(),
        name="api-handover-decline",
    ),
    path(
        "handovers/<int:pk>/withdraw",
        api.HandoverWithdrawView.as_view(),
        name="api-handover-withdraw",
    ),
]
