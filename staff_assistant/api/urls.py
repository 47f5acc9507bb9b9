from django.urls import path

from staff_assistant.api.views import (
    StaffAskView,
    StaffConversationDetailView,
    StaffConversationListView,
    StaffFeedbackView,
)

urlpatterns = [
    path("staff/ask/", StaffAskView.as_view(), name="api-staff-ask"),
    path(
        "staff/messages/<int:message_id>/feedback/",
        StaffFeedbackView.as_view(),
        name="api-staff-feedback",
    ),
    path(
        "staff/conversations/", StaffConversationListView.as_view(), name="api-staff-conversations"
    ),
    path(
        "staff/conversations/<int:conversation_id>/",
        StaffConversationDetailView.as_view(),
        name="api-staff-conversation",
    ),
]
