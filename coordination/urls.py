from django.urls import include, path

from coordination.api import help, streams, visits
from coordination.notifications import api as notifications

urlpatterns = [
    path("streams/<str:stream>/events", streams.StreamEventsView.as_view(), name="stream-events"),
    path("teams/<id:pk>/board", visits.TeamBoardView.as_view(), name="api-team-board"),
    path("visits/<id:pk>/claim", visits.VisitClaimView.as_view(), name="api-visit-claim"),
    path("visits/<id:pk>/assign", visits.VisitAssignView.as_view(), name="api-visit-assign"),
    path("visits/<id:pk>/start", visits.VisitStartView.as_view(), name="api-visit-start"),
    path("visits/<id:pk>/finish", visits.VisitFinishView.as_view(), name="api-visit-finish"),
    path("visits/<id:pk>/record", visits.VisitRecordView.as_view(), name="api-visit-record"),
    path("visits/<id:pk>/cancel", visits.VisitCancelView.as_view(), name="api-visit-cancel"),
    path("visits/<id:pk>/late", visits.VisitLateView.as_view(), name="api-visit-late"),
    path(
        "visits/<id:pk>/handovers", visits.VisitHandoversView.as_view(), name="api-visit-handovers"
    ),
    path("visits/<id:pk>/swaps", visits.VisitSwapsView.as_view(), name="api-visit-swaps"),
    path(
        "handovers/<id:pk>/accept", visits.HandoverAcceptView.as_view(), name="api-handover-accept"
    ),
    path(
        "handovers/<id:pk>/decline",
        visits.HandoverDeclineView.as_view(),
        name="api-handover-decline",
    ),
    path(
        "handovers/<id:pk>/withdraw",
        visits.HandoverWithdrawView.as_view(),
        name="api-handover-withdraw",
    ),
    # Help across teams.
    path("help-requests", help.HelpRequestsView.as_view(), name="api-help-requests"),
    path(
        "teams/<id:pk>/help-requests",
        help.TeamHelpRequestsView.as_view(),
        name="api-team-help-requests",
    ),
    path(
        "help-requests/<id:pk>/withdraw",
        help.HelpRequestWithdrawView.as_view(),
        name="api-help-request-withdraw",
    ),
    path("help-requests/<id:pk>/offers", help.HelpOffersView.as_view(), name="api-help-offers"),
    path(
        "help-offers/<id:pk>/accept",
        help.HelpOfferAcceptView.as_view(),
        name="api-help-offer-accept",
    ),
    path(
        "help-offers/<id:pk>/decline",
        help.HelpOfferDeclineView.as_view(),
        name="api-help-offer-decline",
    ),
    path(
        "help-offers/<id:pk>/withdraw",
        help.HelpOfferWithdrawView.as_view(),
        name="api-help-offer-withdraw",
    ),
    path("granted-visits/<id:pk>", help.GrantedVisitView.as_view(), name="api-granted-visit"),
    path(
        "granted-visits/<id:pk>/start",
        help.GrantedVisitStartView.as_view(),
        name="api-granted-visit-start",
    ),
    path(
        "granted-visits/<id:pk>/finish",
        help.GrantedVisitFinishView.as_view(),
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
