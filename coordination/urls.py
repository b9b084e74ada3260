from django.urls import path

from coordination.api import StreamEventsView

urlpatterns = [
    path("streams/<str:stream>/events", StreamEventsView.as_view(), name="stream-events"),
]
