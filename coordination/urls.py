from django.urls import URLPattern, URLResolver, include, path

from coordination.api import help, streams, visits
from coordination.notifications import api as notifications

# (route, view, name): every view here answers one route.
urlpatterns: list[URLPattern | URLResolver] = [
    path(route, view.as_view(), name=name)
    for route, view, name in [
        ("streams/<str:stream>/events", streams.StreamEventsView, "stream-events"),
        ("teams/<id:pk>/board", visits.TeamBoardView, "api-team-board"),
        ("visits/<id:pk>/claim", visits.VisitClaimView, "api-visit-claim"),
        ("visits/<id:pk>/assign", visits.VisitAssignView, "api-visit-assign"),
        ("visits/<id:pk>/start", visits.VisitStartView, "api-visit-start"),
        ("visits/<id:pk>/finish", visits.VisitFinishView, "api-visit-finish"),
        ("visits/<id:pk>/record", visits.VisitRecordView, "api-visit-record"),
        ("visits/<id:pk>/cancel", visits.VisitCancelView, "api-visit-cancel"),
        ("visits/<id:pk>/late", visits.VisitLateView, "api-visit-late"),
        ("visits/<id:pk>/handovers", visits.VisitHandoversView, "api-visit-handovers"),
        ("visits/<id:pk>/swaps", visits.VisitSwapsView, "api-visit-swaps"),
        ("handovers/<id:pk>/accept", visits.HandoverAcceptView, "api-handover-accept"),
        ("handovers/<id:pk>/decline", visits.HandoverDeclineView, "api-handover-decline"),
        ("handovers/<id:pk>/withdraw", visits.HandoverWithdrawView, "api-handover-withdraw"),
        # Help across teams.
        ("help-requests", help.HelpRequestsView, "api-help-requests"),
        ("teams/<id:pk>/help-requests", help.TeamHelpRequestsView, "api-team-help-requests"),
        (
            "help-requests/<id:pk>/withdraw",
            help.HelpRequestWithdrawView,
            "api-help-request-withdraw",
        ),
        ("help-requests/<id:pk>/offers", help.HelpOffersView, "api-help-offers"),
        ("help-offers/<id:pk>/accept", help.HelpOfferAcceptView, "api-help-offer-accept"),
        ("help-offers/<id:pk>/decline", help.HelpOfferDeclineView, "api-help-offer-decline"),
        ("help-offers/<id:pk>/withdraw", help.HelpOfferWithdrawView, "api-help-offer-withdraw"),
        ("granted-visits/<id:pk>", help.GrantedVisitView, "api-granted-visit"),
        ("granted-visits/<id:pk>/start", help.GrantedVisitStartView, "api-granted-visit-start"),
        ("granted-visits/<id:pk>/finish", help.GrantedVisitFinishView, "api-granted-visit-finish"),
        ("notifications", notifications.NotificationListView, "api-notifications"),
        ("notifications/unread-count", notifications.UnreadCountView, "api-notifications-unread"),
        (
            "notifications/read-all",
            notifications.NotificationsReadAllView,
            "api-notifications-read-all",
        ),
        (
            "notifications/preferences",
            notifications.PreferencesView,
            "api-notification-preferences",
        ),
        ("notifications/<id:pk>/read", notifications.NotificationReadView, "api-notification-read"),
    ]
]
# Practice across the network (coordination/practice/urls.py).
urlpatterns.append(path("practice/", include("coordination.practice.urls")))
