from django.urls import include, path

from coordination import api
from coordination.notifications import api as notifications

urlpatterns = [
    path("streams/<str:stream>/events", api.StreamEventsView.as_view(), name="stream-events"),
    path("teams/<id:pk>/board", api.TeamBoardView.as_view(), name="api-team-board"),
    path("visits/<id:pk>/claim", api.VisitClaimView.as_view(), name="api-visit-claim"),
    path("visits/<id:pk>/late", api.VisitLateView.as_view(), name="api-visit-late"),
    path("visits/<id:pk>/handovers", api.VisitHandoversView.as_view(), name="api-visit-handovers"),
    path("visits/<id:pk>/swaps", api.VisitSwapsView.as_view(), name="api-visit-swaps"),
    path("handovers/<id:pk>/accept", api.HandoverAcceptView.as_view(), name="api-handover-accept"),
    path(
        "handovers/<id:pk>/decline",
        api.HandoverDeclineView.as_view(),
        name="api-handover-decline",
    ),
    path(
        "handovers/<id:pk>/withdraw",
        api.HandoverWithdrawView.as_view(),
        name="api-handover-withdraw",
    ),
    # Help across teams.
    path("help-requests", api.HelpRequestsView.as_view(), name="api-help-requests"),
    path(
        "teams/<id:pk>/help-requests",
        api.TeamHelpRequestsView.as_view(),
        name="api-team-help-requests",
    ),
    path(
        "help-requests/<id:pk>/withdraw",
        api.HelpRequestWithdrawView.as_view(),
        name="api-help-request-withdraw",
    ),
    path("help-requests/<id:pk>/offers", api.HelpOffersView.as_view(), name="api-help-offers"),
    path(
        "help-offers/<id:pk>/accept",
        api.HelpOfferAcceptView.as_view(),
        name="api-help-offer-accept",
    ),
    path(
        "help-offers/<id:pk>/decline",
        api.HelpOfferDeclineView.as_view(),
        name="api-help-offer-decline",
    ),
    path(
        "help-offers/<id:pk>/withdraw",
        api.HelpOfferWithdrawView.as_view(),
        name="api-help-offer-withdraw",
    ),
    path("granted-visits/<id:pk>", api.GrantedVisitView.as_view(), name="api-granted-visit"),
    path(
        "granted-visits/<id:pk>/start",
        api.GrantedVisitStartView.as_view(),
        name="api-granted-visit-start",
    ),
    path(
        "granted-visits/<id:pk>/finish",
        api.GrantedVisitFinishView.as_view(),
        name="api-granted-visit-finish",
    ),
    path("notifications", notifications.NotificationListView.as_view(), name="api-notifications"),
    path(
        "notifications/unread-count",
        notifications.UnreadCountView.as_view(),
        name="api-notifications-unread",
    ),
    path(
        "notifications/read-all",
        notifications.NotificationsReadAllView.as_view(),
        name="api-notifications-read-all",
    ),
    path(
        "notifications/preferences",
        notifications.PreferencesView.as_view(),
        name="api-notification-preferences",
    ),
    path(
        "notifications/<id:pk>/read",
        notifications.NotificationReadView.as_view(),
        name="api-notification-read",
    ),
    # Practice across the network (coordination/practice/urls.py).
    path("practice/", include("coordination.practice.urls")),
]
