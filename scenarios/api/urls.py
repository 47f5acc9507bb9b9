from django.urls import path

from scenarios.api.views import (
    DocumentUploadView,
    EventListView,
    SessionDetailView,
    SessionListView,
    TurnListView,
)

urlpatterns = [
    path("sessions/", SessionListView.as_view(), name="api-sessions"),
    path("sessions/<uuid:session_id>/", SessionDetailView.as_view(), name="api-session"),
    path("sessions/<uuid:session_id>/turns/", TurnListView.as_view(), name="api-session-turns"),
    path("sessions/<uuid:session_id>/events/", EventListView.as_view(), name="api-session-events"),
    path(
        "sessions/<uuid:session_id>/documents/",
        DocumentUploadView.as_view(),
        name="api-session-documents",
    ),
]
