from django.urls import path

from scenarios.api.views import (
    ApplicationDetailView,
    ApplicationDocumentDownloadView,
    DocumentUploadView,
    EventListView,
    RatingView,
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
    path("sessions/<uuid:session_id>/rating/", RatingView.as_view(), name="api-session-rating"),
    path(
        "applications/<uuid:application_id>/",
        ApplicationDetailView.as_view(),
        name="api-application",
    ),
    path(
        "application-documents/<path:name>",
        ApplicationDocumentDownloadView.as_view(),
        name="api-application-document",
    ),
]
