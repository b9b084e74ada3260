from django.urls import include, path

from coordination import api
from coordination.notifications import api as notifications

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
    # Help across teams.
    path("help-requests", api.HelpRequestsView.as_view(), name="api-help-requests"),
    path(
        "teams/<int:pk>/help-requests",
        api.TeamHelpRequestsView.as_view(),
        name="api-team-help-requests",
    ),
    path(
        "help-requests/<int:pk>/withdraw",
        api.HelpRequestWithdrawView.as_view(),
        name="api-help-request-withdraw",
    ),
    path("help-requests/<int:pk>/offers", api.HelpOffersView.as_view(), name="api-help-offers"),
    path(
        "help-offers/<int:pk>/accept",
        api.HelpOfferAcceptView.as_view(),
        name="api-help-offer-accept",
    ),
    path(
        "help-offers/<int:pk>/decline",
        api.HelpOfferDeclineView.as_view(),
        name="api-help-offer-decline",
    ),
    path(
        "help-offers/<int:pk>/withdraw",
        api.HelpOfferWithdrawView.as_view(),
        name="api-help-offer-withdraw",
    ),
    path("granted-visits/<int:pk>", api.GrantedVisitView.as_view(), name="api-granted-visit"),
    path(
        "granted-visits/<int:pk>/start",
        api.GrantedVisitStartView.as_view(),
        name="api-granted-visit-start",
    ),
    path(
        "granted-visits/<int:pk>/finish",
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
        "notifications/<int:pk>/read",
        notifications.NotificationReadView.as_view(),
        name="api-notification-read",
    ),
    # Practice across the network (coordination/practice/urls.py).
    path("practice/", include("coordination.practice.urls")),
]
